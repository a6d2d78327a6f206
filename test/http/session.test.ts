/** hamelin-http interactive sessions: SSE + POST, long-poll, end of input, DELETE, expiry, unknown ids. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon, stopAll } from '../helpers/daemon.js';
import { eventually } from '../helpers/poll.js';
import { fixture } from '../helpers/paths.js';
import { fetchText, sse } from './client.js';
import { tempDir } from '../helpers/temp-dir.js';

after(stopAll);
const tmp = tempDir('hamelin-http-session-');
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

/** The `client=` label of the session that was opened for PATH (from its session-open line). */
const labelOf = (log: string, path: string): string => {
  const m = new RegExp(`session-open client=(\\S+) mode=poll path=${path}\\b`).exec(log);
  assert.ok(m, `a session-open line for ${path}`);
  return m[1]!;
};

test('HTTP-28 a long-poll session nobody names for --abandon-timeout ends and its id expires; polls keep another alive', async () => {
  const mark = join(tmp, 'abandon');
  const d = await startDaemon('http', ['--port', '0', '--abandon-timeout', '1', '--poll-timeout', '0.3', fixture('http/ticker.sh'), mark]);
  // `kept` is opened first: if its polls did not keep it, its time would run out before
  // `left`'s, so the moment `left` is abandoned proves that `kept` was kept.
  const kept = (await fetchText(d.port, { path: '/.hamelin/poll/kept?kept' })).body.trim();
  const left = (await fetchText(d.port, { path: '/.hamelin/poll/left?left' })).body.trim();
  const pollKept = async (): Promise<void> => {
    const r = await fetchText(d.port, { path: `/.hamelin/session/${kept}` });
    assert.equal(r.status, 200);
    assert.match(r.body, /tick/);
  };
  const abandoned = /client-gone client=(\S+) pid=\d+ reason=timeout detail="abandoned: no request for 1 s \(--abandon-timeout\)"/;
  const first = await eventually(async () => {
    await pollKept();
    return abandoned.exec(d.stderr()) ?? undefined;
  }, 'a session to be abandoned', 10_000);
  assert.equal(first[1], labelOf(d.stderr(), '/left'), 'the session nobody polled was the first abandoned');
  assert.equal(d.stderr().match(new RegExp(abandoned.source, 'g'))!.length, 1, 'and the only one');
  assert.equal((await fetchText(d.port, { path: `/.hamelin/session/${left}` })).status, 404, 'its id expired at once');
  await eventually(() => existsSync(`${mark}.left`), 'the abandoned script to get SIGTERM');
  await pollKept();
  const del = await fetchText(d.port, { method: 'DELETE', path: `/.hamelin/session/${kept}` });
  assert.equal(del.headers['hamelin-exit'], '143', 'the polled session ran until the DELETE');
  assert.equal(existsSync(`${mark}.kept`), true);
});

test('HTTP-28 --idle-timeout is the core byte-idle limit, not abandonment; CORE-21', async () => {
  // A script that writes is never idle: only --abandon-timeout ends the session nobody polls.
  const mark = join(tmp, 'idle-writer');
  const w = await startDaemon('http', ['--port', '0', '--idle-timeout', '0.5', '--abandon-timeout', '1.5', fixture('http/ticker.sh'), mark]);
  await fetchText(w.port, { path: '/.hamelin/poll' });
  await w.waitLog(/client-gone .*reason=timeout detail="abandoned: no request for 1\.5 s/);
  assert.doesNotMatch(w.stderr(), /reason=idle-timeout/, '--idle-timeout did not end a session whose script writes');
  // A quiet script in a polled session is idle: --idle-timeout still ends it.
  const q = await startDaemon('http', ['--port', '0', '--idle-timeout', '0.5', '--abandon-timeout', '0', '--poll-timeout', '0.2', 'sh', '-c', 'read l']);
  const id = (await fetchText(q.port, { path: '/.hamelin/poll' })).body.trim();
  const end = await eventually(async () => {
    const r = await fetchText(q.port, { path: `/.hamelin/session/${id}` });
    return r.headers['hamelin-state'] === 'ended' ? r : undefined;
  }, 'the idle session to end');
  assert.equal(end.headers['hamelin-exit'], 'SIGTERM');
  await q.waitLog(/terminate client=\S+ pid=\d+ reason=idle-timeout/);
});

test('HTTP-29 unknown, malformed and spent ids are 404 and run nothing', async () => {
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
  await s.waitEvent((e) => e.event === 'exit', 'the exit event');
  // The end has been told: the id is spent.
  assert.equal((await fetchText(d.port, { method: 'POST', path: `/.hamelin/session/${id}`, body: 'x' })).status, 404);
  assert.equal((d.stderr().match(/ start client=/g) ?? []).length, 1, 'no request with a bad id ran anything');
});

test('HTTP-24 HTTP-25 a POST after the end of input is 409 while the process still runs', async () => {
  const d = await startDaemon('http', ['--port', '0', 'sh', '-c', 'while read l; do echo "you said: $l"; done; echo "stdin ended"; exec sleep 30']);
  const s = sse(d.port);
  const id = (await s.waitEvent((e) => e.event === 'session', 'session event')).data;
  assert.equal((await fetchText(d.port, { method: 'POST', path: `/.hamelin/session/${id}/end` })).status, 204);
  await s.waitEvent((e) => e.data === 'stdin ended', 'the script to see EOF');
  const late = await fetchText(d.port, { method: 'POST', path: `/.hamelin/session/${id}`, body: 'x' });
  assert.equal(late.status, 409);
  assert.equal(late.body, 'hamelin: input already ended\n');
  assert.equal((await fetchText(d.port, { method: 'DELETE', path: `/.hamelin/session/${id}` })).status, 204);
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
