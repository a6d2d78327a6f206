/**
 * The life of one process serving one or more front-ends (OPS-04, OPS-05, CORE-22): accepting,
 * then draining (no new client, live sessions run to their end), then stopping. A drain that
 * outlasts --drain-timeout becomes a shutdown. `done` resolves with the exit status; the
 * caller (a cli.ts, the `hamelin` command) exits with it.
 */
import type { Logger } from './log.js';
import type { DaemonState } from './observer.js';
import { signalGroup } from './process-group.js';
import type { ServeHandle } from './serve-handle.js';
import { readTlsFiles } from './tls.js';
import { stopSignalsHere, tellPrimaryReady } from './worker-side.js';

/**
 * OPS-08 for a single daemon: on SIGHUP read --tls-cert, --tls-key (and --tls-ca) again and serve new
 * connections with them; a file that cannot be read is one log line, and the old pair stays.
 */
export function reloadTlsFiles(control: ProcessControl, cert: string | undefined, key: string | undefined, ca?: string): (() => void) | undefined {
  if (!cert || !key) return undefined;
  return () => {
    let tls;
    try {
      tls = readTlsFiles(cert, key, ca)!;
      for (const h of control.served) h.setTls?.(tls);
    } catch (e) {
      control.log.warn('reload-refused', { error: (e as Error).message });
      return;
    }
    control.log.info('reloaded', { tls_cert: cert });
  };
}

export interface ProcessControlOptions {
  /** Longest a drain waits for live sessions before shutting them down; 0 for no limit. */
  drainTimeoutMs: number;
}

export class ProcessControl {
  readonly done: Promise<number>;
  protected resolveDone!: (status: number) => void;
  private readonly handles: ServeHandle[] = [];
  private draining: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;

  constructor(
    readonly log: Logger,
    private readonly opts: ProcessControlOptions,
  ) {
    this.done = new Promise((r) => (this.resolveDone = r));
  }

  private readonly addWatchers: ((h: ServeHandle) => void)[] = [];

  add(handle: ServeHandle): void {
    this.handles.push(handle);
    for (const w of this.addWatchers) w(handle);
  }

  /** Call `watcher` for every served front-end, those added later included (metrics). */
  onServe(watcher: (h: ServeHandle) => void): void {
    this.addWatchers.push(watcher);
    for (const h of this.handles) watcher(h);
  }

  get served(): readonly ServeHandle[] {
    return this.handles;
  }

  get state(): DaemonState {
    return this.stopping ? 'stopping' : this.draining ? 'draining' : 'accepting';
  }

  /** OPS-05: stop accepting everywhere, wait for the live sessions, then exit 0. */
  drain(why: string): Promise<void> {
    if (this.stopping) return this.stopping;
    this.draining ??= (async () => {
      const sessions = this.handles.reduce((n, h) => n + h.daemon.sessions.size, 0);
      this.log.info('draining', { why, sessions, timeout_ms: this.opts.drainTimeoutMs });
      const idle = Promise.all(this.handles.map((h) => h.daemon.drain()));
      await Promise.all(this.handles.map((h) => h.stopAccepting()));
      let timer: NodeJS.Timeout | undefined;
      const limit = this.opts.drainTimeoutMs;
      const timedOut = limit > 0 ? new Promise<boolean>((r) => (timer = setTimeout(() => r(true), limit))) : new Promise<boolean>(() => {});
      const late = await Promise.race([idle.then(() => false), timedOut]);
      clearTimeout(timer);
      if (late) this.log.warn('drain-timeout', { after_ms: limit, sessions: this.handles.reduce((n, h) => n + h.daemon.sessions.size, 0) });
      await this.shutdown(late ? 'drain-timeout' : 'drained');
    })();
    return this.draining;
  }

  /** CORE-22: close every listener, end every session, then exit 0. */
  shutdown(why: string): Promise<void> {
    this.stopping ??= (async () => {
      if (why !== 'drained') this.log.info('stopping', { why });
      await Promise.all(this.handles.map((h) => h.close()));
      this.resolveDone(0);
    })();
    return this.stopping;
  }

  /**
   * SIGHUP (CORE-34, OPS-08): every logger of the process reopens its --log-file (logrotate
   * renamed it), each daemon runs its reload hooks, then `reload` (TLS files, the config file).
   * Sessions and listeners are untouched; the process never exits for it.
   */
  async reload(reload?: () => void): Promise<void> {
    const logs = new Set([this.log, ...this.handles.map((h) => h.daemon.log)]);
    for (const l of logs) l.reopenAndSay();
    for (const d of new Set(this.handles.map((h) => h.daemon))) await d.runReloadHooks();
    reload?.();
  }

  /** Every front-end serves: under --workers, tell the primary (OPS-12) and keep it told of the load. */
  ready(): void {
    for (const h of this.handles) h.daemon.startEagerHub();
    tellPrimaryReady(this);
  }

  /** A second stop signal while stopping: SIGKILL every group and exit 1 at once. */
  forceExit(signal: string): void {
    this.log.warn('forced-exit', { signal });
    for (const h of this.handles) for (const s of h.daemon.sessions) if (s.pid) signalGroup(s.pid, 'SIGKILL');
    this.resolveDone(1);
  }
}

/**
 * For a cli.ts or the `hamelin` command only: SIGINT and SIGTERM shut down (CORE-22), a second
 * one forces the exit; SIGUSR2 drains (OPS-05); SIGHUP calls `reload` (OPS-08). The process
 * exits with `control.done`. Call it before anything listens: once a `listening` line is out, a
 * logrotate's SIGHUP may come, and Node's default for it is to die (CORE-34). Call
 * `control.ready()` once everything serves.
 */
export function runUntilDone(control: ProcessControl, reload?: () => void, stopSignals: NodeJS.Signals[] = stopSignalsHere()): void {
  process.on('SIGHUP', () => {
    control.log.info('signal', { signal: 'SIGHUP' });
    if (control.state !== 'stopping') void control.reload(reload);
  });
  let signalled = false;
  const onStop = (sig: NodeJS.Signals): void => {
    if (signalled) return control.forceExit(sig);
    signalled = true;
    control.log.info('signal', { signal: sig });
    void control.shutdown(sig);
  };
  for (const sig of stopSignals) process.on(sig, onStop);
  process.on('SIGUSR2', () => {
    control.log.info('signal', { signal: 'SIGUSR2' });
    void control.drain('SIGUSR2');
  });
  void control.done.then((status) => {
    control.log.close();
    process.exit(status);
  });
}
