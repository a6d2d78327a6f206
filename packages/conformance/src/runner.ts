/**
 * Running checks: placeholders, free addresses, starting and stopping the daemon under test,
 * per-check timeouts, and cleanup of every process a check started, even on Ctrl-C.
 *
 * Each check runs its own daemon(s) in its own directory (`hc-<ID>-XXXX` under the system temp
 * directory). The directory is in the probe's argv, so every process a check started, down to
 * grandchildren the daemon under test forgot, is found by its command line and killed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PACKAGE_ROOT } from './package-root.js';
import { probeArgv, probeOf } from './probe-binary.js';
import { readProbes, type ProbeRun } from './probe-report.js';
import { fillAdmin, wantsAdmin } from './admin-client.js';
import { freePort } from './bindings/net.js';
import { allPids, daemonRssKb, kill, pidsWithToken, running, tcpListening } from './proc.js';
import type { Address, Binding, Conn, Level, OptionName, Status } from './types.js';

export const CERT_DIR = join(PACKAGE_ROOT, 'certs');

/** Set in the daemon's environment: CORE-23 looks for the first in the child, and for neither
 * of the inherited H- ones. */
export const ENV_MARK = { name: 'HAMELIN_CONFORMANCE_MARK', value: 'mark with spaces, ü and $HOME' };
export const ENV_LEAK = { 'H-CONFORMANCE-LEAK': 'inherited', H_CONFORMANCE_LEAK: 'inherited' };

export interface Config {
  binding: Binding;
  /** The daemon's argv with placeholders. */
  daemon: string[];
  /** Option spellings, e.g. max-clients => `--max-clients={n}`. */
  opts: Partial<Record<OptionName, string>>;
  /** The implementation is hamelin's own (log format checks are MUSTs of quality, not info). */
  hamelin: boolean;
  jobs: number;
  /** Keep the report directories, and the daemons' stderr in the JSON report. */
  keep: boolean;
  /** Multiplies every timeout (slow machines). */
  slow: number;
  /** A skipped check is a failure (`--strict`). */
  strict?: boolean;
  /** How to start a drain (OPS-05): this signal, or else POST /drain on {admin} (`--drain-signal`). */
  drainSignal?: NodeJS.Signals;
}

/** The groups of opt-in checks: a run without what opts a group in does not run it. */
export type OptInGroup = 'ops' | 'front-door' | 'hub';

export interface Check {
  id: string;
  level: Level;
  title: string;
  /** Binding names this check applies to; all when absent. */
  bindings?: string[];
  /** Options without which the check is skipped. */
  needs?: OptionName[];
  /** Run only when asked for: the OPS checks ({admin}, --drain-signal or --only name them), the
   * front-door checks (an FD --opt given, or --only names them). */
  optIn?: OptInGroup;
  timeoutMs?: number;
  run(ctx: Ctx): Promise<string | void>;
}

/** One daemon a check started, for the JSON report. */
export interface DaemonRecord {
  argv: string[];
  /** Exit status or signal, when it exited during the check. */
  exit?: number | string;
  /** Its stderr (with --keep only: it can be large), clipped to 64 KiB. */
  stderr?: string;
}

export interface Result {
  id: string;
  level: Level;
  title: string;
  status: Status;
  /** The evidence as one line of text (what the table shows). */
  evidence: string;
  /** For a failure found by an expectation: what was expected and what was seen, apart. */
  expected?: string;
  seen?: string;
  /** When another failure explains this one (checks/deps.ts): that check's id. */
  followsFrom?: string;
  daemons?: DaemonRecord[];
  ms: number;
}

/** A failed expectation: the message is the evidence text; expected and seen are kept apart
 * for the JSON report. */
export class CheckFailure extends Error {
  constructor(
    message: string,
    readonly expected?: string,
    readonly seen?: string,
  ) {
    super(message);
  }
}
export class CheckSkipped extends Error {}
export class CheckInfo extends Error {}

export interface StartSpec {
  /** Probe mode (see probe.ts). */
  mode?: string;
  /** Extra probe arguments, after the mode. */
  extra?: string[];
  /** Replace the whole {command} expansion; given the run's report directory. */
  commandFor?: (dir: string) => string[];
  /** Option values, e.g. { 'max-clients': '2' }. */
  options?: Partial<Record<OptionName, string>>;
  /** Listen on this host instead of 127.0.0.1 (net). */
  host?: string;
  /** Use this address instead of allocating one. */
  addr?: Address;
  /** Override a placeholder's text (e.g. a bad port). */
  port?: string;
  /** More variables in the daemon's environment (a secret read from --password-env). */
  env?: Record<string, string>;
  /** Do not wait for the daemon to listen. */
  noWait?: boolean;
}

export class DaemonRun {
  private err: Buffer[] = [];
  private errLen = 0;
  private out: Buffer[] = [];
  private outLen = 0;
  exitInfo: { code: number | null; signal: string | null; at: number } | undefined;
  readonly exited: Promise<{ code: number | null; signal: string | null; at: number }>;
  readonly startedAt = Date.now();
  /** Resolves when the daemon's stdout and stderr are closed too (all its output read). */
  readonly drained: Promise<void>;

  constructor(
    readonly proc: ChildProcess,
    readonly addr: Address,
    readonly dir: string,
    readonly argv: string[],
    private readonly binding: Binding,
  ) {
    proc.stderr!.on('data', (d: Buffer) => {
      this.err.push(d);
      this.errLen += d.length;
    });
    proc.stdout!.on('data', (d: Buffer) => {
      this.out.push(d);
      this.outLen += d.length;
    });
    proc.stdin?.on('error', () => {});
    this.drained = new Promise((resolve) => proc.once('close', () => resolve()));
    this.exited = new Promise((resolve) =>
      proc.once('exit', (code, signal) => {
        this.exitInfo = { code, signal, at: Date.now() };
        resolve(this.exitInfo);
      }),
    );
  }

  get pid(): number {
    return this.proc.pid!;
  }

  stderr(): Buffer {
    return Buffer.concat(this.err, this.errLen);
  }

  /** The daemon's stdout (tty: the screen). */
  stdout(): Buffer {
    return Buffer.concat(this.out, this.outLen);
  }

  dial(): Promise<Conn> {
    return this.binding.dial(this.addr);
  }

  probes(): ProbeRun[] {
    return readProbes(this.dir);
  }

  /** The probe runs that are sessions (not grandchildren). */
  sessions(): ProbeRun[] {
    return this.probes().filter((p) => !p.isGrandchild);
  }

  async waitSessions(n: number, timeoutMs = 5000): Promise<ProbeRun[]> {
    return eventually(() => {
      const s = this.sessions();
      return s.length >= n ? s : undefined;
    }, `${n} probe session(s) to start`, timeoutMs);
  }

  /**
   * The sessions started so far: the probes that reported, and the probe processes alive that
   * have not reported yet (a child started a moment ago is still loading). Grandchildren are
   * not sessions.
   */
  startedPids(): number[] {
    const pids = new Set(this.sessions().map((p) => p.pid));
    for (const pid of allPids()) {
      const probe = probeOf(pid);
      if (probe?.dir === this.dir && !probe.mode.split('+').includes('gc') && running(pid)) pids.add(pid);
    }
    return [...pids];
  }

  /** The probe run with this pid, re-read. */
  probe(pid: number): ProbeRun | undefined {
    return this.probes().find((p) => p.pid === pid);
  }

  signal(sig: NodeJS.Signals): void {
    if (!this.exitInfo) kill(this.pid, sig);
  }

  record(withStderr: boolean): DaemonRecord {
    const r: DaemonRecord = { argv: this.argv };
    if (this.exitInfo) r.exit = this.exitInfo.code ?? this.exitInfo.signal ?? undefined;
    if (withStderr) {
      const err = this.stderr();
      r.stderr = err.subarray(0, 64 * 1024).toString('utf8') + (err.length > 64 * 1024 ? `...(${err.length} bytes)` : '');
    }
    return r;
  }

  /** The daemon's resident memory in KiB (its processes, not the probes it runs). */
  rssKb(): number {
    return daemonRssKb(this.pid, (pid, argv) => probeOf(pid, argv) !== undefined);
  }
}

export class Ctx {
  private runs: DaemonRun[] = [];
  private n = 0;
  readonly notes: string[] = [];

  constructor(
    readonly config: Config,
    readonly check: Check,
    readonly dir: string,
  ) {}

  get binding(): Binding {
    return this.config.binding;
  }

  /** Timeouts scaled for slow machines. */
  ms(n: number): number {
    return Math.round(n * this.config.slow);
  }

  has(opt: OptionName): boolean {
    return this.config.opts[opt] !== undefined;
  }

  fail(expected: string, seen: string): never {
    throw new CheckFailure(`expected ${expected}; saw ${seen}`, expected, seen);
  }

  expect(ok: boolean, expected: string, seen: () => string): void {
    if (!ok) this.fail(expected, seen());
  }

  skip(reason: string): never {
    throw new CheckSkipped(reason);
  }

  info(note: string): never {
    throw new CheckInfo(note);
  }

  note(s: string): void {
    this.notes.push(s);
  }

  probeCommand(dir: string, mode: string, extra: string[] = []): string[] {
    return probeArgv(dir, mode, extra);
  }

  async start(spec: StartSpec = {}): Promise<DaemonRun> {
    for (let attempt = 1; ; attempt++) {
      const run = await this.startOnce(spec).catch((e: unknown) => e as Error);
      if (!(run instanceof Error)) return run;
      // A port is free when we check it and the daemon binds it a moment later; another program
      // (another run of this suite, say, checking a port of its own) can hold it in between, even
      // for an instant that is over before we could look. So a daemon that exits before listening
      // on a port we chose is started again on another, twice at most: one that always exits
      // still fails, and the report says it was retried and why.
      const last = this.runs[this.runs.length - 1];
      const ourPort = last?.exitInfo && !spec.addr && !spec.port && this.binding.transport === 'tcp';
      if (!ourPort || attempt >= 3) throw run;
      const why = tcpListening(last.addr.port) ? 'another program listens on it' : clip(last.stderr().toString().split('\n')[0] ?? '');
      this.note(`the daemon exited before listening on port ${last.addr.port} (${why}); retried on another port`);
    }
  }

  private async startOnce(spec: StartSpec): Promise<DaemonRun> {
    const dir = join(this.dir, `d${++this.n}`);
    mkdirSync(dir);
    const addr = spec.addr ?? (await this.binding.allocate(dir, spec.host));
    if (spec.options?.tls !== undefined) addr.tls = true;
    if (wantsAdmin(this.config.daemon)) addr.extra = { ...addr.extra, adminPort: String(await freePort()) };
    const command = spec.commandFor ? spec.commandFor(dir) : this.probeCommand(dir, spec.mode ?? 'echo', spec.extra);
    const expanded = expand(this.config, addr, command, spec.options ?? {}, spec.port);
    const argv = this.binding.wrap ? this.binding.wrap(expanded, addr) : expanded;
    const env = { ...process.env, [ENV_MARK.name]: ENV_MARK.value, ...ENV_LEAK, ...spec.env };
    const proc = spawn(argv[0]!, argv.slice(1), { stdio: [this.binding.stdinPipe ? 'pipe' : 'ignore', 'pipe', 'pipe'], detached: true, env });
    const run = new DaemonRun(proc, addr, dir, argv, this.binding);
    this.runs.push(run);
    live.add(this);
    const spawnError = new Promise<never>((_, reject) =>
      proc.once('error', (e) => reject(new CheckFailure(`cannot start the daemon ${JSON.stringify(argv[0])}: ${e.message}`))),
    );
    spawnError.catch(() => {});
    if (spec.noWait) return run;
    await Promise.race([
      spawnError,
      eventually(
        () => {
          if (this.binding.listening(addr, run.pid)) return true;
          if (run.exitInfo) {
            throw new CheckFailure(
              `the daemon exited (status ${run.exitInfo.code ?? run.exitInfo.signal}) instead of listening; ` +
                `argv ${JSON.stringify(argv)}; stderr: ${clip(run.stderr().toString())}`,
            );
          }
          return undefined;
        },
        'the daemon to listen',
        this.ms(10_000),
      ),
    ]);
    return run;
  }

  /** Kill everything this check started: each daemon's group, then every process carrying the
   * check's directory in its command line (probes, and grandchildren the daemon left). */
  async cleanup(): Promise<void> {
    cleanupSync(this);
    await sleep(50);
    cleanupSync(this);
    for (const r of this.runs) if (!r.exitInfo) await Promise.race([r.exited, sleep(1000)]);
    for (const r of this.runs) this.binding.release?.(r.addr);
    live.delete(this);
    if (!this.config.keep) rmSync(this.dir, { recursive: true, force: true });
  }

  daemons(): DaemonRun[] {
    return this.runs;
  }
}

function cleanupSync(ctx: Ctx): void {
  for (const r of ctx.daemons()) {
    // Never signal a pid that has exited: it may already belong to someone else.
    if (r.exitInfo || r.proc.pid === undefined) continue;
    kill(-r.pid, 'SIGKILL');
    kill(r.pid, 'SIGKILL');
  }
  for (const pid of pidsWithToken(ctx.dir)) kill(pid, 'SIGKILL');
}

/** Checks still running, for Ctrl-C. */
const live = new Set<Ctx>();

export function killEverything(): void {
  for (const ctx of live) cleanupSync(ctx);
  for (const ctx of live) if (!ctx.config.keep) rmSync(ctx.dir, { recursive: true, force: true });
}

/** Fill the daemon argv template. {command} as a whole element becomes several elements; inside
 * a larger element (socat's `EXEC:{command}`) it is the command joined with spaces, shell-quoted. */
export function expand(
  config: Config,
  addr: Address,
  command: string[],
  options: Partial<Record<OptionName, string>>,
  portText?: string,
): string[] {
  const fill = (s: string): string =>
    s
      .replaceAll('{host}', addr.host)
      .replaceAll('{port}', portText ?? String(addr.port))
      .replaceAll('{path}', addr.path)
      .replaceAll('{server}', addr.extra?.server ?? `${addr.host}:${addr.port}`)
      .replaceAll('{nick}', addr.extra?.nick ?? '')
      .replaceAll('{channel}', addr.extra?.channel ?? '')
      .replaceAll('{log}', addr.extra?.log ?? '')
      .replaceAll('{command}', command.map(shellQuote).join(' '))
      .replace(/\{admin(-port)?\}/g, (p) => fillAdmin(p, addr));
  const optArgs: string[] = [];
  for (const [name, value] of Object.entries(options) as [OptionName, string][]) {
    const template = config.opts[name];
    if (template === undefined) throw new CheckSkipped(`needs the daemon option ${name} (give its spelling: --opt ${name}=...)`);
    for (const word of template.split(/\s+/).filter(Boolean)) {
      optArgs.push(
        word
          .replaceAll('{value}', value)
          .replaceAll('{n}', value)
          .replaceAll('{dir}', value)
          .replaceAll('{file}', value)
          .replaceAll('{cert}', join(CERT_DIR, 'cert.pem'))
          .replaceAll('{key}', join(CERT_DIR, 'key.pem')),
      );
    }
  }
  // Options go at {options}; without it, before the first word with a placeholder other than
  // {command} (or before the flag that word belongs to: `--host {host}`, `--log-file {log}`);
  // with none, just before {command}, since the words before it may be an interpreter and
  // its script (`node daemon.js {command}`).
  let at = config.daemon.indexOf('{options}');
  if (at < 0) {
    at = config.daemon.findIndex((w) => /\{(host|port|path|server|nick|channel|log)\}/.test(w));
    if (at > 0 && /^-/.test(config.daemon[at - 1]!) && !config.daemon[at - 1]!.includes('=') && !/\{/.test(config.daemon[at - 1]!)) at--;
    if (at < 0) at = config.daemon.findIndex((w) => w.includes('{command}'));
    if (at < 0) at = 1;
  }
  const out: string[] = [];
  config.daemon.forEach((word, i) => {
    if (i === at) out.push(...optArgs);
    if (word === '{options}') return;
    if (word === '{command}') out.push(...command);
    else out.push(fill(word));
  });
  if (at >= config.daemon.length) out.push(...optArgs);
  return out;
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export async function runCheck(config: Config, check: Check): Promise<Result> {
  const started = Date.now();
  const base: Omit<Result, 'status' | 'evidence' | 'ms'> = { id: check.id, level: check.level, title: check.title };
  const missing = (check.needs ?? []).filter((o) => config.opts[o] === undefined);
  if (missing.length) {
    return {
      ...base,
      status: check.level === 'MAY' ? 'info' : 'skip',
      evidence: `needs the daemon's ${missing.join(', ')} option: give its spelling with --opt ${missing[0]}=${EXAMPLE_OPTS[missing[0]!]}`,
      ms: 0,
    };
  }
  const dir = mkdtempSync(join(tmpdir(), `hc-${check.id}-`));
  const ctx = new Ctx(config, check, dir);
  const timeout = ctx.ms(check.timeoutMs ?? 20_000);
  let timer: NodeJS.Timeout | undefined;
  let status: Status;
  let evidence: string;
  let found: Pick<Result, 'expected' | 'seen'> = {};
  try {
    const note = await Promise.race([
      check.run(ctx),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new CheckFailure(`check timed out after ${timeout} ms`)), timeout);
      }),
    ]);
    status = 'pass';
    evidence = [note, ...ctx.notes].filter(Boolean).join('; ');
  } catch (e) {
    if (e instanceof CheckSkipped) status = 'skip';
    else if (e instanceof CheckInfo) status = 'info';
    else status = 'fail';
    const internal = e instanceof Error && !(e instanceof CheckFailure || e instanceof CheckSkipped || e instanceof CheckInfo);
    const where = internal && process.env.HAMELIN_CONFORMANCE_DEBUG ? ` (${e.stack})` : '';
    evidence = [e instanceof Error ? e.message + where : String(e), ...ctx.notes].join('; ');
    if (e instanceof CheckFailure && e.expected !== undefined) found = { expected: e.expected, seen: e.seen };
  } finally {
    clearTimeout(timer);
    await ctx.cleanup();
  }
  const daemons = ctx.daemons().map((d) => d.record(config.keep));
  return { ...base, status, evidence, ...found, daemons, ms: Date.now() - started };
}

/**
 * Start the daemon once, before any check, and see it listen: a daemon that cannot start at all
 * (a mistyped command, a bad option) is one error up front, not a failure of every check.
 * Resolves with the reason it could not start, or undefined.
 */
export interface CannotStart {
  evidence: string;
  /** The daemon was still running at the deadline: it started, but never listened where asked. */
  running: boolean;
}

export async function preflight(config: Config): Promise<CannotStart | undefined> {
  let running = false;
  const r = await runCheck(config, {
    id: 'START',
    level: 'MUST',
    title: 'the daemon starts and listens',
    async run(ctx) {
      await ctx.start({ mode: 'echo' }).catch((e: unknown) => {
        running = ctx.daemons().some((d) => d.exitInfo === undefined);
        throw e;
      });
    },
  });
  return r.status === 'pass' ? undefined : { evidence: r.evidence, running };
}

/** A check left out because `because` failed first and explains it (a skip: --strict fails it). */
export function notRun(check: Check, because: Result): Result {
  return { id: check.id, level: check.level, title: check.title, status: 'skip', evidence: `not run: ${because.id} failed first (${because.evidence})`, ms: 0 };
}

/**
 * Run checks with at most `config.jobs` at once; results in the checks' order. The checks that
 * allow themselves the longest (WS-14 waits out the default 30 s ping interval) start first,
 * so that with several jobs the run takes about as long as its longest check, not that check
 * plus whatever was queued ahead of it.
 */
export async function runAll(config: Config, checks: Check[], onResult?: (r: Result) => void): Promise<Result[]> {
  const results: Result[] = new Array(checks.length);
  const order = checks.map((_, i) => i).sort((a, b) => (checks[b]!.timeoutMs ?? 0) - (checks[a]!.timeoutMs ?? 0) || a - b);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < order.length) {
      const i = order[next++]!;
      results[i] = strictly(config, await runCheck(config, checks[i]!));
      onResult?.(results[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(config.jobs, checks.length)) }, worker));
  return results;
}

/** Under --strict a skipped check fails, its reason kept as the evidence. */
export function strictly(config: Config, r: Result): Result {
  if (!config.strict || r.status !== 'skip') return r;
  return { ...r, status: 'fail', evidence: `skipped, and --strict makes that a failure: ${r.evidence}`, expected: 'the check to run', seen: r.evidence };
}

export const EXAMPLE_OPTS: Record<OptionName, string> = {
  'kill-after': '--kill-after={n}',
  'max-clients': '--max-clients={n}',
  'idle-timeout': '--idle-timeout={n}',
  timeout: '--timeout={n}',
  'max-line': '--max-line={n}',
  cwd: '--cwd={dir}',
  tls: '--tls-cert={cert} --tls-key={key}',
  binary: '--binary',
  origin: '--origin={value}',
  'ping-interval': '--ping-interval={n}',
  dir: '--dir={dir}',
  'max-body': '--max-body={n}',
  'header-timeout': '--header-timeout={n}',
  'max-handshakes': '--max-handshakes={n}',
  'poll-timeout': '--poll-timeout={n}',
  'abandon-timeout': '--abandon-timeout={n}',
  trigger: '--trigger={value}',
  'password-env': '--password-env={value}',
  wait: '--wait',
  banner: '--banner={value}',
  device: '--device={value}',
  'proxy-protocol': '--proxy-protocol --trusted-proxy {value}',
  'proxy-timeout': '--proxy-timeout {value}',
  deny: '--deny {value}',
  'max-per-source': '--max-per-source {value}',
  'auth-basic': '--auth-basic {file}',
  'hub-broadcast': '--hub broadcast',
  'hub-addressed': '--hub addressed',
  replay: '--replay {value}',
  slow: '--slow {value}',
  'hub-queue': '--hub-queue {value}',
  respawn: '--respawn',
  'hub-eager': '--hub-eager',
  cgi: '--cgi',
  static: '--static {dir}',
  unbuffer: '--unbuffer',
};

/** The option names that opt the front-door checks in (given with --opt, not by --hamelin). */
export const FRONT_DOOR_OPTS: OptionName[] = ['proxy-protocol', 'proxy-timeout', 'deny', 'max-per-source', 'auth-basic'];

/** The option names that opt the hub checks in: a protocol to run the daemon in. */
export const HUB_OPTS: OptionName[] = ['hub-broadcast', 'hub-addressed'];

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Poll until `probe` returns a value (not undefined/false/null); rejects after the deadline.
 * A CheckFailure thrown by the probe ends the wait at once. */
export async function eventually<T>(probe: () => T | undefined | false | null, what: string, timeoutMs: number, everyMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = false;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false && v !== null) return v;
    if (last) throw new CheckFailure(`timed out after ${timeoutMs} ms waiting for ${what}`);
    // Past the deadline, look once more after pending events are handled: if this process
    // was stalled (a loaded machine), events that arrived in time are not yet seen.
    if (Date.now() > deadline) last = true;
    await sleep(last ? 50 : everyMs);
  }
}

/** Like eventually, but resolves false instead of failing. */
export async function within(probe: () => boolean, timeoutMs: number, everyMs = 20): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let last = false;
  for (;;) {
    if (probe()) return true;
    if (last) return false;
    if (Date.now() > deadline) last = true; // one more look after pending events (see eventually)
    await sleep(last ? 50 : everyMs);
  }
}

export function clip(s: string, n = 300): string {
  const one = JSON.stringify(s);
  return one.length > n ? `${one.slice(0, n)}...(${s.length} chars)` : one;
}

export function isRunning(pid: number | undefined): boolean {
  return pid !== undefined && running(pid);
}
