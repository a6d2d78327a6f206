/**
 * Hub mode on hamelin-http (HUB-01, HUB-04, HUB-05, HUB-07, HUB-08) with real HTTP clients: an
 * SSE session, a long-poll session fed by POSTs and a plain request share one process; each
 * is told the process's end in its own way (the exit event, the poll's Hamelin-Exit, the
 * plain response's trailer), and a DELETE is a client leaving.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, stopAll } from '../helpers/daemon.js';
import { eventually } from '../helpers/poll.js';
import { fetchText, live, sse } from '../http/client.js';

after(stopAll);
const hubStarts = (log: string): number => (log.match(/ hub-start /g) ?? []).length;

/** Opens a long-poll session; its id. */
async function openPoll(port: number, path = '/.hamelin/poll'): Promise<string> {
  const r = await fetchText(port, { method: 'POST', path });
  assert.equal(r.status, 200);
  return r.body.trim();
}

const post = (port: number, id: string, body: string) => fetchText(port, { method: 'POST', path: `/.hamelin/session/${id}`, body });

/** Polls until the answers so far hold `re`; every body polled, in order. */
async function pollUntil(port: number, id: string, re: RegExp, got: { body: string; headers?: Record<string, unknown> }): Promise<void> {
  await eventually(async () => {
    const r = await fetchText(port, { path: `/.hamelin/session/${id}` });
    if (r.status === 200) {
      got.body += r.body;
      got.headers = r.headers;
    }
    return re.test(got.body);
  }, `a poll to hold ${re}`, 10_000, 0);
}

// Echoes every line to everyone; `quit` ends it with status 3.
const ECHO = 'echo up; while read -r l; do [ "$l" = quit ] && exit 3; echo "$l"; done';

test('HUB-01 HUB-05 HUB-04 an SSE session, a long-poll session with POSTs and a plain request share one process; each is told its exit in its own way', async () => {
  const d = await startDaemon('http', ['--port', '0', '--hub', 'broadcast', 'sh', '-c', ECHO]);
  const s = sse(d.port);
  const session = await s.waitEvent((e) => e.event === 'session', 'the session event');
  await s.waitEvent((e) => e.data === 'up', 'the first line');
  const poll = await openPoll(d.port);
  await d.waitLog(/ hub-join client=\S+ hub=sh id=2 clients=2/);
  // A POST to the long-poll session reaches the SSE session, and the other way round.
  assert.equal((await post(d.port, poll, 'from poll\n')).status, 204);
  await s.waitEvent((e) => e.data === 'from poll', 'the poll session\'s line');
  assert.equal((await post(d.port, session.data, 'from sse\nand more')).status, 204);
  const polled = { body: '' };
  await pollUntil(d.port, poll, /from sse\nand more\n/, polled);
  assert.match(polled.body, /^from poll\nfrom sse\nand more\n$/);
  // A plain request joins too: its body is its lines, and its answer streams what the room says.
  const plain = live(d.port, { method: 'POST', path: '/', headers: { 'Content-Type': 'text/plain' } });
  plain.req.end('from plain\n');
  await s.waitEvent((e) => e.data === 'from plain', 'the plain request\'s line');
  await plain.waitFor('from plain\n');
  await pollUntil(d.port, poll, /from plain\n/, polled);
  assert.equal(hubStarts(d.stderr()), 1, 'one process for the three');
  // The process ends: the SSE session gets its exit event, the poll its end, the plain request
  // its trailer.
  assert.equal((await post(d.port, poll, 'quit')).status, 204);
  const exit = await s.waitEvent((e) => e.event === 'exit', 'the exit event');
  assert.deepEqual(JSON.parse(exit.data), { status: 3, signal: null, exit: '3', description: 'exit status 3' });
  await s.ended;
  const last = await fetchText(d.port, { path: `/.hamelin/session/${poll}` });
  assert.equal(last.status, 200);
  assert.equal(last.headers['hamelin-state'], 'ended');
  assert.equal(last.headers['hamelin-exit'], '3');
  const p = await plain.ended;
  assert.equal(p.status, 200);
  assert.equal(p.trailers['hamelin-exit'], '3');
  assert.equal(p.body, 'from plain\nhamelin: hub ended: exit status 3\n', 'the room\'s lines, then the end as a byte stream tells it');
  await d.waitLog(/ warn hub-exit hub=sh pid=\d+ status=3 clients=3/);
  assert.equal(await d.stop(), 0);
});

test('HUB-07 HUB-08 addressed over http: joins carry the request\'s variables; a DELETE leaves with `closed` and is answered; the SSE stream closing leaves too', async () => {
  const script = `while read -r event id rest; do
  case $event in
    join)  echo "* $id joined $rest" ;;
    line)  case $rest in
             kick-me) echo "close $id bye now" ;;
             *) echo "* $id: $rest" ;;
           esac ;;
    leave) echo "* $id left ($rest)" ;;
  esac
done`;
  const d = await startDaemon('http', ['--port', '0', '--hub', 'addressed', 'sh', '-c', script]);
  const s = sse(d.port, '/chat?room=blue', { 'X-Nick': 'ann' });
  const j1 = await s.waitEvent((e) => e.data.startsWith('1 joined '), 'its own join');
  assert.match(j1.data, / H-TYPE=HTTP-0\.2-INSECURE /);
  assert.match(j1.data, / H-MODE=sse( |$)/);
  assert.match(j1.data, / H-PATH=\/chat( |$)/);
  assert.match(j1.data, / H-QUERY=room=blue( |$)/);
  assert.match(j1.data, / H-HEADER-X-NICK=ann( |$)/);
  const poll = await openPoll(d.port, '/.hamelin/poll/chat');
  const j2 = await s.waitEvent((e) => e.data.startsWith('2 joined '), 'the poll session\'s join');
  assert.match(j2.data, / H-MODE=poll( |$)/);
  assert.equal((await post(d.port, poll, 'hi all')).status, 204);
  await s.waitEvent((e) => e.data === '2: hi all', 'the line with its sender');
  const del = await fetchText(d.port, { method: 'DELETE', path: `/.hamelin/session/${poll}` });
  assert.deepEqual([del.status, del.headers['hamelin-exit']], [204, 'closed']);
  await s.waitEvent((e) => e.data === '2 left (closed)', 'the leave');
  assert.equal((await fetchText(d.port, { path: `/.hamelin/session/${poll}` })).status, 404, 'the id is spent');
  // HUB-09: a plain request the process closes gets the line and `closed` in its trailer.
  const kicked = await fetchText(d.port, { method: 'POST', path: '/chat', body: 'kick-me\n' });
  assert.equal(kicked.status, 200);
  assert.match(kicked.body, /^3 joined .*\nhamelin: closed: bye now\n$/);
  assert.equal(kicked.trailers['hamelin-exit'], 'closed');
  await s.waitEvent((e) => e.data === '3 left (closed-by-child)', 'the kicked client\'s leave');
  // A DELETE of an SSE session: the exit event says it left, the process having no status.
  const gone = sse(d.port);
  const goneId = (await gone.waitEvent((e) => e.event === 'session', 'its id')).data;
  await gone.waitEvent((e) => e.data.startsWith('4 joined '), 'its join');
  const delSse = await fetchText(d.port, { method: 'DELETE', path: `/.hamelin/session/${goneId}` });
  assert.deepEqual([delSse.status, delSse.headers['hamelin-exit']], [204, 'closed']);
  const left = await gone.waitEvent((e) => e.event === 'exit', 'its exit event');
  assert.deepEqual(JSON.parse(left.data), { status: null, signal: null, exit: 'closed', description: 'closed: left' });
  await s.waitEvent((e) => e.data === '4 left (closed)', 'its leave');
  // The SSE client goes away: it leaves; the process is not signalled and serves the next.
  s.req.destroy();
  await d.waitLog(/ hub-leave client=\S+ hub=sh id=1 reason=\S+ clients=0/);
  const t = sse(d.port);
  await t.waitEvent((e) => e.data.startsWith('5 joined '), 'a new client, same process');
  // An SSE session the process closes: its exit event says why.
  await post(d.port, (await t.waitEvent((e) => e.event === 'session', 'its id')).data, 'kick-me');
  const exit = await t.waitEvent((e) => e.event === 'exit', 'the exit event');
  assert.deepEqual(JSON.parse(exit.data), { status: null, signal: null, exit: 'closed', description: 'closed: bye now' });
  assert.equal(hubStarts(d.stderr()), 1);
  assert.equal(await d.stop(), 0);
});
