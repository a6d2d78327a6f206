#!/usr/bin/env node
/**
 * The probe: the program the daemon under test runs for each client.
 *
 *     node probe.js REPORT_DIR MODE [EXTRA ARGS...]
 *
 * Where its prebuilt binary runs, the suite runs probe/hamelin-probe.c instead, the same program
 * in C that starts in a millisecond (probe-binary.ts); test/conformance/probe.test.ts holds the
 * two to the same events, bytes and ends. A change to one is a change to both.
 *
 * REPORT_DIR is the check's own directory: it reaches the probe through argv, never the
 * environment (the daemon under test may clear it), and it is also the token by which the
 * suite finds every process a check started (it appears in their command lines).
 * MODE is a `+`-separated list of behaviours, `name` or `name=value` (no commas, spaces or
 * quotes, so daemons that split a command string, such as socat's EXEC, pass it intact):
 *
 *   echo (default)   copy each stdin read to stdout at once; exit 0 at EOF
 *   sort             read stdin to EOF, write its lines sorted, exit 0
 *   noread           never read stdin
 *   stay             do not exit at EOF (wait for a signal)
 *   linger=MS        at EOF, exit 0 this long after it, not at once
 *   print=B64        write these bytes (base64url) to stdout at start
 *   longline=N       write one line of N bytes (newline included), then "short\n"
 *   lines=N          write N bytes of pattern(N) (pattern.ts) to stdout at start
 *   stderr=B64       write these bytes (base64url) to stderr at start
 *   exit=N           after print/stderr/flood, exit with status N
 *   die=SIG          after print/stderr/flood, die of this signal (e.g. SIGKILL)
 *   flood=N          write N bytes of 64 KiB lines to stdout, reporting progress
 *   tick=MS          write a line every MS milliseconds
 *   delay=MS         wait this long before print/stderr/flood/exit
 *   ignoreterm       record SIGTERM and carry on
 *   termsay=B64      on SIGTERM, write these bytes (base64url) to stdout, then exit 0
 *   grandchild       start a grandchild probe (same process group), mode gc[+ignoreterm]
 *   hub[=addressed]  a hub's shared process, obeying its clients' lines (probe-hub.ts)
 *
 * The report is REPORT_DIR/p<pid>.jsonl, one JSON event per line, appended synchronously so
 * a SIGKILL loses nothing that happened before it: start (pid, pgid, argv, env, cwd), in
 * (each stdin read), eof, sig (each signal), gc (the grandchild's pid), out (flood progress),
 * exit. Times are `Date.now()` milliseconds.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pattern } from './pattern.js';
import { hubProbe } from './probe-hub.js';

const [dir, modeArg = 'echo'] = process.argv.slice(2);
if (!dir) {
  process.stderr.write('usage: probe.js REPORT_DIR MODE [ARGS...]\n');
  process.exit(64);
}
const mode = new Map<string, string>();
for (const part of modeArg.split('+')) {
  const eq = part.indexOf('=');
  if (part) mode.set(eq < 0 ? part : part.slice(0, eq), eq < 0 ? '' : part.slice(eq + 1));
}

const fd = openSync(join(dir, `p${process.pid}.jsonl`), 'a');
function record(event: Record<string, unknown>): void {
  try {
    writeSync(fd, JSON.stringify({ ...event, t: Date.now() }) + '\n');
  } catch {
    /* the report directory is gone: the suite has finished with us */
  }
}

function procStat(): { ppid: number; pgid: number; sid: number } {
  try {
    const s = readFileSync('/proc/self/stat', 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(f[1]), pgid: Number(f[2]), sid: Number(f[3]) };
  } catch {
    return { ppid: process.ppid, pgid: -1, sid: -1 };
  }
}

const writeErrors = new Set<number>();

/** Blocking write that waits out EAGAIN, so a full pipe blocks us as it would block `cat`. */
function writeAll(target: number, buf: Buffer): boolean {
  let off = 0;
  const nap = new Int32Array(new SharedArrayBuffer(4));
  while (off < buf.length) {
    try {
      off += writeSync(target, buf, off);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        Atomics.wait(nap, 0, 0, 2);
        continue;
      }
      if (!writeErrors.has(target)) record({ e: 'write-error', fd: target, code });
      writeErrors.add(target);
      return false;
    }
  }
  return true;
}

function finish(code: number): never {
  record({ e: 'exit', code });
  process.exit(code);
}

// Signals: record each; SIGTERM ends us as the default action would, unless ignoreterm.
for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGUSR1'] as const) {
  process.on(sig, () => {
    record({ e: 'sig', sig });
    if (sig === 'SIGTERM' && mode.has('ignoreterm')) return;
    if (sig === 'SIGTERM' && mode.has('termsay')) {
      writeAll(1, Buffer.from(mode.get('termsay')!, 'base64url'));
      finish(0);
    }
    if (sig === 'SIGUSR1') return;
    process.removeAllListeners(sig);
    process.kill(process.pid, sig);
  });
}
let sawPipe = false;
process.on('SIGPIPE', () => {
  if (!sawPipe) record({ e: 'sig', sig: 'SIGPIPE' });
  sawPipe = true;
});

// On record only now that the signal handlers are in place: a check signals a probe as soon as
// it has reported, and a SIGTERM before them would end it unrecorded (the default action).
record({
  e: 'start',
  pid: process.pid,
  ...procStat(),
  argv0: process.argv0,
  argv: process.argv.slice(2),
  env: process.env,
  cwd: process.cwd(),
  mode: modeArg,
});

// A probe never outlives a forgotten check for long.
setTimeout(() => finish(99), Number(mode.get('life') ?? 90_000)).unref();
const keepAlive = setInterval(() => {}, 1 << 30);

let gcReport: string | undefined;
if (mode.has('grandchild')) {
  const self = fileURLToPath(import.meta.url);
  const gcMode = mode.has('ignoreterm') ? 'gc+stay+noread+ignoreterm' : 'gc+stay+noread';
  const gc = spawn(process.execPath, [self, dir, gcMode], { stdio: 'ignore', detached: false });
  gc.unref();
  record({ e: 'gc', pid: gc.pid });
  gcReport = join(dir, `p${gc.pid}.jsonl`);
}

function act(): void {
  if (mode.has('stderr')) writeAll(2, Buffer.from(mode.get('stderr')!, 'base64url'));
  if (mode.has('longline')) {
    const long = Buffer.alloc(Number(mode.get('longline')), 'y');
    long[long.length - 1] = 0x0a;
    writeAll(1, long);
    writeAll(1, Buffer.from('short\n'));
  }
  if (mode.has('lines')) writeAll(1, pattern(Number(mode.get('lines'))));
  if (mode.has('print')) writeAll(1, Buffer.from(mode.get('print')!, 'base64url'));
  if (mode.has('flood')) {
    const total = Number(mode.get('flood'));
    const line = Buffer.alloc(65536, 'x');
    line[line.length - 1] = 0x0a;
    let written = 0;
    let next = 0;
    while (written < total) {
      const n = Math.min(line.length, total - written);
      if (!writeAll(1, n === line.length ? line : line.subarray(line.length - n))) break;
      written += n;
      if (written >= next) {
        record({ e: 'out', n: written });
        next += 1 << 20;
      }
    }
    record({ e: 'out', n: written, done: true });
  }
  if (mode.has('exit')) finish(Number(mode.get('exit')));
  if (mode.has('die')) {
    record({ e: 'die', sig: mode.get('die') });
    process.kill(process.pid, mode.get('die') as NodeJS.Signals);
  }
  if (mode.has('tick')) {
    let i = 0;
    setInterval(() => writeAll(1, Buffer.from(`tick ${i++}\n`)), Number(mode.get('tick')));
  }
}
const delay = Number(mode.get('delay') ?? 0);
if (gcReport) {
  // Act only once the grandchild has reported, so it is on record before anything ends us.
  const until = Date.now() + 5000;
  const poll = setInterval(() => {
    if (existsSync(gcReport!) || Date.now() > until) {
      clearInterval(poll);
      setTimeout(act, delay);
    }
  }, 5);
} else if (delay > 0) setTimeout(act, delay);
else act();

if (!mode.has('noread')) {
  const hash = createHash('sha256');
  const chunks: Buffer[] = [];
  let total = 0;
  const sorting = mode.has('sort');
  const echo = !sorting && !mode.has('flood') && !mode.has('tick') && !mode.has('hub');
  const hub = mode.has('hub') ? hubProbe(mode.get('hub') === 'addressed', { write: (b) => writeAll(1, b), record, finish }) : undefined;
  process.stdin.on('data', (chunk: Buffer) => {
    total += chunk.length;
    hash.update(chunk);
    // Bytes are reported in full for the first MiB; after that, lengths and a digest.
    record(total <= 1 << 20 ? { e: 'in', b64: chunk.toString('base64') } : { e: 'in', n: chunk.length });
    if (sorting) chunks.push(chunk);
    else if (echo) writeAll(1, chunk);
    else if (hub) hub(chunk);
  });
  process.stdin.on('end', () => {
    record({ e: 'eof', total, sha256: hash.digest('hex') });
    if (sorting) {
      const text = Buffer.concat(chunks).toString('latin1');
      const lines = text.split('\n');
      if (lines[lines.length - 1] === '') lines.pop();
      writeAll(1, Buffer.from(lines.sort().map((l) => l + '\n').join(''), 'latin1'));
    }
    if (!mode.has('stay') && !mode.has('tick')) {
      const linger = Number(mode.get('linger') ?? 0);
      if (linger > 0) setTimeout(() => finish(0), linger);
      else {
        clearInterval(keepAlive);
        finish(0);
      }
    }
  });
  process.stdin.on('error', (e: NodeJS.ErrnoException) => record({ e: 'stdin-error', code: e.code }));
}
