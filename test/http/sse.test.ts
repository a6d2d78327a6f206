/** hamelin-http server push: SSE framing, heartbeat, the exit event, 204 on reconnect. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon, stopAll } from '../helpers/daemon.js';
import { eventually } from '../helpers/poll.js';
import { fixture } from '../helpers/paths.js';
import { fetchText, sse } from './client.js';
import { tempDir } from '../helpers/temp-dir.js';

after(stopAll);
const tmp = tempDir('hamelin-http-sse-');

test('HTTP-18 HTTP-19 each stdout line is one event with an id; the session event comes first', async () => {
  const d = await startDaemon('http', ['--port', '0', 'sh', '-c', 'echo "mode=$H_MODE"; echo "two words"; echo; printf "cr\\r\\n"; printf "a\\rb\\n"; printf tail']);
  const s = sse(d.port);
  const res = await s.response;
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['content-type'], 'text/event-stream; charset=utf-8');
  assert.equal(res.headers['x-accel-buffering'], 'no');
  const exit = await s.waitEvent((e) => e.event === 'exit', 'the exit event');
  const [first, ...rest] = s.events;
  assert.equal(first!.event, 'session');
  assert.equal(first!.id, '0');
  assert.match(first!.data, /^[A-Za-z0-9_-]{24}$/);
  const lines = rest.filter((e) => e.event === 'message');
  assert.deepEqual(lines.map((e) => e.data), ['mode=sse', 'two words', '', 'cr', 'a\nb', 'tail']);
  assert.deepEqual(lines.map((e) => e.id), ['1', '2', '3', '4', '5', '6']);
  assert.equal(exit.id, '7');
  assert.deepEqual(JSON.parse(exit.data), { status: 0, signal: null, exit: '0', description: 'exit status 0' });
  await s.ended;
});

test('HTTP-19 the exit event names a failure status', async () => {
  const d = await startDaemon('http', ['--port', '0', 'sh', '-c', 'echo bye; exit 4']);
  const s = sse(d.port);
  const exit = await s.waitEvent((e) => e.event === 'exit', 'the exit event');
  assert.deepEqual(JSON.parse(exit.data), { status: 4, signal: null, exit: '4', description: 'exit status 4' });
});

test('HTTP-20 a heartbeat comment while the script is quiet', async () => {
  const d = await startDaemon('http', ['--port', '0', '--heartbeat', '0.2', 'sh', '-c', 'echo hi; sleep 30']);
  const s = sse(d.port);
  await s.waitEvent((e) => e.data === 'hi', 'the line');
  await eventually(() => s.text().includes('\n\n: heartbeat\n\n') && s.text().split(': heartbeat').length > 2, 'two heartbeats');
  s.req.destroy();
});

test('HTTP-21 a reconnect carrying Last-Event-ID gets 204 and runs nothing', async () => {
  const d = await startDaemon('http', ['--port', '0', 'echo', 'once']);
  const s = sse(d.port);
  const exit = await s.waitEvent((e) => e.event === 'exit', 'the exit event');
  const again = await fetchText(d.port, { headers: { Accept: 'text/event-stream', 'Last-Event-ID': exit.id! } });
  assert.equal(again.status, 204);
  assert.equal(again.body, '');
  await d.waitLog(/sse-reconnect/);
  assert.equal((d.stderr().match(/ start client=/g) ?? []).length, 1, 'the command ran once');
});

test('HTTP-27 closing the event stream ends the session: SIGTERM to the group; CORE-13', async () => {
  const mark = join(tmp, 'sse-close');
  const d = await startDaemon('http', ['--port', '0', fixture('http/trap.sh'), mark]);
  const s = sse(d.port);
  await s.waitEvent((e) => e.data === 'started', 'started');
  s.req.destroy();
  await eventually(() => existsSync(mark), 'SIGTERM trapped');
  await d.waitLog(/client-gone .*detail="event stream closed"/);
});

test('HTTP-15 --timeout ends an SSE session, and the exit event says how', async () => {
  const d = await startDaemon('http', ['--port', '0', '--timeout', '0.5', 'sh', '-c', 'echo hi; sleep 30']);
  const s = sse(d.port);
  const exit = await s.waitEvent((e) => e.event === 'exit', 'the exit event');
  assert.deepEqual(JSON.parse(exit.data), { status: null, signal: 'SIGTERM', exit: 'SIGTERM', description: 'killed by SIGTERM' });
  assert.deepEqual(s.events.filter((e) => e.event === 'message').map((e) => e.data), ['hi']);
  await d.waitLog(/terminate .*reason=timeout/);
  assert.doesNotMatch(d.stderr(), /client-gone/, 'the stream was never dropped');
});

test('HTTP-15 --timeout: an SSE session still gets what the script writes after the SIGTERM; CORE-25', async () => {
  const d = await startDaemon('http', ['--port', '0', '--timeout', '0.5', 'sh', '-c', "trap 'sleep 0.2; echo last words; exit 2' TERM; echo hi; while :; do sleep 0.1; done"]);
  const s = sse(d.port);
  const exit = await s.waitEvent((e) => e.event === 'exit', 'the exit event');
  assert.deepEqual(s.events.filter((e) => e.event === 'message').map((e) => e.data), ['hi', 'last words']);
  assert.equal(JSON.parse(exit.data).status, 2);
});
