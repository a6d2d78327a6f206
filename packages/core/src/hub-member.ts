/**
 * One client of a hub (HUB-05, HUB-10 .. HUB-13): its input cut into whole lines for the shared
 * child, and its own bounded queue of output, so that a slow client costs only itself. The
 * child's stdout is never paused for one client: what does not fit the queue is dropped and
 * counted (the client is told how many it missed), or the client is disconnected (--slow).
 */
import { errorLine } from './daemon-says.js';
import type { ClientEndpoint, ExitInfo, FanOut, GoneReason } from './endpoint.js';
import { exitDescription } from './exit-description.js';
import type { HubSettings } from './hub-options.js';
import { LineFramer, linesOf, type Release } from './line-framer.js';
import type { SessionResult } from './session.js';

/** What the member needs of its hub. */
export interface MemberHub {
  readonly pid: number | undefined;
  /** Whole input lines of this member, each without its newline. */
  input(member: HubMember, line: Buffer): void;
  /** The member is gone, for `reason` (a GoneReason, `slow`, or what `close` was given). */
  left(member: HubMember, reason: string): void;
  longLine(member: HubMember): void;
}

interface Item {
  chunk: Buffer;
  piece: boolean;
  copy: FanOut | undefined;
}

export class HubMember {
  readonly done: Promise<SessionResult>;
  private resolveDone!: (r: SessionResult) => void;
  private readonly started = Date.now();
  private queue: Item[] = [];
  private queueAt = 0;
  private queueBytes = 0;
  private blocked = false;
  private missed = 0;
  private ended = false;
  private bytesIn = 0;
  private bytesOut = 0;
  /** A long line has been cut once already (logged once per client). */
  private cut = false;
  private readonly inFramer: LineFramer;
  private endedBy = 'exit';
  private eofTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly id: number,
    readonly endpoint: ClientEndpoint,
    readonly vars: Record<string, string>,
    private readonly hub: MemberHub,
    private readonly settings: HubSettings,
    private readonly maxLine: number,
  ) {
    this.done = new Promise((r) => (this.resolveDone = r));
    // HUB-06: an over-long line reaches the child cut into lines of --max-line bytes, so that
    // no other client's line can land inside it.
    this.inFramer = new LineFramer(maxLine, (block, kind) => this.lines(block, kind), () => {
      if (!this.cut) hub.longLine(this);
      this.cut = true;
    });
  }

  get pid(): number | undefined {
    return this.hub.pid;
  }

  get label(): string {
    return this.endpoint.label;
  }

  /** Ended, or being ended: it takes nothing new. */
  get closing(): boolean {
    return this.ended;
  }

  get queued(): { lines: number; blocked: boolean } {
    return { lines: this.queue.length - this.queueAt, blocked: this.blocked };
  }

  /** Begin: the endpoint's events now reach the hub. */
  start(): void {
    this.endpoint.start({
      input: (chunk) => this.fromClient(chunk),
      inputEnd: () => this.inputEnded(),
      drain: () => this.drained(),
      gone: (reason, detail) => this.gone(reason, detail),
      longLine: () => {
        if (!this.cut) this.hub.longLine(this);
        this.cut = true;
      },
    });
  }

  pauseInput(): void {
    if (!this.ended) this.endpoint.pauseInput();
  }

  resumeInput(): void {
    if (!this.ended) this.endpoint.resumeInput();
  }

  /**
   * HUB-07: the end of a client's input is not its leaving (a TCP FIN: it stays to read),
   * unless its endpoint ends a client whose input has ended (a terminal's ^D, TTY-08): its user
   * is done, and a shared process will not exit to free the line. The grace lets the answers
   * to its last lines reach it first.
   */
  private inputEnded(): void {
    this.inFramer.flush();
    const ms = this.endpoint.endAfterInputEndMs;
    if (ms === undefined || this.ended) return;
    this.eofTimer = setTimeout(() => this.close({ code: null, signal: null, closed: 'end of input' }, 'closed'), ms);
  }

  private fromClient(chunk: Buffer): void {
    if (this.ended) return;
    this.bytesIn += chunk.length;
    if (this.endpoint.framing === 'message') {
      // One message is one line; a message with newlines in it is several (HUB-05).
      for (const line of linesOf(chunk)) this.line(line);
      if (chunk.length === 0) this.hub.input(this, chunk);
    } else {
      this.inFramer.push(chunk);
    }
  }

  private lines(block: Buffer, kind: Release): void {
    if (kind === 'lines') for (const line of linesOf(block)) this.line(line);
    else this.line(block);
  }

  /** HUB-06: a line is at most --max-line bytes; a longer one goes as several. */
  private line(line: Buffer): void {
    if (line.length <= this.maxLine) return this.hub.input(this, line);
    if (!this.cut) this.hub.longLine(this);
    this.cut = true;
    for (let at = 0; at < line.length; at += this.maxLine) this.hub.input(this, line.subarray(at, at + this.maxLine));
  }

  /** One line of output for this client (without its newline), or a piece of a longer one. */
  send(line: Buffer, piece = false, copy?: FanOut): void {
    if (this.ended) return;
    const chunk = this.endpoint.framing === 'message' || piece ? line : withNewline(line);
    if (!this.blocked) return this.write(chunk, piece, copy);
    if (this.queueBytes + chunk.length > this.settings.queueBytes) {
      if (this.settings.slow === 'disconnect') return this.close({ code: null, signal: null, closed: 'too slow' }, 'slow');
      this.missed++;
      return;
    }
    this.queue.push({ chunk, piece, copy });
    this.queueBytes += chunk.length;
  }

  private write(chunk: Buffer, piece: boolean, copy?: FanOut): void {
    this.bytesOut += chunk.length;
    if (!this.endpoint.write(chunk, piece, copy)) this.blocked = true;
  }

  private drained(): void {
    if (this.ended) return;
    this.blocked = false;
    while (this.queueAt < this.queue.length) {
      const { chunk, piece, copy } = this.queue[this.queueAt++]!;
      this.queueBytes -= chunk.length;
      this.write(chunk, piece, copy);
      if (this.blocked) return;
    }
    this.queue = [];
    this.queueAt = 0;
    if (this.missed > 0) {
      // HUB-11: told once its queue is empty, in the daemon's own words.
      const n = this.missed;
      this.missed = 0;
      this.write(errorLine(this.endpoint.framing, `missed ${n} line${n === 1 ? '' : 's'}`), false);
    }
  }

  /** A notice in the daemon's words (the hub restarting, HUB-04). */
  notice(text: string): void {
    this.send(errorLine('message', text));
  }

  /**
   * End this client from the hub's side: the child asked (`close`), the child is gone, the
   * daemon stops, or the client is too slow. What is queued is handed to the endpoint first,
   * whose own close follows it (at most --hub-queue bytes, so nothing waits on a client that
   * reads no more), except for a slow client, whose queue is what it could not take.
   */
  close(exit: ExitInfo, endedBy: string): void {
    if (this.ended) return;
    this.endedBy = endedBy;
    if (endedBy !== 'slow') {
      while (this.queueAt < this.queue.length) {
        const { chunk, piece, copy } = this.queue[this.queueAt++]!;
        this.bytesOut += chunk.length;
        this.endpoint.write(chunk, piece, copy);
      }
      if (this.missed > 0) this.endpoint.write(errorLine(this.endpoint.framing, `missed ${this.missed} line${this.missed === 1 ? '' : 's'}`));
    }
    this.queue = [];
    this.queueAt = 0;
    this.queueBytes = 0;
    this.finish(exit);
  }

  private finish(exit: ExitInfo): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.eofTimer);
    this.hub.left(this, this.endedBy);
    if (this.endpoint.framing !== 'message' && (exit.closed || exit.code !== null || exit.signal !== null)) {
      // A byte stream has no close frame: the reason is a line (HUB-04, HUB-09).
      this.endpoint.write(errorLine(this.endpoint.framing, exit.closed ? `closed: ${exit.closed}` : `hub ended: ${exitDescription(exit)}`));
    }
    this.endpoint.finish(exit);
    this.resolveDone(this.result(exit));
  }

  private gone(reason: GoneReason, detail?: string): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.eofTimer);
    this.endedBy = `client-${reason}`;
    this.queue = [];
    this.queueBytes = 0;
    void detail;
    this.hub.left(this, reason);
    // The shared process goes on: no status to give. An endpoint that can still say how it
    // ended (an SSE stream after a DELETE, the DELETE's answer) says `closed: left`.
    const exit: ExitInfo = { code: null, signal: null, terminatedBy: this.endedBy, closed: 'left' };
    this.endpoint.finish(exit);
    this.resolveDone(this.result(exit));
  }

  /** Daemon.shutdown and drain use this on every joined client (Session's name for it). */
  terminate(why: string): void {
    this.close({ code: null, signal: null, closed: why }, why);
  }

  private result(exit: ExitInfo): SessionResult {
    return { exit, endedBy: this.endedBy, bytesIn: this.bytesIn, bytesOut: this.bytesOut, durationMs: Date.now() - this.started };
  }
}

function withNewline(line: Buffer): Buffer {
  const out = Buffer.allocUnsafe(line.length + 1);
  line.copy(out);
  out[line.length] = 10;
  return out;
}
