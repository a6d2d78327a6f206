/**
 * --unbuffer (CORE-39): the child's stdout is a raw pseudo-terminal that the spawn helper relays.
 * Programs that block-buffer into a pipe answer line by line with no flag of their own, the bytes
 * are unchanged, and the data promises (CORE-05, CORE-07, CORE-15) hold on this path too. Real
 * programs as they are (python3 without -u, grep, awk, sed), real sockets, real browsers' transport.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { WebSocket } from 'ws';
import { startDaemon, stopAll, gone } from '../helpers/daemon.js';
import { dial } from '../helpers/tcp.js';
import { eventually } from '../helpers/poll.js';
import { requireTool } from '../helpers/tools.js';
import { live } from '../http/client.js';

after(stopAll);

const rssMiB = (pid: number): number => Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

/** Each program must answer the first line before the client sends the second. */
const AS_THEY_ARE: [string, string[], string, string, string, string][] = [
  ['python3 without -u', ['python3', '-c', 'import sys\nfor l in sys.stdin: print(l.strip().upper())'], 'abc x\n', 'ABC X\n', 'def\n', 'DEF\n'],
  ['grep without --line-buffered', ['grep', 'x'], 'a x\n', 'a x\n', 'b x\n', 'b x\n'],
  // GNU awk; Debian's default mawk reads its input in full blocks unless that is a terminal (CORE-39).
  ['gawk', ['gawk', '{print $1}'], 'one two\n', 'one\n', 'three four\n', 'three\n'],
  ['sed without -u', ['sed', 's/a/b/'], 'aaa\n', 'baa\n', 'cab\n', 'cbb\n'],
];

for (const [name, argv, in1, out1, in2, out2] of AS_THEY_ARE) {
  test(`CORE-39 --unbuffer: ${name} answers the first line before the second is sent`, async () => {
    requireTool(argv[0]!, argv[0] === 'python3' ? 'python3' : argv[0]!);
    const d = await startDaemon('net', ['--unbuffer', '127.0.0.1', '0', ...argv]);
    const c = await dial(d.port);
    c.socket.write(in1);
    await c.waitFor(out1, 15_000);
    assert.equal(c.text(), out1, 'only the first answer: the second line has not been sent');
    c.socket.end(in2);
    assert.equal((await c.closed).toString(), out1 + out2);
  });
}

test('CORE-39 without --unbuffer the same grep holds its answer until its input ends (the trap --unbuffer removes)', async () => {
  const d = await startDaemon('net', ['127.0.0.1', '0', 'grep', 'x']);
  const c = await dial(d.port);
  c.socket.write('a x\n');
  // The child has read the line once its session is idle with the answer still unsent: poll its
  // state until it sleeps in read, then the client has nothing, which is what block-buffering is.
  const pid = Number((await d.waitLog(/ start client=\S+ pid=(\d+)/))[1]);
  await eventually(() => /^State:\s+S/m.test(readFileSync(`/proc/${pid}/status`, 'utf8')) && readFileSync(`/proc/${pid}/wchan`, 'utf8') !== '0', 'grep to wait for more input');
  assert.equal(c.text(), '', 'grep block-buffers into a pipe');
  c.socket.end('b x\n');
  assert.equal((await c.closed).toString(), 'a x\nb x\n');
});

test('CORE-39 what the child sees: stdout a terminal of no size, stdin not, TERM=dumb', async () => {
  const probe = 'import os; print(os.isatty(1), os.isatty(0), os.environ.get("TERM"), tuple(os.get_terminal_size(1)))';
  const d = await startDaemon('net', ['--unbuffer', '127.0.0.1', '0', 'python3', '-c', probe], { env: { ...process.env, TERM: 'xterm-256color' } });
  const c = await dial(d.port);
  c.socket.end();
  assert.equal((await c.closed).toString(), 'True False dumb (0, 0)\n');
});

test('CORE-39 CORE-04 bytes 0-255 through cat on the terminal, unchanged (no CR added, no echo, 8-bit clean)', async () => {
  const d = await startDaemon('net', ['--unbuffer', '127.0.0.1', '0', 'cat']);
  const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  const sent = Buffer.concat([all, all, Buffer.from('\n\r\n\x03\x04\x1a\x7f\n')]);
  const c = await dial(d.port);
  c.socket.end(sent);
  const got = await c.closed;
  assert.equal(got.length, sent.length);
  assert.ok(got.equals(sent), 'every byte as sent');
});

test('CORE-39 CORE-05 a final line without newline arrives, and nothing is added', async () => {
  const d = await startDaemon('net', ['--unbuffer', '127.0.0.1', '0', 'printf', 'one\ntwo']);
  const c = await dial(d.port);
  c.socket.end();
  assert.equal((await c.closed).toString(), 'one\ntwo');
});

/** Numbered 100-byte lines, cut at `size` bytes: a lost, repeated or reordered block changes the hash. */
const LINE_TAIL = ' 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';
function numberedLines(size: number): string {
  const awk = `BEGIN { for (i = 0; ; i++) printf "%015d%s\\n", i, "${LINE_TAIL}" }`;
  return `awk '${awk}' | head -c ${size}`;
}
function numberedHash(size: number): string {
  const h = createHash('sha256');
  let left = size;
  for (let i = 0; left > 0; i++) {
    const line = `${String(i).padStart(15, '0')}${LINE_TAIL}\n`;
    h.update(line.length <= left ? line : line.slice(0, left));
    left -= line.length;
  }
  return h.digest('hex');
}

test('CORE-39 CORE-07 100 MB to a slow reader: every byte in order, the daemon bounded', async () => {
  const size = 100 * 1000 * 1000;
  const d = await startDaemon('net', ['--unbuffer', '127.0.0.1', '0', 'sh', '-c', numberedLines(size)]);
  const base = rssMiB(d.proc.pid!);
  const c = await dial(d.port);
  c.socket.removeAllListeners('data'); // hash as it comes, rather than keep 100 MB
  const hash = createHash('sha256');
  let got = 0;
  let peak = base;
  let next = 0;
  // Slow: a pause of 1 s at the start, then of 200 ms after every 20 MB.
  c.socket.on('data', (b: Buffer) => {
    hash.update(b);
    got += b.length;
    if (got < next) return;
    next += 20e6;
    c.socket.pause();
    peak = Math.max(peak, rssMiB(d.proc.pid!));
    setTimeout(() => c.socket.resume(), got === b.length ? 1000 : 200);
  });
  await new Promise<void>((resolve) => c.socket.once('end', () => resolve()));
  c.socket.end();
  assert.equal(got, size);
  assert.equal(hash.digest('hex'), numberedHash(size), 'the same bytes in the same order');
  assert.ok(peak - base < 48, `daemon RSS ${base.toFixed(1)} -> ${peak.toFixed(1)} MiB with 100 MB through a slow reader`);
});

test('CORE-39 CORE-15 the child exits with output unread: the client still gets all of it', async () => {
  const d = await startDaemon('net', ['--unbuffer', '127.0.0.1', '0', 'seq', '1', '200000']);
  const c = await dial(d.port);
  c.socket.pause();
  const pid = Number((await d.waitLog(/ start client=\S+ pid=(\d+)/))[1]);
  await gone(pid, 'seq to exit with its output unread');
  c.socket.resume();
  const out = (await c.closed).toString();
  assert.equal(out, Array.from({ length: 200000 }, (_, i) => `${i + 1}\n`).join(''));
});

test('CORE-39 CORE-13 the client resets: the child is ended and nothing is left', async () => {
  const d = await startDaemon('net', ['--unbuffer', '127.0.0.1', '0', 'sh', '-c', 'echo up; exec sleep 1000']);
  const c = await dial(d.port);
  await c.waitFor('up\n');
  const pid = Number((await d.waitLog(/ start client=\S+ pid=(\d+)/))[1]);
  c.socket.resetAndDestroy();
  await gone(pid, 'the child to be ended');
  await d.waitLog(/ end client=\S+ .*signal=SIGTERM/);
});

test('CORE-39 --unbuffer on hamelin-ws: python3 without -u answers each message', async () => {
  const d = await startDaemon('ws', ['--unbuffer', '--port', '0', 'python3', '-c', 'import sys\nfor l in sys.stdin: print(l.strip()[::-1])']);
  const ws = new WebSocket(`ws://127.0.0.1:${d.port}/`);
  const got: string[] = [];
  ws.on('message', (m) => got.push(String(m)));
  await new Promise((r, j) => ws.once('open', r).once('error', j));
  ws.send('abc');
  await eventually(() => got.length === 1, 'the first answer');
  assert.deepEqual(got, ['cba']);
  ws.send('xyz');
  await eventually(() => got.length === 2, 'the second answer');
  assert.deepEqual(got, ['cba', 'zyx']);
  ws.close();
});

test('CORE-39 --unbuffer on hamelin-http: the first line of a streamed answer arrives while the script runs', async () => {
  const d = await startDaemon('http', ['--unbuffer', '--port', '0', 'python3', '-c', 'import time\nprint("first")\ntime.sleep(30)\nprint("second")']);
  const l = live(d.port);
  l.req.end();
  await l.waitFor('first\n', 15_000);
  assert.equal(l.text(), 'first\n');
  l.req.destroy();
});

test('CORE-39 HUB-01 --unbuffer for a hub child: a line from one client reaches both, from python3 without -u', async () => {
  const d = await startDaemon('net', ['--unbuffer', '--hub', 'broadcast', '127.0.0.1', '0', 'python3', '-c', 'import sys\nfor l in sys.stdin: print("said:", l.strip())']);
  const a = await dial(d.port);
  const b = await dial(d.port);
  await d.waitLog(/ hub-join client=\S+ hub=python3 id=2 /);
  a.socket.write('hello\n');
  await Promise.all([a.waitFor('said: hello\n', 15_000), b.waitFor('said: hello\n', 15_000)]);
  b.socket.write('again\n');
  await Promise.all([a.waitFor('said: again\n'), b.waitFor('said: again\n')]);
});

test('CORE-39 CORE-28 without the spawn helper --unbuffer fails each spawn with ENOTSUP, and says why in the log', async () => {
  const d = await startDaemon('net', ['--unbuffer', '127.0.0.1', '0', 'cat'], { env: { ...process.env, HAMELIN_SPAWN: 'child_process' } });
  const c = await dial(d.port);
  c.socket.end('x\n');
  assert.equal((await c.closed).toString(), 'hamelin: cannot start cat: ENOTSUP\n');
  await d.waitLog(/spawn-failed .*--unbuffer needs the spawn helper/);
});
