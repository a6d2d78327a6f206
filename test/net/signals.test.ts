/** Signals: what the child's own trap sees when the client goes away or the daemon stops. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon, stopAll, gone } from '../helpers/daemon.js';
import { dial } from '../helpers/tcp.js';
import { alive, eventually } from '../helpers/poll.js';
import { fixture } from '../helpers/paths.js';
import { spawnLayer } from '@hamelin/core';
import { tempDir } from '../helpers/temp-dir.js';

after(stopAll);
const tmp = tempDir('hamelin-net-sig-');
let n = 0;
const outFile = (): string => join(tmp, `trap-${n++}.log`);
const read = (f: string): string => (existsSync(f) ? readFileSync(f, 'utf8') : '');
const readyPid = async (c: Awaited<ReturnType<typeof dial>>): Promise<{ pid: number; pgid: number }> => {
  const m = (await c.waitFor(/ready (\d+) (\d+)\n/)).match(/ready (\d+) (\d+)\n/)!;
  return { pid: Number(m[1]), pgid: Number(m[2]) };
};

test('CORE-13 the child is the leader of its own process group', async () => {
  const f = outFile();
  const d = await startDaemon('net', ['127.0.0.1', '0', fixture('net/trap.sh'), f, 'read']);
  const c = await dial(d.port);
  const { pid, pgid } = await readyPid(c);
  assert.equal(pid, pgid);
  c.socket.end();
  await c.closed;
});

test('NET-05 CORE-13 a reset from the client means SIGTERM at once, seen by the child trap', async () => {
  const f = outFile();
  const d = await startDaemon('net', ['127.0.0.1', '0', fixture('net/trap.sh'), f, 'read']);
  const c = await dial(d.port);
  const { pid } = await readyPid(c);
  c.socket.resetAndDestroy();
  await eventually(() => read(f).includes('TERM'), 'the child to log TERM');
  await gone(pid);
  await d.waitLog(/client-gone .*reason=reset/);
});

test('NET-06 CORE-13 a full close is seen at the next write and means SIGTERM', async () => {
  const f = outFile();
  const d = await startDaemon('net', ['127.0.0.1', '0', fixture('net/trap.sh'), f, 'tick']);
  const c = await dial(d.port);
  const { pid } = await readyPid(c);
  c.socket.destroy(); // close(2): both directions
  await eventually(() => read(f).includes('TERM'), 'the ticking child to log TERM');
  await gone(pid);
});

test('NET-04 a half-close is not a disconnect: no SIGTERM, stdin ends, output still arrives', async () => {
  const f = outFile();
  const d = await startDaemon('net', ['127.0.0.1', '0', fixture('net/trap.sh'), f, 'read']);
  const c = await dial(d.port);
  await readyPid(c);
  c.socket.end('last words\n');
  const out = (await c.closed).toString();
  assert.match(out, /last words\n$/);
  assert.match(read(f), /EOF/);
  assert.doesNotMatch(read(f), /TERM/);
});

test('CORE-13 a grandchild in the group is terminated with the child', async () => {
  const f = outFile();
  const d = await startDaemon('net', ['127.0.0.1', '0', fixture('net/trap.sh'), f, 'grand']);
  const c = await dial(d.port);
  const { pid } = await readyPid(c);
  const grand = Number(read(f).match(/grandchild (\d+)/)![1]);
  assert.ok(alive(grand));
  c.socket.resetAndDestroy();
  await gone(pid);
  await gone(grand, 'the grandchild to be killed');
});

test('CORE-13 sh -c "a | b": both halves of a pipeline get the signal', async () => {
  const d = await startDaemon('net', ['127.0.0.1', '0', 'sh', '-c', `echo "pids $$"; sleep 1000 | sleep 1001 & echo "bg $!"; wait`]);
  const c = await dial(d.port);
  await c.waitFor(/bg \d+\n/);
  const sh = Number(c.text().match(/pids (\d+)/)![1]);
  c.socket.resetAndDestroy();
  await gone(sh);
  await eventually(() => !alive(-sh), 'the whole group to be gone');
});

test('CORE-13 the SIGTERM goes to the group, not only the pid: a grandchild gets it while its SIGTERM-proof parent still runs', async () => {
  const f = outFile();
  const d = await startDaemon('net', ['--kill-after', '3', '127.0.0.1', '0', fixture('net/trap.sh'), f, 'stubborn-grand']);
  const c = await dial(d.port);
  const { pid } = await readyPid(c);
  const grand = Number(read(f).match(/grandchild (\d+)/)![1]);
  c.socket.resetAndDestroy();
  await eventually(() => read(f).includes('GRANDTERM'), 'the grandchild to trap SIGTERM');
  assert.ok(alive(pid), 'the leader ignores SIGTERM and is still running: the signal went to the group');
  await gone(grand);
  await gone(pid, 'the leader to be SIGKILLed after the grace period');
});

test('CORE-14 a child that ignores SIGTERM is SIGKILLed after --kill-after, and that is logged', async () => {
  const f = outFile();
  const d = await startDaemon('net', ['--kill-after', '0.3', '127.0.0.1', '0', fixture('net/trap.sh'), f, 'ignore']);
  const c = await dial(d.port);
  const { pid } = await readyPid(c);
  c.socket.resetAndDestroy();
  await gone(pid, 'the SIGTERM-proof child to be killed');
  await d.waitLog(/ kill client=\S+ pid=\d+ after_ms=300/);
  await d.waitLog(new RegExp(`warn exit client=\\S+ pid=${pid} signal=SIGKILL`));
});

test('CORE-15 when the leader exits, what it left in its group is terminated', async () => {
  const d = await startDaemon('net', ['--kill-after', '0.5', '127.0.0.1', '0', 'sh', '-c', 'sleep 1000 & echo "bg $!"']);
  const c = await dial(d.port);
  const out = (await c.closed).toString();
  const bg = Number(out.match(/bg (\d+)/)![1]);
  await gone(bg, 'the backgrounded sleep to be terminated');
});

test('CORE-22 SIGTERM to the daemon: every session is terminated, nothing is left, exit 0', async () => {
  // Each child logs to a file named after its client port, so the test knows whose is whose.
  const script = `exec ${fixture('net/trap.sh')} ${tmp}/shutdown-$H_REMOTE_PORT.log grand`;
  const d = await startDaemon('net', ['--kill-after', '1', '127.0.0.1', '0', 'sh', '-c', script]);
  const clients = await Promise.all([1, 2, 3].map(() => dial(d.port)));
  const logs = clients.map((c) => join(tmp, `shutdown-${c.socket.localPort}.log`));
  const pids = await Promise.all(clients.map(readyPid));
  const grandchildren = logs.map((f) => Number(read(f).match(/grandchild (\d+)/)![1]));
  assert.equal(await d.stop('SIGTERM'), 0);
  for (const { pid } of pids) assert.ok(!alive(pid), `child ${pid} is gone when the daemon has exited`);
  for (const g of grandchildren) assert.ok(!alive(g), `grandchild ${g} is gone when the daemon has exited`);
  for (const f of logs) assert.match(read(f), /TERM/, `${f} saw SIGTERM`);
  await d.waitLog(/shutdown sessions=3/);
});

test('CORE-22 SIGINT works the same, and a SIGTERM-proof child is SIGKILLed within the grace period', async () => {
  const f = outFile();
  const d = await startDaemon('net', ['--kill-after', '0.3', '127.0.0.1', '0', fixture('net/trap.sh'), f, 'ignore']);
  const c = await dial(d.port);
  const { pid } = await readyPid(c);
  assert.equal(await d.stop('SIGINT'), 0);
  assert.ok(!alive(pid));
});

test('CORE-22 a daemon killed with SIGKILL still leaves no process behind: its spawn server ends the groups', async (t) => {
  const layer = await spawnLayer();
  if (layer === 'child_process') {
    // Only the spawn server outlives the daemon and can clean up; child_process cannot.
    if (process.env.CI === 'true') assert.fail('the spawn server is not available (no cc?): this check cannot run');
    t.diagnostic('SKIPPED LOUDLY: no spawn server on this machine (cc missing), so a SIGKILLed daemon leaves orphans');
    return;
  }
  const term = outFile();
  const stubborn = outFile();
  // orphan: it ignores SIGPIPE, which its next tick into the dead daemon's socket would
  // otherwise raise, racing the spawn server's SIGTERM (CI saw SIGPIPE win once).
  const d = await startDaemon('net', ['--kill-after', '0.5', '127.0.0.1', '0', fixture('net/trap.sh'), term, 'orphan']);
  const polite = await dial(d.port);
  const a = await readyPid(polite);
  const grand = Number(read(term).match(/grandchild (\d+)/)![1]);
  const d2 = await startDaemon('net', ['--kill-after', '0.5', '127.0.0.1', '0', fixture('net/trap.sh'), stubborn, 'ignore']);
  const c2 = await dial(d2.port);
  const b = await readyPid(c2);
  await d.stop('SIGKILL');
  await d2.stop('SIGKILL');
  await eventually(() => read(term).includes('TERM'), 'the orphaned child to see SIGTERM');
  await gone(a.pid, 'the orphaned child to exit');
  await gone(grand, 'its grandchild to exit');
  await gone(b.pid, 'the SIGTERM-proof orphan to be SIGKILLed after the grace period');
});

test('CORE-22 clients whose child is still being spawned when SIGTERM arrives are ended too: exit 0, nothing left', async () => {
  const marker = `hamelin-race-${process.pid}-${Date.now()}`;
  const d = await startDaemon('net', ['--kill-after', '1', '127.0.0.1', '0', 'sh', '-c', 'read x', marker]);
  const clients = await Promise.all(Array.from({ length: 60 }, () => dial(d.port)));
  // Every client is connected, and most of their children are still on their way.
  const stopped = d.stop('SIGTERM');
  const deadline = new Promise<'hung'>((res) => setTimeout(() => res('hung'), 10_000).unref());
  assert.equal(await Promise.race([stopped, deadline]), 0, 'the daemon exits 0 within the grace period');
  const left = readdirSync('/proc').filter((p) => /^\d+$/.test(p) && alive(Number(p)) && cmdline(p).includes(marker));
  assert.deepEqual(left, [], 'no child of any of the 60 sessions is left');
  for (const c of clients) c.socket.destroy();
  await d.waitLog(/shutdown sessions=/);
});

function cmdline(pid: string): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1');
  } catch {
    return '';
  }
}
