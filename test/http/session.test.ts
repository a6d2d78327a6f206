/** hamelin-http interactive sessions: SSE + POST, long-poll, end of input, DELETE, expiry, unknown ids. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon, stopAll } from '../helpers/daemon.js';
import { eventually } from '../helpers/poll.js';
import { fixture } from '../helpers/paths.js';
import { fetchText, sse } from './client.js';

after(stopAll);
const tmp = mkdtempSync(join(tmpdir(), 'hamelin-http-session-'));
const ECHO = ['sh', '-c', 'echo ready; while read l; do echo "you said: $l"; done; echo "stdin ended"'];

test('HTTP-23 HTTP-24 SSE session: POSTed lines reach the same process, answers come as events; CORE-01', async () => {
  const d = await startDaemon('http', ['--port', '0', ...ECHO]);
  const s = sse(d.port, '/chat');
  const id = (await s.waitEvent((e) => e.event === 'session', 'session event')).data;
  await s.waitEvent((e) => e.data === 'ready', 'ready');
  const p1 = await fetchText(d.port, { method: 'POST', path: `/.hamelin/session/${id}`, body: 'hello' });
  assert.equal(p1.status, 204);
  await s.waitEvent((e) => e.data === 'you said: hello', 'first answer');
  // One POST may carry several lines; a final newline is optional.
  await fetchText(d.port, { method: 'POST', path: `/.hamelin/session/${id}`, body: 'a\nb\n' });
  await s.waitEvent((e) => e.data === 'you said: b', 'second answer');
  const end = await fetchText(d.port, { method: 'POST', path: `/.hamelin/session/${id}/end` });
  assert.equal(end.status, 204);
  const exit = await s.waitEvent((e) => e.event === 'exit', 'exit event');
  assert.equal(JSON.parse(exit.data).status, 0);
  assert.deepEqual(
    s.events.filter((e) => e.event === 'message').map((e) => e.data),
    ['ready', 'you said: hello', 'you said: a', 'you said: b', 'stdin ended'],
  );
  assert.equal((d.stderr().match(/ start client=/g) ?? []).length, 1, 'one process for the whole conversation');
  // The session is over: its id is spent.
  const late = await fetchText(d.port, { method: 'POST', path: `/.hamelin/session/${id}`, body: 'late' });
  assert.equal(late.status, 404);
});

test('HTTP-26 long-poll: open, POST, poll returns the lines since the last poll; 204 after --poll-timeout', async () => {
  const d = await startDaemon('http', ['--port', '0', '--poll-timeout', '0.4', ...ECHO]);
  const open = await fetchText(d.port, { path: '/.hamelin/poll' });
  assert.equal(open.status, 200);
  const id = open.body.trim();
  assert.match(id, /^[A-Za-z0-9_-]{24}$/);
  assert.equal(open.headers['hamelin-session'], id);
  const at = `/.hamelin/session/${id}`;
  const first = await fetchText(d.port, { path: at });
  assert.equal(first.status, 200);
  assert.equal(first.body, 'ready\n');
  assert.equal(first.headers['hamelin-state'], 'running');
  await fetchText(d.port, { method: 'POST', path: at, body: 'one\ntwo\n' });
  const got = await eventually(async () => {
    const r = await fetchText(d.port, { path: at });
    return r.body.includes('two') ? r : undefined;
  }, 'both answers');
  assert.match(got.body, /you said: two\n$/);
  const quiet = await fetchText(d.port, { path: at });
  assert.equal(quiet.status, 204, 'nothing new within --poll-timeout');
  await fetchText(d.port, { method: 'POST', path: `${at}/end` });
  let tail = '';
  const last = await eventually(async () => {
    const r = await fetchText(d.port, { path: at });
    tail += r.body;
    return r.headers['hamelin-state'] === 'ended' ? r : undefined;
  }, 'the end');
  assert.equal(tail, 'stdin ended\n');
  assert.equal(last.headers['hamelin-exit'], '0');
  assert.equal((await fetchText(d.port, { path: at })).status, 404, 'the end was told: the id is spent');
});

test('HTTP-26 a waiting long poll is answered as soon as a line comes', async () => {
  const d = await startDaemon('http', ['--port', '0', '--poll-timeout', '20', 'sh', '-c', 'read l; echo "late $l"; read l']);
  const id = (await fetchText(d.port, { path: '/.hamelin/poll' })).body.trim();
  const at = `/.hamelin/session/${id}`;
  const pending = fetchText(d.port, { path: at });
  await d.waitLog(/ start client=/);
  await fetchText(d.port, { method: 'POST', path: at, body: 'x' });
  const r = await pending;
  assert.equal(r.status, 200);
  assert.equal(r.body, 'late x\n');
  await fetchText(d.port, { method: 'DELETE', path: at });
});

test('HTTP-27 DELETE ends the session with SIGTERM; the answer carries the exit', async () => {
  const mark = join(tmp, 'delete');
  const d = await startDaemon('http', ['--port', '0', fixture('http/trap.sh'), mark]);
  const id = (await fetchText(d.port, { path: '/.hamelin/poll' })).body.trim();
  const at = `/.hamelin/session/${id}`;
  await eventually(async () => (await fetchText(d.port, { path: at })).body === 'started\n', 'started');
  const del = await fetchText(d.port, { method: 'DELETE', path: at });
  assert.equal(del.status, 204);
  assert.equal(del.headers['hamelin-exit'], '143');
  assert.equal(readFileSync(mark, 'utf8'), 'TERM\n');
  assert.equal((await fetchText(d.port, { path: at })).status, 404);
  assert.equal((await fetchText(d.port, { method: 'DELETE', path: at })).status, 404);
});

test('HTTP-28 a long-poll session nobody polls for --idle-timeout ends, and its id expires; CORE-21', async () => {
  const mark = join(tmp, 'abandon');
  // The ticker writes every 0.1 s, so the core's byte-idle timer never fires: only the poll
  // abandonment can end this session.
  const d = await startDaemon('http', ['--port', '0', '--idle-timeout', '1', '--poll-timeout', '0.3', fixture('http/ticker.sh'), mark]);
  const kept = (await fetchText(d.port, { path: '/.hamelin/poll?kept' })).body.trim();
  const left = (await fetchText(d.port, { path: '/.hamelin/poll?left' })).body.trim();
  const pollKept = async (): Promise<void> => {
    const r = await fetchText(d.port, { path: `/.hamelin/session/${kept}` });
    assert.equal(r.status, 200);
    assert.match(r.body, /tick/);
  };
  await eventually(async () => {
    await pollKept();
    return existsSync(`${mark}.left`);
  }, 'the abandoned session to get SIGTERM', 5000);
  // The polled one is still alive after more than --idle-timeout.
  const started = Date.now();
  while (Date.now() - started < 1300) await pollKept();
  assert.equal(existsSync(`${mark}.kept`), false, 'the polled session was not ended');
  assert.equal((await fetchText(d.port, { path: `/.hamelin/session/${left}` })).status, 404);
  await d.waitLog(/client-gone .*reason=timeout detail="no poll for 1 s"/);
  await fetchText(d.port, { method: 'DELETE', path: `/.hamelin/session/${kept}` });
});

test('HTTP-29 unknown, malformed and misused ids', async () => {
  const d = await startDaemon('http', ['--port', '0', ...ECHO]);
  for (const path of ['/.hamelin/session/AAAAAAAAAAAAAAAAAAAAAAAA', '/.hamelin/session/../../etc', '/.hamelin/session/', '/.hamelin/nothing']) {
    assert.equal((await fetchText(d.port, { path })).status, 404, path);
    assert.equal((await fetchText(d.port, { method: 'POST', path, body: 'x' })).status, 404, path);
  }
  const s = sse(d.port);
  const id = (await s.waitEvent((e) => e.event === 'session', 'session event')).data;
  const poll = await fetchText(d.port, { path: `/.hamelin/session/${id}` });
  assert.equal(poll.status, 409, 'an SSE session is not polled');
  await fetchText(d.port, { method: 'POST', path: `/.hamelin/session/${id}/end` });
  const after = await fetchText(d.port, { method: 'POST', path: `/.hamelin/session/${id}`, body: 'x' });
  assert.ok(after.status === 409 || after.status === 404, `input after its end: ${after.status}`);
  assert.equal((d.stderr().match(/ start client=/g) ?? []).length, 1, 'no request with a bad id ran anything');
});

test('HTTP-24 a POST over --max-body gets 413', async () => {
  const d = await startDaemon('http', ['--port', '0', '--max-body', '8', ...ECHO]);
  const id = (await fetchText(d.port, { path: '/.hamelin/poll' })).body.trim();
  const r = await fetchText(d.port, { method: 'POST', path: `/.hamelin/session/${id}`, body: '0123456789\n' });
  assert.equal(r.status, 413);
  await fetchText(d.port, { method: 'DELETE', path: `/.hamelin/session/${id}` });
});

test('HTTP-24 HTTP-25 lines POSTed right after the open, before the process runs, are not lost', async () => {
  const d = await startDaemon('http', ['--port', '0', 'sort']);
  for (let i = 0; i < 3; i++) {
    const id = (await fetchText(d.port, { path: '/.hamelin/poll' })).body.trim();
    const at = `/.hamelin/session/${id}`;
    assert.equal((await fetchText(d.port, { method: 'POST', path: at, body: 'b\nc\na' })).status, 204);
    assert.equal((await fetchText(d.port, { method: 'POST', path: `${at}/end` })).status, 204);
    let out = '';
    let exit: unknown;
    while (exit === undefined) {
      const r = await fetchText(d.port, { path: at });
      out += r.body;
      exit = r.headers['hamelin-exit'];
    }
    assert.equal(out, 'a\nb\nc\n');
    assert.equal(exit, '0');
  }
});

test('HTTP-27 a DELETE right after the open ends the session at once', async () => {
  const d = await startDaemon('http', ['--port', '0', 'cat']);
  const id = (await fetchText(d.port, { path: '/.hamelin/poll' })).body.trim();
  const t0 = Date.now();
  const del = await fetchText(d.port, { method: 'DELETE', path: `/.hamelin/session/${id}` });
  assert.equal(del.status, 204);
  assert.equal(del.headers['hamelin-exit'], 'SIGTERM');
  assert.ok(Date.now() - t0 < 5000, `DELETE took ${Date.now() - t0} ms`);
});
