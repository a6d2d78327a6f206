/**
 * A session: one client endpoint joined to one process (CORE-01 .. CORE-16, CORE-19, CORE-21, CORE-25).
 *
 * This is the only place that knows the session lifecycle. Front-ends adapt a transport to
 * `ClientEndpoint` and hand it to `Daemon.accept`; they never signal, frame or buffer anything.
 */
import { basename } from 'node:path';
import { sayAndFinish } from './daemon-says.js';
import type { ClientEndpoint, ExitInfo, GoneReason } from './endpoint.js';
import { LineFramer, linesOf, type Release } from './line-framer.js';
import type { Logger } from './log.js';
import { groupAlive, signalGroup, whenGroupEmpty } from './process-group.js';
import { spawnChild, type Child, type SpawnRequest } from './spawn.js';

export interface SessionLimits {
  /** Longest line held before it is passed on in pieces (CORE-06). */
  maxLine: number;
  /** Grace between SIGTERM and SIGKILL (CORE-14). */
  killAfterMs: number;
  /** End the session after this long with no byte either way; 0 for never (CORE-21). */
  idleTimeoutMs: number;
  /** End the session this long after its child started, whatever it is doing; 0 for never
   * (CORE-25). Unlike a client going away, the child's output is still delivered. */
  timeoutMs?: number;
}

export interface SessionResult {
  exit: ExitInfo;
  /** What ended it: `exit` (the child ended on its own) or the reason it was terminated. */
  endedBy: string;
  bytesIn: number;
  bytesOut: number;
  durationMs: number;
}

const NEWLINE = Buffer.from('\n');
/**
 * Writes to the child's stdin not yet taken by the kernel, above which the client's input is
 * paused, and below which it resumes (CORE-32). The stream's own limit counts bytes, and 16 KiB
 * of 1-byte messages is 16384 queued writes of a few hundred bytes of memory each: 8 hamelin-ws
 * --binary sessions fed 1-byte messages grew the daemon by 52 MiB.
 */
const WRITES_HIGH = 256;
const WRITES_LOW = 64;

export class Session {
  readonly done: Promise<SessionResult>;
  pid: number | undefined;

  private child: Child | undefined;
  private resolveDone!: (r: SessionResult) => void;
  private readonly started = Date.now();
  private terminatedBy: string | undefined;
  private killTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private lifeTimer: NodeJS.Timeout | undefined;
  private lastActivity = Date.now();
  private clientGone = false;
  private stdinOpen = true;
  /** Writes handed to the child's stdin and not yet done; see WRITES_HIGH. */
  private stdinWrites = 0;
  private pausedForWrites = false;
  private readonly wrote = (): void => {
    if (--this.stdinWrites > WRITES_LOW || !this.pausedForWrites) return;
    this.pausedForWrites = false;
    if (!this.child?.stdin?.writableNeedDrain) this.endpoint.resumeInput();
  };
  private inputEnded = false;
  private eofTimer: NodeJS.Timeout | undefined;
  private partialTimer: NodeJS.Timeout | undefined;
  private bytesIn = 0;
  private bytesOut = 0;
  private inFramer: LineFramer;
  private outFramer: LineFramer;
  /**
   * Message framing: lines of the current stdout block that the endpoint could not take yet
   * (its write returned false). The child's stdout is paused meanwhile, so this holds at most
   * one read's worth of lines plus the pieces of one held line (CORE-07), and the endpoint's
   * own queue stays within its limit instead of taking a whole block.
   */
  private backlog: { chunk: Buffer; piece: boolean }[] = [];
  private backlogAt = 0;
  private blocked = false;
  /** The session's end, waiting for the backlog to reach the endpoint (CORE-15). */
  private afterBacklog: (() => void) | undefined;

  /** The command word, for log lines; the request itself is let go once spawned. */
  private readonly argv0: string;
  private req: SpawnRequest | undefined;

  constructor(
    private readonly endpoint: ClientEndpoint,
    req: SpawnRequest,
    private readonly limits: SessionLimits,
    private readonly log: Logger,
    private readonly observer: { longLine?(direction: 'in' | 'out'): void } = {},
  ) {
    this.done = new Promise((r) => (this.resolveDone = r));
    this.req = req;
    this.argv0 = req.argv0;
    this.inFramer = new LineFramer(limits.maxLine, (b) => this.toChild(b), () => this.longLine('in'));
    this.outFramer = new LineFramer(limits.maxLine, (b, t) => this.toClient(b, t), () => this.longLine('out'));
  }

  /** For metrics: lines waiting for a slow client (message framing), and whether the child's
   * stdout is paused until the client takes more. */
  get queued(): { lines: number; blocked: boolean } {
    return { lines: this.backlog.length - this.backlogAt, blocked: this.blocked };
  }

  private longLine(direction: 'in' | 'out'): void {
    this.log.warn('long-line', { client: this.endpoint.label, pid: this.pid, direction, limit: this.limits.maxLine });
    this.observer.longLine?.(direction);
  }

  async start(): Promise<void> {
    const outcome = await spawnChild(this.req!);
    // The environment and argv are the child's now: a long session must not hold them.
    this.req = undefined;
    if (!outcome.ok) return this.spawnFailed(outcome.code, outcome.message);
    const child = outcome.child;
    this.child = child;
    this.pid = child.pid;
    this.log.info('start', { client: this.endpoint.label, pid: this.pid });
    // Ended while the spawn was in flight (the daemon began shutting down): it must not live on.
    if (this.terminatedBy !== undefined) this.signalTerm(this.terminatedBy, false);

    if (child.stdin) {
      child.stdin.on('error', () => this.stdinClosed());
      child.stdin.on('drain', () => this.endpoint.resumeInput());
    } else {
      this.stdinOpen = false; // /dev/null: the endpoint sends nothing (noInput)
    }
    const raw = this.endpoint.framing === 'raw';
    child.stdout.on('data', (chunk: Buffer) => {
      this.bytesOut += chunk.length;
      this.touch();
      if (raw) return this.toClient(chunk, 'rest');
      this.outFramer.push(chunk);
      this.armPartialFlush();
    });
    child.stdout.on('end', () => this.outFramer.flush());
    child.once('exit', () => {
      // The leader is gone; whatever it left in its group (a backgrounded job) must not
      // outlive the session (CORE-15). Output already in the pipe is still read.
      if (!child.groupEmptyAtExit && groupAlive(this.pid!)) this.terminate('exit', true);
    });
    child.once('close', (code, signal) => this.closed(code, signal));

    this.armIdle();
    const life = this.limits.timeoutMs ?? 0;
    if (life > 0) this.lifeTimer = setTimeout(() => this.terminate('timeout'), life);
    this.endpoint.start({
      input: (chunk) => this.fromClient(chunk),
      inputEnd: () => this.clientInputEnded(),
      drain: () => this.drained(),
      gone: (reason, detail) => this.gone(reason, detail),
      longLine: () => this.longLine('in'),
    });
  }

  /** SIGTERM the process group now and SIGKILL it after the grace period (CORE-13, CORE-14). */
  terminate(why: string, leaderExited = false): void {
    if (this.terminatedBy !== undefined) return;
    this.terminatedBy = why;
    // Before the child exists there is nothing to signal yet; start() does it once it does.
    if (this.pid !== undefined) this.signalTerm(why, leaderExited);
  }

  private signalTerm(why: string, leaderExited: boolean): void {
    const pgid = this.pid!;
    if (!leaderExited) this.log.info('terminate', { client: this.endpoint.label, pid: pgid, reason: why });
    signalGroup(pgid, 'SIGTERM');
    this.killTimer = setTimeout(() => {
      if (signalGroup(pgid, 'SIGKILL')) this.log.warn('kill', { client: this.endpoint.label, pid: pgid, after_ms: this.limits.killAfterMs });
    }, this.limits.killAfterMs);
  }

  private fromClient(chunk: Buffer): void {
    this.bytesIn += chunk.length;
    this.touch();
    // The child closed its stdin, or the client said its input was over: read and dropped.
    if (!this.stdinOpen || this.inputEnded) return;
    if (this.endpoint.framing === 'message') {
      this.held(chunk);
      this.held(NEWLINE);
    } else if (this.endpoint.framing === 'raw') {
      this.held(chunk);
    } else {
      this.inFramer.push(chunk);
    }
  }

  /**
   * Raw and message input: what arrives in one turn of the event loop (messages and their
   * newlines) is one write, a microtask later. A WebSocket read of 64 KiB can hold 9000
   * one-byte messages, all handed over before a pause can take effect; a write each queued
   * 9000 buffers on the child's stdin (CORE-32: 8 sessions of 1-byte text messages grew the
   * daemon by 117 MiB, now 9). It also costs less than a corked writev per message: 0.38 s
   * of daemon CPU per 100k pipelined ws messages echoed by cat, against 0.45-0.50.
   */
  private heldIn: Buffer[] = [];
  private heldInLen = 0;
  private held(chunk: Buffer): void {
    if (this.heldIn.push(chunk) === 1) queueMicrotask(this.flushHeld);
    this.heldInLen += chunk.length;
  }
  private readonly flushHeld = (): void => {
    const held = this.heldIn;
    if (held.length === 0) return;
    const block = held.length === 1 ? held[0]! : Buffer.concat(held, this.heldInLen);
    this.heldIn = [];
    this.heldInLen = 0;
    this.toChild(block);
  };

  private toChild(block: Buffer): void {
    if (!this.stdinOpen || !this.child) return;
    this.stdinWrites++;
    if (!this.child.stdin!.write(block, this.wrote)) this.endpoint.pauseInput();
    else if (this.stdinWrites > WRITES_HIGH && !this.pausedForWrites) {
      this.pausedForWrites = true;
      this.endpoint.pauseInput();
    }
  }

  private clientInputEnded(): void {
    if (this.inputEnded) return;
    this.inFramer.flush();
    this.flushHeld();
    this.inputEnded = true;
    if (this.stdinOpen && this.child) this.child.stdin!.end();
    const grace = this.endpoint.endAfterInputEndMs;
    if (grace !== undefined) this.eofTimer = setTimeout(() => this.terminate('eof-timeout'), grace);
  }

  private stdinClosed(): void {
    // EPIPE: the child stopped reading. Keep draining the client so its unread bytes
    // never turn our close into a reset that destroys the child's output (CORE-15).
    this.stdinOpen = false;
    this.endpoint.resumeInput();
  }

  private toClient(block: Buffer, kind: Release): void {
    if (this.clientGone) return;
    if (this.endpoint.framing !== 'message') {
      // One block is one write: the transport's own buffer holds it, and flow control is
      // the paused stdout until drain.
      if (!this.endpoint.write(block, kind === 'piece')) this.block();
    } else if (kind === 'lines') {
      for (const line of linesOf(block)) this.send(line, false);
    } else {
      this.send(block, kind === 'piece');
    }
  }

  private send(chunk: Buffer, piece: boolean): void {
    if (this.blocked) this.backlog.push({ chunk, piece });
    else if (!this.endpoint.write(chunk, piece)) this.block();
  }

  private block(): void {
    this.blocked = true;
    this.child?.stdout.pause();
  }

  /** The endpoint can take more: the backlog first, then the child's stdout again. */
  private drained(): void {
    if (this.clientGone) return;
    this.blocked = false;
    while (this.backlogAt < this.backlog.length) {
      const { chunk, piece } = this.backlog[this.backlogAt++]!;
      if (!this.endpoint.write(chunk, piece)) {
        this.blocked = true;
        return;
      }
    }
    this.dropBacklog();
    this.child?.stdout.resume();
  }

  /** The backlog is written (or will never be): a session end waiting for it goes on. */
  private dropBacklog(): void {
    this.backlog = [];
    this.backlogAt = 0;
    const then = this.afterBacklog;
    this.afterBacklog = undefined;
    then?.();
  }

  private gone(reason: GoneReason, detail?: string): void {
    if (this.clientGone) return;
    this.clientGone = true;
    this.log.info('client-gone', { client: this.endpoint.label, pid: this.pid, reason, detail });
    this.child?.stdout.resume(); // discard from here on, so the child is never blocked on us
    this.terminate(`client-${reason}`);
    this.dropBacklog();
  }

  /** See ClientEndpoint.partialFlushMs: a prompt waits for no newline. */
  private armPartialFlush(): void {
    const ms = this.endpoint.partialFlushMs;
    if (!ms || this.endpoint.framing !== 'stream') return;
    clearTimeout(this.partialTimer);
    if (this.outFramer.buffered > 0) this.partialTimer = setTimeout(() => this.outFramer.flush(), ms);
  }

  private touch(): void {
    this.lastActivity = Date.now();
  }

  private armIdle(): void {
    const ms = this.limits.idleTimeoutMs;
    if (ms <= 0) return;
    const check = (): void => {
      const quiet = Date.now() - this.lastActivity;
      if (quiet >= ms) this.terminate('idle-timeout');
      else this.idleTimer = setTimeout(check, ms - quiet);
    };
    this.idleTimer = setTimeout(check, ms);
  }

  private closed(code: number | null, signal: NodeJS.Signals | null): void {
    clearTimeout(this.idleTimer);
    clearTimeout(this.lifeTimer);
    clearTimeout(this.partialTimer);
    clearTimeout(this.eofTimer);
    const pgid = this.pid!;
    let settled = false;
    const settle = (): void => {
      if (settled) return;
      // Every line the child wrote reaches the endpoint before it is told the session is over.
      if (this.backlogAt < this.backlog.length) {
        this.afterBacklog = settle;
        return;
      }
      settled = true;
      clearTimeout(this.killTimer);
      const exit: ExitInfo = { code, signal };
      if (this.terminatedBy !== undefined && this.terminatedBy !== 'exit') exit.terminatedBy = this.terminatedBy;
      this.logExit(exit);
      this.endpoint.finish(exit);
      this.resolveDone(this.result(exit));
    };
    // A grandchild that closed its stdout can still be alive and ignoring SIGTERM: the
    // session is not over until the group is empty or the SIGKILL has gone out. The spawn
    // helper reports the group's end; otherwise one shared poll watches every such group
    // (process-group.ts), so waiting costs nothing per session (CORE-14).
    if (this.killTimer && !this.child?.groupEmptyAtExit) {
      let last: NodeJS.Timeout | undefined;
      const emptied = (): void => {
        clearTimeout(last);
        settle();
      };
      const cancel = this.child?.whenGroupEmpty?.(emptied) ?? whenGroupEmpty(pgid, emptied);
      // The report may have come already (the callback ran at once): then nothing waits.
      if (!settled) {
        last = setTimeout(() => {
          cancel();
          settle();
        }, this.limits.killAfterMs + 100);
      }
      return;
    }
    settle();
  }

  private logExit(exit: ExitInfo): void {
    const fields = {
      client: this.endpoint.label,
      pid: this.pid,
      status: exit.code ?? undefined,
      signal: exit.signal ?? undefined,
      ended_by: this.terminatedBy ?? 'exit',
      bytes_in: this.bytesIn,
      bytes_out: this.bytesOut,
      ms: Date.now() - this.started,
    };
    // CORE-16: anything but a clean exit or the SIGTERM we sent deserves attention.
    if (exit.code === 0 || exit.signal === 'SIGTERM') this.log.info('end', fields);
    else this.log.warn('exit', fields);
  }

  private spawnFailed(code: string, message: string): void {
    const exit: ExitInfo = { code: null, signal: null, spawnError: { code, message } };
    this.log.error('spawn-failed', { client: this.endpoint.label, command: this.argv0, code, message });
    // CORE-37: the client learns the command's name, never where it lives on the server; the
    // log line above keeps the whole path.
    sayAndFinish(this.endpoint, `cannot start ${basename(this.argv0)}: ${code}`, exit);
    this.resolveDone(this.result(exit));
  }

  private result(exit: ExitInfo): SessionResult {
    return {
      exit,
      endedBy: this.terminatedBy ?? 'exit',
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      durationMs: Date.now() - this.started,
    };
  }
}
