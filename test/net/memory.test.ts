/** CORE-07: bounded memory under a slow client and a child that does not read; many clients. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startDaemon, stopAll } from '../helpers/daemon.js';
import { dial } from '../helpers/tcp.js';
import { eventually } from '../helpers/poll.js';

after(stopAll);

const rssMiB = (pid: number): number => {
  const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
  return m ? Number(m[1]) / 1024 : 0;
};

/** The bound this test states: the daemon's RSS never exceeds its idle RSS by more than this. */
const GROWTH_BOUND_MIB = 64;

test('CORE-07 a slow reader against a 100 MB producer: daemon RSS stays within idle + 64 MiB, every byte arrives', async (t) => {
  const total = 100 * 1024 * 1024;
  const d = await startDaemon('net', ['127.0.0.1', '0', 'sh', '-c', `yes 0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ | head -c ${total}`]);
  const pid = d.proc.pid!;
  const idle = rssMiB(pid);
  let peak = idle;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(pid))), 25);
  const c = await dial(d.port);
  let got = 0;
  c.socket.removeAllListeners('data');
  c.socket.pause();
  // Read in small sips with pauses: the producer is much faster than this client.
  const done = new Promise<void>((resolve) => {
    c.socket.on('data', (chunk: Buffer) => {
      got += chunk.length;
      if (got >= total) return resolve();
      if (got % (4 * 1024 * 1024) < chunk.length) {
        c.socket.pause();
        setTimeout(() => c.socket.resume(), 20);
      }
    });
    c.socket.on('end', () => resolve());
  });
  setTimeout(() => c.socket.resume(), 500);
  await done;
  clearInterval(sampler);
  c.socket.end();
  assert.equal(got, total);
  t.diagnostic(`daemon RSS idle ${idle.toFixed(1)} MiB, peak ${peak.toFixed(1)} MiB`);
  assert.ok(peak - idle < GROWTH_BOUND_MIB, `RSS grew from ${idle.toFixed(1)} to ${peak.toFixed(1)} MiB`);
});

test('CORE-07 a child that never reads pauses the client: daemon RSS bounded while the client pushes 200 MB', async (t) => {
  const d = await startDaemon('net', ['127.0.0.1', '0', 'sh', '-c', 'echo ready; exec sleep 1000']);
  const pid = d.proc.pid!;
  const idle = rssMiB(pid);
  let peak = idle;
  const c = await dial(d.port);
  await c.waitFor('ready\n');
  const chunk = Buffer.alloc(1024 * 1024, 0x61);
  let written = 0;
  // Push until the socket refuses more (the daemon stopped reading), then keep offering for a while.
  await eventually(() => {
    while (written < 200 * 1024 * 1024 && c.socket.write(chunk)) written += chunk.length;
    peak = Math.max(peak, rssMiB(pid));
    return c.socket.writableLength > 16 * 1024 * 1024 ? true : undefined;
  }, 'the client side to back up', 20_000);
  peak = Math.max(peak, rssMiB(pid));
  t.diagnostic(`daemon RSS idle ${idle.toFixed(1)} MiB, peak ${peak.toFixed(1)} MiB, client backed up after ${(written / 1048576).toFixed(0)} MiB`);
  assert.ok(peak - idle < GROWTH_BOUND_MIB, `RSS grew from ${idle.toFixed(1)} to ${peak.toFixed(1)} MiB`);
  c.socket.resetAndDestroy();
});

test('CORE-01 200 concurrent clients, each with its own process and its own answer', async () => {
  const d = await startDaemon('net', ['127.0.0.1', '0', 'sh', '-c', 'read l; echo "$l $$"']);
  const clients = await Promise.all(Array.from({ length: 200 }, () => dial(d.port)));
  // All 200 children run at once, each waiting in `read`, before any client sends its line.
  await eventually(() => (d.stderr().match(/ info start /g) ?? []).length === 200, '200 sessions to be started');
  assert.doesNotMatch(d.stderr(), / info end /, 'no session ended before the lines were sent');
  clients.forEach((c, i) => c.socket.end(`client-${i}\n`));
  const answers = (await Promise.all(clients.map((c) => c.closed))).map((b) => b.toString());
  const pids = new Set<string>();
  answers.forEach((a, i) => {
    const m = a.match(/^client-(\d+) (\d+)\n$/);
    assert.ok(m, `answer ${i}: ${JSON.stringify(a)}`);
    assert.equal(Number(m[1]), i);
    pids.add(m[2]!);
  });
  assert.equal(pids.size, 200);
});
