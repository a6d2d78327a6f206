/**
 * The daemon: every live session, the client limit, and shutdown (CORE-20, CORE-22).
 * A front-end owns its listener and calls `accept` for each client; everything else about
 * sessions happens here.
 */
import type { Server } from 'node:net';
import type { ClientEndpoint } from './endpoint.js';
import { descriptorRoom } from './fd-limit.js';
import { describeTarget, listenOn, type ListenTarget } from './listen.js';
import type { ResolvedCommand } from './command.js';
import { baseEnv, hVariables, SessionEnv, SharedEnv, type EnvPolicy, type HVars } from './env.js';
import type { Logger } from './log.js';
import { signalGroup } from './process-group.js';
import { sayAndFinish } from './daemon-says.js';
import { Session, type SessionLimits } from './session.js';
import { spawnLayer, spawnLayerWarning, stopSpawnLayer, useSpawnLog } from './spawn.js';
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
}

export class Daemon {
  readonly sessions = new Set<Session>();
  private stopping: Promise<void> | undefined;
  /** The client-independent part of every child's environment (env.ts: baseEnv). */
  private base: SharedEnv | undefined;

  constructor(readonly config: DaemonConfig) {
    useSpawnLog(config.log);
  }

  get log(): Logger {
    return this.config.log;
  }

  /** True when a new client would be refused; front-ends that can answer before a
   * handshake (HTTP 503 before a WebSocket upgrade) ask this first. */
  get full(): boolean {
    return this.stopping !== undefined || (this.config.maxClients > 0 && this.sessions.size >= this.config.maxClients);
  }

  /**
   * Bind a front-end's server (CORE-18: a busy port or a bad path throws a StartupError before
   * anything is logged) and announce it with the `listening` line that tools and tests wait
   * for; `--quiet` keeps it (CORE-17). Resolves with the bound port (0 for a unix socket).
   */
  async listen(server: Server, target: ListenTarget, fields: Record<string, string | number | boolean> = {}): Promise<number> {
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
    );
    this.sessions.add(session);
    void session.done.then(() => this.sessions.delete(session));
    return session.start().then(() => session);
  }

  /**
   * CORE-20: a client over the limit is refused, not queued: it gets one line saying so
   * and is closed. Queueing would hold sockets open with no feedback and no bound.
   */
  private refuse(endpoint: ClientEndpoint): void {
    const why = this.stopping ? 'shutting down' : `too many clients (limit ${this.config.maxClients})`;
    this.log.warn('refused', { client: endpoint.label, reason: why });
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
      // What the sessions left outside their groups (setsid) is ended by the helper (CORE-28).
      await stopSpawnLayer();
    })();
    return this.stopping;
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
    if (this.log.file !== undefined) {
      try {
        this.log.reopen();
        this.log.info('log-reopen', { file: this.log.file });
      } catch (e) {
        this.log.error('log-reopen', { file: this.log.file, error: (e as NodeJS.ErrnoException).code ?? (e as Error).message });
      }
    }
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
