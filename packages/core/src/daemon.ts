/**
 * The daemon: every live session, the client limit, and shutdown (CORE-20, CORE-22).
 * A front-end owns its listener and calls `accept` for each client; everything else about
 * sessions happens here.
 */
import type { Server } from 'node:net';
import type { ClientEndpoint } from './endpoint.js';
import { descriptorRoom } from './fd-limit.js';
import { takeActivatedSocket } from './activation.js';
import { describeTarget, keepSocketFile, listenOn, listenOnFd, type ListenTarget } from './listen.js';
import type { ResolvedCommand } from './command.js';
import { baseEnv, hVariables, SessionEnv, SharedEnv, type EnvPolicy, type HVars } from './env.js';
import type { Logger } from './log.js';
import { signalGroup } from './process-group.js';
import { sayAndFinish } from './daemon-says.js';
import type { DaemonObserver, DaemonState, DaemonView, RefusalReason } from './observer.js';
import { Session, type SessionLimits } from './session.js';
import { VERSION } from './version.js';

export interface DaemonConfig {
  /** `hamelin-net`, `hamelin-ws`, ...: the name in H-VERSION and in logs. */
  name: string;
  /** The command every client runs; undefined when each client names its own (`--dir`). */
  command: ResolvedCommand | undefined;
  cwd?: string | undefined;
  env: EnvPolicy;
  limits: SessionLimits;
  /** 0 for no limit. */
  maxClients: number;
  log: Logger;
  /** The service's name in a `hamelin` process, for metrics; default: the command word. */
  service?: string | undefined;
}

export class Daemon {
  readonly sessions = new Set<Session>();
  private stopping: Promise<void> | undefined;
  /** The client-independent part of every child's environment (env.ts: baseEnv). */
  private base: SharedEnv | undefined;
  private draining = false;
  private readonly observers = new Set<DaemonObserver>();
  private idleWaiters: (() => void)[] = [];

  constructor(readonly config: DaemonConfig) {}

  /** Watch this daemon's events (the admin endpoint's metrics); returns the unsubscribe. */
  observe(o: DaemonObserver): () => void {
    this.observers.add(o);
    return () => this.observers.delete(o);
  }

  private emit<K extends keyof DaemonObserver>(event: K, ...args: Parameters<NonNullable<DaemonObserver[K]>>): void {
    for (const o of this.observers) (o[event] as ((...a: unknown[]) => void) | undefined)?.(...args);
  }

  get state(): DaemonState {
    return this.stopping ? 'stopping' : this.draining ? 'draining' : 'accepting';
  }

  /** A read-only view for health checks and metrics. */
  get view(): DaemonView {
    const d = this;
    return {
      name: d.config.name,
      get service() {
        return d.config.service ?? d.config.command?.argv0 ?? 'dir';
      },
      get state() {
        return d.state;
      },
      get active() {
        return d.sessions.size;
      },
      get maxClients() {
        return d.config.maxClients;
      },
      get queued() {
        let blocked = 0;
        let lines = 0;
        for (const s of d.sessions) {
          const q = s.queued;
          if (q.blocked) blocked++;
          lines += q.lines;
        }
        return { blocked, lines };
      },
    };
  }

  /**
   * Why a new client would be refused now, or undefined. A front-end that refuses before the
   * handshake (HTTP 503 before a WebSocket upgrade) asks this and reports it with `refused`.
   */
  get refusal(): { reason: RefusalReason; text: string } | undefined {
    if (this.stopping) return { reason: 'shutting-down', text: 'shutting down' };
    if (this.draining) return { reason: 'draining', text: 'draining' };
    if (this.config.maxClients > 0 && this.sessions.size >= this.config.maxClients) {
      return { reason: 'max-clients', text: `too many clients (limit ${this.config.maxClients})` };
    }
    return undefined;
  }

  /** Count a refusal that a front-end made itself (see `refusal`). */
  refused(reason: RefusalReason): void {
    this.emit('refused', reason);
  }

  /**
   * OPS-05: take no new client; live sessions go on. Resolves once the last one has ended.
   * Closing the listener is the front-end's part (its serve handle).
   */
  drain(): Promise<void> {
    this.draining = true;
    return this.idle();
  }

  /**
   * OPS-08: new sessions use these settings from now on; live sessions keep the command,
   * environment and limits they started with (each Session holds its own copies).
   */
  reconfigure(settings: Pick<DaemonConfig, 'command' | 'cwd' | 'env' | 'limits' | 'maxClients'>): void {
    Object.assign(this.config, settings);
    this.base = undefined;
  }

  /** Resolves when no session is live. */
  idle(): Promise<void> {
    if (this.sessions.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  get log(): Logger {
    return this.config.log;
  }

  /** True when a new client would be refused; front-ends that can answer before a
   * handshake (HTTP 503 before a WebSocket upgrade) ask this first. */
  get full(): boolean {
    return this.refusal !== undefined;
  }

  /**
   * Bind a front-end's server (CORE-18: a busy port or a bad path throws a StartupError before
   * anything is logged) and announce it with the `listening` line that tools and tests wait
   * for; `--quiet` keeps it (CORE-17). Resolves with the bound port (0 for a unix socket).
   */
  async listen(server: Server, target: ListenTarget, fields: Record<string, string | number | boolean> = {}): Promise<number> {
    // OPS-09: a socket from systemd replaces the address given (it is ignored then).
    const inherited = takeActivatedSocket(this.config.name.replace(/^hamelin-/, ''), this.config.service, this.config.service === undefined);
    if (inherited) {
      const where = await listenOnFd(server, inherited.fd);
      server.on('error', (err: NodeJS.ErrnoException) => this.log.error('accept-error', { error: err.code ?? err.message }));
      if (typeof where === 'string') keepSocketFile(where);
      // The front-end's target now names the socket it really serves: its H- variables
      // (H-UNIX-PATH, H-LOCAL-PORT) and log labels come from it.
      Object.assign(target, typeof where === 'string' ? { kind: 'unix', path: where } : { kind: 'tcp', host: where.address, port: where.port });
      const at = typeof where === 'string' ? { address: `unix:${where}` } : { address: where.address, port: where.port };
      this.log.notice('listening', { ...at, ...fields, fd: inherited.fd, fd_name: inherited.name });
      this.warnIfFewDescriptors();
      return typeof where === 'string' ? 0 : where.port;
    }
    const port = await listenOn(server, target);
    server.on('error', (err: NodeJS.ErrnoException) => this.log.error('accept-error', { error: err.code ?? err.message }));
    this.log.notice('listening', target.kind === 'unix' ? { address: describeTarget(target), ...fields } : { address: target.host, port, ...fields });
    this.warnIfFewDescriptors();
    return port;
  }

  /** Over the open-files limit a client is closed unserved and unlogged (fd-limit.ts), so say
   * at startup when the limit cannot hold --max-clients sessions. */
  private warnIfFewDescriptors(): void {
    const room = descriptorRoom();
    const max = this.config.maxClients;
    if (!room || max === 0 || room.sessions >= max) return;
    this.log.warn('fd-limit', {
      limit: room.limit,
      open: room.open,
      sessions: room.sessions,
      max_clients: max,
      message: `the open-files limit leaves room for about ${room.sessions} sessions; clients beyond that are closed unserved (raise it with ulimit -n, or lower --max-clients)`,
    });
  }

  /** Join a new client to a new process. `vars` are the front-end's H- variables
   * (TYPE, CLIENT, ...); VERSION is set here. Resolves when the session has ended. */
  accept(endpoint: ClientEndpoint, vars: HVars, command: ResolvedCommand | undefined = this.config.command): Promise<Session | null> {
    if (!command) throw new Error('Daemon.accept: no command (with --dir the front-end gives the route)');
    if (this.full) {
      this.refuse(endpoint);
      return Promise.resolve(null);
    }
    this.base ??= new SharedEnv(baseEnv(this.config.env));
    const env = new SessionEnv(this.base, hVariables({ VERSION: `${this.config.name}/${VERSION}`, ...vars }));
    const session = new Session(
      endpoint,
      { file: command.file, argv0: command.argv0, args: command.args, env, cwd: this.config.cwd, killAfterMs: this.config.limits.killAfterMs },
      this.config.limits,
      this.config.log,
      { longLine: (direction) => this.emit('longLine', direction) },
    );
    this.sessions.add(session);
    void session.done.then((result) => {
      this.sessions.delete(session);
      this.emit('sessionEnded', result);
      if (this.sessions.size === 0) for (const w of this.idleWaiters.splice(0)) w();
    });
    return session.start().then(() => {
      if (session.pid !== undefined) this.emit('sessionStarted');
      return session;
    });
  }

  /**
   * CORE-20: a client over the limit is refused, not queued: it gets one line saying so
   * and is closed. Queueing would hold sockets open with no feedback and no bound.
   */
  private refuse(endpoint: ClientEndpoint): void {
    const { reason, text: why } = this.refusal ?? { reason: 'max-clients' as const, text: 'busy' };
    this.log.warn('refused', { client: endpoint.label, reason: why });
    this.refused(reason);
    sayAndFinish(endpoint, `busy: ${why}`, { code: null, signal: null, refused: why });
  }

  /**
   * CORE-22: stop, SIGTERM every session's group, SIGKILL what is left after the grace
   * period, and resolve once every child has been reaped.
   */
  shutdown(): Promise<void> {
    this.stopping ??= (async () => {
      this.log.info('shutdown', { sessions: this.sessions.size });
      for (const s of this.sessions) s.terminate('shutdown');
      await Promise.all([...this.sessions].map((s) => s.done));
    })();
    return this.stopping;
  }

  /**
   * On SIGINT or SIGTERM (and any other `signals` a front-end adds, such as a terminal's
   * SIGQUIT): close the listener(s), end every session, exit 0.
   * A second signal while stopping exits at once, after a SIGKILL to every group.
   */
  exitOnSignals(closeListeners: () => Promise<void> | void, signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM']): void {
    let signalled = false;
    const onSignal = (sig: NodeJS.Signals): void => {
      if (signalled) {
        this.log.warn('forced-exit', { signal: sig });
        for (const s of this.sessions) if (s.pid) signalGroup(s.pid, 'SIGKILL');
        process.exit(1);
      }
      signalled = true;
      this.log.info('signal', { signal: sig });
      void Promise.all([Promise.resolve(closeListeners()), this.shutdown()]).then(() => {
        this.log.close();
        process.exit(0);
      });
    };
    for (const sig of signals) process.on(sig, onSignal);
  }
}
