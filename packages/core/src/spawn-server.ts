/**
 * The spawn server: a tiny long-lived C process that starts every child for the daemon, so
 * the daemon's event loop never forks itself (see spawn.ts for the measurements).
 *
 * Why: `child_process.spawn` forks the whole Node process (tens of MB of page tables) and
 * then waits for the child's exec, all on the event loop that relays every other session:
 * 1-3 ms of a blocked loop per client. The spawn server is a ~20 kB process whose
 * vfork + exec costs a fraction of that and runs on the other core, and the
 * daemon only exchanges a few bytes with it per child.
 *
 * How the promises of the spec are kept (they are the same as with child_process.spawn):
 * - the child is the leader of a new session and process group (setsid), every
 *   signal at its default disposition, none blocked;
 * - its stdin and stdout are AF_UNIX stream sockets, as libuv gives a child_process child:
 *   the daemon connects to a unix socket the spawn server listens on (in a private 0700
 *   directory) and writes an 8-byte header (a slot number) on each connection; the request
 *   names two slots, and the server accepts those and hands them to the child as fd 0 and 1,
 *   so bytes flow child <-> daemon with nothing between. The daemon keeps a few connections
 *   made ahead of time (READY), so a request goes out in the same turn as the client's
 *   accept instead of one loop turn later, when Node reports the connects (churn at c=1:
 *   about +7% conn/s, p50 1.72 -> 1.58 ms, A/B in the same minutes). (The first version had
 *   the server connect to the daemon: that woke the daemon up to five times per child; now
 *   it is woken once, by `S`). Why two connections and not one for both: one was tried (issue
 *   16; bench/README.md) and saved about 2% of the daemon's CPU per connection, within the
 *   noise, while hiding a child that closes its stdin early (its stdout would hold the socket
 *   open, so no EPIPE would tell the session to drop further input). A client that sends
 *   nothing (SpawnRequest.noInput) names stdin slot 0: the server gives the child /dev/null;
 * - stderr is inherited: the spawn server's stderr is the daemon's stderr;
 * - exit status: the spawn server reaps its children and reports `X pid code signal left`;
 * - signals: the daemon signals the group itself (process.kill(-pid)), as before; only if
 *   the daemon dies without shutting down does the server SIGTERM (then SIGKILL) the groups
 *   it started, so even a SIGKILLed daemon leaves no process behind (CORE-22).
 * - group ends: the helper is a child subreaper, so the last process of a group is its child
 *   when it dies, and it reports `G pgid` for a group whose leader exited with others left: the
 *   session waits for that, not for a poll of /proc (CORE-31);
 * - a request has a deadline (SPAWN_DEADLINE_MS): a helper that does not answer in time (stopped,
 *   stuck) fails that spawn with ETIMEDOUT and is killed, and spawn.ts starts another (CORE-30).
 * Linux only (signalfd, /proc). The binary is chosen by spawner-binary.ts; its C source is
 * spawner/hamelin-spawner.c. When none can run, spawn.ts uses child_process.spawn.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { constants as osConstants } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { SessionEnv } from './env.js';
import { whenGroupEmpty, whenProcessGone } from './process-group.js';
import { makeSpawnDir } from './spawn-dirs.js';
import type { SpawnRequest } from './spawn.js';

export type ServerSpawnOutcome =
  | { ok: true; child: ServerChild }
  | { ok: false; code: string; message: string }
  /** The spawn server cannot take this request (it died): the caller uses child_process. */
  | { ok: 'unavailable' };

const signalNames = new Map<number, NodeJS.Signals>(
  Object.entries(osConstants.signals).map(([name, n]) => [n, name as NodeJS.Signals]),
);
const errnoNames = new Map<number, string>(Object.entries(osConstants.errno).map(([name, n]) => [n, name]));

/** Accepted sockets that have closed (before a ServerChild could listen for it). */
const closedSockets = new WeakSet<Socket>();

/** How long the helper may take to answer a spawn request (it answers in well under a
 * millisecond; its own wait for a request's two connections is 2 s). */
export const SPAWN_DEADLINE_MS = 5000;

/** A child started by the spawn server: the part of ChildProcess the session uses. */
export class ServerChild extends EventEmitter {
  exitCode: number | null = null;
  /** The spawn server found the child's group empty when it reaped it (see Child). */
  groupEmptyAtExit = false;
  signalCode: NodeJS.Signals | null = null;
  /** The helper that started it died: its exit is watched from /proc, its status unknown. */
  orphaned = false;
  private exited = false;
  private exitEmitted = false;
  private closeEmitted = false;
  private stdoutClosed = false;
  private groupGone = false;
  private groupWaiters: (() => void)[] = [];

  constructor(
    readonly pid: number,
    /** null: the child's stdin is /dev/null (SpawnRequest.noInput). */
    readonly stdin: (Writable & Socket) | null,
    readonly stdout: Readable & Socket,
    /** Whether the helper reports `G` for this child's group (it is a subreaper). */
    private groupReports: boolean,
    /** The session's grace period, for whoever guards the group after a helper death. */
    readonly graceMs = 5000,
  ) {
    super();
    // A child that writes nothing and exits at once can have its stdout closed already.
    if (closedSockets.has(stdout)) this.stdoutClosed = true;
    else
      stdout.once('close', () => {
        this.stdoutClosed = true;
        this.maybeClose();
      });
  }

  /** Called when the spawn server reports the exit. The events are emitted from a later
   * turn of the loop, as ChildProcess does: the exit can be reported in the same read as the
   * spawn, before the caller has had a chance to listen. */
  exit(code: number | null, signal: NodeJS.Signals | null, groupLeft = true): void {
    if (this.exited) return;
    this.exited = true;
    this.groupEmptyAtExit = !groupLeft;
    if (!groupLeft) this.groupGone = true;
    this.exitCode = code;
    this.signalCode = signal;
    // As ChildProcess does: the child's stdin is gone with it.
    this.stdin?.destroy();
    setImmediate(() => {
      this.exitEmitted = true;
      this.emit('exit', code, signal);
      this.maybeClose();
    });
  }

  /** The helper reported the group empty (`G`). */
  groupEmpty(): void {
    if (this.groupGone) return;
    this.groupGone = true;
    for (const cb of this.groupWaiters.splice(0)) cb();
  }

  /** Call `cb` once no process of the child's group is left (see Child). */
  whenGroupEmpty(cb: () => void): () => void {
    if (this.groupGone) {
      cb();
      return () => {};
    }
    if (!this.groupReports) return whenGroupEmpty(this.pid, cb);
    this.groupWaiters.push(cb);
    return () => {
      const i = this.groupWaiters.indexOf(cb);
      if (i >= 0) this.groupWaiters.splice(i, 1);
    };
  }

  /** The helper died (CORE-30): nothing will report this child's exit or its group's end, so
   * both are watched from /proc; the exit status is lost (reported as neither code nor signal). */
  orphan(): void {
    if (this.exited) {
      if (!this.groupGone) this.groupReports = false;
      const waiters = this.groupWaiters.splice(0);
      for (const cb of waiters) whenGroupEmpty(this.pid, cb);
      return;
    }
    this.orphaned = true;
    this.groupReports = false;
    whenProcessGone(this.pid, () => this.exit(null, null, true));
  }

  private maybeClose(): void {
    if (this.exitEmitted && this.stdoutClosed && !this.closeEmitted) {
      this.closeEmitted = true;
      this.emit('close', this.exitCode, this.signalCode);
    }
  }
}

/** The stdin slot that asks the helper for /dev/null: connectSlot never numbers one 0. */
const NO_INPUT_SLOT = 0;

/** How many connections the daemon keeps made ahead of time: two children's worth. */
const READY = 4;

interface Slot {
  sock: Socket;
  slot: number;
}

interface Pending {
  id: number;
  file: string;
  resolve: (o: ServerSpawnOutcome) => void;
  /** when the request was made (Date.now()), for its deadline */
  at: number;
  grace: number;
  pid?: number;
  /** null when the child's stdin is /dev/null (noInput) */
  stdin?: Socket | null;
  stdout?: Socket;
  /** an exit reported before the sockets arrived */
  early?: [number | null, NodeJS.Signals | null, boolean];
}

/** What a helper process is started as: its binary (or an emulator and the binary). */
export interface HelperLaunch {
  file: string;
  args?: string[];
}

/** How a helper ended, for the log and for spawn.ts's restart. */
export interface HelperDeath {
  pid: number | undefined;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** why the daemon killed it, when it did */
  reason?: string;
  /** the children it started that still run: their sessions go on */
  orphans: ServerChild[];
}

export class SpawnServer {
  private seq = 0;
  private readonly pending = new Map<number, Pending>();
  private readonly byPid = new Map<number, Pending>();
  private readonly live = new Map<number, ServerChild>();
  /** children whose leader exited with processes left: a `G` line is owed */
  private readonly lingering = new Map<number, ServerChild>();
  private dead = false;
  private stopping = false;
  private killReason: string | undefined;
  private lineBuf = '';
  private held = false;
  private slotSeq = 0;
  private deadlineTimer: NodeJS.Timeout | undefined;
  /** Connections made ahead of time (refill) and ready to be a child's stdin or stdout. */
  private readonly ready: Slot[] = [];
  private connecting = 0;
  /** Called once if the helper dies while the daemon still needs it. */
  onDeath: ((d: HelperDeath) => void) | undefined;
  private readonly exited: Promise<void>;

  private constructor(
    private readonly proc: ChildProcess,
    private readonly path: string,
    private readonly dir: string,
    /** It is a child subreaper: it reports `G` when a group empties. */
    readonly subreaper: boolean,
  ) {
    proc.stdout!.on('data', (s: string) => this.onLines(s));
    this.exited = new Promise((resolve) =>
      proc.once('exit', (code, signal) => {
        this.onServerExit(code, signal);
        resolve();
      }),
    );
    proc.stdin!.on('error', () => {});
  }

  /** Start a helper and wait for its ready line (`R pid subreaper`); null when it does not
   * answer it: that is the check that a binary is usable here (CORE-28). */
  static async start(launch: HelperLaunch): Promise<SpawnServer | null> {
    if (process.platform !== 'linux') return null;
    const dir = makeSpawnDir(); // mode 0700: only this user
    const path = join(dir, 's');
    let proc: ChildProcess;
    try {
      proc = spawn(launch.file, [...(launch.args ?? []), path], { stdio: ['pipe', 'pipe', 'inherit'] });
    } catch {
      rmSync(dir, { recursive: true, force: true });
      return null;
    }
    proc.stdout!.setEncoding('latin1');
    const first = await new Promise<string | null>((resolve) => {
      let text = '';
      const timer = setTimeout(() => resolve(null), 10_000);
      const onData = (d: string): void => {
        text += d;
        if (!text.includes('\n')) return;
        proc.stdout!.removeListener('data', onData);
        clearTimeout(timer);
        resolve(text.slice(0, text.indexOf('\n')));
      };
      proc.stdout!.on('data', onData);
      proc.once('error', () => resolve(null));
      proc.once('exit', () => resolve(null));
    });
    if (!first?.startsWith('R ')) {
      proc.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      return null;
    }
    // The server must not keep an idle daemon alive; its stdout is ref'd while a spawn or a
    // child's exit is awaited (see hold()).
    proc.unref();
    (proc.stdin as Socket).unref();
    (proc.stdout as Socket).unref();
    const s = new SpawnServer(proc, path, dir, first.split(' ')[2] === '1');
    process.once('exit', () => s.cleanup());
    s.refill();
    return s;
  }

  get alive(): boolean {
    return !this.dead;
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  /** Children started by this helper whose exit is not reported yet. */
  get liveChildren(): number {
    return this.live.size;
  }

  /** Shut down: the helper's stdin ends, it ends whatever is left (detached orphans included,
   * CORE-28) and exits; resolves then. */
  stop(): Promise<void> {
    if (this.dead) return Promise.resolve();
    this.stopping = true;
    this.proc.stdin!.end();
    // The daemon waits for it: its exit, which comes after its stdout closes, must keep the loop.
    this.proc.ref();
    (this.proc.stdout as Socket).ref();
    return this.exited;
  }

  /** Kill the helper (it missed a deadline); its death is handled as any other. */
  kill(reason: string): void {
    if (this.dead) return;
    this.killReason ??= reason;
    this.proc.kill('SIGKILL');
  }

  /** Watch a group an earlier helper started (it died), so that it is ended should the daemon die. */
  adopt(pgid: number, graceMs: number): void {
    if (this.dead) return;
    const b = Buffer.allocUnsafe(13);
    b.writeUInt32LE(9, 0);
    b.write('A', 4, 'latin1');
    b.writeUInt32LE(pgid, 5);
    b.writeUInt32LE(Math.min(graceMs, 0xffffffff), 9);
    this.proc.stdin!.write(b);
  }

  forget(pgid: number): void {
    if (this.dead) return;
    const b = Buffer.allocUnsafe(9);
    b.writeUInt32LE(5, 0);
    b.write('F', 4, 'latin1');
    b.writeUInt32LE(pgid, 5);
    this.proc.stdin!.write(b);
  }

  spawn(req: SpawnRequest): Promise<ServerSpawnOutcome> {
    if (this.dead || this.stopping) return Promise.resolve({ ok: 'unavailable' });
    // The environment: the session's own variables here, the daemon's shared part (already
    // encoded) appended to the body below.
    const own = req.env instanceof SessionEnv ? req.env.own : req.env;
    const shared = req.env instanceof SessionEnv ? req.env.base.wire : undefined;
    const env: string[] = [];
    for (const k in own) {
      const v = own[k];
      if (v !== undefined) env.push(`${k}=${v}`);
    }
    const strs = [req.file, req.cwd ?? '', req.argv0, ...req.args, ...env];
    // NUL cannot be passed to exec; child_process reports it as it always has.
    if (strs.some((s) => s.includes('\0'))) return Promise.resolve({ ok: 'unavailable' });
    const id = (this.seq = (this.seq + 1) >>> 0 || 1);
    const file = req.file;
    const body: Buffer[] = [Buffer.from(strs.join('\0') + '\0')];
    if (shared) body.push(shared.wire); // written as it is: no copy per session
    const bodyLength = body.reduce((n, b) => n + b.length, 0);
    const envCount = env.length + (shared?.count ?? 0);
    const head = Buffer.allocUnsafe(29);
    head.writeUInt32LE(25 + bodyLength, 0);
    head.write(req.unbuffered ? 'U' : 'S', 4, 'latin1');
    head.writeUInt32LE(id, 5);
    head.writeUInt32LE(1 + req.args.length, 9);
    head.writeUInt32LE(envCount, 13);
    // The session's grace period: used only if the daemon dies with this child still running.
    head.writeUInt32LE(Math.min(req.killAfterMs ?? 5000, 0xffffffff), 17);
    // Held only until it is written: the sockets' listeners outlive this call, and whatever
    // their closures can reach (the environment, argv) would live as long as the session.
    let request: Buffer[] | undefined = [head, ...body];
    return new Promise((resolve) => {
      // The child's stdin and stdout: two connections made ahead of time (a unix connect
      // completes in the kernel at once, but Node reports it a loop turn later), so the request
      // goes out now; the spawn server accepts them when it reads it, and the daemon is woken
      // once per child (the `S` line). With none ready, two are made for this request.
      const p: Pending = { id, file, resolve, at: Date.now(), grace: req.killAfterMs ?? 5000 };
      this.pending.set(id, p);
      this.hold();
      this.armDeadline();
      // A client that sends nothing needs no stdin connection: slot 0 asks for /dev/null.
      const input = req.noInput ? null : (this.takeReady() ?? this.connectSlot());
      const output = this.takeReady() ?? this.connectSlot();
      const pair = input ? [input, output] : [output];
      // Until the request is written a socket error means this spawn cannot happen here; after,
      // the child's own errors are the session's to see.
      const fail = (): void => {
        if (request === undefined) return;
        request = undefined;
        this.pending.delete(id);
        for (const c of pair) c.sock.destroy();
        this.hold();
        resolve({ ok: 'unavailable' });
      };
      const send = (): void => {
        if (request === undefined || pair.some((c) => c.sock.connecting)) return;
        head.writeUInt32LE(input?.slot ?? NO_INPUT_SLOT, 21);
        head.writeUInt32LE(output.slot, 25);
        this.proc.stdin!.cork();
        for (const b of request) this.proc.stdin!.write(b);
        this.proc.stdin!.uncork();
        request = undefined;
      };
      for (const c of pair) {
        c.sock.ref();
        c.sock.on('error', fail);
        if (c.sock.connecting) c.sock.once('connect', send);
      }
      [p.stdin, p.stdout] = [input?.sock ?? null, output.sock];
      // The child's stdout: once it ends, close our side too, as a readable-only pipe would.
      p.stdout.once('end', () => p.stdout!.end());
      send();
      this.refill(); // after the request: the next child's connections are not on this one's path
    });
  }

  /** One timer for every request in flight: the oldest decides when it fires. */
  private armDeadline(): void {
    if (this.deadlineTimer || this.pending.size === 0) return;
    const oldest = this.pending.values().next().value as Pending;
    this.deadlineTimer = setTimeout(() => {
      this.deadlineTimer = undefined;
      const now = Date.now();
      for (const p of this.pending.values()) {
        if (now - p.at < SPAWN_DEADLINE_MS) break;
        // The helper is stopped or stuck: this request fails now, and the helper goes.
        this.failPending(p, 'ETIMEDOUT', `spawn ${p.file}: the spawn helper did not answer within ${SPAWN_DEADLINE_MS} ms`);
        this.kill('no answer to a spawn request');
      }
      this.armDeadline();
    }, Math.max(0, oldest.at + SPAWN_DEADLINE_MS - Date.now()));
    this.deadlineTimer.unref();
  }

  private failPending(p: Pending, code: string, message: string): void {
    this.pending.delete(p.id);
    if (p.pid !== undefined) this.byPid.delete(p.pid);
    p.stdin?.destroy();
    p.stdout?.destroy();
    p.resolve({ ok: false, code, message });
  }
  /** A connection to the server for one of a child's stdio: its header names its slot. */
  private connectSlot(): Slot {
    const slot = (this.slotSeq = (this.slotSeq + 1) >>> 0 || 1);
    const sock = connect({ path: this.path, allowHalfOpen: true });
    sock.once('close', () => closedSockets.add(sock));
    sock.write(slotHeader(slot));
    return { sock, slot };
  }

  private takeReady(): Slot | undefined {
    const c = this.ready.shift();
    c?.sock.removeAllListeners('error');
    return c;
  }

  /** Keep READY connections made and waiting; they do not keep the daemon alive. */
  private refill(): void {
    while (!this.dead && this.ready.length + this.connecting < READY) {
      const c = this.connectSlot();
      c.sock.unref();
      this.connecting++;
      let pending = true;
      const arrived = (): void => {
        if (pending) this.connecting--;
        pending = false;
      };
      c.sock.on('error', () => {
        arrived();
        const i = this.ready.indexOf(c);
        if (i >= 0) this.ready.splice(i, 1);
        c.sock.destroy();
      });
      c.sock.once('connect', () => {
        arrived();
        this.ready.push(c);
      });
    }
  }

  /** Keep the event loop alive exactly while some spawn or exit is still to be reported. */
  private hold(): void {
    const busy = this.pending.size + this.live.size > 0;
    if (busy !== this.held) {
      this.held = busy;
      const out = this.proc.stdout as Socket;
      if (busy) out.ref();
      else out.unref();
    }
  }

  private onLines(s: string): void {
    this.lineBuf += s;
    let nl: number;
    while ((nl = this.lineBuf.indexOf('\n')) >= 0) {
      const line = this.lineBuf.slice(0, nl);
      this.lineBuf = this.lineBuf.slice(nl + 1);
      const [t, a, b, c, left] = line.split(' ');
      const x = Number(a);
      const y = Number(b);
      if (t === 'S') {
        const p = this.pending.get(x);
        if (!p) continue;
        p.pid = y;
        this.byPid.set(y, p);
        this.complete(p);
      } else if (t === 'E') {
        const p = this.pending.get(x);
        if (!p) continue;
        this.pending.delete(x);
        p.stdin?.destroy();
        p.stdout?.destroy();
        const code = errnoNames.get(y) ?? `E${y}`;
        p.resolve({ ok: false, code, message: `spawn ${p.file} ${code}` });
      } else if (t === 'X') {
        const code = y >= 0 ? y : null;
        const signal = y >= 0 ? null : (signalNames.get(Number(c)) ?? null);
        const groupLeft = left !== '0';
        const child = this.live.get(x);
        if (child) {
          this.live.delete(x);
          if (groupLeft && this.subreaper) this.lingering.set(x, child);
          child.exit(code, signal, groupLeft);
        } else {
          const p = this.byPid.get(x);
          if (p) p.early = [code, signal, groupLeft];
        }
      } else if (t === 'G') {
        const child = this.lingering.get(x);
        this.lingering.delete(x);
        if (child) child.groupEmpty();
        else {
          // Exit and group end both reported before the daemon had the child's sockets: the
          // exit is held in `early`, and must not wait for a G that has come already.
          const p = this.byPid.get(x);
          if (p?.early) p.early[2] = false;
        }
      }
    }
    if (this.pending.size === 0) {
      clearTimeout(this.deadlineTimer);
      this.deadlineTimer = undefined;
    }
    this.hold();
  }

  private complete(p: Pending): void {
    if (p.pid === undefined || p.stdin === undefined || !p.stdout) return;
    this.pending.delete(p.id);
    this.byPid.delete(p.pid);
    const child = new ServerChild(p.pid, p.stdin as (Writable & Socket) | null, p.stdout as Readable & Socket, this.subreaper, p.grace);
    p.resolve({ ok: true, child });
    if (p.early) {
      if (p.early[2] && this.subreaper) this.lingering.set(p.pid, child);
      child.exit(...p.early);
    } else {
      this.live.set(p.pid, child);
    }
    this.hold();
  }

  /** The helper exited. After stop() that is the end; otherwise it died (it should not, CORE-30):
   * requests in flight fail over to whatever spawn.ts uses next, and the children it started go
   * on (their stdio is the daemon's own), watched from /proc from now on (ServerChild.orphan). */
  private onServerExit(code: number | null, signal: NodeJS.Signals | null): void {
    this.dead = true;
    clearTimeout(this.deadlineTimer);
    for (const c of this.ready.splice(0)) c.sock.destroy();
    for (const p of this.pending.values()) {
      p.stdin?.destroy();
      p.stdout?.destroy();
      // Started, but the daemon never got its sockets: a session that cannot be.
      if (p.pid !== undefined) try { process.kill(-p.pid, 'SIGKILL'); } catch { /* gone */ }
      p.resolve({ ok: 'unavailable' });
    }
    this.pending.clear();
    this.byPid.clear();
    const orphans = [...this.live.values(), ...this.lingering.values()];
    this.live.clear();
    this.lingering.clear();
    for (const child of orphans) child.orphan();
    this.cleanup();
    if (!this.stopping) this.onDeath?.({ pid: this.proc.pid, code, signal, reason: this.killReason, orphans });
  }

  private cleanup(): void {
    try {
      rmSync(this.dir, { recursive: true, force: true });
    } catch {
      // Not ours to remove any more (the daemon gave up root, OPS-10): removeStaleSpawnDirs
      // clears it at a later start.
    }
  }
}

/** What the daemon writes first on each connection: its slot, and a mark that it is ours. */
function slotHeader(slot: number): Buffer {
  const h = Buffer.allocUnsafe(8);
  h.writeUInt32LE(slot, 0);
  h.writeUInt32LE(0x4e4c4d48, 4); // MAGIC in spawner/hamelin-spawner.c
  return h;
}
