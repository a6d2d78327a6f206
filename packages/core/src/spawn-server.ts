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
 *   it is woken once, by `S`);
 * - stderr is inherited: the spawn server's stderr is the daemon's stderr;
 * - exit status: the spawn server reaps its children and reports `X pid code signal left`;
 * - signals: the daemon signals the group itself (process.kill(-pid)), as before; only if
 *   the daemon dies without shutting down does the server SIGTERM (then SIGKILL) the groups
 *   it started, so even a SIGKILLed daemon leaves no process behind (CORE-22).
 * Linux only (signalfd, /proc in the tests); it needs `cc` once, the first
 * time a daemon starts a child, to compile the server (cached next to this file, or in
 * ~/.cache/hamelin). When anything is missing, spawn.ts uses child_process.spawn.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { accessSync, constants as fsConstants, mkdirSync, mkdtempSync, renameSync, rmSync, unlinkSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { constants as osConstants, homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Readable, Writable } from 'node:stream';
import { SPAWN_SERVER_C } from './spawn-server-c.js';
import { SessionEnv } from './env.js';
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

/** A child started by the spawn server: the part of ChildProcess the session uses. */
export class ServerChild extends EventEmitter {
  exitCode: number | null = null;
  /** The spawn server found the child's group empty when it reaped it (see Child). */
  groupEmptyAtExit = false;
  signalCode: NodeJS.Signals | null = null;
  private exited = false;
  private exitEmitted = false;
  private closeEmitted = false;
  private stdoutClosed = false;

  constructor(
    readonly pid: number,
    readonly stdin: Writable & Socket,
    readonly stdout: Readable & Socket,
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
    this.exitCode = code;
    this.signalCode = signal;
    // As ChildProcess does: the child's stdin is gone with it.
    this.stdin.destroy();
    setImmediate(() => {
      this.exitEmitted = true;
      this.emit('exit', code, signal);
      this.maybeClose();
    });
  }

  private maybeClose(): void {
    if (this.exitEmitted && this.stdoutClosed && !this.closeEmitted) {
      this.closeEmitted = true;
      this.emit('close', this.exitCode, this.signalCode);
    }
  }
}

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
  pid?: number;
  stdin?: Socket;
  stdout?: Socket;
  /** an exit reported before the sockets arrived */
  early?: [number | null, NodeJS.Signals | null, boolean];
}

export class SpawnServer {
  private seq = 0;
  private readonly pending = new Map<number, Pending>();
  private readonly byPid = new Map<number, Pending>();
  private readonly live = new Map<number, ServerChild>();
  private dead = false;
  private lineBuf = '';
  private held = false;
  private slotSeq = 0;
  /** Connections made ahead of time (refill) and ready to be a child's stdin or stdout. */
  private readonly ready: Slot[] = [];
  private connecting = 0;

  private constructor(
    private readonly proc: ChildProcess,
    private readonly path: string,
    private readonly dir: string,
  ) {
    proc.stdout!.on('data', (s: string) => this.onLines(s));
    proc.once('exit', () => this.onServerExit());
    proc.stdin!.on('error', () => {});
  }

  /** Compile (once per machine), then start a spawn server; null when that is not possible. */
  static async start(): Promise<SpawnServer | null> {
    if (process.platform !== 'linux') return null;
    const bin = await compiled();
    if (!bin) return null;
    const dir = mkdtempSync(join(tmpdir(), 'hamelin-spawn-')); // mode 0700: only this user
    const path = join(dir, 's');
    const proc = spawn(bin, [path], { stdio: ['pipe', 'pipe', 'inherit'] });
    proc.stdout!.setEncoding('latin1');
    // Ready once it listens: its first line is `R 0 0`.
    const ok = await new Promise<boolean>((resolve) => {
      let first = '';
      const onData = (d: string): void => {
        first += d;
        if (!first.includes('\n')) return;
        proc.stdout!.removeListener('data', onData);
        resolve(first.startsWith('R '));
      };
      proc.stdout!.on('data', onData);
      proc.once('error', () => resolve(false));
      proc.once('exit', () => resolve(false));
    });
    if (!ok) {
      proc.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      return null;
    }
    // The server must not keep an idle daemon alive; its stdout is ref'd while a spawn or a
    // child's exit is awaited (see hold()).
    proc.unref();
    (proc.stdin as Socket).unref();
    (proc.stdout as Socket).unref();
    const s = new SpawnServer(proc, path, dir);
    process.once('exit', () => s.cleanup());
    s.refill();
    return s;
  }

  get alive(): boolean {
    return !this.dead;
  }

  spawn(req: SpawnRequest): Promise<ServerSpawnOutcome> {
    if (this.dead) return Promise.resolve({ ok: 'unavailable' });
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
    head.write('S', 4, 'latin1');
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
      const p: Pending = { id, file, resolve };
      this.pending.set(id, p);
      this.hold();
      const pair = [this.takeReady() ?? this.connectSlot(), this.takeReady() ?? this.connectSlot()] as const;
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
        head.writeUInt32LE(pair[0].slot, 21);
        head.writeUInt32LE(pair[1].slot, 25);
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
      [p.stdin, p.stdout] = [pair[0].sock, pair[1].sock];
      // The child's stdout: once it ends, close our side too, as a readable-only pipe would.
      p.stdout.once('end', () => p.stdout!.end());
      send();
      this.refill(); // after the request: the next child's connections are not on this one's path
    });
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
          child.exit(code, signal, groupLeft);
        } else {
          const p = this.byPid.get(x);
          if (p) p.early = [code, signal, groupLeft];
        }
      }
    }
    this.hold();
  }

  private complete(p: Pending): void {
    if (p.pid === undefined || !p.stdin || !p.stdout) return;
    this.pending.delete(p.id);
    this.byPid.delete(p.pid);
    const child = new ServerChild(p.pid, p.stdin as Writable & Socket, p.stdout as Readable & Socket);
    p.resolve({ ok: true, child });
    if (p.early) {
      child.exit(...p.early);
    } else {
      this.live.set(p.pid, child);
    }
    this.hold();
  }

  /** The spawn server died (it should not): nothing can report these children's exits any
   * more, so end them the only sure way, and let later spawns start a new server. */
  private onServerExit(): void {
    this.dead = true;
    for (const c of this.ready.splice(0)) c.sock.destroy();
    for (const p of this.pending.values()) {
      p.stdin?.destroy();
      p.stdout?.destroy();
      if (p.pid !== undefined) try { process.kill(-p.pid, 'SIGKILL'); } catch { /* gone */ }
      p.resolve({ ok: 'unavailable' });
    }
    this.pending.clear();
    for (const [pid, child] of this.live) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        /* gone */
      }
      child.exit(null, 'SIGKILL');
    }
    this.live.clear();
    this.cleanup();
  }

  private cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** What the daemon writes first on each connection: its slot, and a mark that it is ours. */
function slotHeader(slot: number): Buffer {
  const h = Buffer.allocUnsafe(8);
  h.writeUInt32LE(slot, 0);
  h.writeUInt32LE(0x4e4c4d48, 4); // MAGIC in spawn-server-c.ts
  return h;
}

/** The compiled spawn server, built once per machine (per source version); null without cc. */
async function compiled(): Promise<string | null> {
  const hash = createHash('sha256').update(SPAWN_SERVER_C).update(process.arch).digest('hex').slice(0, 16);
  const name = `hamelin-spawner-${hash}`;
  const cache = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  const dirs = [dirname(fileURLToPath(import.meta.url)), join(cache, 'hamelin')];
  for (const d of dirs) {
    try {
      accessSync(join(d, name), fsConstants.X_OK);
      return join(d, name);
    } catch {
      /* not built there */
    }
  }
  for (const d of dirs) {
    const out = join(d, name);
    const tmp = `${out}.${process.pid}.tmp`;
    try {
      mkdirSync(d, { recursive: true });
      await new Promise<void>((resolve, reject) => {
        const cc = execFile(process.env.CC || 'cc', ['-O2', '-x', 'c', '-o', tmp, '-'], (err) => (err ? reject(err) : resolve()));
        cc.stdin!.on('error', () => {});
        cc.stdin!.end(SPAWN_SERVER_C);
      });
      renameSync(tmp, out); // atomic: daemons compiling at once all end with a whole file
      return out;
    } catch {
      try {
        unlinkSync(tmp);
      } catch {
        /* never written */
      }
    }
  }
  return null;
}
