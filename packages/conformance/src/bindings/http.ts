/**
 * The HTTP binding (spec/bindings/http.md), plain requests: one request is one client, the
 * request body is the child's stdin and the response body its stdout, both streamed. The client
 * is a raw socket speaking HTTP/1.1 full duplex: each write is one chunk of a chunked request
 * body, the end of the body (the zero chunk) is the end of the child's input, and the response
 * is de-chunked as it arrives, so the byte-stream checks run unchanged.
 */
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { ownedByTree, tcpListeners } from '../proc.js';
import type { Address, Binding, Conn } from '../types.js';
import { freePort } from './net.js';

const SPEC = '0.2';
export const HTTP_USER_AGENT = 'hamelin-conformance/0.2 (http)';

function plain(addr: string | undefined): string {
  if (!addr) return '';
  return addr.startsWith('::ffff:') && addr.includes('.') ? addr.slice(7) : addr;
}

export interface HttpResponseView {
  status(): number | undefined;
  headers(): Record<string, string>;
  trailers(): Record<string, string>;
}

export interface RequestSpec {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  /** Send the body chunked, open for writes (default), or this whole body with Content-Length. */
  body?: Buffer | string;
  /** Each piece of the response body as it is decoded (an SSE client parses events from it). */
  onBody?: (b: Buffer) => void;
}

function parseHeaders(block: string): Record<string, string> {
  const h: Record<string, string> = {};
  for (const line of block.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) {
      const k = line.slice(0, i).trim().toLowerCase();
      const v = line.slice(i + 1).trim();
      h[k] = h[k] !== undefined ? `${h[k]}, ${v}` : v;
    }
  }
  return h;
}

/** One HTTP request over its own connection, seen as a byte stream both ways. */
export function httpConn(socket: Socket, addr: Address, req: RequestSpec = {}): Conn & HttpResponseView {
  const method = req.method ?? 'POST';
  const fixed = req.body !== undefined ? Buffer.from(req.body) : undefined;
  const chunked = fixed === undefined && method !== 'GET' && method !== 'HEAD';
  const host = addr.host.includes(':') ? `[${addr.host}]:${addr.port}` : `${addr.host}:${addr.port}`;
  const head = [
    `${method} ${req.path ?? '/'} HTTP/1.1`,
    `Host: ${host}`,
    `User-Agent: ${HTTP_USER_AGENT}`,
    'Connection: close',
    ...(chunked ? ['Transfer-Encoding: chunked', 'Content-Type: text/plain'] : []),
    ...(fixed ? [`Content-Length: ${fixed.length}`] : []),
    ...Object.entries(req.headers ?? {}).map(([k, v]) => `${k}: ${v}`),
    '',
    '',
  ].join('\r\n');
  socket.write(head);
  if (fixed) socket.write(fixed);

  let raw: Buffer = Buffer.alloc(0);
  let status: number | undefined;
  let headers: Record<string, string> = {};
  let trailers: Record<string, string> = {};
  const body: Buffer[] = [];
  let total = 0;
  let mode: 'head' | 'chunked' | 'length' | 'close' | 'done' = 'head';
  let remaining = 0;
  let ended: number | undefined;
  let err: string | undefined;
  let bodyEnded = !chunked;

  const push = (b: Buffer): void => {
    if (b.length === 0) return;
    req.onBody?.(b);
    body.push(b);
    total += b.length;
  };
  const finish = (): void => {
    mode = 'done';
    ended ??= Date.now();
  };
  const parse = (): void => {
    for (;;) {
      if (mode === 'head') {
        const i = raw.indexOf('\r\n\r\n');
        if (i < 0) return;
        const block = raw.subarray(0, i).toString('latin1');
        raw = raw.subarray(i + 4);
        const first = block.split('\r\n', 1)[0]!;
        const code = Number(first.split(' ')[1]);
        if (code >= 100 && code < 200) continue; // 100 Continue
        status = code;
        headers = parseHeaders(block.slice(first.length + 2));
        if (/chunked/i.test(headers['transfer-encoding'] ?? '')) mode = 'chunked';
        else if (headers['content-length'] !== undefined) {
          mode = 'length';
          remaining = Number(headers['content-length']);
          if (remaining === 0) finish();
        } else mode = 'close';
        continue;
      }
      if (mode === 'length') {
        const n = Math.min(remaining, raw.length);
        push(raw.subarray(0, n));
        raw = raw.subarray(n);
        remaining -= n;
        if (remaining === 0) finish();
        return;
      }
      if (mode === 'close') {
        push(raw);
        raw = Buffer.alloc(0);
        return;
      }
      if (mode === 'chunked') {
        if (remaining > 0) {
          const n = Math.min(remaining, raw.length);
          push(raw.subarray(0, n));
          raw = raw.subarray(n);
          remaining -= n;
          if (remaining > 0) return;
          continue;
        }
        const nl = raw.indexOf('\r\n');
        if (nl < 0) return;
        const line = raw.subarray(0, nl).toString('latin1');
        if (line === '') {
          raw = raw.subarray(2); // the CRLF after a chunk's data
          continue;
        }
        const size = parseInt(line, 16);
        if (size === 0) {
          const end = raw.indexOf('\r\n\r\n', nl);
          const endBare = raw.subarray(nl).toString('latin1') === '\r\n\r\n' ? nl : -1;
          if (end < 0 && endBare < 0) return;
          trailers = parseHeaders(raw.subarray(nl + 2, end < 0 ? nl : end).toString('latin1'));
          raw = Buffer.alloc(0);
          finish();
          return;
        }
        raw = raw.subarray(nl + 2);
        remaining = size;
        continue;
      }
      return;
    }
  };
  socket.on('data', (d: Buffer) => {
    raw = raw.length ? Buffer.concat([raw, d]) : d;
    parse();
  });
  socket.on('error', (e: NodeJS.ErrnoException) => (err ??= e.code ?? e.message));
  socket.on('end', () => {
    if (mode === 'close') finish();
  });
  const closed = new Promise<void>((resolve) =>
    socket.once('close', () => {
      if (mode !== 'done') err ??= status === undefined ? 'closed before any response' : 'closed before the end of the response';
      resolve();
    }),
  );
  const received = (): Buffer => {
    if (body.length > 1) {
      const all = Buffer.concat(body, total);
      body.length = 0;
      body.push(all);
    }
    return body[0] ?? Buffer.alloc(0);
  };
  const chunk = (data: Buffer): Buffer => Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from('\r\n')]);
  return {
    label: HTTP_USER_AGENT,
    localAddress: plain(socket.localAddress),
    localPort: socket.localPort ?? 0,
    remoteAddress: plain(socket.remoteAddress),
    remotePort: socket.remotePort ?? 0,
    write: (data) =>
      new Promise<void>((resolve, reject) => {
        const b = Buffer.from(data);
        if (b.length === 0 || bodyEnded) return resolve();
        if (socket.destroyed) return reject(new Error(`socket closed (${err ?? 'no error'})`));
        socket.write(chunk(b), (e) => (e ? reject(e) : resolve()));
      }),
    tryWrite: (data) => (bodyEnded || data.length === 0 ? true : socket.write(chunk(data))),
    drained: () => new Promise<void>((resolve) => (socket.writableNeedDrain ? socket.once('drain', () => resolve()) : resolve())),
    halfClose: () => {
      if (!bodyEnded && !socket.destroyed) socket.write('0\r\n\r\n');
      bodyEnded = true;
    },
    reset: () => void socket.resetAndDestroy(),
    close: () => void socket.destroy(),
    pause: () => void socket.pause(),
    resume: () => void socket.resume(),
    received,
    receivedLength: () => total,
    waitFor: async (pred, what, timeoutMs = 5000) => {
      const deadline = Date.now() + timeoutMs;
      let seen = -1;
      for (;;) {
        if (total !== seen) {
          seen = total;
          if (pred(received())) return;
        }
        if (Date.now() > deadline) {
          // One more look after pending events: this process may have been stalled.
          await new Promise((r) => setTimeout(r, 50));
          if (pred(received())) return;
          throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
        }
        if (socket.destroyed || mode === 'done') {
          if (pred(received())) return;
          throw new Error(`response ended (status ${status ?? 'none'}${err ? `, ${err}` : ''}) before ${what}`);
        }
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    endedAt: () => ended,
    closed,
    error: () => err,
    status: () => status,
    headers: () => headers,
    trailers: () => trailers,
  };
}

export function dialHttp(addr: Address, req: RequestSpec = {}): Promise<Conn & HttpResponseView> {
  return new Promise((resolve, reject) => {
    const s: Socket = addr.tls
      ? tlsConnect({ host: addr.host, port: addr.port, servername: 'localhost', rejectUnauthorized: false })
      : connect({ host: addr.host, port: addr.port, noDelay: true });
    s.once('error', reject);
    s.once(addr.tls ? 'secureConnect' : 'connect', () => {
      s.off('error', reject);
      resolve(httpConn(s, addr, req));
    });
  });
}

export const http: Binding = {
  name: 'http',
  summary: 'HTTP plain requests (body = stdin, response = stdout, streamed), spec/bindings/http.md',
  placeholders: [['{port}'], ['{command}']],
  transport: 'tcp',
  framing: 'stream',
  async allocate(_dir, host = '127.0.0.1') {
    return { host, port: await freePort(host), path: '', tls: false };
  },
  listening: (addr, pid) => ownedByTree(pid, tcpListeners(addr.port)),
  dial: (addr) => dialHttp(addr),
  hType: (addr) => `HTTP-${SPEC}-${addr.tls ? 'TLS' : 'INSECURE'}`,
  hClient: () => HTTP_USER_AGENT,
};
