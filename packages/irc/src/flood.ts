/**
 * Flood control (IRC-15): one token bucket for the whole connection, fed by many queues.
 *
 * irc-framework has no send throttle, so every line hamelin-irc sends on its own account
 * (JOIN, NICK, and every PRIVMSG) goes through `Sender`. Control lines go first; session
 * queues are served round-robin, so one chatty script cannot starve the others. Nothing
 * is ever dropped here: a source that cannot send keeps its lines until a token is free.
 */

export class TokenBucket {
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

  take(): boolean {
    this.refill();
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }

  /** Milliseconds until the next token. */
  wait(): number {
    this.refill();
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) / this.rate) * 1000);
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

export class Sender {
  private readonly control: string[] = [];
  private readonly sources: Source[] = [];
  private rr = 0;
  private timer: NodeJS.Timeout | undefined;
  private online = false;
  sent = 0;

  constructor(
    private readonly bucket: TokenBucket,
    private readonly send: (line: string) => void,
  ) {}

  /**
   * Registered with the server: lines may flow, from the next `sendControl` or `wake`, so
   * that the caller queues its JOINs first. Offline: every queued line is dropped, sessions'
   * included, also those of sessions that have ended but still had output waiting: it was
   * meant for a connection that no longer exists (IRC-08).
   */
  setOnline(on: boolean): void {
    this.online = on;
    if (on) {
      this.bucket.reset();
      return;
    }
    this.control.length = 0;
    for (const s of this.sources) s.discard();
    this.sources.length = 0;
    this.rr = 0;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Lines of our own (JOIN, NICK), sent before any session output. */
  sendControl(...lines: string[]): void {
    if (!this.online) return;
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
    if (!this.online || this.timer) return;
    this.pump();
  }

  private pump(): void {
    this.timer = undefined;
    while (this.online) {
      const line = this.peekSource();
      if (line === 'none') return;
      if (!this.bucket.take()) {
        this.timer = setTimeout(() => this.pump(), this.bucket.wait());
        return;
      }
      const out = line === 'control' ? this.control.shift() : this.takeFromSources();
      if (out !== undefined) {
        this.sent++;
        this.send(out);
      }
    }
  }

  private peekSource(): 'control' | 'source' | 'none' {
    if (this.control.length) return 'control';
    return this.sources.some((s) => s.pending() > 0) ? 'source' : 'none';
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
