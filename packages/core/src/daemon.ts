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
import { Session, type SessionLimits, type SessionResult } from './session.js';
import { Hub, type HubRooms } from './hub.js';
import { SPEC_VERSION } from './version.js';
import { spawnLayer, spawnLayerWarning, stopSpawnLayer, useSpawnLog } from './spawn.js';
import { VERSION } from './version.js';
import { workerShare } from './worker-side.js';

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
  /** Hub mode (HUB-01): the service's rooms, shared by its front-ends' daemons. */
  hub?: HubRooms | undefined;
  /** --unbuffer (CORE-39): every child's stdout is a raw pseudo-terminal. */
  unbuffer?: boolean | undefined;
}

/** A client joined to a process: its own (Session) or a hub's (HubMember). */
export interface Joined {
  readonly pid: number | undefined;
  readonly queued: { lines: number; blocked: boolean };
  readonly done: Promise<SessionResult>;
  terminate(why: string): void;
}

export class Daemon {
  readonly sessions = new Set<Joined>();
  private stopping: Promise<void> | undefined;
  /** The client-independent part of every child's environment (env.ts: baseEnv). */
  private base: SharedEnv | undefined;
  private draining = false;
  private readonly observers = new Set<DaemonObserver>();
  private idleWaiters: (() => void)[] = [];

  constructor(readonly config: DaemonConfig) {
    useSpawnLog(config.log);
    // --workers: this worker's share of the daemon's --max-clients (OPS-14).
    config.maxClients = workerShare(config.maxClients);
  }

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
    Object.assign(this.config, { ...settings, maxClients: workerShare(settings.maxClients) });
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
    // CORE-28: which spawn layer serves the clients, and one warning line when it is not the
    // prebuilt helper (slower, or compiled here, or no helper at all).
    const spawn = await spawnLayer();
    this.log.notice('listening', target.kind === 'unix' ? { address: describeTarget(target), ...fields, spawn } : { address: target.host, port, ...fields, spawn });
    const why = await spawnLayerWarning();
    if (why) this.log.warn('spawn-layer', { layer: spawn, reason: why });
    this.warnIfFewDescriptors();
    return port;
  }

  /** Over the open-files limit a client is closed unserved and unlogged (fd-limit.ts), so say
   * at startup when the limit cannot hold --max-clients sessions. With --max-clients 0 there is
   * no other limit at all, so it is always said. */
  private warnIfFewDescriptors(): void {
    const room = descriptorRoom();
    const max = this.config.maxClients;
    if (!room || (max > 0 && room.sessions >= max)) return;
    this.log.warn('fd-limit', {
      limit: room.limit,
      open: room.open,
      sessions: room.sessions,
      max_clients: max,
      message:
        max === 0
          ? `--max-clients 0 sets no limit, but the open-files limit leaves room for about ${room.sessions} sessions; clients beyond that are closed unserved (raise it with ulimit -n, or set --max-clients)`
          : `the open-files limit leaves room for about ${room.sessions} sessions; clients beyond that are closed unserved (raise it with ulimit -n, or lower --max-clients)`,
    });
  }

  /** The client-independent part of every child's environment. Under --unbuffer, TERM=dumb:
   * stdout is a terminal, but not one to draw on (no colours, no cursor movement; CORE-39). */
  private sharedEnv(): SharedEnv {
    const env = baseEnv(this.config.env);
    if (this.config.unbuffer) env.TERM = 'dumb';
    return new SharedEnv(env);
  }

  /** Join a new client to a new process. `vars` are the front-end's H- variables
   * (TYPE, CLIENT, ...); VERSION is set here. Resolves when the session has ended. */
  accept(endpoint: ClientEndpoint, vars: HVars, command: ResolvedCommand | undefined = this.config.command, room = ''): Promise<Joined | null> {
    if (!command) throw new Error('Daemon.accept: no command (with --dir the front-end gives the route)');
    if (this.full) {
      this.refuse(endpoint);
      return Promise.resolve(null);
    }
    this.base ??= this.sharedEnv();
    if (this.config.hub) return Promise.resolve(this.joinHub(endpoint, vars, command, room));
    const env = new SessionEnv(this.base, hVariables({ VERSION: `${this.config.name}/${VERSION}`, ...vars }));
    const session = new Session(
      endpoint,
      {
        file: command.file,
        argv0: command.argv0,
        args: command.args,
        env,
        cwd: this.config.cwd,
        killAfterMs: this.config.limits.killAfterMs,
        unbuffered: this.config.unbuffer,
        noInput: endpoint.noInput,
      },
      this.config.limits,
      this.config.log,
      { longLine: (direction) => this.emit('longLine', direction) },
    );
    this.track(session);
    return session.start().then(() => {
      if (session.pid !== undefined) this.emit('sessionStarted');
      return session;
    });
  }

  /**
   * accept() for a client the front door admitted (FD-04): its slot (`release`) is held until
   * the client's session, or its membership of a hub, has ended, and given back at once when
   * the client is refused here. One place for every front-end.
   */
  acceptAdmitted(endpoint: ClientEndpoint, vars: HVars, command: ResolvedCommand | undefined, release: () => void): Promise<void> {
    return this.accept(endpoint, vars, command)
      .then((joined) => joined?.done)
      .then(() => undefined)
      .finally(release);
  }

  /** HUB-01: the client joins its room's shared process instead of getting its own. */
  private joinHub(endpoint: ClientEndpoint, vars: HVars, command: ResolvedCommand, room: string): Joined | null {
    const hub = this.hubFor(command, room);
    if (!hub) {
      this.log.warn('refused', { client: endpoint.label, reason: 'too many hub rooms' });
      this.refused('max-clients');
      sayAndFinish(endpoint, 'busy: too many hub rooms', { code: null, signal: null, refused: 'too many hub rooms' });
      return null;
    }
    const member = hub.join(endpoint, vars);
    this.track(member);
    this.emit('sessionStarted');
    return member;
  }

  /** A room is named by the front-end (an IRC channel) and by the command (a --dir script). */
  private hubFor(command: ResolvedCommand, room: string): Hub | undefined {
    const rooms = this.config.hub!;
    const name = room || command.argv0;
    return rooms.hub(`${room}\0${command.file}`, () => {
      const env = new SessionEnv((this.base ??= this.sharedEnv()), hVariables({ VERSION: `${this.config.name}/${VERSION}`, TYPE: `HUB-${SPEC_VERSION}`, HUB: rooms.settings.mode, 'HUB-ROOM': name }));
      const request = () => ({ file: command.file, argv0: command.argv0, args: command.args, env, cwd: this.config.cwd, killAfterMs: this.config.limits.killAfterMs, unbuffered: this.config.unbuffer });
      return new Hub(name, rooms.settings, request, this.config.limits, this.log);
    });
  }

  /** The rooms --hub-eager starts: the service's own (''), or those a front-end names that
   * knows its rooms in advance (hamelin-irc: its --channel list). */
  eagerRooms: string[] = [''];

  /** HUB-03 --hub-eager: the service's own command starts with the daemon, once it serves
   * (after --user: ProcessControl.ready). */
  startEagerHub(): void {
    const command = this.config.command;
    if (!this.config.hub?.settings.eager || !command) return;
    this.base ??= this.sharedEnv();
    for (const room of this.eagerRooms) this.hubFor(command, room)?.start();
  }

  private track(joined: Joined): void {
    this.sessions.add(joined);
    void joined.done.then((result) => {
      this.sessions.delete(joined);
      this.emit('sessionEnded', result);
      if (this.sessions.size === 0) for (const w of this.idleWaiters.splice(0)) w();
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
      // HUB-14: a shared child ends first; its clients are told once its output is out.
      await this.config.hub?.stop();
      for (const s of this.sessions) s.terminate('shutdown');
      await Promise.all([...this.sessions].map((s) => s.done));
      // What the sessions left outside their groups (setsid) is ended by the helper (CORE-28).
      await stopSpawnLayer();
    })();
    return this.stopping;
  }

  /**
   * Serving is over of the daemon's own accord (hamelin-tty's terminal left, TTY-13): a hub's
   * process is not signalled for it (HUB-07) but gets its end of input and --kill-after to end,
   * and then the rest ends as at shutdown().
   */
  async finish(): Promise<void> {
    await this.config.hub?.finish();
    await this.shutdown();
  }

  private readonly reloadHooks: (() => void | Promise<void>)[] = [];

  /** Run `hook` on every reload (SIGHUP), after the log has been reopened. */
  onReload(hook: () => void | Promise<void>): void {
    this.reloadHooks.push(hook);
  }

  /**
   * SIGHUP (CORE-34): reopen --log-file (logrotate renames it, then signals), then run the
   * reload hooks. Sessions and the listener are untouched, and the daemon never exits for it.
   */
  async reload(): Promise<void> {
    this.log.info('signal', { signal: 'SIGHUP' });
    this.log.reopenAndSay();
    await this.runReloadHooks();
  }

  /** The hooks of `onReload`; a failing one is logged and the others still run. */
  async runReloadHooks(): Promise<void> {
    for (const hook of this.reloadHooks) {
      try {
        await hook();
      } catch (e) {
        this.log.error('reload-failed', { error: (e as Error).message });
      }
    }
  }

  /**
   * On SIGINT or SIGTERM (and any other `signals` a front-end adds, such as a terminal's
   * SIGQUIT): close the listener(s), end every session, exit 0.
   * A second signal while stopping exits at once, after a SIGKILL to every group.
   * SIGHUP reloads (see `reload`) instead of killing the daemon, Node's default.
   */
  exitOnSignals(closeListeners: () => Promise<void> | void, signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM']): void {
    process.on('SIGHUP', () => {
      if (this.stopping === undefined) void this.reload();
    });
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
