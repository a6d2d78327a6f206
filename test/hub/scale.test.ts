/**
 * Hub mode at size (HUB-01, HUB-05, HUB-10, HUB-14): a thousand clients in one room with one
 * process, and 10 MB sent by one client reaching the others byte for byte.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execa } from 'execa';
import { startDaemon, stopAll } from '../helpers/daemon.js';
import { dial, type Client } from '../helpers/tcp.js';
import { eventually } from '../helpers/poll.js';

after(stopAll);

/** This process and the daemon need more descriptors than a default soft limit of 1024. */
async function raiseNofile(pid: number): Promise<void> {
  await execa('prlimit', ['--pid', String(pid), '--nofile=8192:8192'], { timeout: 10_000 });
}

test('HUB-01 HUB-10 HUB-14 a thousand clients in one room: one process, a line from one reaches all, shutdown tells all', async () => {
  await raiseNofile(process.pid);
  const d = await startDaemon('net', ['--hub', 'broadcast', '--max-clients', '2000', '127.0.0.1', '0', 'cat']);
  await raiseNofile(d.proc.pid!);
  const clients: Client[] = [];
  for (let i = 0; i < 1000; i += 50) clients.push(...(await Promise.all(Array.from({ length: 50 }, () => dial(d.port)))));
  await d.waitLog(/ hub-join client=\S+ hub=cat id=1000 clients=1000/, 30_000);
  clients[500]!.socket.write('to everyone\n');
  await eventually(() => clients.every((c) => c.text() === 'to everyone\n'), 'the line at all 1000', 30_000);
  assert.equal((d.stderr().match(/ hub-start /g) ?? []).length, 1, 'one process');
  assert.equal(await d.stop(), 0);
  const ends = await Promise.all(clients.map((c) => c.closed));
  assert.ok(ends.every((b) => b.toString() === 'to everyone\nhamelin: hub ended: killed by SIGTERM\n'), 'each told the end');
});

test('HUB-05 HUB-10 10 MB from one client reach the three others byte for byte, in whole lines', async () => {
  const d = await startDaemon('net', ['--hub', 'broadcast', '--hub-queue', String(64 << 20), '127.0.0.1', '0', 'cat']);
  const [sender, ...others] = await Promise.all(Array.from({ length: 4 }, () => dial(d.port)));
  await d.waitLog(/ hub-join client=\S+ hub=cat id=4 /);
  // 10 MB of lines of varied length, each ending in a newline.
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < 10 << 20; i++) {
    const l = `${i} ${'x'.repeat((i * 7919) % 4000)}\n`;
    lines.push(l);
    size += l.length;
  }
  const data = Buffer.from(lines.join(''));
  sender!.socket.write(data);
  const want = createHash('sha256').update(data).digest('hex');
  for (const c of [sender!, ...others]) {
    await eventually(() => c.received().length >= data.length, `${data.length} bytes`, 60_000);
    assert.equal(createHash('sha256').update(c.received()).digest('hex'), want);
  }
  assert.equal(await d.stop(), 0);
});
