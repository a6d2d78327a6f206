/**
 * CORE-34: SIGHUP neither kills nor stops a daemon: it reopens --log-file (logrotate renames
 * the file, then signals) and logs it, and the daemon goes on serving.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'node:http';
import { startDaemon, stopAll, type Running } from '../helpers/daemon.js';
import { roundTrip } from '../helpers/tcp.js';
import { eventually } from '../helpers/poll.js';
import { wsConnect } from '../ws/client.js';
import { tempDir } from '../helpers/temp-dir.js';

after(stopAll);
const dir = tempDir('hamelin-sighup-');
after(() => rmSync(dir, { recursive: true, force: true }));

const read = (f: string): string => {
  try {
    return readFileSync(f, 'utf8');
  } catch {
    return '';
  }
};

/** Start with --log-file, rotate the file, SIGHUP, and return the daemon, its port and both files. */
async function rotated(pkg: string, args: (log: string) => string[]): Promise<{ d: Running; port: number; log: string; old: string }> {
  const log = join(dir, `${pkg}.log`);
  const old = `${log}.1`;
  const d = await startDaemon(pkg, args(log), { ready: null });
  const port = Number((await eventually(() => /listening .*port=(\d+)/.exec(read(log)), 'the listening line in the log file'))[1]);
  renameSync(log, old);
  d.proc.kill('SIGHUP');
  await eventually(() => /log-reopen file=/.test(read(log)), 'the log-reopen line in the new file');
  assert.match(read(old), /info signal signal=SIGHUP/, 'the signal is logged in the old file');
  return { d, port, log, old };
}

test('CORE-34 hamelin-net: SIGHUP reopens --log-file, new sessions are logged in the new file, the daemon serves on', async () => {
  const { d, port, log, old } = await rotated('net', (log) => ['--log-file', log, '127.0.0.1', '0', 'cat']);
  assert.equal((await roundTrip(port, 'hello\n')).toString(), 'hello\n');
  await eventually(() => / info end /.test(read(log)), 'the session end in the new file');
  assert.doesNotMatch(read(old), / info start /, 'nothing of the new session in the old file');
  assert.equal(d.proc.exitCode, null, 'still running');
  assert.equal(await d.stop(), 0);
});

test('CORE-34 hamelin-ws: SIGHUP reopens --log-file, the daemon serves on', async () => {
  const { d, port, log } = await rotated('ws', (log) => ['--log-file', log, '--port', '0', 'cat']);
  const c = await wsConnect(`ws://127.0.0.1:${port}/`);
  c.send('hi');
  await c.waitFor(/^hi$/);
  c.ws.close();
  await eventually(() => / info start /.test(read(log)), 'the session in the new file');
  assert.equal(d.proc.exitCode, null);
  assert.equal(await d.stop(), 0);
});

test('CORE-34 hamelin-http: SIGHUP reopens --log-file, the daemon serves on', async () => {
  const { d, port, log } = await rotated('http', (log) => ['--log-file', log, '--port', '0', 'echo', 'ok']);
  const body = await new Promise<string>((resolve, reject) => {
    request({ port, host: '127.0.0.1', path: '/' }, (res) => {
      let b = '';
      res.setEncoding('utf8').on('data', (x: string) => (b += x)).on('end', () => resolve(b));
    })
      .on('error', reject)
      .end();
  });
  assert.equal(body, 'ok\n');
  await eventually(() => / info request /.test(read(log)), 'the request in the new file');
  assert.equal(d.proc.exitCode, null);
  assert.equal(await d.stop(), 0);
});
