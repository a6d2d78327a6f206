/**
 * Interactive sessions over plain HTTP (HTTP-17 .. HTTP-29).
 *
 * A session is opened by an SSE GET or a long-poll open, and gets an unguessable id. Its
 * process's stdin is fed by POSTs naming that id; its output goes either to the SSE stream
 * that opened it or to a buffer that long-poll GETs empty. Everything about the process
 * itself (spawn, signals, line framing, exit logging) is the core's `Session`: the endpoints
 * here only adapt requests to the `ClientEndpoint` interface ('message' framing: one POSTed
 * line is one stdin line, one stdout line is one message).
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { ClientEndpoint, EndpointEvents, ExitInfo } from '@hamelin/core';
import { exitDescription, LineFramer, linesOf, workerTaggedRandom } from '@hamelin/core';
import { exitValue, STREAM_HEADERS, TEXT } from './respond.js';

/** 18 random bytes: 144 bits, 24 characters of base64url (HTTP-23); under --workers its
 * first byte also names the worker that holds the session (OPS-17). */
export function newSessionId(): string {
  return workerTaggedRandom(18).toString('base64url');
}

export const ID_PATTERN = /^[A-Za-z0-9_-]{24}$/;

export class SessionRegistry {
  private readonly byId = new Map<string, InteractiveEndpoint>();

  add(ep: InteractiveEndpoint): void {
    this.byId.set(ep.id, ep);
  }

  get(id: string): InteractiveEndpoint | undefined {
    return this.byId.get(id);
  }

  remove(ep: InteractiveEndpoint): void {
    if (this.byId.get(ep.id) === ep) this.byId.delete(ep.id);
  }

  get size(): number {
    return this.byId.size;
  }
}

export interface SessionLimits {
  maxBody: number;
  maxLine: number;
}

export type PostResult = { status: 204 } | { status: 409 | 413; text: string };

/** What the SSE and long-poll endpoints share: identity, input from POSTs, the end. */
export abstract class InteractiveEndpoint implements ClientEndpoint {
  readonly framing = 'message' as const;
  protected events: EndpointEvents | undefined;
  /** Set once the process has ended and every output line has been handed over. */
  exit: ExitInfo | undefined;
  inputEnded = false;
  private inputPaused = false;
  private resumeWaiters: (() => void)[] = [];
  /** POSTs are fed one after another, so that two POSTs never interleave their lines. */
  private postChain: Promise<unknown> = Promise.resolve();
  private endWaiters: ((exit: ExitInfo) => void)[] = [];

  constructor(
    readonly id: string,
    readonly label: string,
    protected readonly registry: SessionRegistry,
    protected readonly limits: SessionLimits,
  ) {
    registry.add(this);
  }

  abstract readonly kind: 'sse' | 'poll';

  /** Requests can name a session before its process is spawned: they wait for this. */
  private markStarted!: () => void;
  private readonly started = new Promise<void>((r) => (this.markStarted = r));
  private pendingKill: { detail: string; reason: 'closed' | 'timeout' } | undefined;

  start(events: EndpointEvents): void {
    this.events = events;
    this.markStarted();
    this.opened();
    if (this.pendingKill) events.gone(this.pendingKill.reason, this.pendingKill.detail);
  }

  protected abstract opened(): void;
  abstract write(chunk: Buffer): boolean;
  /** Any request naming this session: the long-poll endpoint counts it as a sign of life. */
  touch(): void {}

  pauseInput(): void {
    this.inputPaused = true;
  }

  resumeInput(): void {
    this.inputPaused = false;
    const w = this.resumeWaiters;
    this.resumeWaiters = [];
    for (const f of w) f();
  }

  /** A POST: its body, cut into lines, goes to stdin, one message per line (HTTP-24). */
  post(req: IncomingMessage): Promise<PostResult> {
    const run = this.postChain.then(() => this.started).then(() => this.feed(req));
    this.postChain = run.catch(() => {});
    return run;
  }

  /** POST .../end: EOF on the child's stdin; output goes on until it exits (HTTP-25). */
  endInput(): void {
    if (this.inputEnded || this.exit) return;
    this.inputEnded = true;
    void this.postChain.then(() => this.started).then(() => {
      if (!this.exit) this.events?.inputEnd();
    });
  }

  /** DELETE, a closed SSE stream, or abandonment: SIGTERM to the group via the core (HTTP-27). */
  kill(detail: string, reason: 'closed' | 'timeout' = 'closed'): void {
    if (this.exit) return;
    if (this.events) this.events.gone(reason, detail);
    else this.pendingKill ??= { detail, reason };
  }

  /** Resolves with the exit once the process has ended. */
  ended(): Promise<ExitInfo> {
    if (this.exit) return Promise.resolve(this.exit);
    return new Promise((r) => this.endWaiters.push(r));
  }

  finish(exit: ExitInfo): void {
    this.exit = exit;
    this.resumeInput(); // release any POST waiting on backpressure
    // The exit event is written before a waiting DELETE is answered (HTTP-27), so a page that
    // gets both (the console) learns the script's own status first.
    this.finished(exit);
    const w = this.endWaiters;
    this.endWaiters = [];
    for (const f of w) f(exit);
  }

  protected abstract finished(exit: ExitInfo): void;

  private cut = false;

  /** The first line this session's POSTs cut is logged, once, as the core logs its own. */
  private cutOnce(): void {
    if (!this.cut) this.events?.longLine?.();
    this.cut = true;
  }

  private async feed(req: IncomingMessage): Promise<PostResult> {
    if (this.exit || this.inputEnded) {
      req.resume();
      return { status: 409, text: this.exit ? 'session has ended' : 'input already ended' };
    }
    const { maxBody, maxLine } = this.limits;
    const emit = (line: Buffer): void => {
      if (!this.exit && this.events) this.events.input(line);
    };
    // The core's line framing, with the end of each POST ending its last line (HTTP-24). A
    // line cut here never reaches the core over --max-line: it is told of the cut (HUB-06).
    const lines = new LineFramer(
      maxLine,
      (block, kind) => {
        if (kind === 'lines') for (const line of linesOf(block)) emit(line);
        else emit(block);
      },
      () => this.cutOnce(),
    );
    let total = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (maxBody > 0 && total > maxBody) {
        req.resume();
        return { status: 413, text: `request body over --max-body (${maxBody} bytes)` };
      }
      lines.push(chunk);
      while (this.inputPaused && !this.exit) await new Promise<void>((r) => this.resumeWaiters.push(r));
    }
    lines.flush();
    return { status: 204 };
  }
}

const CR = 13;

/** One stdout line as the `data:` fields of an SSE event (HTTP-19). SSE cannot carry CR:
 * a CR at the end of the line is dropped, any other CR starts a new `data:` field, which the
 * browser joins with LF. */
export function dataFields(line: Buffer): Buffer {
  let end = line.length;
  if (end > 0 && line[end - 1] === CR) end--;
  const parts: Buffer[] = [];
  let start = 0;
  for (;;) {
    const cr = line.indexOf(CR, start);
    if (cr < 0 || cr >= end) break;
    parts.push(Buffer.from('data: '), line.subarray(start, cr), Buffer.from('\n'));
    start = cr + 1;
  }
  parts.push(Buffer.from('data: '), line.subarray(start, end), Buffer.from('\n'));
  return Buffer.concat(parts);
}

export function exitJson(exit: ExitInfo): string {
  return JSON.stringify({
    status: exit.code,
    signal: exit.signal,
    exit: exitValue(exit),
    description: exitDescription(exit),
  });
}

/** A session whose output is an SSE stream (HTTP-18 .. HTTP-21). */
export class SseEndpoint extends InteractiveEndpoint {
  readonly kind = 'sse' as const;
  private seq = 0;
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(
    id: string,
    label: string,
    registry: SessionRegistry,
    limits: SessionLimits,
    private readonly res: ServerResponse,
    private readonly headers: OutgoingHttpHeaders,
    private readonly heartbeatMs: number,
  ) {
    super(id, label, registry, limits);
    res.on('error', () => {});
    // Listening from the start: the client may leave while the process is being spawned.
    res.on('close', () => {
      if (this.exit) return;
      clearInterval(this.heartbeat);
      this.registry.remove(this);
      this.kill('event stream closed');
    });
  }

  protected opened(): void {
    const res = this.res;
    if (res.destroyed) return;
    // Hamelin-Session as a long-poll open has it: a load balancer can stick the session's
    // later requests to this instance from the answer's header (OPS-19).
    res.writeHead(200, { ...this.headers, ...STREAM_HEADERS, 'Content-Type': 'text/event-stream; charset=utf-8', 'Hamelin-Session': this.id });
    // The first event names the session; `id: 0` makes a browser's reconnect carry
    // Last-Event-ID even when no line was ever sent, so it gets the 204 (HTTP-21).
    res.write(`id: 0\nevent: session\ndata: ${this.id}\n\n`);
    res.on('drain', () => this.events?.drain());
    if (this.heartbeatMs > 0) this.heartbeat = setInterval(() => res.write(': heartbeat\n\n'), this.heartbeatMs);
  }

  write(line: Buffer): boolean {
    if (this.res.destroyed) return true;
    this.seq++;
    return this.res.write(Buffer.concat([Buffer.from(`id: ${this.seq}\n`), dataFields(line), Buffer.from('\n')]));
  }

  protected finished(exit: ExitInfo): void {
    clearInterval(this.heartbeat);
    this.registry.remove(this);
    if (this.res.destroyed || this.res.writableEnded) return;
    this.seq++;
    this.res.end(`id: ${this.seq}\nevent: exit\ndata: ${exitJson(exit)}\n\n`);
  }
}

/** Output held for polls before the child is made to wait (CORE-07). */
const POLL_HIGH_WATER = 256 * 1024;

/** A session whose output waits in a bounded buffer for long-poll GETs (HTTP-26 .. HTTP-28). */
export class PollEndpoint extends InteractiveEndpoint {
  readonly kind = 'poll' as const;
  private buffered: Buffer[] = [];
  private bufferedLen = 0;
  private blocked = false;
  private waiting: { res: ServerResponse; headers: OutgoingHttpHeaders; timer: NodeJS.Timeout } | undefined;
  private flushQueued = false;
  private abandonTimer: NodeJS.Timeout | undefined;

  constructor(
    id: string,
    label: string,
    registry: SessionRegistry,
    limits: SessionLimits,
    private readonly pollTimeoutMs: number,
    private readonly abandonMs: number,
  ) {
    super(id, label, registry, limits);
    this.touch();
  }

  protected opened(): void {}

  touch(): void {
    clearTimeout(this.abandonTimer);
    if (this.waiting || this.abandonMs <= 0) return;
    this.abandonTimer = setTimeout(() => {
      if (this.waiting) return;
      // Abandoned: the id is spent at once (HTTP-28), and a live process is ended.
      this.registry.remove(this);
      if (!this.exit) this.kill(`abandoned: no request for ${this.abandonMs / 1000} s (--abandon-timeout)`, 'timeout');
    }, this.abandonMs);
    this.abandonTimer.unref();
  }

  write(line: Buffer): boolean {
    this.buffered.push(line, Buffer.from('\n'));
    this.bufferedLen += line.length + 1;
    this.queueAnswer();
    if (this.bufferedLen >= POLL_HIGH_WATER) this.blocked = true;
    return !this.blocked;
  }

  /** A long-poll GET: answer now when there is output (or the end), else wait. */
  poll(res: ServerResponse, headers: OutgoingHttpHeaders): void {
    res.on('error', () => {});
    if (this.waiting) this.answer(); // a newer poll replaces an older one, which gets 204
    clearTimeout(this.abandonTimer);
    const timer = setTimeout(() => this.answer(), this.pollTimeoutMs);
    this.waiting = { res, headers, timer };
    res.on('close', () => {
      if (this.waiting?.res !== res) return;
      clearTimeout(timer);
      this.waiting = undefined;
      this.touch();
    });
    if (this.bufferedLen > 0 || this.exit) this.answer();
  }

  protected finished(_exit: ExitInfo): void {
    this.queueAnswer();
    this.touch();
  }

  private queueAnswer(): void {
    if (!this.waiting || this.flushQueued) return;
    // Lines that arrive in the same turn go out in one answer.
    this.flushQueued = true;
    setImmediate(() => {
      this.flushQueued = false;
      if (this.waiting && (this.bufferedLen > 0 || this.exit)) this.answer();
    });
  }

  private answer(): void {
    const w = this.waiting;
    if (!w) return;
    this.waiting = undefined;
    clearTimeout(w.timer);
    if (w.res.destroyed) return this.touch(); // the poller left: keep the output for the next one
    const body = Buffer.concat(this.buffered, this.bufferedLen);
    this.buffered = [];
    this.bufferedLen = 0;
    const headers: OutgoingHttpHeaders = { ...w.headers, 'Cache-Control': 'no-cache, no-store', 'Hamelin-Session': this.id };
    if (this.exit) {
      headers['Hamelin-State'] = 'ended';
      headers['Hamelin-Exit'] = exitValue(this.exit);
      this.registry.remove(this); // the end has been told: the id is spent (HTTP-29)
    } else {
      headers['Hamelin-State'] = 'running';
    }
    if (body.length === 0 && !this.exit) {
      w.res.writeHead(204, headers);
      w.res.end();
    } else {
      w.res.writeHead(200, { ...headers, 'Content-Type': TEXT, 'Content-Length': body.length });
      w.res.end(body);
    }
    if (this.blocked) {
      this.blocked = false;
      this.events?.drain();
    }
    this.touch();
  }
}
