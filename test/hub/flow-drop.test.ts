/**
 * Hub flow control (HUB-11, HUB-15) with hamelin-net and real sockets, --slow drop: a reader that
 * stops reading costs only itself (its lines are dropped and counted), every other client gets
 * everything, and the daemon's memory stays bounded. Each flow test has its own file: 10 MB to 21
 * clients takes 20-25 s on a loaded machine, and Node 20 times a whole file when several run.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, stopAll } from '../helpers/daemon.js';
import { dial, type Client } from '../helpers/tcp.js';
import { eventually } from '../helpers/poll.js';
import { FLOOD, endsWithDone, rssMiB } from '../helpers/hub-flow.js';

after(stopAll);

test('HUB-11 HUB-15 --slow drop: one reader that stops among 20 that read: they get every line, it gets what fit and "missed N lines" for the rest, and the daemon stays small', async () => {
  const d = await startDaemon('net', ['--hub', 'broadcast', '--hub-queue', '65536', '127.0.0.1', '0', 'sh', '-c', FLOOD]);
  const fast: Client[] = [];
  for (let i = 0; i < 20; i++) fast.push(await dial(d.port));
  const slow = await dial(d.port);
  slow.socket.pause();
  await d.waitLog(/ hub-join client=\S+ hub=sh id=21 /);
  const base = rssMiB(d.proc.pid!);
  const N = 100_000; // 10 MB through the hub
  // Each client's end is seen from the bytes as they come, not by searching all it got on every
  // poll: 20 clients times 10 MB each poll starved this test's own event loop on a loaded machine.
  const done = fast.map(endsWithDone);
  fast[0]!.socket.write(`go ${N}\n`);
  await eventually(() => done.every((f) => f.seen), 'every reading client to get "done"', 90_000, 100);
  for (const c of fast) assert.equal(c.text().split('\n').length - 1, N + 1, 'every line to every reading client');
  const peak = rssMiB(d.proc.pid!);
  assert.ok(peak - base < 48, `daemon RSS ${base.toFixed(1)} -> ${peak.toFixed(1)} MiB for 10 MB to 21 clients, one of them stopped`);
  slow.socket.resume();
  const text = await slow.waitFor(/^done\n/m, 30_000);
  const missed = Number(/^hamelin: missed (\d+) lines\n/m.exec(text)?.[1] ?? NaN);
  const got = text.split('\n').filter((l) => /^\d{99}$/.test(l)).length;
  assert.ok(missed > 0, 'it was told what it missed');
  assert.equal(got + missed, N, `${got} received + ${missed} missed = every line, each counted once`);
  assert.equal(await d.stop(), 0);
});
