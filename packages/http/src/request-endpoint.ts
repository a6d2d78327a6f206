/**
 * One plain HTTP request as a hamelin client endpoint (HTTP-02 .. HTTP-06, HTTP-11 .. HTTP-15).
 *
 * The request body is the child's stdin, byte for byte, as it arrives (chunked or with a
 * Content-Length); the end of the body is EOF on stdin. Each line-aligned block of stdout is
 * one chunk of the response, sent at once. The status line is decided when the first output
 * is sent (200), or, when the child wrote nothing, from how it ended. The exit status goes in
 * the `Hamelin-Exit` trailer.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { exitDescription, type ClientEndpoint, type EndpointEvents, type ExitInfo } from '@hamelin/core';
import type { HttpConfig } from './config.js';
import { answer, exitValue, STREAM_HEADERS, TEXT } from './respond.js';

export interface RequestOutcome {
  status: number;
  exit: ExitInfo;
  bytesIn: number;
}

export class RequestEndpoint implements ClientEndpoint {
  readonly framing = 'stream' as const;
  private events: EndpointEvents | undefined;
  /** Output held until the next turn of the event loop, so that a spawn failure or a refusal
   * (written and finished in the same turn) still gets its own status. */
  private pending: Buffer[] = [];
  private flushQueued = false;
  /** True once the 200 head has gone out. */
  private streaming = false;
  /** True once the daemon answered on its own (413, 408) or the client went away. */
  private answered = false;
  private finished = false;
  private timedOut = false;
  private inputPaused = false;
  private bodyDone = false;
  private bodyBytes = 0;
  private readTimer: NodeJS.Timeout | undefined;
  private lifeTimer: NodeJS.Timeout | undefined;
  private status = 0;
  private goneEarly = false;

  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    readonly label: string,
    private readonly cfg: HttpConfig,
    private readonly headers: OutgoingHttpHeaders,
    private readonly done: (o: RequestOutcome) => void,
  ) {
    req.on('error', () => {});
    res.on('error', () => {});
    // Listening from the start: the client may leave while the process is being spawned.
    res.on('close', () => {
      // 'close' before our own end() means the connection went away under us (HTTP-10).
      if (this.finished || res.writableFinished || this.answered) return;
      this.answered = true;
      this.clearTimers();
      if (this.events) this.events.gone('closed', 'connection closed');
      else this.goneEarly = true;
    });
  }

  start(events: EndpointEvents): void {
    this.events = events;
    const { req, res } = this;
    req.on('data', (chunk: Buffer) => {
      if (this.answered || this.finished) return;
      this.bodyBytes += chunk.length;
      if (this.cfg.maxBody > 0 && this.bodyBytes > this.cfg.maxBody) {
        this.refuse(413, `request body over --max-body (${this.cfg.maxBody} bytes)`, 'protocol');
        return;
      }
      this.armRead();
      events.input(chunk);
    });
    req.on('end', () => {
      this.bodyDone = true;
      clearTimeout(this.readTimer);
      if (!this.answered && !this.finished) events.inputEnd();
    });
    res.on('drain', () => events.drain());
    if (this.goneEarly) {
      events.gone('closed', 'connection closed');
      return;
    }
    this.armRead();
    if (this.cfg.timeoutMs > 0) {
      this.lifeTimer = setTimeout(() => {
        this.timedOut = true;
        events.gone('timeout', `--timeout ${this.cfg.timeoutMs / 1000}s`);
      }, this.cfg.timeoutMs);
    }
  }

  write(chunk: Buffer): boolean {
    if (this.answered || this.res.destroyed) return true;
    if (this.streaming) return this.res.write(chunk);
    this.pending.push(chunk);
    if (!this.flushQueued) {
      this.flushQueued = true;
      setImmediate(() => this.flush());
    }
    return true;
  }

  pauseInput(): void {
    this.inputPaused = true;
    clearTimeout(this.readTimer);
    this.req.pause();
  }

  resumeInput(): void {
    this.inputPaused = false;
    this.armRead();
    this.req.resume();
  }

  finish(exit: ExitInfo): void {
    this.finished = true;
    this.clearTimers();
    const { res } = this;
    // Already answered (413/408 before any output), or the client is gone.
    if (res.destroyed || res.writableEnded) return this.report(exit);
    if (!this.streaming) {
      const held = Buffer.concat(this.pending);
      if (exit.refused) {
        this.status = 503;
        answer(res, 503, `busy: ${exit.refused}`, { ...this.headers, 'Retry-After': '1' });
        return this.report(exit);
      }
      if (exit.spawnError) {
        this.status = 500;
        this.sendWhole(500, held, exit);
        return this.report(exit);
      }
      if (held.length > 0) {
        this.flush();
      } else {
        const ok = exit.code === 0 && !this.timedOut;
        const text = this.timedOut ? `timed out after ${this.cfg.timeoutMs / 1000} s (${exitDescription(exit)})` : exitDescription(exit);
        this.status = ok ? 200 : this.timedOut ? 504 : 500;
        this.sendWhole(this.status, Buffer.from(ok ? '' : `hamelin: ${text}\n`), exit);
        return this.report(exit);
      }
    }
    res.addTrailers({ 'Hamelin-Exit': exitValue(exit) });
    res.end();
    this.report(exit);
  }

  /** The daemon answers on its own before any output (413 over the limit, 408 too slow),
   * and the process is ended as the client being gone. */
  private refuse(status: number, text: string, reason: 'protocol' | 'timeout'): void {
    this.answered = true;
    this.clearTimers();
    if (!this.streaming) {
      this.status = status;
      this.pending = [];
      answer(this.res, status, text, this.headers, true);
    }
    this.req.resume(); // read and drop the rest, so our answer is not destroyed by a reset
    this.events?.gone(reason, text);
  }

  private flush(): void {
    this.flushQueued = false;
    if (this.streaming || this.answered || this.res.destroyed || this.pending.length === 0) return;
    this.streaming = true;
    this.status = 200;
    this.res.writeHead(200, { ...this.headers, ...STREAM_HEADERS, 'Content-Type': TEXT, Trailer: 'Hamelin-Exit' });
    for (const chunk of this.pending) this.res.write(chunk);
    this.pending = [];
  }

  private sendWhole(status: number, body: Buffer, exit: ExitInfo): void {
    this.res.writeHead(status, {
      ...this.headers,
      ...STREAM_HEADERS,
      'Content-Type': TEXT,
      'Content-Length': body.length,
      'Hamelin-Exit': exitValue(exit),
    });
    this.res.end(body);
  }

  private armRead(): void {
    clearTimeout(this.readTimer);
    if (this.bodyDone || this.inputPaused || this.answered || this.cfg.readTimeoutMs <= 0) return;
    this.readTimer = setTimeout(() => {
      if (this.bodyDone || this.inputPaused || this.finished) return;
      this.refuse(408, `request body read timeout (${this.cfg.readTimeoutMs / 1000} s)`, 'timeout');
    }, this.cfg.readTimeoutMs);
  }

  private clearTimers(): void {
    clearTimeout(this.readTimer);
    clearTimeout(this.lifeTimer);
  }

  private report(exit: ExitInfo): void {
    this.done({ status: this.status, exit, bytesIn: this.bodyBytes });
  }
}
