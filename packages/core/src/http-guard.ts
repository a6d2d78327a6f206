/**
 * What hamelin-ws and hamelin-http do before a request has arrived in full (HTTP-13, WS-25,
 * WS-26): the header deadline, Node's own answers to requests that never became one, and the
 * bound on connections that have not finished their request. No process exists for any of
 * these, but each holds a descriptor, so each has a deadline and a count.
 */
import type { ServerOptions } from 'node:http';
import type { Server, Socket } from 'node:net';
import type { Logger } from './log.js';

/** A client's address for log lines, `[v6]:port` with brackets; `unix` over a unix socket. */
export function socketLabel(socket: Socket): string {
  let a = socket.remoteAddress ?? '';
  if (!a) return 'unix';
  if (a.startsWith('::ffff:') && a.includes('.')) a = a.slice(7);
  return a.includes(':') ? `[${a}]:${socket.remotePort ?? ''}` : `${a}:${socket.remotePort ?? ''}`;
}

/**
 * Server options that hold the request line and headers to `headerTimeoutMs` (a slowloris
 * is answered 408 and closed), counted from the connection, a TLS handshake included. Node
 * checks its deadlines every `connectionsCheckingInterval` (30 s by default, which let a
 * half-sent request live 60-98 s), so the check runs at a quarter of the deadline.
 */
export function headerDeadline(headerTimeoutMs: number): ServerOptions & { handshakeTimeout: number } {
  return {
    headersTimeout: headerTimeoutMs,
    requestTimeout: 0,
    connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(headerTimeoutMs / 4))),
    handshakeTimeout: headerTimeoutMs,
  };
}

const answered = new WeakSet<Socket>();

/**
 * Node's `clientError`: a request that could not be read. Answered as Node would (408 for
 * headers too slow, 431 for headers too large, 400 for anything unparsable) and logged as one
 * `bad-request` line. Once per connection: Node's parser reports its error again for every
 * further read the client sends, which doubled the line.
 */
export function answerClientError(log: Logger, err: NodeJS.ErrnoException, socket: Socket): void {
  if (answered.has(socket)) return void socket.destroy();
  answered.add(socket);
  const status =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout'
    : err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large'
    : err.code === 'ECONNRESET' ? undefined
    // Nothing can be written before the TLS handshake, and waiting to would hold the
    // descriptor for good; `tls-error` logs it.
    : err.code === 'ERR_TLS_HANDSHAKE_TIMEOUT' ? undefined
    : '400 Bad Request';
  if (status) log.info('bad-request', { client: socketLabel(socket), http_status: Number(status.slice(0, 3)), error: err.code ?? err.message });
  if (status && socket.writable) {
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    socket.destroySoon();
  } else socket.destroy();
}

const kFinish = Symbol('hamelin.unfinished');
type Tracked = Socket & { [kFinish]?: () => void };

/**
 * Counts connections whose first request has not arrived in full, and closes a new one at once
 * while `max` are waiting (0: no limit). The header deadline bounds how long each waits; this
 * bounds how many, so that a flood of half-sent requests cannot take every descriptor. A closed
 * connection is answered `503` (plain HTTP; over TLS it is closed before the handshake) and
 * logged as `refused`; a request it still manages to send is never served (`finished` is false).
 */
export class UnfinishedRequests {
  private pending = 0;
  private readonly refusedSockets = new WeakSet<Socket>();

  constructor(
    server: Server,
    private readonly max: number,
    private readonly log: Logger,
    private readonly tls: boolean,
  ) {
    server.on('connection', (socket: Tracked) => this.connected(socket));
  }

  get count(): number {
    return this.pending;
  }

  private connected(socket: Tracked): void {
    if (this.max > 0 && this.pending >= this.max) return this.refuse(socket);
    this.pending++;
    const finish = (): void => {
      if (socket[kFinish] !== finish) return;
      socket[kFinish] = undefined;
      this.pending--;
    };
    socket[kFinish] = finish;
    socket.once('close', finish);
  }

  private refuse(socket: Socket): void {
    this.refusedSockets.add(socket);
    const reason = `too many unfinished requests (limit ${this.max})`;
    this.log.warn('refused', { client: socketLabel(socket), http_status: 503, reason });
    socket.on('error', () => {});
    if (this.tls) return void socket.destroy();
    const body = `503 Service Unavailable: ${reason}\n`;
    socket.end(`HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    socket.destroySoon();
  }

  /**
   * A request has arrived in full on this socket: it no longer counts. False for a connection
   * that was refused, whose request must not be served. (Over TLS the request's socket wraps the
   * accepted one, which Node keeps as `_parent`.)
   */
  finished(socket: Socket): boolean {
    const raw = ((socket as Socket & { _parent?: Socket })._parent ?? socket) as Tracked;
    if (this.refusedSockets.has(raw)) return false;
    raw[kFinish]?.();
    return true;
  }
}
