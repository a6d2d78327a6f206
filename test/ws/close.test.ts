/** hamelin-ws session ends: close codes carry the exit status; a client that leaves ends the child (WS-08, WS-09, WS-11). */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import { startDaemon, stopAll, gone } from '../helpers/daemon.js';
import { eventually } from '../helpers/poll.js';
import { fixture } from '../helpers/paths.js';
import { wsConnect } from './client.js';
import { tempDir } from '../helpers/temp-dir.js';

after(stopAll);

const url = (port: number): string => `ws://127.0.0.1:${port}/`;
const tmp = tempDir('hamelin-ws-close-');

for (const [arg, code, reason] of [
  ['0', 1000, 'exit status 0'],
  ['3', 4003, 'exit status 3'],
  ['KILL', 4109, 'killed by SIGKILL'],
  ['TERM', 4115, 'killed by SIGTERM'],
] as const) {
  test(`WS-08 CORE-15 exit ${arg}: output first, then close ${code} "${reason}"`, async () => {
    const d = await startDaemon('ws', ['--port', '0', fixture('ws/exit-with.sh'), arg]);
    const c = await wsConnect(url(d.port));
    const closed = await c.closed;
    assert.deepEqual(c.messages, ['bye']);
    assert.deepEqual(closed, { code, reason });
  });
}

test('WS-08 CORE-19 a command that cannot start: one message, then close 1011', async () => {
  // The command exists when the daemon starts (it is checked then) and is gone by the time a client comes.
  const script = join(tmp, 'vanishing.sh');
  copyFileSync(fixture('ws/exit-with.sh'), script);
  chmodSync(script, 0o755);
  const d2 = await startDaemon('ws', ['--port', '0', script, '0']);
  rmSync(script);
  const c = await wsConnect(url(d2.port));
  const closed = await c.closed;
  assert.equal(c.messages.length, 1);
  assert.match(c.messages[0]!, /^hamelin: cannot start .*ENOENT/);
  assert.deepEqual(closed, { code: 1011, reason: 'spawn failed: ENOENT' });
});

async function termedChild(how: (ws: import('ws').WebSocket) => void, logReason: RegExp): Promise<void> {
  const mark = join(tmp, `term-${Math.random().toString(36).slice(2)}`);
  const d = await startDaemon('ws', ['--port', '0', fixture('ws/trap-term.sh'), mark]);
  const c = await wsConnect(url(d.port));
  await c.waitFor(/^ready$/);
  const pid = Number(/^pid (\d+)$/.exec(c.messages[0]!)![1]);
  how(c.ws);
  await eventually(() => existsSync(mark) && readFileSync(mark, 'utf8') === 'TERM\n', 'the child to trap SIGTERM');
  await gone(pid);
  await d.waitLog(logReason);
}

test('WS-09 CORE-13 the client closes: the child gets SIGTERM', async () => {
  await termedChild((ws) => ws.close(1000), /client-gone .*reason=closed/);
});

test('WS-09 CORE-13 an abrupt TCP drop (no close frame): the child gets SIGTERM', async () => {
  await termedChild((ws) => ws.terminate(), /client-gone .*reason=reset/);
});

test('WS-09 CORE-13 a TCP reset: the child gets SIGTERM', async () => {
  await termedChild((ws) => ((ws as unknown as { _socket: Socket })._socket).resetAndDestroy(), /client-gone .*reason=reset/);
});

/** The syscall number of write(2), for /proc/PID/syscall. */
const WRITE = process.arch === 'arm64' ? 64 : 1;

/** True while `pid` sleeps in a write(2) to its stdout: blocked, since a write with room to
 * go returns without sleeping. /proc/PID/syscall names the call and its arguments. */
function blockedOnStdout(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    const [nr, fd] = readFileSync(`/proc/${pid}/syscall`, 'latin1').split(' ');
    return state === 'S' && Number(nr) === WRITE && Number(fd) === 1;
  } catch {
    return false;
  }
}

test('WS-11 CORE-07 backpressure: a client that stops reading stops the child, and nothing is lost', async () => {
  const counter = join(tmp, 'counter');
  const script = `i=0; while [ $i -lt 200000 ]; do i=$((i+1)); echo "line $i ................................................................"; [ $((i % 100)) -eq 0 ] && echo $i > ${counter}; done`;
  const d = await startDaemon('ws', ['--port', '0', 'sh', '-c', script]);
  const c = await wsConnect(url(d.port));
  c.ws.pause();
  const pid = Number((await d.waitLog(/ start client=\S+ pid=(\d+)/))[1]);
  const read = (): number => (existsSync(counter) ? Number(readFileSync(counter, 'utf8')) || 0 : 0);
  // The child stalls well before the end: its output is held in bounded buffers. Stalled
  // means seen asleep in write(2) on stdout, twice, with no line written in between.
  let seen = -1;
  const stalled = await eventually(
    () => {
      if (!blockedOnStdout(pid)) return (seen = -1), false;
      const n = read();
      if (n === seen && n > 0) return n;
      seen = n;
      return false;
    },
    'the child to block writing to stdout',
    20_000,
    50,
  );
  assert.ok(stalled < 200000, `child stalled at line ${stalled}`);
  c.ws.resume();
  const closed = await c.closed;
  assert.equal(closed.code, 1000);
  assert.equal(c.messages.length, 200000);
  assert.equal(c.messages[199999]!.split(' ')[1], '200000');
});

test('WS-11 WS-14 CORE-07 input backpressure: a child that does not read its stdin stops the daemon reading the client', async () => {
  const d = await startDaemon('ws', ['--port', '0', '--ping-interval', '0.5', 'sh', '-c', 'echo started $$; exec sleep 60']);
  const c = await wsConnect(url(d.port));
  const pid = Number((await c.waitFor(/^started \d+$/)).split(' ')[1]);
  let pings = 0;
  c.ws.on('ping', () => pings++);
  const chunk = 'z'.repeat(64 * 1024);
  const total = 64 * 1024 * 1024;
  for (let sent = 0; sent < total; sent += chunk.length) c.send(chunk);
  // Two pings from the daemon after all was queued: its loop has run for a ping interval and
  // more, time enough to read megabytes. It has not: the rest stays with the client (it holds
  // at most a pipe's and a socket's worth), and its memory did not take the 64 MiB either.
  const from = pings;
  await eventually(() => pings >= from + 2, 'two pings while the child reads nothing', 20_000);
  assert.ok(c.ws.bufferedAmount > 32 * 1024 * 1024, `the client still holds ${c.ws.bufferedAmount} bytes`);
  const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${d.proc.pid}/status`, 'utf8'))![1]) * 1024;
  assert.ok(rss < 150 * 1024 * 1024, `daemon RSS ${rss >> 20} MiB`);
  // Not reading, the daemon cannot see the client leave; the ping check (WS-14) does.
  c.ws.terminate();
  await gone(pid);
  await d.waitLog(/client-gone .*reason=(timeout|reset|write-error)/);
});

test('WS-21 CORE-22 SIGTERM to the daemon: every session closes with its status, the daemon exits 0', async () => {
  const mark = join(tmp, 'shutdown');
  const d = await startDaemon('ws', ['--port', '0', fixture('ws/trap-term.sh'), mark]);
  const a = await wsConnect(url(d.port));
  const b = await wsConnect(url(d.port));
  await a.waitFor(/^ready$/);
  await b.waitFor(/^ready$/);
  const status = await d.stop('SIGTERM');
  assert.equal(status, 0);
  // trap-term.sh exits 0 from its trap.
  assert.deepEqual(await a.closed, { code: 1000, reason: 'exit status 0' });
  assert.deepEqual(await b.closed, { code: 1000, reason: 'exit status 0' });
  assert.equal(readFileSync(mark, 'utf8'), 'TERM\nTERM\n');
});
