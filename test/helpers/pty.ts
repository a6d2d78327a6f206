/**
 * Drive a real terminal from a test, with no native module: packages/conformance/ptyrun.py (the suite's own, one copy)
 * (Python's standard library only) runs a command on a new pty, as its controlling terminal
 * and its stdin/stdout/stderr, and relays the pty's master side over its own stdio.
 *
 *   const t = await onPty(['node', bin('tty'), '--log-file', log, 'cat']);
 *   t.type('hello\r');              // keystrokes, as typed: \r Enter, \x7f erase, \x04 ^D
 *   await t.waitFor('hello\r\n');   // what the terminal shows (echo and output, after ONLCR)
 *   t.hangup();                     // close the master: the terminal window closed
 *   const { code } = await t.exited;
 *
 * `ttyDaemon(args)` does the same for hamelin-tty serving its own terminal, with its log in a
 * file (the log never goes to the terminal it serves) and waits for its `listening` line.
 * `socatLine(dir)` is a --device line (a socat pty pair); `logEvents(log)` the log's events in
 * order, for assertions on what happened before what rather than on timing.
 *
 * Driving any daemon under test this way (the conformance `tty` binding):
 * - ptyrun.py's protocol is all there is: our bytes to its stdin are keystrokes, its stdout is
 *   the screen, EOF on its stdin closes the master (a hangup: SIGHUP to the daemon, EOF/EIO on
 *   its reads), its stderr says `ptyrun: pid=N tty=/dev/pts/M` first and `ptyrun: exit code=N`
 *   (or `signal=NAME`) last; it exits with the command's status. It runs without native modules.
 * - Readiness: the daemon's log goes to a file (`--log-file`); wait for `listening address=`.
 *   `H-CLIENT` must equal the `tty=` path; `H-TYPE` is `TTY-0.2-LOCAL`.
 * - A line is typed as `text\r` (Enter; `\n` works too). ^D at the start of a line (`\x04`) is
 *   the half-close. What comes back is the kernel's echo of the typed line, then the output,
 *   every `\n` as `\r\n`: expect `text\r\n` + answer with `\r\n`, or strip the echo first.
 * - Data checks must respect the terminal: at most 4095 characters per typed line, and no
 *   control characters the line discipline acts on (^C ^D ^H DEL ^O ^Q ^R ^S ^U ^V ^W ^Z ^\).
 * - The child's stderr reaches the same screen (CORE-12), through ONLCR as well.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { bin, fixture, ROOT } from './paths.js';
import { alive, eventually } from './poll.js';
import { tempDir } from './temp-dir.js';

export interface PtyRun {
  proc: ChildProcess;
  /** The command's pid (a session leader: its pgid too). */
  pid: number;
  /** The pty's slave path, e.g. /dev/pts/4. */
  tty: string;
  /** Everything the terminal showed so far. */
  output(): Buffer;
  text(): string;
  /** Type bytes into the terminal. */
  type(keys: string | Buffer): void;
  /** Wait until the terminal has shown `s` (searching from byte offset `from`). */
  waitFor(s: string | RegExp, timeoutMs?: number, from?: number): Promise<string>;
  /** Hang the terminal up (close the master). */
  hangup(): void;
  /** The command's exit, as reported by ptyrun. */
  exited: Promise<{ code: number | null; signal: string | null }>;
  /** ptyrun's own stderr (status lines). */
  status(): string;
}

export interface PtyOptions {
  rows?: number;
  cols?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

const live = new Set<PtyRun>();

export function python(): string {
  return process.env.PYTHON ?? 'python3';
}

/** Wait until `screen()` contains `s`; a timeout says what the screen shows by then. */
async function showing(screen: () => string, s: string | RegExp, what: string, timeoutMs: number): Promise<string> {
  try {
    return await eventually(() => {
      const t = screen();
      return (typeof s === 'string' ? t.includes(s) : s.test(t)) ? t : undefined;
    }, `${what} to show ${JSON.stringify(String(s))}`, timeoutMs);
  } catch (e) {
    throw new Error(`${(e as Error).message}; it shows ${JSON.stringify(screen().slice(-400))}`);
  }
}

export async function onPty(argv: string[], opts: PtyOptions = {}): Promise<PtyRun> {
  const args = [resolve(ROOT, 'packages', 'conformance', 'ptyrun.py'), '--rows', String(opts.rows ?? 24), '--cols', String(opts.cols ?? 80), '--', ...argv];
  const proc = spawn(python(), args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  const chunks: Buffer[] = [];
  let total = 0;
  let err = '';
  proc.stdout!.on('data', (d: Buffer) => {
    chunks.push(d);
    total += d.length;
  });
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  proc.stdin!.on('error', () => {});
  const spawnFailed = new Promise<never>((_, reject) => proc.once('error', (e) => reject(new Error(`cannot run ${python()}: ${e.message}`))));
  spawnFailed.catch(() => {});
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    proc.once('close', () => {
      const m = /ptyrun: exit (code|signal)=(\w+)/.exec(err);
      resolve(m ? (m[1] === 'code' ? { code: Number(m[2]), signal: null } : { code: null, signal: m[2]! }) : { code: null, signal: 'unknown' });
    }),
  );
  const output = (): Buffer => Buffer.concat(chunks, total);
  const started = await Promise.race([
    eventually(() => /ptyrun: pid=(\d+) tty=(\S+)/.exec(err) ?? (proc.exitCode !== null ? Promise.reject(new Error(`ptyrun exited: ${err}`)) : undefined), 'ptyrun to start', 10_000),
    spawnFailed,
  ]);
  const run: PtyRun = {
    proc,
    pid: Number(started[1]),
    tty: started[2]!,
    output,
    text: () => output().toString('utf8'),
    type: (keys) => {
      proc.stdin!.write(keys);
    },
    waitFor: (s, timeoutMs = 10_000, from = 0) =>
      showing(
        () => output().subarray(from).toString('utf8'),
        s,
        'the terminal',
        timeoutMs,
      ),
    hangup: () => {
      proc.stdin!.end();
    },
    exited,
    status: () => err,
  };
  live.add(run);
  void exited.then(() => live.delete(run));
  return run;
}

export interface TtyDaemon extends PtyRun {
  /** The daemon's log file. */
  logFile: string;
  log(): string;
  waitLog(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** A scratch directory for the test (trap files), removed by `stopAllPty`. */
  dir: string;
}

const dirs: string[] = [];

export function scratchDir(): string {
  const d = tempDir('hamelin-tty-');
  dirs.push(d);
  return d;
}

/** hamelin-tty serving its own terminal, a pty; `args` are its options and command. */
export async function ttyDaemon(args: string[], opts: PtyOptions & { ready?: RegExp | null } = {}): Promise<TtyDaemon> {
  const dir = scratchDir();
  const logFile = join(dir, 'daemon.log');
  const t = await onPty([process.execPath, bin('tty'), '--log-file', logFile, ...args], opts);
  const log = (): string => {
    try {
      return readFileSync(logFile, 'utf8');
    } catch {
      return '';
    }
  };
  let done = false;
  void t.exited.then(() => (done = true));
  const waitLog = (re: RegExp, timeoutMs = 10_000): Promise<RegExpMatchArray> =>
    eventually(
      () => log().match(re) ?? (done ? Promise.reject(new Error(`daemon exited; log:\n${log()}\nterminal:\n${t.text()}\n${t.status()}`)) : undefined),
      `log ${re}`,
      timeoutMs,
    );
  const d: TtyDaemon = { ...t, logFile, log, waitLog, dir };
  if (opts.ready !== null) await waitLog(opts.ready ?? /listening address=\S+/);
  return d;
}

/** test/fixtures/tty/session.sh: prints `ready pid=... ` and its H- variables, answers lines. */
export const SESSION = fixture('tty/session.sh');

/** The pids whose TERM trap fired, from the `signals.<pid>` files session.sh (or a test's own
 * trap) writes in `dir`. */
export function trapped(dir: string): number[] {
  return readdirSync(dir)
    .filter((f) => f.startsWith('signals.'))
    .map((f) => Number(f.slice('signals.'.length)));
}

/** The names of the daemon's log events, in order (text format: `hamelin: TIME NAME LEVEL EVENT ...`),
 * keeping only `only` when given: tests assert on the order of what happened, not on timing. */
export function logEvents(log: string, only?: string[]): string[] {
  const events = [...log.matchAll(/^hamelin: \S+ \S+ (?:info|warn|error) (\S+)/gm)].map((m) => m[1]!);
  return only ? events.filter((e) => only.includes(e)) : events;
}

/** A --device line: one side of a pty pair made by socat, whose other side is this test's. */
export interface SocatLine {
  /** socat's `link=` symlink to the pty (what --device is given). */
  link: string;
  /** Everything the line showed (the daemon's output and the echo). */
  shown(): string;
  /** Type on the line. */
  type(keys: string): void;
  /** The device goes away: socat closes its side. */
  hangup(): void;
  waitFor(s: string | RegExp, timeoutMs?: number): Promise<string>;
}

const socats = new Set<ChildProcess>();

export async function socatLine(dir: string): Promise<SocatLine> {
  try {
    execFileSync('sh', ['-c', 'command -v socat'], { stdio: 'ignore' });
  } catch {
    throw new Error('socat is not installed: the --device tests need it (CI installs it in .ci/run)');
  }
  const link = join(dir, 'line');
  const proc = spawn('socat', ['-d', 'STDIO', `PTY,link=${link},raw,echo=0`], { stdio: ['pipe', 'pipe', 'inherit'] });
  socats.add(proc);
  proc.once('exit', () => socats.delete(proc));
  proc.stdin!.on('error', () => {});
  let shown = '';
  proc.stdout!.setEncoding('utf8').on('data', (s: string) => (shown += s));
  await eventually(() => existsSync(link), 'socat to make the pty');
  return {
    link,
    shown: () => shown,
    type: (keys) => void proc.stdin!.write(keys),
    hangup: () => void proc.stdin!.end(),
    waitFor: (s, timeoutMs = 10_000) => showing(() => shown, s, 'the line', timeoutMs),
  };
}

/** End every pty run a test file started (hang up, then SIGKILL what is left); call from `after()`. */
export async function stopAllPty(): Promise<void> {
  for (const p of socats) p.kill();
  await Promise.all(
    [...live].map(async (r) => {
      r.hangup();
      const t = setTimeout(() => {
        if (alive(r.pid)) process.kill(r.pid, 'SIGKILL');
        r.proc.kill('SIGKILL');
      }, 3000);
      await r.exited;
      clearTimeout(t);
    }),
  );
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}
