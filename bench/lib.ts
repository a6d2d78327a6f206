/**
 * Shared plumbing for bench suites: the C load client, daemons started and stopped by the
 * bench, free ports, and the memory of a daemon's process tree.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

/** bench/ in the source tree (this file runs from bench/dist/). */
export const BENCH_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
export const ROOT = join(BENCH_DIR, '..');
export const RESULTS_DIR = join(BENCH_DIR, 'results');

const T0 = Date.now();
export function log(msg: string): void {
  process.stderr.write(`bench: [${((Date.now() - T0) / 1000).toFixed(1)}s] ${msg}\n`);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Absolute path of a program on PATH, or null. */
export function which(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (!dir) continue;
    const p = join(dir, name);
    try {
      if (statSync(p).isFile()) return p;
    } catch {
      /* not here */
    }
  }
  return null;
}

let loadgenPath: Promise<string> | undefined;

/** Compile bench/loadgen.c (once per run) and return the binary's path. */
export function loadgen(): Promise<string> {
  loadgenPath ??= (async () => {
    const out = join(BENCH_DIR, 'dist', 'loadgen');
    mkdirSync(dirname(out), { recursive: true });
    const cc = which('cc') ?? which('gcc') ?? which('clang');
    if (!cc) throw new Error('no C compiler (cc) on PATH: the load client bench/loadgen.c needs one');
    await execFileP(cc, ['-O2', '-pthread', '-o', out, join(BENCH_DIR, 'loadgen.c')]);
    return out;
  })();
  return loadgenPath;
}

/** Run the load client; resolves with its JSON line. */
export async function runLoad(args: (string | number)[], timeoutMs = 60_000): Promise<Record<string, number>> {
  const bin = await loadgen();
  const { stdout } = await execFileP(bin, args.map(String), { timeout: timeoutMs });
  return JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, number>;
}

/** A load client run that holds something open (loadgen idle, ws-idle): its first JSON line,
 * and release(), which ends its stdin and resolves with its last JSON line and exit code. */
export interface HeldLoad {
  first: Record<string, number>;
  release(): Promise<{ last: Record<string, number>; code: number | null }>;
}

export async function holdLoad(args: (string | number)[]): Promise<HeldLoad> {
  const p = spawn(await loadgen(), args.map(String), { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  const exited = new Promise<number | null>((resolve) => p.once('close', (code) => resolve(code)));
  const first = await new Promise<string>((resolve, reject) => {
    p.stdout!.setEncoding('utf8').on('data', (s: string) => {
      out += s;
      if (out.includes('\n')) resolve(out.slice(0, out.indexOf('\n')));
    });
    void exited.then((code) => reject(new Error(`load client ${args[0]} exited (${code}) before its first line: ${out}`)));
  });
  return {
    first: JSON.parse(first) as Record<string, number>,
    release: async () => {
      p.stdin!.end();
      const code = await exited;
      const lines = out.trim().split('\n');
      return { last: JSON.parse(lines[lines.length - 1]!) as Record<string, number>, code };
    },
  };
}

/** A TCP port that is free now, outside the ephemeral range (so client sockets cannot hold it). */
export async function freePort(): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    const ok = await new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen({ host: '127.0.0.1', port, exclusive: true }, () => s.close(() => resolve(true)));
    });
    if (ok) return port;
  }
  throw new Error('no free port found');
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export interface RunningDaemon {
  name: string;
  proc: ChildProcess;
  port: number;
  stderrTail(): string;
  stop(): Promise<void>;
}

/**
 * The environment every daemon starts with: PATH alone, so that every contender's children get
 * the same locale. websocketd gives a child only PATH and its CGI variables; hamelin, socat, ncat
 * and tcpserver give it their own environment. With the bench's LANG=C.UTF-8 passed on, each
 * of hamelin's `cat`s loaded the locale (about 400 µs more CPU per child), which the churn rows
 * counted against hamelin. The A/B is in bench/README.md, "The same children".
 */
export const DAEMON_ENV: Readonly<Record<string, string>> = { PATH: process.env.PATH ?? '/usr/bin:/bin' };

/**
 * Start a daemon whose argv comes from `argv(port)`, wait until its port accepts a
 * connection, and return a handle that stops it (SIGTERM, then SIGKILL after 5 s).
 * The readiness probe costs one session, which is why it is made before any measurement.
 * `env`: variables added to DAEMON_ENV.
 */
export async function startDaemon(name: string, argv: (port: number) => string[], env?: Record<string, string>, nofile?: number): Promise<RunningDaemon> {
  const port = await freePort();
  // Through a shell that raises the soft fd limit when it is low (1,000 idle connections need
  // up to 3 fds each in a relay); `exec` keeps the daemon's pid, so the tree is measured right.
  // `nofile`: exactly that many, the hard limit too (root may raise it; anyone else gets the
  // shell's one line and the daemon does not start).
  const raise =
    nofile === undefined
      ? 'n=$(ulimit -Hn); [ "$n" = unlimited ] && n=65536; [ "$(ulimit -n)" -lt 8192 ] && ulimit -n $n; exec "$@"'
      : `[ "$(ulimit -Hn)" = unlimited ] || [ "$(ulimit -Hn)" -ge ${nofile} ] || ulimit -Hn ${nofile} || exit 111; ulimit -n ${nofile} || exit 111; exec "$@"`;
  // Its own process group, so stop() also ends what it forked (socat's and ncat's per-connection
  // relays; an ncat relay stuck in the throughput row outlived its listener otherwise).
  const proc = spawn('/bin/sh', ['-c', raise, 'sh', ...argv(port)], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...DAEMON_ENV, ...env }, detached: true });
  let tail = '';
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => {
    tail = (tail + d).slice(-4000);
  });
  let exited = false;
  const done = new Promise<void>((r) =>
    proc.once('exit', () => {
      exited = true;
      r();
    }),
  );
  const deadline = Date.now() + 15_000;
  while (!(await canConnect(port))) {
    if (exited) throw new Error(`${name} exited before listening: ${tail}`);
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`${name} did not listen within 15 s: ${tail}`);
    }
    await sleep(20);
  }
  return {
    name,
    proc,
    port,
    stderrTail: () => tail,
    stop: async () => {
      const group = (sig: NodeJS.Signals): void => {
        try {
          process.kill(-proc.pid!, sig);
        } catch {
          /* the group is empty */
        }
      };
      if (!exited) group('SIGTERM');
      const t = setTimeout(() => group('SIGKILL'), 5000);
      await done;
      clearTimeout(t);
      group('SIGKILL'); // whatever it forked and left behind
    },
  };
}

interface ProcInfo {
  pid: number;
  ppid: number;
  comm: string;
}

function processTable(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const ppid = Number(stat.slice(close + 2).split(' ')[1]);
      out.push({ pid: Number(d), ppid, comm });
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

/** `pid` and every descendant of it. */
export function processTree(pid: number): ProcInfo[] {
  const table = processTable();
  const byParent = new Map<number, ProcInfo[]>();
  for (const p of table) {
    const list = byParent.get(p.ppid) ?? [];
    list.push(p);
    byParent.set(p.ppid, list);
  }
  const root = table.find((p) => p.pid === pid);
  if (!root) return [];
  const out: ProcInfo[] = [];
  const queue = [root];
  while (queue.length) {
    const p = queue.shift()!;
    out.push(p);
    queue.push(...(byParent.get(p.pid) ?? []));
  }
  return out;
}

function smapsKb(pid: number, field: 'Pss' | 'Rss'): number {
  try {
    const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/**
 * Memory of a daemon's process tree, without the backend processes (`cat`): PSS, so that
 * pages shared by forked relays (socat forks one per connection) are counted once, not
 * once per process. Also returns the plain RSS sum and the process count.
 */
export function treeMemory(pid: number, exclude: readonly string[] = ['cat']): { pssMiB: number; rssMiB: number; processes: number } {
  const procs = processTree(pid).filter((p) => !exclude.includes(p.comm));
  let pss = 0;
  let rss = 0;
  for (const p of procs) {
    pss += smapsKb(p.pid, 'Pss');
    rss += smapsKb(p.pid, 'Rss');
  }
  return { pssMiB: pss / 1024, rssMiB: rss / 1024, processes: procs.length };
}

/** Wait until the daemon's tree has no backend (`cat`) processes left, up to `ms`. */
export async function waitChildrenGone(pid: number, ms = 10_000, comm = 'cat'): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!processTree(pid).some((p) => p.comm === comm)) return true;
    await sleep(50);
  }
  return false;
}

export function exists(p: string): boolean {
  return existsSync(p);
}

/** utime + stime, in ms, of a daemon's own processes (hamelin: node and its spawner), leaving out
 * the scripts it runs (by command name): what the daemon itself costs, whatever else loads the
 * machine. Processes that exited meanwhile are not counted: run with the sessions still alive,
 * or read it where only scripts come and go. */
export function daemonCpuMs(pid: number, scripts: ReadonlySet<string>): number {
  let ticks = 0;
  for (const p of processTree(pid)) {
    if (scripts.has(p.comm)) continue;
    try {
      const stat = readFileSync(`/proc/${p.pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]);
    } catch {
      /* exited meanwhile */
    }
  }
  return ticks * 10; // USER_HZ is 100 on Linux
}
