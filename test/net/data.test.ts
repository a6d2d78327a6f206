/** Data path of hamelin-net: argv, line buffering, final lines, long lines, half-close. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon, stopAll } from '../helpers/daemon.js';
import { dial, roundTrip } from '../helpers/tcp.js';
import { eventually } from '../helpers/poll.js';
import { fixture } from '../helpers/paths.js';
import { tempDir } from '../helpers/temp-dir.js';

after(stopAll);
const tmp = tempDir('hamelin-net-data-');

test('NET-01 CORE-03 the seed example: grep --line-buffered filter fed a word list', async () => {
  const d = await startDaemon('net', ['127.0.0.1', '0', 'grep', '--line-buffered', 'filter']);
  const words = ['alpha', 'filter', 'filtering', 'omega', 'prefilter', 'zeta', 'unfiltered'].join('\n') + '\n';
  const out = await roundTrip(d.port, words);
  assert.equal(out.toString(), 'filter\nfiltering\nprefilter\nunfiltered\n');
});

test('CORE-02 argv reaches the child untouched: spaces, quotes, $HOME, *, empty, unicode, --help, --', async () => {
  const args = ['a b', `"q'`, '$HOME', '*', '', 'ünï ☃', '--help', '--', '-x', '007', '1e3'];
  const script = 'for a in "$@"; do printf "[%s]\\n" "$a"; done; printf "argc=%s\\n" "$#"';
  const d = await startDaemon('net', ['127.0.0.1', '0', 'sh', '-c', script, 'argv0', ...args]);
  const out = (await roundTrip(d.port, '')).toString('utf8');
  assert.equal(out, args.map((a) => `[${a}]\n`).join('') + `argc=${args.length}\n`);
});

test('CORE-02 argv[0] is the command word as given, resolved through PATH but not rewritten', async () => {
  const d = await startDaemon('net', ['127.0.0.1', '0', 'node', '-e', 'console.log(process.argv0)']);
  assert.equal((await roundTrip(d.port, '')).toString(), 'node\n');
});

test('CORE-03 a partial line is held until its newline; a complete line passes at once, in one read', async () => {
  const log = join(tmp, 'reads.jsonl');
  const d = await startDaemon('net', ['127.0.0.1', '0', fixture('net/readlog.mjs'), log]);
  const c = await dial(d.port);
  await c.waitFor('ready\n');
  c.socket.write('ab');
  c.socket.write('c');
  c.socket.write('\nde');
  const reads = await eventually(() => {
    try {
      const lines = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { hex?: string });
      return lines.length >= 1 ? lines : undefined;
    } catch {
      return undefined;
    }
  }, 'the first read');
  assert.equal(Buffer.from(reads[0]!.hex!, 'hex').toString(), 'abc\n', 'the child read the whole line at once, without "de"');
  c.socket.end('f\n');
  await c.waitFor('bye\n');
  const all = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { hex?: string; end?: boolean });
  assert.equal(all.filter((r) => r.hex).map((r) => Buffer.from(r.hex!, 'hex').toString()).join(''), 'abc\ndef\n');
  assert.ok(all.at(-1)!.end);
});

test('CORE-04 bytes pass unchanged both ways: CR, NUL, invalid UTF-8', async () => {
  const d = await startDaemon('net', ['127.0.0.1', '0', 'cat']);
  const payload = Buffer.from([0x61, 0x0d, 0x0a, 0x00, 0xff, 0xfe, 0x0a, 0xc3, 0x28, 0x0d, 0x0a]);
  assert.deepEqual(await roundTrip(d.port, payload), payload);
});

test('CORE-05 a final line without a newline is delivered, in both directions', async () => {
  const d1 = await startDaemon('net', ['127.0.0.1', '0', 'printf', 'one\ntwo']);
  assert.equal((await roundTrip(d1.port, '')).toString(), 'one\ntwo');
  const d2 = await startDaemon('net', ['127.0.0.1', '0', 'cat']);
  assert.equal((await roundTrip(d2.port, 'x\ny')).toString(), 'x\ny');
});

test('CORE-06 a 10 MB line passes through whole, and is logged once', async () => {
  const d = await startDaemon('net', ['127.0.0.1', '0', 'cat']);
  const line = Buffer.alloc(10 * 1024 * 1024 + 1, 0x61);
  line[line.length - 1] = 0x0a;
  const out = await roundTrip(d.port, Buffer.concat([line, Buffer.from('short\n')]));
  assert.equal(out.length, line.length + 6);
  assert.ok(out.subarray(0, line.length).equals(line));
  assert.equal(out.subarray(line.length).toString(), 'short\n');
  await d.waitLog(/long-line .*direction=out/);
  assert.equal(d.stderr().match(/long-line .*direction=in/g)?.length, 1, 'one log line for the inbound direction');
  assert.equal(d.stderr().match(/long-line .*direction=out/g)?.length, 1, 'one log line for the outbound direction');
});

test('CORE-06 with --max-line 8 a long line still arrives whole and unchanged on a stream', async () => {
  const d = await startDaemon('net', ['--max-line', '8', '127.0.0.1', '0', 'cat']);
  const input = 'abcdefghijklmnopqrstuvwxyz\nshort\n0123456789';
  assert.equal((await roundTrip(d.port, input)).toString(), input);
});

test('NET-04 a half-close ends stdin and the connection stays open for the answer: sort', async () => {
  const d = await startDaemon('net', ['127.0.0.1', '0', 'sort']);
  const words = Array.from({ length: 2000 }, (_, i) => `w${(i * 7919) % 2000}`);
  const out = await roundTrip(d.port, words.join('\n') + '\n');
  assert.equal(out.toString(), [...words].sort().join('\n') + '\n');
});

test('NET-04 a client that half-closes at once, with no byte, while the child is being spawned: its stdin still ends', async () => {
  const d = await startDaemon('net', ['127.0.0.1', '0', 'sh', '-c', 'cat; echo done']);
  // Each FIN comes before the session starts, so the socket has read it before anyone listened.
  const outs = await Promise.all(Array.from({ length: 8 }, () => roundTrip(d.port, '')));
  for (const out of outs) assert.equal(out.toString(), 'done\n');
});

test('CORE-15 NET-07 a child that prints and exits without reading: the client still gets every byte', async () => {
  const d = await startDaemon('net', ['127.0.0.1', '0', 'seq', '1', '50000']);
  const c = await dial(d.port);
  // Keep sending while the child ignores stdin and exits: unread input must not become an RST.
  const junk = Buffer.alloc(64 * 1024, 0x78);
  let sending = true;
  const pump = (): void => {
    while (sending && c.socket.write(junk)) { /* fill */ }
  };
  c.socket.on('drain', pump);
  c.socket.on('error', () => (sending = false));
  pump();
  const expected = Array.from({ length: 50000 }, (_, i) => `${i + 1}\n`).join('');
  await c.waitFor(/\n50000\n$/);
  sending = false;
  c.socket.end();
  const out = await c.closed;
  assert.equal(out.toString(), expected);
});

test('NET-07 CORE-15 a client that stops reading for 3 s after the child has exited still gets every byte, then the FIN', async () => {
  // The child exits once its last bytes are in the daemon, behind what fills the socket buffers.
  // The client sips until the session has ended, pauses for longer than the 2 s linger, then
  // reads the rest: the linger counts from the FIN, so nothing queued in the daemon is lost.
  const size = 8 * 1024 * 1024;
  const d = await startDaemon('net', ['127.0.0.1', '0', 'head', '-c', String(size), '/dev/zero']);
  const c = await dial(d.port);
  let sipping = true;
  c.socket.pause();
  c.socket.on('data', () => sipping && c.socket.pause());
  const sip = setInterval(() => c.socket.resume(), 40);
  await d.waitLog(/ end client=\S+ .*status=0/, 60_000);
  clearInterval(sip);
  c.socket.pause();
  await new Promise((r) => setTimeout(r, 3000));
  sipping = false;
  const before = c.received().length;
  c.socket.resume();
  const out = await c.closed;
  assert.ok(before < size, `the client had not read everything before its pause (${before} of ${size})`);
  assert.equal(out.length, size, `${out.length} of ${size} bytes`);
});

test('CORE-01 every client gets its own process', async () => {
  const d = await startDaemon('net', ['127.0.0.1', '0', 'sh', '-c', 'echo $$; read x']);
  const a = await dial(d.port);
  const b = await dial(d.port);
  const [pa, pb] = await Promise.all([a.waitFor('\n'), b.waitFor('\n')]);
  assert.notEqual(pa.trim(), pb.trim());
  a.socket.end('\n');
  b.socket.end('\n');
  await Promise.all([a.closed, b.closed]);
});

test('CORE-01 CORE-05 CORE-13 the child_process spawn layer (HAMELIN_SPAWN=child_process) keeps the same promises', async () => {
  const env = { ...process.env, HAMELIN_SPAWN: 'child_process' };
  const grep = await startDaemon('net', ['127.0.0.1', '0', 'grep', '--line-buffered', 'filter'], { env });
  assert.equal((await roundTrip(grep.port, 'filter\nother\nprefilter\n')).toString(), 'filter\nprefilter\n');
  const cat = await startDaemon('net', ['127.0.0.1', '0', 'cat'], { env });
  assert.equal((await roundTrip(cat.port, 'whole\npartial')).toString(), 'whole\npartial');
  const script = 'trap "echo TERM >&2; exit 143" TERM; echo "ready $$"; while :; do sleep 0.05; done';
  const d = await startDaemon('net', ['127.0.0.1', '0', 'sh', '-c', script], { env });
  const c = await dial(d.port);
  const pid = Number((await c.waitFor(/ready \d+\n/)).match(/ready (\d+)/)![1]);
  c.socket.resetAndDestroy();
  await d.waitLog(/^TERM$/m);
  await d.waitLog(new RegExp(`exit client=\\S+ pid=${pid} status=143 ended_by=client-reset`));
});
