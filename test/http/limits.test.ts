/** hamelin-http limits: 413 --max-body, 408 header and body read timeouts, 503 --max-clients, --timeout. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon, stopAll } from '../helpers/daemon.js';
import { dial } from '../helpers/tcp.js';
import { eventually } from '../helpers/poll.js';
import { fixture } from '../helpers/paths.js';
import { fetchText, live } from './client.js';
import { tempDir } from '../helpers/temp-dir.js';

after(stopAll);
const tmp = tempDir('hamelin-http-limits-');
const starts = (s: string): number => (s.match(/ start client=/g) ?? []).length;

test('HTTP-12 413 for a Content-Length over --max-body, before any process starts', async () => {
  const d = await startDaemon('http', ['--port', '0', '--max-body', '10', 'cat']);
  const r = await fetchText(d.port, { method: 'POST', body: 'x'.repeat(11) });
  assert.equal(r.status, 413);
  assert.match(r.body, /^hamelin: request body over --max-body \(10 bytes\)\n$/);
  const ok = await fetchText(d.port, { method: 'POST', body: 'x'.repeat(10) });
  assert.equal(ok.status, 200);
  assert.equal(ok.body, 'x'.repeat(10));
  assert.equal(starts(d.stderr()), 1, 'only the request within the limit ran');
});

test('HTTP-12 413 for a chunked body that grows over --max-body, and the process gets SIGTERM', async () => {
  const mark = join(tmp, 'trap413');
  const d = await startDaemon('http', ['--port', '0', '--max-body', '100', 'sh', '-c', `trap 'echo TERM > ${mark}; exit 143' TERM; while read l; do :; done`]);
  const l = live(d.port, { method: 'POST', headers: { 'Transfer-Encoding': 'chunked' } });
  l.req.write('a'.repeat(60) + '\n');
  await d.waitLog(/ start client=/);
  l.req.write('b'.repeat(60) + '\n');
  const res = await l.response;
  assert.equal(res.statusCode, 413);
  await eventually(() => existsSync(mark), 'SIGTERM trapped');
  l.req.destroy();
});

test('HTTP-13 408 when the headers come too slowly (slowloris)', async () => {
  const d = await startDaemon('http', ['--port', '0', '--header-timeout', '0.5', 'echo', 'x']);
  const c = await dial(d.port);
  c.socket.write('GET / HTTP/1.1\r\nHost: x\r\n');
  const all = await c.closed;
  assert.match(all.toString(), /^HTTP\/1\.1 408 /);
  assert.equal(starts(d.stderr()), 0);
  await d.waitLog(/bad-request .*status=408/);
});

test('HTTP-13 --read-timeout is off unless asked for: a body may be typed at any pace', async () => {
  const d = await startDaemon('http', ['--help'], { ready: null });
  assert.equal((await d.exited).code, 0);
  // yargs wraps the help: a description may run over two lines before its [default: ...].
  assert.match(d.stdout(), /--read-timeout [^[]*\(0: never\)\s+\[number\] \[default: 0\]/);
  assert.match(d.stdout(), /--abandon-timeout [^[]*\[number\] \[default: 60\]/);
});

test('HTTP-13 408 when the body stalls for --read-timeout, and SIGTERM to the process', async () => {
  const mark = join(tmp, 'trap408');
  const d = await startDaemon('http', ['--port', '0', '--read-timeout', '0.5', 'sh', '-c', `trap 'echo TERM > ${mark}; exit 143' TERM; cat >/dev/null`]);
  const c = await dial(d.port);
  c.socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly a few bytes');
  const all = await c.closed;
  assert.match(all.toString(), /^HTTP\/1\.1 408 /);
  assert.match(all.toString(), /hamelin: request body read timeout/);
  await eventually(() => existsSync(mark), 'SIGTERM trapped');
});

test('HTTP-14 503 with Retry-After over --max-clients; CORE-20', async () => {
  const go = join(tmp, 'go503');
  const d = await startDaemon('http', ['--port', '0', '--max-clients', '1', fixture('http/waitfile.sh'), go]);
  const first = live(d.port);
  first.req.end();
  await first.waitFor('first\n');
  const second = await fetchText(d.port);
  assert.equal(second.status, 503);
  assert.equal(second.headers['retry-after'], '1');
  assert.equal(second.body, 'hamelin: busy: too many clients (limit 1)\n');
  await d.waitLog(/warn refused/);
  writeFileSync(go, '');
  assert.equal((await first.ended).body, 'first\nsecond\n');
  const third = await eventually(async () => {
    const r = await fetchText(d.port);
    return r.status === 200 ? r : undefined;
  }, 'a free slot again');
  assert.equal(third.body, 'first\nsecond\n');
});

test('HTTP-15 --timeout keeps the client: what the script writes after the SIGTERM is still delivered; CORE-25', async () => {
  // The trap answers a moment after the signal, as a script that cleans up does.
  const d = await startDaemon('http', ['--port', '0', '--timeout', '0.5', 'sh', '-c', "trap 'sleep 0.2; echo bye-after-term; exit 1' TERM; echo hi; while :; do sleep 0.1; done"]);
  const r = await fetchText(d.port);
  assert.equal(r.status, 200);
  assert.equal(r.body, 'hi\nbye-after-term\n');
  assert.equal(r.trailers['hamelin-exit'], '1');
  await d.waitLog(/request client=\S+ method=GET path=\/ http_status=200 status=1/);
  await d.waitLog(/terminate client=\S+ pid=\d+ reason=timeout/);
  assert.doesNotMatch(d.stderr(), /client-gone/, 'the client never went away');
});

test('HTTP-15 --timeout: 504 when nothing was written, SIGTERM in the trailer when streaming', async () => {
  const mark = join(tmp, 'trap504');
  const d = await startDaemon('http', ['--port', '0', '--timeout', '0.5', 'sh', '-c', `trap 'echo TERM >> ${mark}; exit 143' TERM; [ -n "$H_QUERY" ] && echo early; while :; do sleep 0.1; done`]);
  const silent = await fetchText(d.port);
  assert.equal(silent.status, 504);
  assert.match(silent.body, /^hamelin: timed out after 0\.5 s/);
  const streamed = await fetchText(d.port, { path: '/?talk' });
  assert.equal(streamed.status, 200);
  assert.equal(streamed.body, 'early\n');
  assert.equal(streamed.trailers['hamelin-exit'], '143');
  assert.equal(readFileSync(mark, 'utf8'), 'TERM\nTERM\n');
});
