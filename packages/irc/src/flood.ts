/**
 * Flood control (IRC-15, IRC-21): one token bucket for every line the connection carries.
 *
 * A strict server (InspIRCd with fakelag off) counts every line a client sends, PING and PONG
 * included, and disconnects it once the count runs ahead of its allowance. So no line leaves
 * any other way than through `Sender`: irc-framework's own (registration, PONG, keep-alive
 * PING, QUIT: see framework-writes.ts) first, then the bot's own (JOIN, NICK), then session
 * output, served round-robin so that one chatty script cannot starve the others. Nothing is
 * dropped here while the connection lasts, except what a server makes irc-framework answer
 * beyond `MAX_PROTOCOL` lines in waiting (a PING flood).
 */

/**
 * What a line costs, in bucket tokens: what InspIRCd 3 charges (measured on 3.15 with
 * `fakelag="no"`, the strictest common server): JOIN, PART and NICK 2 s of penalty, every other
 * command a client sends 1 s, CAP, PING and PONG included. Others charge no more.
 */
export function lineCost(line: string): number {
  const space = line.indexOf(' ');
  return HEAVY.has((space < 0 ? line : line.slice(0, space)).toUpperCase()) ? 2 : 1;
}

const HEAVY = new Set(['JOIN', 'PART', 'NICK']);

/** irc-framework's lines waiting at most: a few in any honest exchange, PONGs answering PINGs. */
export const MAX_PROTOCOL = 64;

/** What `Sender` needs of a bucket. */
export interface Bucket {
  take(cost: number): boolean;
  /** Milliseconds until a line of this cost may go. */
  wait(cost: number): number;
  reset(): void;
}

export class TokenBucket implements Bucket {
  private tokens: number;
  private last = Date.now();

  constructor(
    readonly burst: number,
    /** Tokens per second. */
    readonly rate: number,
  ) {
    this.tokens = burst;
  }

  private refill(): void {
    const now = Date.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
  }

  /** A line costing more than the whole burst goes once the bucket is full, leaving it in debt:
   * the rate holds, and the line is not held forever. */
  private need(cost: number): number {
    return Math.min(cost, this.burst);
  }

  take(cost = 1): boolean {
    this.refill();
    if (this.tokens >= this.need(cost)) {
      this.tokens -= cost;
      return true;
    }
    return false;
  }

  /** Milliseconds until a line of this cost may go. */
  wait(cost = 1): number {
    this.refill();
    const short = this.need(cost) - this.tokens;
    return short <= 0 ? 0 : Math.ceil((short / this.rate) * 1000);
  }

  /** A new connection starts with a full bucket: the server's penalty count is new too. */
  reset(): void {
    this.tokens = this.burst;
    this.last = Date.now();
  }
}

/** Something with lines to send. `take` returns the next complete line, or undefined to skip. */
export interface Source {
  pending(): number;
  take(): string | undefined;
  /** The connection is gone: drop every queued line (IRC-08), none may reach the next one. */
  discard(): void;
}

/** A line and what irc-framework wants called once it is written (or dropped). */
interface ProtocolLine {
  line: string;
  done: (() => void) | undefined;
}

/**
 * `offline`: nothing flows, nothing is kept. `connected`: a new socket, registering: only
 * irc-framework's lines flow. `registered`: everything flows. `closing`: QUIT on its way, only
 * irc-framework's lines flow.
 */
export type SenderState = 'offline' | 'connected' | 'registered' | 'closing';

export type Write = (line: string, done?: () => void) => void;

export class Sender {
  private readonly protocol: ProtocolLine[] = [];
  private readonly control: string[] = [];
  private readonly sources: Source[] = [];
  private rr = 0;
  private timer: NodeJS.Timeout | undefined;
  private pumping = false;
  private state: SenderState = 'offline';
  sent = 0;

  constructor(
    private readonly bucket: Bucket,
    /** Writes one line to the socket now. */
    private readonly write: Write,
  ) {}

  /**
   * `connected`: a new connection, a full bucket. `registered`: lines of ours may flow, from
   * the next `sendControl` or `wake`, so that the caller queues its JOINs first. `closing`:
   * session output and our own lines are dropped, irc-framework's QUIT still goes. `offline`:
   * every queued line is dropped, sessions' included, also those of sessions that have ended
   * but still had output waiting: it was meant for a connection that no longer exists (IRC-08).
   */
  setState(state: SenderState): void {
    const was = this.state;
    this.state = state;
    if (state === 'connected') {
      this.bucket.reset();
    }
    if (state === 'offline' || state === 'closing') {
      this.control.length = 0;
      for (const s of this.sources) s.discard();
      this.sources.length = 0;
      this.rr = 0;
    }
    if (state === 'offline') {
      // irc-framework closes the socket in a QUIT's callback: it must still run.
      for (const p of this.protocol.splice(0)) p.done?.();
      clearTimeout(this.timer);
      this.timer = undefined;
    } else if (was !== state) {
      this.wake();
    }
  }

  /**
   * A line irc-framework writes. Returns false when it was dropped: offline (as irc-framework
   * itself drops a line written with no connection), or with MAX_PROTOCOL lines in waiting.
   */
  sendProtocol(line: string, done?: () => void): boolean {
    if (this.state === 'offline' || this.protocol.length >= MAX_PROTOCOL) {
      if (done) setImmediate(done);
      return false;
    }
    this.protocol.push({ line, done });
    this.wake();
    return true;
  }

  /** Lines of our own (JOIN, NICK), sent before any session output. */
  sendControl(...lines: string[]): void {
    if (this.state !== 'registered') return;
    this.control.push(...lines);
    this.wake();
  }

  /** Lines waiting in every source (for the log when they are dropped). */
  queued(): number {
    return this.sources.reduce((n, s) => n + s.pending(), 0);
  }

  add(source: Source): void {
    if (!this.sources.includes(source)) this.sources.push(source);
  }

  remove(source: Source): void {
    const i = this.sources.indexOf(source);
    if (i < 0) return;
    this.sources.splice(i, 1);
    if (this.rr > i) this.rr--;
  }

  /** Something was queued: send what the bucket allows now, and plan the rest. */
  wake(): void {
    if (this.state === 'offline' || this.timer || this.pumping) return;
    this.pump();
  }

  private pump(): void {
    this.timer = undefined;
    // A source's take() may queue more at once (a hub client's drain writes synchronously):
    // the loop below picks it up. Pumping again from inside would send that before the line
    // being taken, out of order.
    this.pumping = true;
    try {
      this.pumpLoop();
    } finally {
      this.pumping = false;
    }
  }

  private pumpLoop(): void {
    for (;;) {
      const lane = this.nextLane();
      if (lane === undefined) return;
      // Session output is PRIVMSGs, one token each.
      const cost = lane === 'protocol' ? lineCost(this.protocol[0]!.line) : lane === 'control' ? lineCost(this.control[0]!) : 1;
      if (!this.bucket.take(cost)) {
        this.timer = setTimeout(() => this.pump(), this.bucket.wait(cost));
        return;
      }
      this.sent++;
      if (lane === 'protocol') {
        const p = this.protocol.shift()!;
        this.write(p.line, p.done);
      } else {
        const out = lane === 'control' ? this.control.shift() : this.takeFromSources();
        if (out !== undefined) this.write(out);
      }
    }
  }

  private nextLane(): 'protocol' | 'control' | 'sources' | undefined {
    if (this.state === 'offline') return undefined;
    if (this.protocol.length) return 'protocol';
    if (this.state !== 'registered') return undefined;
    if (this.control.length) return 'control';
    return this.sources.some((s) => s.pending() > 0) ? 'sources' : undefined;
  }

  private takeFromSources(): string | undefined {
    const n = this.sources.length;
    for (let k = 0; k < n; k++) {
      const i = (this.rr + k) % n;
      const s = this.sources[i]!;
      if (s.pending() > 0) {
        this.rr = (i + 1) % Math.max(1, this.sources.length);
        return s.take();
      }
    }
    return undefined;
  }
}
