/**
 * Hub mode (spec/hub.md, HUB-01 .. HUB-17): the second way core joins clients to a process.
 * `Session` joins one endpoint to one child; a `Hub` joins every client of a room (a service,
 * an IRC channel, a --dir script) to one child that they share. Front-ends do not know which
 * they get: they hand their endpoint to `Daemon.accept` either way.
 *
 * Input: each client's lines, whole, one write each, so that two clients' lines never mix
 * inside a line; in `addressed` mode as events that carry the client's id. A child that stops
 * reading pauses every client (CORE-07). Output: each line to every client (`broadcast`), or to
 * the clients its target names (`addressed`), through each client's own bounded queue
 * (hub-member.ts), so that no client waits for another.
 */
import { errorLine } from './daemon-says.js';
import type { ClientEndpoint, ExitInfo, FanOut } from './endpoint.js';
import { exitDescription } from './exit-description.js';
import { HubMember, type MemberHub } from './hub-member.js';
import type { HubSettings } from './hub-options.js';
import { joinEvent, leaveEvent, lineEvent, parseChildLine } from './hub-protocol.js';
import { LineFramer, linesOf, type Release } from './line-framer.js';
import type { Logger } from './log.js';
import { groupAlive, signalGroup } from './process-group.js';
import { spawnChild, type Child, type SpawnRequest } from './spawn.js';

/** Rooms one daemon (or one `hamelin` service across its front-ends) may hold at once. */
export const MAX_ROOMS = 1024;
/** Backoff of --respawn: from 100 ms, doubling, to 10 s; a child that lived 10 s resets it. */
const FIRST_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 10_000;
const STABLE_MS = 10_000;

export interface HubLimits {
  maxLine: number;
  killAfterMs: number;
}

export class Hub implements MemberHub {
  pid: number | undefined;
  private child: Child | undefined;
  private starting: Promise<void> | undefined;
  private readonly members = new Map<number, HubMember>();
  private nextId = 1;
  /** With the number of the line they were copies of (HUB-17): replayed, they are copies still. */
  private readonly replayed: { line: Buffer; copy: FanOut }[] = [];
  /** Input that came while the child was being started (every client is paused meanwhile). */
  private pendingIn: Buffer[] = [];
  private stdinOpen = false;
  private stdinBlocked = false;
  private outFramer: LineFramer;
  /** addressed: the rest of an over-long line is dropped with its first piece (HUB-09). */
  private dropping = false;
  private stopping: Promise<void> | undefined;
  private stopped: (() => void) | undefined;
  private killTimer: NodeJS.Timeout | undefined;
  private respawnTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private since = 0;
  private badLines = 0;
  /** Numbers the lines sent to several clients at once, so that their copies can be told apart (HUB-17). */
  private fanOuts = 0;

  constructor(
    readonly room: string,
    private readonly settings: HubSettings,
    private readonly spawnRequest: () => SpawnRequest,
    private readonly limits: HubLimits,
    private readonly log: Logger,
  ) {
    this.outFramer = this.framer();
  }

  private framer(): LineFramer {
    return new LineFramer(this.limits.maxLine, (b, k) => this.fromChild(b, k), () => this.log.warn('long-line', { client: `hub:${this.room}`, hub: this.room, pid: this.pid, direction: 'out', limit: this.limits.maxLine }));
  }

  get size(): number {
    return this.members.size;
  }

  /** A new client: replayed lines first, then everything from now on (HUB-05, HUB-13). */
  join(endpoint: ClientEndpoint, vars: Record<string, string>): HubMember {
    const m = new HubMember(this.nextId++, endpoint, vars, this, this.settings, this.limits.maxLine);
    this.members.set(m.id, m);
    this.log.info('hub-join', { client: endpoint.label, hub: this.room, id: m.id, clients: this.members.size });
    // HUB-03: the child is starting before the member starts, so that input the endpoint hands
    // over at once (a terminal's first line under --wait, TTY-04) is held, not dropped.
    const running = this.child !== undefined;
    if (!running) this.start();
    m.start();
    for (const { line, copy } of this.replayed) m.send(line, false, copy);
    if (running) {
      if (this.settings.mode === 'addressed') this.toChild(joinEvent(m.id, vars));
      if (this.stdinBlocked) m.pauseInput();
    } else m.pauseInput();
    return m;
  }

  /** Start the child unless it runs or is starting (HUB-03: on the first client, or eagerly). */
  start(): void {
    if (this.child || this.starting || this.stopping || this.respawnTimer) return;
    this.starting = this.spawn().finally(() => (this.starting = undefined));
  }

  private async spawn(): Promise<void> {
    const request = this.spawnRequest();
    const outcome = await spawnChild(request);
    if (this.stopping) {
      if (outcome.ok) signalGroup(outcome.child.pid!, 'SIGKILL');
      return;
    }
    if (!outcome.ok) {
      this.log.error('spawn-failed', { client: `hub:${this.room}`, hub: this.room, command: request.argv0, code: outcome.code, message: outcome.message });
      this.pendingIn = [];
      this.since = Date.now();
      return this.ended({ code: null, signal: null, spawnError: { code: outcome.code, message: outcome.message } });
    }
    const child = outcome.child;
    this.child = child;
    this.pid = child.pid;
    this.since = Date.now();
    this.stdinOpen = true;
    this.stdinBlocked = false;
    this.outFramer = this.framer();
    this.log.info('hub-start', { hub: this.room, pid: this.pid, mode: this.settings.mode, clients: this.members.size });
    // A hub never asks for noInput: its process always has a stdin.
    child.stdin!.on('error', () => this.stdinClosed());
    child.stdin!.on('drain', () => this.unblock());
    child.stdout.on('data', (chunk: Buffer) => this.outFramer.push(chunk));
    child.stdout.on('end', () => this.outFramer.flush());
    child.once('exit', () => {
      // The leader is gone: whatever it left in its group goes too (CORE-15).
      const pgid = child.pid!;
      if (!child.groupEmptyAtExit && groupAlive(pgid)) {
        signalGroup(pgid, 'SIGTERM');
        this.killTimer = setTimeout(() => signalGroup(pgid, 'SIGKILL'), this.limits.killAfterMs);
      }
    });
    child.once('close', (code, signal) => {
      clearTimeout(this.killTimer);
      this.ended({ code, signal });
    });
    if (this.settings.mode === 'addressed') for (const m of this.members.values()) if (!m.closing) this.toChild(joinEvent(m.id, m.vars));
    const held = this.pendingIn;
    this.pendingIn = [];
    for (const b of held) this.toChild(b);
    if (!this.stdinBlocked) for (const m of this.members.values()) m.resumeInput();
  }

  /** MemberHub: one whole line of a client. */
  input(m: HubMember, line: Buffer): void {
    const bytes = this.settings.mode === 'addressed' ? lineEvent(m.id, line) : withNewline(line);
    if (!this.child) {
      if (this.starting || this.respawnTimer) this.pendingIn.push(bytes);
      return;
    }
    this.toChild(bytes);
  }

  /** MemberHub: a client is gone; the addressed child hears of it (HUB-07). */
  left(m: HubMember, reason: string): void {
    if (this.members.get(m.id) !== m) return;
    this.members.delete(m.id);
    this.log.info('hub-leave', { client: m.label, hub: this.room, id: m.id, reason, clients: this.members.size });
    if (this.settings.mode === 'addressed' && this.child && this.stdinOpen && !this.stopping) this.toChild(leaveEvent(m.id, reason.replace(/\s+/g, '-')));
  }

  longLine(m: HubMember): void {
    this.log.warn('long-line', { client: m.label, hub: this.room, direction: 'in', limit: this.limits.maxLine });
  }

  private toChild(bytes: Buffer): void {
    if (!this.child || !this.stdinOpen) return;
    if (!this.child.stdin!.write(bytes) && !this.stdinBlocked) {
      // CORE-07 for a shared child: every client waits for it to read.
      this.stdinBlocked = true;
      for (const m of this.members.values()) m.pauseInput();
    }
  }

  private unblock(): void {
    if (!this.stdinBlocked) return;
    this.stdinBlocked = false;
    for (const m of this.members.values()) m.resumeInput();
  }

  private stdinClosed(): void {
    // The child stopped reading: clients' lines are dropped from here, their input never paused.
    this.stdinOpen = false;
    this.unblock();
  }

  private fromChild(block: Buffer, kind: Release): void {
    if (kind === 'lines') for (const line of linesOf(block)) this.output(line, false);
    else this.output(block, kind === 'piece');
  }

  private output(line: Buffer, piece: boolean): void {
    if (this.settings.mode === 'broadcast') return this.toAll(line, piece);
    // addressed: an over-long line has its target in its first piece only; it is not a line
    // of the grammar (HUB-09).
    if (piece || this.dropping) {
      if (!this.dropping) this.bad('longer than --max-line', line.length);
      this.dropping = piece;
      return;
    }
    const p = parseChildLine(line);
    if (p.kind === 'bad') return this.bad(p.why, line.length);
    if (p.kind === 'close') {
      this.members.get(p.id)?.close({ code: null, signal: null, closed: p.reason || 'closed' }, 'closed-by-child');
      return;
    }
    const to = p.to;
    if (to.kind === 'all') return this.toAll(p.text, false);
    if (to.kind === 'all-but') {
      const copy = { seq: ++this.fanOuts, except: this.members.get(to.id)?.endpoint };
      for (const m of this.members.values()) if (m.id !== to.id) m.send(p.text, false, copy);
      return;
    }
    for (const id of new Set(to.ids)) this.members.get(id)?.send(p.text);
  }

  private toAll(line: Buffer, piece: boolean): void {
    const copy = { seq: ++this.fanOuts };
    if (this.settings.replay > 0 && !piece) {
      // Copied: a slice would keep the whole read it came in alive.
      this.replayed.push({ line: Buffer.from(line), copy });
      if (this.replayed.length > this.settings.replay) this.replayed.shift();
    }
    for (const m of this.members.values()) m.send(line, piece, copy);
  }

  /** HUB-09: logged (the count, never the content), dropped, never sent. */
  private bad(why: string, bytes: number): void {
    this.badLines++;
    this.log.warn('hub-bad-line', { hub: this.room, pid: this.pid, why, bytes, count: this.badLines });
  }

  /** The child has ended and its output is all out (HUB-04). */
  private ended(exit: ExitInfo): void {
    const pid = this.pid;
    this.child = undefined;
    this.pid = undefined;
    this.stdinOpen = false;
    this.stdinBlocked = false;
    const fields = { hub: this.room, pid, status: exit.code ?? undefined, signal: exit.signal ?? undefined, clients: this.members.size };
    if (this.stopping) {
      this.log.info('hub-end', fields);
      for (const m of [...this.members.values()]) m.close(exit, 'shutdown');
      this.stopped?.();
      return;
    }
    if (exit.code === 0) this.log.info('hub-end', fields);
    else this.log.warn('hub-exit', fields);
    if (!this.settings.respawn) {
      // Every client is told in its binding's way; the next client starts a new child.
      for (const m of [...this.members.values()]) m.close(exit, 'hub-exit');
      return;
    }
    const lived = Date.now() - this.since;
    this.failures = lived >= STABLE_MS ? 0 : this.failures + 1;
    const inMs = this.failures === 0 ? 0 : Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** (this.failures - 1));
    this.log.info('hub-respawn', { hub: this.room, in_ms: inMs });
    const text = `hub restarting in ${inMs} ms after ${exitDescription(exit)}`;
    for (const m of this.members.values()) {
      m.send(errorLine('message', text));
      m.pauseInput();
    }
    this.respawnTimer = setTimeout(() => {
      this.respawnTimer = undefined;
      this.start();
    }, inMs);
  }

  /**
   * Daemon shutdown (HUB-14): SIGTERM to the child's group, SIGKILL after --kill-after; its
   * last output reaches the clients, then each is told the end. Resolves when it is over.
   */
  stop(): Promise<void> {
    return this.end('signal');
  }

  /**
   * The daemon is done of its own accord, its last client gone (hamelin-tty after its terminal
   * left, HUB-07): the child gets its end of input and --kill-after to end on it. Only one still
   * running then is signalled, as stop() does; one that ends on EOF never is.
   */
  finish(): Promise<void> {
    return this.end('input');
  }

  private end(how: 'signal' | 'input'): Promise<void> {
    this.stopping ??= (async () => {
      clearTimeout(this.respawnTimer);
      this.respawnTimer = undefined;
      await this.starting;
      const pid = this.pid;
      if (!this.child || pid === undefined) {
        for (const m of [...this.members.values()]) m.close({ code: null, signal: null, closed: 'shutdown' }, 'shutdown');
        return;
      }
      const over = new Promise<void>((r) => (this.stopped = r));
      const grace = this.limits.killAfterMs;
      const timers: NodeJS.Timeout[] = [];
      if (how === 'input') {
        this.stdinOpen = false;
        this.child.stdin!.end();
        timers.push(setTimeout(() => signalGroup(pid, 'SIGTERM'), grace));
      } else signalGroup(pid, 'SIGTERM');
      timers.push(setTimeout(() => signalGroup(pid, 'SIGKILL'), how === 'input' ? 2 * grace : grace));
      await over;
      for (const t of timers) clearTimeout(t);
    })();
    return this.stopping;
  }
}

/** The hubs of one service: one per room, made on first use, stopped together. */
export class HubRooms {
  private readonly rooms = new Map<string, Hub>();
  private stopping: Promise<void> | undefined;

  constructor(readonly settings: HubSettings) {}

  get(room: string): Hub | undefined {
    return this.rooms.get(room);
  }

  /** The room's hub, made with `make` the first time; undefined when there are MAX_ROOMS. */
  hub(room: string, make: () => Hub): Hub | undefined {
    let h = this.rooms.get(room);
    if (!h) {
      if (this.rooms.size >= MAX_ROOMS) return undefined;
      h = make();
      this.rooms.set(room, h);
    }
    return h;
  }

  stop(): Promise<void> {
    this.stopping ??= Promise.all([...this.rooms.values()].map((h) => h.stop())).then(() => {});
    return this.stopping;
  }

  /** Every room's child gets its end of input first (Hub.finish); stop() then finds them ended. */
  finish(): Promise<void> {
    return Promise.all([...this.rooms.values()].map((h) => h.finish())).then(() => {});
  }
}

function withNewline(line: Buffer): Buffer {
  const out = Buffer.allocUnsafe(line.length + 1);
  line.copy(out);
  out[line.length] = 10;
  return out;
}
