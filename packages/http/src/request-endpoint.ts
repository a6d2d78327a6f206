/**
 * One plain HTTP request as a hamelin client endpoint (HTTP-02 .. HTTP-06, HTTP-10 .. HTTP-15,
 * HTTP-32).
 *
 * The request body is the child's stdin, byte for byte, as it arrives (chunked or with a
 * Content-Length); the end of the body is EOF on stdin. Each line-aligned block of stdout is
 * one chunk of the response, sent at once. The status line is decided when the first output
 * is sent (200), or, when the child wrote nothing, from how it ended. The exit status goes in
 * the `Hamelin-Exit` trailer when the response is chunked (HTTP/1.1); an HTTP/1.0 response
 * ends when the connection closes and has no trailer.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { CgiHeadReader, exitDescription, type CgiHead, type ClientEndpoint, type EndpointEvents, type ExitInfo } from '@hamelin/core';
import type { HttpConfig } from './config.js';
import { answer, exitValue, STREAM_HEAD, STREAM_HEAD_TRAILER } from './respond.js';

export interface RequestOutcome {
  status: number;
  exit: ExitInfo;
  bytesIn: number;
  /** Why the script's CGI header section was refused (HTTP-38): the one log line says it. */
  error?: string | undefined;
}

export class RequestEndpoint implements ClientEndpoint {
  readonly framing = 'stream' as const;
  /** A request without a body (no Transfer-Encoding, no Content-Length above 0: a GET) gives
   * the child an empty stdin, and that is /dev/null: no connection is made for it (HTTP-02). */
  readonly noInput: boolean;
  private events: EndpointEvents | undefined;
  /** True once the 200 head has gone out. */
  private streaming = false;
  /** True once the daemon answered on its own (413, 408) or the client went away. */
  private answered = false;
  private finished = false;
  private inputPaused = false;
  private bodyDone = false;
  private bodyBytes = 0;
  private readTimer: NodeJS.Timeout | undefined;
  private status = 0;
  private goneEarly = false;
  /** With --cgi, until the blank line ending the script's header section (HTTP-37). */
  private cgi: CgiHeadReader | undefined;
  /** The response is chunked and announced the Hamelin-Exit trailer. */
  private trailer = false;
  private error: string | undefined;

  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    readonly label: string,
    private readonly cfg: HttpConfig,
    private readonly headers: OutgoingHttpHeaders,
    private readonly done: (o: RequestOutcome) => void,
  ) {
    this.noInput = req.headers['transfer-encoding'] === undefined && Number(req.headers['content-length'] ?? 0) === 0;
    req.on('error', () => {});
    res.on('error', () => {});
    if (cfg.cgi) this.cgi = new CgiHeadReader(cfg.maxCgiHeader);
    // Listening from the start: the client may leave while the process is being spawned.
    res.on('close', () => {
      // 'close' before our own end() means the connection went away under us (HTTP-10).
      if (this.finished || res.writableFinished || this.answered) return;
      this.answered = true;
      clearTimeout(this.readTimer);
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
  }

  write(chunk: Buffer): boolean {
    if (this.answered || this.res.destroyed) return true;
    if (this.cgi) {
      const step = this.cgi.push(chunk);
      if (step === undefined) return true;
      this.cgi = undefined;
      if ('error' in step) {
        this.refuseCgi(step.error);
        return true;
      }
      if (!this.sendCgiHead(step.head)) return true;
      return step.rest.length === 0 || this.res.write(step.rest);
    }
    if (!this.streaming) this.sendHead();
    return this.res.write(chunk);
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
    clearTimeout(this.readTimer);
    const { res } = this;
    // Already answered (413/408 before any output), or the client is gone.
    if (res.destroyed || res.writableEnded) return this.report(exit);
    // Output that never finished its header section (HTTP-38); no output at all is told as
    // without --cgi, by how the script ended.
    if (this.cgi?.started) {
      this.badGateway(this.cgi.ended());
      return this.report(exit);
    }
    if (!this.streaming) {
      // No output: the status tells how the child ended. --timeout is the core's: it ended
      // the child, and a silent child gets 504 (HTTP-15).
      const timedOut = exit.terminatedBy === 'timeout';
      const ok = exit.code === 0 && !timedOut;
      const text = timedOut ? `timed out after ${this.cfg.timeoutMs / 1000} s (${exitDescription(exit)})` : exitDescription(exit);
      this.status = ok ? 200 : timedOut ? 504 : 500;
      this.sendWhole(this.status, ok ? EMPTY : Buffer.from(`hamelin: ${text}\n`), exit);
      return this.report(exit);
    }
    if (this.trailer) res.addTrailers({ 'Hamelin-Exit': exitValue(exit) });
    res.end();
    this.report(exit);
  }

  /** The daemon's own answer instead of a session (HTTP-05): 503 with `Retry-After` when busy
   * (CORE-20), 500 when the command cannot start (CORE-19), the line as the body. */
  tell(line: Buffer, exit: ExitInfo): void {
    this.finished = true;
    clearTimeout(this.readTimer);
    if (!this.res.destroyed && !this.res.writableEnded) {
      if (exit.refused) {
        this.status = 503;
        answer(this.res, 503, `busy: ${exit.refused}`, { ...this.headers, 'Retry-After': '1' });
      } else {
        this.status = 500;
        this.sendWhole(500, line, exit);
      }
    }
    this.report(exit);
  }

  /** Node chunks a response only for HTTP/1.1 (or a 1.0 client that sent `TE: chunked`), and
   * throws at writeHead when a response it will not chunk announces a trailer (HTTP-32). */
  private get chunked(): boolean {
    return this.res.useChunkedEncodingByDefault && this.req.method !== 'HEAD';
  }

  /** The daemon answers on its own before any output (413 over the limit, 408 too slow),
   * and the process is ended as the client being gone. */
  private refuse(status: number, text: string, reason: 'protocol' | 'timeout'): void {
    this.answered = true;
    clearTimeout(this.readTimer);
    if (!this.streaming) {
      this.status = status;
      answer(this.res, status, text, this.headers, true);
    }
    this.req.resume(); // read and drop the rest, so our answer is not destroyed by a reset
    this.events?.gone(reason, text);
  }

  /** The first output: 200, streamed (HTTP-03). */
  private sendHead(): void {
    this.streaming = true;
    this.status = 200;
    this.trailer = this.chunked;
    const head = this.trailer ? STREAM_HEAD_TRAILER : STREAM_HEAD;
    this.res.writeHead(200, hasAny(this.headers) ? { ...this.headers, ...head } : head);
  }

  /** The script's own status and headers over the daemon's defaults (HTTP-37). False when
   * Node refused them, answered as a bad header section. */
  private sendCgiHead(head: CgiHead): boolean {
    // 204 and 304 have no body, so no chunks and no trailer (RFC 9110 sections 15.3.5, 15.4.5).
    this.trailer = this.chunked && head.status !== 204 && head.status !== 304;
    const merged = new Map<string, [string, string[]]>();
    const base = { ...this.headers, ...(this.trailer ? STREAM_HEAD_TRAILER : STREAM_HEAD) };
    for (const [name, value] of Object.entries(base)) merged.set(name.toLowerCase(), [name, [String(value)]]);
    const mine = new Set<string>();
    for (const [name, value] of head.headers) {
      const lower = name.toLowerCase();
      const had = merged.get(lower);
      // The script's first line of a name replaces the daemon's default; later ones add.
      if (had && mine.has(lower)) had[1].push(value);
      else merged.set(lower, [name, [value]]);
      mine.add(lower);
    }
    try {
      for (const [name, values] of merged.values()) this.res.setHeader(name, values.length === 1 ? values[0]! : values);
      if (head.reason === undefined) this.res.writeHead(head.status);
      else this.res.writeHead(head.status, head.reason);
    } catch (err) {
      for (const name of this.res.getHeaderNames()) this.res.removeHeader(name);
      this.refuseCgi(`header refused: ${(err as Error).message}`);
      return false;
    }
    this.streaming = true;
    this.status = head.status;
    return true;
  }

  /** A refused header section while the script still runs: the 502, and the session ends
   * (the script is told as a client gone, CORE-13). */
  private refuseCgi(error: string): void {
    this.badGateway(error);
    this.events?.gone('protocol', 'invalid CGI header section');
  }

  /** The script's header section is refused: 502, and nothing of its output is sent (HTTP-38). */
  private badGateway(error: string): void {
    this.answered = true;
    this.status = 502;
    this.error = error;
    clearTimeout(this.readTimer);
    answer(this.res, 502, 'bad gateway: invalid CGI header section from the script', this.headers, !this.bodyDone);
    if (!this.bodyDone) this.req.resume();
  }

  private sendWhole(status: number, body: Buffer, exit: ExitInfo): void {
    this.res.writeHead(status, {
      ...this.headers,
      ...STREAM_HEAD,
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

  private report(exit: ExitInfo): void {
    this.done({ status: this.status, exit, bytesIn: this.bodyBytes, error: this.error });
  }
}

const EMPTY = Buffer.alloc(0);

/** True when `--cors` added headers; without them the shared head is used as it is. */
function hasAny(h: OutgoingHttpHeaders): boolean {
  for (const _ in h) return true;
  return false;
}
