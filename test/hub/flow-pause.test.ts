/**
 * Hub flow control (HUB-12) with hamelin-net and real sockets: a process that stops reading
 * pauses every client, and the daemon holds little of what they offer.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, stopAll } from '../helpers/daemon.js';
import { dial } from '../helpers/tcp.js';
import { eventually } from '../helpers/poll.js';
import { rssMiB } from '../helpers/hub-flow.js';

after(stopAll);

test('HUB-12 a process that does not read pauses every client: their writes back up, the daemon holds little', async () => {
  const d = await startDaemon('net', ['--hub', 'broadcast', '127.0.0.1', '0', 'sh', '-c', 'echo up; exec sleep 1000']);
  const a = await dial(d.port);
  const b = await dial(d.port);
  await a.waitFor(/up\n/);
  const base = rssMiB(d.proc.pid!);
  const line = Buffer.alloc(64 * 1024, 'x');
  line[line.length - 1] = 10;
  // 16 MB offered by each: far more than the pipe, the daemon and the kernel's buffers hold.
  for (let i = 0; i < 256; i++) {
    a.socket.write(line);
    b.socket.write(line);
  }
  await eventually(() => a.socket.writableLength > 8 * 1024 * 1024 && b.socket.writableLength > 8 * 1024 * 1024, 'both clients held back');
  const after = rssMiB(d.proc.pid!);
  assert.ok(after - base < 24, `daemon RSS ${base.toFixed(1)} -> ${after.toFixed(1)} MiB with 32 MB offered to a process that reads nothing`);
  assert.equal(await d.stop(), 0);
});
