/** Flow control over HTTP (CORE-07): a client that does not read stops the script, memory stays bounded. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon, stopAll } from '../helpers/daemon.js';
import { eventually } from '../helpers/poll.js';
import { fixture } from '../helpers/paths.js';
import { fetchText, live } from './client.js';
import { tempDir } from '../helpers/temp-dir.js';

after(stopAll);
const tmp = tempDir('hamelin-http-flow-');
const LINES = 20000; // 20 MB: more than every buffer between the script and the client

const progress = (file: string): number => {
  try {
    return Number(readFileSync(file, 'utf8').trim()) || 0;
  } catch {
    return 0;
  }
};

/** Wait until the script's progress stops moving (it is blocked in write), and return it. */
async function stalled(file: string): Promise<number> {
  let last = -1;
  let same = 0;
  return eventually(() => {
    const p = progress(file);
    same = p === last && p > 0 ? same + 1 : 0;
    last = p;
    return same >= 5 ? p : undefined;
  }, 'the script to block in write', 20_000, 100);
}

test('HTTP-03 CORE-07 a response nobody reads blocks the script; reading again delivers every byte', async () => {
  const mark = join(tmp, 'plain');
  const d = await startDaemon('http', ['--port', '0', fixture('http/flood.sh'), String(LINES), mark]);
  const l = live(d.port);
  l.req.end();
  const res = await l.response;
  res.pause();
  const at = await stalled(mark);
  assert.ok(at < LINES, `blocked after ${at} of ${LINES} lines`);
  const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${d.proc.pid}/status`, 'utf8'))![1]) / 1024;
  assert.ok(rss < 200, `daemon RSS ${rss.toFixed(0)} MiB`);
  res.resume();
  const r = await l.ended;
  assert.equal(r.body.length, LINES * 1001);
  assert.equal(r.trailers['hamelin-exit'], '0');
});

test('HTTP-26 CORE-07 a long-poll session nobody polls blocks the script at the bounded buffer', async () => {
  const mark = join(tmp, 'poll');
  const d = await startDaemon('http', ['--port', '0', fixture('http/flood.sh'), '2000', mark]);
  const id = (await fetchText(d.port, { path: '/.hamelin/poll' })).body.trim();
  const at = await stalled(mark);
  // 256 KiB of buffer plus a 64 KiB pipe is about 330 lines of 1001 bytes (progress is noted every 50).
  assert.ok(at < 600, `blocked after ${at} lines`);
  let total = 0;
  let exit: unknown;
  while (exit === undefined) {
    const r = await fetchText(d.port, { path: `/.hamelin/session/${id}` });
    total += r.body.length;
    exit = r.headers['hamelin-exit'];
  }
  assert.equal(total, 2000 * 1001);
  assert.equal(exit, '0');
});
