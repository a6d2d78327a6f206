/**
 * Hub mode on hamelin-ws (HUB-01, HUB-04, HUB-05, HUB-08, HUB-09) with real WebSocket clients:
 * one process for every client, join events naming header variables as a per-client session's
 * environment does, a `close` from the process as close frame 1000 "closed: REASON", and the
 * process's exit as the close frame a session's exit gets (WS-08).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon, stopAll } from '../helpers/daemon.js';
import { wsConnect } from '../ws/client.js';
import { tempDir } from '../helpers/temp-dir.js';

after(stopAll);
const dir = tempDir('hamelin-hub-ws-');
const url = (port: number): string => `ws://127.0.0.1:${port}/room?x=1`;
const hubStarts = (log: string): number => (log.match(/ hub-start /g) ?? []).length;

/** Addressed: shows each join's variables to its client, relays lines, kicks on `kick ID`. */
const CHAT = `#!/bin/sh
while read -r event id rest; do
  case $event in
    join)  echo "$id $id joined $rest" ;;
    line)  case $rest in
             kick*) echo "close \${rest#kick } kicked by $id" ;;
             *) echo "!$id $id: $rest" ;;
           esac ;;
    leave) echo "* $id left ($rest)" ;;
  esac
done
`;
const chat = join(dir, 'chat.sh');
writeFileSync(chat, CHAT);
chmodSync(chat, 0o755);

test('HUB-08 WS-16 a ws join carries H-HEADER-<NAME> upper-cased, as a session\'s environment has it', async () => {
  const d = await startDaemon('ws', ['--port', '0', '--hub', 'addressed', chat]);
  const a = await wsConnect(url(d.port), { headers: { 'User-Agent': 'hub test/1', 'X-Room-Tag': 'blue' } });
  const join1 = await a.waitFor(/^1 joined /);
  assert.match(join1, / H-TYPE=WS-0\.2-INSECURE /);
  assert.match(join1, / H-CLIENT=hub%20test\/1 /);
  assert.match(join1, / H-PATH=\/room /);
  assert.match(join1, / H-QUERY=x=1 /);
  assert.match(join1, / H-HEADER-USER-AGENT=hub%20test\/1( |$)/);
  assert.match(join1, / H-HEADER-X-ROOM-TAG=blue( |$)/);
  assert.doesNotMatch(join1, /H-HEADER-[a-z]|H-HEADER-[A-Z-]*[a-z]/, 'no lower-case header names');
  // The same names a per-client session's child sees in its environment (WS-16).
  // `env` itself, not sh: dash drops names with a dash from what it runs (env.ts).
  const s = await startDaemon('ws', ['--port', '0', 'env']);
  const e = await wsConnect(url(s.port), { headers: { 'X-Room-Tag': 'blue' } });
  await e.closed;
  assert.deepEqual(e.messages.filter((m) => /^H-HEADER-X-ROOM-TAG=/i.test(m)), ['H-HEADER-X-ROOM-TAG=blue']);
  assert.equal(await s.stop(), 0);
  assert.equal(await d.stop(), 0);
});

test('HUB-01 HUB-09 WS-08 ws clients share one addressed process; `close ID REASON` is close frame 1000 "closed: REASON"; the others hear the leave', async () => {
  const d = await startDaemon('ws', ['--port', '0', '--hub', 'addressed', chat]);
  const a = await wsConnect(url(d.port));
  await a.waitFor(/^1 joined /);
  const b = await wsConnect(url(d.port));
  await b.waitFor(/^2 joined /);
  const c = await wsConnect(url(d.port));
  await c.waitFor(/^3 joined /);
  a.send('hello');
  await b.waitFor(/^1: hello$/);
  await c.waitFor(/^1: hello$/);
  // One WebSocket message with a newline in it is two lines (HUB-05).
  b.send('two\nlines');
  await a.waitFor(/^2: lines$/);
  assert.ok(a.messages.includes('2: two'));
  a.send('kick 2');
  assert.deepEqual(await b.closed, { code: 1000, reason: 'closed: kicked by 1' });
  await a.waitFor(/^2 left \(closed-by-child\)$/);
  await c.waitFor(/^2 left \(closed-by-child\)$/);
  assert.ok(!a.messages.some((m) => m === '1: hello'), 'the sender is left out');
  assert.equal(hubStarts(d.stderr()), 1, 'one process for the three');
  // A client that closes leaves with `closed`; the process is not signalled.
  c.ws.close(1000);
  await a.waitFor(/^3 left \(closed\)$/);
  a.send('still here');
  await d.waitLog(/ hub-leave client=\S+ hub=\S+ id=3 reason=closed clients=1/);
  assert.equal(await d.stop(), 0);
  assert.equal((await a.closed).code, 4115, 'shutdown: the process was killed by SIGTERM (WS-08)');
});

test('HUB-04 WS-08 the hub process exits without --respawn: every client gets its last output, then close 4000+status; the next client starts a new process', async () => {
  const d = await startDaemon('ws', ['--port', '0', '--hub', 'broadcast', 'sh', '-c', 'echo up; read line; echo "bye $line"; exit 3']);
  const a = await wsConnect(url(d.port));
  await a.waitFor(/^up$/);
  const b = await wsConnect(url(d.port));
  await d.waitLog(/ hub-join client=\S+ hub=sh id=2 clients=2/);
  b.send('now');
  const [ca, cb] = await Promise.all([a.closed, b.closed]);
  assert.deepEqual(ca, { code: 4003, reason: 'exit status 3' });
  assert.deepEqual(cb, { code: 4003, reason: 'exit status 3' });
  assert.deepEqual(a.messages, ['up', 'bye now']);
  assert.deepEqual(b.messages, ['bye now']);
  await d.waitLog(/ warn hub-exit hub=sh pid=\d+ status=3 clients=2/);
  const c = await wsConnect(url(d.port));
  await c.waitFor(/^up$/);
  assert.equal(hubStarts(d.stderr()), 2, 'a new process for the next client');
  assert.equal(await d.stop(), 0);
});

test('HUB-04 --respawn on ws: clients stay, each gets the restarting notice as a message, and the new process serves them', async () => {
  const d = await startDaemon('ws', ['--port', '0', '--hub', 'broadcast', '--respawn', 'sh', '-c', 'echo "up $$"; read line; exit 2']);
  const a = await wsConnect(url(d.port));
  const first = await a.waitFor(/^up \d+$/);
  a.send('die');
  await a.waitFor(/^hamelin: hub restarting in \d+ ms after exit status 2$/);
  const second = await a.waitFor(new RegExp(`^up (?!${first.slice(3)}$)\\d+$`));
  assert.notEqual(second, first);
  assert.equal(a.ws.readyState, a.ws.OPEN, 'the client stayed');
  assert.equal(await d.stop(), 0);
});

test('HUB-01 HUB-02 with --dir each script is a room of its own: two clients of one script share its process, a client of the other gets another', async () => {
  const scripts = tempDir('hamelin-hub-ws-dir-');
  for (const name of ['a', 'b']) {
    writeFileSync(join(scripts, name), `#!/bin/sh\necho "room $H_HUB_ROOM pid $$"\nexec cat\n`);
    chmodSync(join(scripts, name), 0o755);
  }
  const d = await startDaemon('ws', ['--port', '0', '--hub', 'broadcast', '--dir', scripts]);
  const a1 = await wsConnect(`ws://127.0.0.1:${d.port}/a`);
  const [, roomA, pidA] = /^room (\S+) pid (\d+)$/.exec(await a1.waitFor(/^room /))!;
  const a2 = await wsConnect(`ws://127.0.0.1:${d.port}/a`);
  const b1 = await wsConnect(`ws://127.0.0.1:${d.port}/b`);
  const [, roomB, pidB] = /^room (\S+) pid (\d+)$/.exec(await b1.waitFor(/^room /))!;
  assert.notEqual(pidA, pidB, 'one process per script');
  assert.notEqual(roomA, roomB);
  a2.send('to room a');
  await a1.waitFor(/^to room a$/);
  await a2.waitFor(/^to room a$/);
  b1.send('to room b');
  await b1.waitFor(/^to room b$/);
  assert.ok(!a1.messages.includes('to room b') && !b1.messages.includes('to room a'), 'rooms do not mix');
  assert.equal(hubStarts(d.stderr()), 2);
  assert.equal(await d.stop(), 0);
});
