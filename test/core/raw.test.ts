/**
 * CORE-33: `raw` framing passes every read on at once, both ways, with flow control kept:
 * hamelin-net --raw and hamelin-ws --binary. A length-prefixed frame has no newline.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startDaemon, stopAll } from '../helpers/daemon.js';
import { dial } from '../helpers/tcp.js';
import { eventually } from '../helpers/poll.js';
import { wsConnect } from '../ws/client.js';

after(stopAll);

const rssMiB = (pid: number): number => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

/** A frame of a length-prefixed protocol: 2-byte length, payload, no 0x0A anywhere. */
const FRAME = Buffer.from([0x00, 0x05, 0x68, 0x65, 0x6c, 0x6c, 0x6f]);

test('CORE-33 hamelin-net --raw: a frame without a newline reaches the child and comes back at once', async () => {
  const d = await startDaemon('net', ['--raw', '127.0.0.1', '0', 'cat']);
  const c = await dial(d.port);
  c.socket.write(FRAME);
  await eventually(() => c.received().equals(FRAME), 'the frame echoed before any newline or EOF');
  c.socket.write(FRAME.subarray(0, 1));
  await eventually(() => c.received().length === FRAME.length + 1, 'a single byte echoed at once');
  c.socket.end();
  await c.closed;
});

test('CORE-33 hamelin-net --raw keeps flow control: a child that never reads pauses the client, RSS bounded', async (t) => {
  const d = await startDaemon('net', ['--raw', '127.0.0.1', '0', 'sh', '-c', 'echo ready; exec sleep 1000']);
  const pid = d.proc.pid!;
  const idle = rssMiB(pid);
  let peak = idle;
  const c = await dial(d.port);
  await c.waitFor('ready\n');
  const chunk = Buffer.alloc(1024 * 1024, 0x61);
  let written = 0;
  await eventually(() => {
    while (written < 200 * 1024 * 1024 && c.socket.write(chunk)) written += chunk.length;
    peak = Math.max(peak, rssMiB(pid));
    return c.socket.writableLength > 16 * 1024 * 1024 ? true : undefined;
  }, 'the client side to back up', 20_000);
  t.diagnostic(`daemon RSS idle ${idle.toFixed(1)} MiB, peak ${peak.toFixed(1)} MiB after ${(written / 1048576).toFixed(0)} MiB offered`);
  assert.ok(written < 200 * 1024 * 1024, 'the daemon stopped reading');
  assert.ok(peak - idle < 64, `RSS grew from ${idle.toFixed(1)} to ${peak.toFixed(1)} MiB`);
  c.socket.resetAndDestroy();
});

test('CORE-33 hamelin-ws --binary: a frame without 0x0A goes to the child and back at once, as binary messages', async () => {
  const d = await startDaemon('ws', ['--port', '0', '--binary', 'cat']);
  const c = await wsConnect(`ws://127.0.0.1:${d.port}/`);
  c.send(FRAME, true);
  await eventually(() => Buffer.concat(c.raw).equals(FRAME), 'the frame echoed without a newline');
  assert.ok(c.binary.every((b) => b));
  c.send(Buffer.from([0x01]), true);
  await eventually(() => Buffer.concat(c.raw).length === FRAME.length + 1, 'one byte echoed at once');
  c.ws.close();
  await c.closed;
});
