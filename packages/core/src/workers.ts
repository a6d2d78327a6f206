/**
 * --workers N (OPS-12 .. OPS-16): one daemon on several cores with node:cluster. Node 20 has no
 * reusePort, so the primary holds the listening sockets and hands connections to the workers in
 * turn (cluster's round-robin). Each worker is the whole single daemon (its front-end, its
 * Daemon, its own spawn helper); the primary runs no session. It takes the signals and passes
 * them on, serves the admin endpoint for the whole, and replaces a worker that dies.
 *
 * --workers 1 (the default) uses no cluster at all: the daemon is exactly what it was.
 */
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import type { Options } from 'yargs';
import { StartupError } from './command.js';
import { breaksRule, countOrAuto } from './option-rules.js';
import { Logger, type LogFormat } from './log.js';
import { ProcessControl, runUntilDone } from './process-control.js';
import { makePeerDir } from './worker-peers.js';

export const MAX_WORKERS = 256;

export const workersOption: Options = countOrAuto(
  { default: '1', describe: 'serve on N processes sharing the listeners (node:cluster); auto: one per CPU (1: no cluster)', group: 'Operation:' },
  1,
  MAX_WORKERS,
);

/** The number of workers `--workers` asks for; a bad value is a StartupError (CORE-18). */
export function workerCount(value: unknown): number {
  const problem = breaksRule(workersOption, value ?? '1');
  if (problem) throw new StartupError(`--workers ${problem}`);
  const text = String(value ?? '1').trim();
  return text === 'auto' ? Math.min(MAX_WORKERS, availableParallelism()) : Number(text);
}

/** What the primary needs of a daemon's options. */
export interface ClusterOptions {
  workers?: unknown;
  logFile?: string | undefined;
  logFormat: LogFormat;
  quiet: boolean;
  drainTimeout: number;
}

/** A front-end's `startOps` (the admin package), passed in: core does not depend on it. */
export type StartOps = (control: ProcessControl, options: never) => Promise<unknown>;

/** Longest wait before a dead worker is replaced; the wait doubles from 100 ms per quick death. */
const MAX_BACKOFF_MS = 10_000;
/** A worker that lived this long resets the backoff. */
const STABLE_MS = 10_000;

/**
 * The primary's ProcessControl: no served front-end of its own; drain, shutdown and reload are
 * passed to every worker as the signal a single daemon would get, and `done` resolves when the
 * last worker has exited.
 */
export class ClusterControl extends ProcessControl {
  private readonly live = new Map<number, { worker: Worker; id: number; since: number; free: number }>();
  private phase: 'accepting' | 'draining' | 'stopping' = 'accepting';
  private failures = 0;
  private status = 0;
  /** Until every first worker serves, a dead one is a startup error, not replaced. */
  private started = false;
  /** The workers' private sockets for requests that belong to a sibling (OPS-17). */
  private readonly peers = makePeerDir();

  constructor(
    log: Logger,
    drainTimeoutMs: number,
    readonly size: number,
  ) {
    super(log, { drainTimeoutMs });
  }

  override get state(): 'accepting' | 'draining' | 'stopping' {
    return this.phase;
  }

  /** The room left under --max-clients, all workers together (their shares are even): the
   * agent's weight (OPS-07, OPS-13). */
  get freeShare(): number {
    const all = [...this.live.values()];
    return all.length === 0 ? 0 : all.reduce((n, w) => n + w.free, 0) / all.length;
  }

  get workerPids(): number[] {
    return [...this.live.values()].map((w) => w.worker.process.pid!);
  }

  /** Fork the first worker and wait for it to serve: a startup error (a busy port, a bad
   * certificate) is then its one stderr line, and the primary exits with its status. Then the rest. */
  async start(): Promise<void> {
    cluster.on('exit', (w, code, signal) => this.exited(w, code, signal));
    const first = await this.fork(1);
    if (typeof first === 'number') return this.finish(first);
    const rest = await Promise.all(Array.from({ length: this.size - 1 }, (_, i) => this.fork(i + 2)));
    const failed = rest.find((r) => typeof r === 'number');
    if (failed !== undefined) {
      this.status = failed as number;
      await this.shutdown('worker-failed');
      return;
    }
    this.started = true;
    this.log.info('workers', { workers: this.size, pids: this.workerPids.join(',') });
  }

  /** Resolves with the worker once it serves, or with its exit status if it dies first. */
  private fork(id: number): Promise<Worker | number> {
    const worker = cluster.fork({ HAMELIN_WORKER_ID: String(id), HAMELIN_WORKER_COUNT: String(this.size), ...this.peers.env });
    const entry = { worker, id, since: Date.now(), free: 1 };
    this.live.set(worker.id, entry);
    return new Promise((resolve) => {
      worker.on('message', (m: { hamelin?: string; free?: number }) => {
        if (m?.hamelin === 'load' && typeof m.free === 'number') entry.free = m.free;
        if (m?.hamelin !== 'ready') return;
        this.log.info('worker-start', { worker: id, pid: worker.process.pid! });
        resolve(worker);
      });
      worker.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
    });
  }

  private exited(w: Worker, code: number | null, signal: string | null): void {
    const entry = this.live.get(w.id);
    this.live.delete(w.id);
    const id = entry?.id ?? w.id;
    if (this.phase === 'accepting' && !this.started) return;
    if (this.phase === 'accepting') {
      // OPS-14: logged and replaced; a worker that keeps dying at once is replaced ever more slowly.
      const lived = entry ? Date.now() - entry.since : 0;
      this.failures = lived >= STABLE_MS ? 0 : this.failures + 1;
      const inMs = Math.min(MAX_BACKOFF_MS, this.failures === 0 ? 0 : 100 * 2 ** (this.failures - 1));
      this.log.warn('worker-exit', { worker: id, pid: w.process.pid!, ...(signal ? { signal } : { status: code ?? 0 }), in_ms: inMs });
      // Not unref'd: with every worker gone, this timer is what keeps the primary alive.
      setTimeout(() => {
        if (this.phase === 'accepting') void this.fork(id);
      }, inMs);
      return;
    }
    if (code !== 0 && code !== null) this.status = 1;
    if (this.live.size === 0) this.finish(this.status);
  }

  private finish(status: number): void {
    this.peers.remove();
    this.resolveDone(status);
  }

  private tell(signal: NodeJS.Signals): void {
    for (const { worker } of this.live.values()) worker.process.kill(signal);
  }

  /** OPS-15: every worker drains (its own --drain-timeout); the primary exits after the last. */
  override drain(_why: string): Promise<void> {
    if (this.phase !== 'accepting') return Promise.resolve();
    this.phase = 'draining';
    // Each worker logs its own `draining` line, with its sessions and the why (the signal).
    this.tell('SIGUSR2');
    if (this.live.size === 0) this.finish(0);
    return Promise.resolve();
  }

  /** CORE-22 for every worker: each ends its sessions and exits; the primary after the last. */
  override shutdown(why: string): Promise<void> {
    if (this.phase === 'stopping') return Promise.resolve();
    this.phase = 'stopping';
    this.log.info('stopping', { why });
    this.tell('SIGTERM');
    if (this.live.size === 0) this.finish(0);
    return Promise.resolve();
  }

  /** SIGHUP (OPS-08, CORE-34): the primary reopens its log, each worker reloads as a single daemon. */
  override async reload(): Promise<void> {
    this.log.reopenAndSay();
    this.tell('SIGHUP');
  }

  /** A second stop signal: each worker's own forced exit (SIGKILL to its groups), then exit 1. */
  override forceExit(signal: string): void {
    this.log.warn('forced-exit', { signal });
    this.tell('SIGTERM');
    this.status = 1;
  }
}

/**
 * Run a daemon's `serve` (everything its cli.ts did after parsing) with --workers: in-process for
 * 1 (and in a worker), or as a primary over N workers. `startOps` binds the admin and agent
 * listeners: the primary's, for the whole daemon (OPS-13).
 */
export async function serveWithWorkers<O extends ClusterOptions>(name: string, options: O, startOps: StartOps, serve: () => Promise<void>): Promise<void> {
  const n = workerCount(options.workers);
  if (cluster.isWorker || n === 1) return serve();
  // OPS-16: systemd's sockets are fds of the primary, not listen() calls cluster could share.
  const { LISTEN_PID, LISTEN_FDS } = process.env;
  if (LISTEN_PID !== undefined && Number(LISTEN_PID) === process.pid && Number(LISTEN_FDS) > 0) {
    throw new StartupError('--workers above 1 cannot serve the sockets systemd passes (LISTEN_FDS): use --workers 1, or let hamelin bind');
  }
  let log: Logger;
  try {
    log = new Logger({ daemon: name, format: options.logFormat, file: options.logFile, quiet: options.quiet });
  } catch (e) {
    throw new StartupError(`cannot open log file: ${(e as Error).message}`, 1);
  }
  const control = new ClusterControl(log, Math.round(options.drainTimeout * 1000), n);
  runUntilDone(control);
  await startOps(control, options as never);
  await control.start();
}


/** hamelin-irc and hamelin-tty: one bot is one connection to its server, one terminal one line;
 * several processes would only repeat it. Anything but 1 is a startup error. */
export function refuseWorkers(name: string, value: unknown, why: string): void {
  if (workerCount(value) !== 1) throw new StartupError(`--workers is not offered by ${name}: ${why}`);
}
