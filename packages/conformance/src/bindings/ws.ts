/**
 * The WebSocket binding (spec/bindings/ws.md): text messages, one message per line. The
 * client is the `ws` package's WebSocket; what checks write as lines goes out as messages, and
 * received messages read as lines (each followed by a newline), so the byte-oriented checks
 * work unchanged where the spec's promise is the same.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { WebSocket } from 'ws';
import { ownedByTree, tcpListeners } from '../proc.js';
import type { Binding, Conn } from '../types.js';
import { freePort } from './net.js';

const SPEC = '0.2';
/** The User-Agent the suite sends: the ws binding's H-CLIENT. */
export const USER_AGENT = 'hamelin-conformance/0.2 (ws)';
const HIGH_WATER = 1 << 20;

function plain(addr: string | undefined): string {
  if (!addr) return '';
  return addr.startsWith('::ffff:') && addr.includes('.') ? addr.slice(7) : addr;
}

export function wsUrl(host: string, port: number, tls: boolean, path = '/'): string {
  const h = host.includes(':') ? `[${host}]` : host;
  return `${tls ? 'wss' : 'ws'}://${h}:${port}${path}`;
}

export function wrapWebSocket(ws: WebSocket): Conn {
  const socket = (ws as unknown as { _socket: Socket })._socket;
  const messages: Buffer[] = [];
  let total = 0;
  let pending = '';
  let closedAt: number | undefined;
  let frame: { code: number; reason: string } | undefined;
  let err: string | undefined;
  ws.on('message', (data: Buffer) => {
    messages.push(Buffer.from(data));
    total += data.length + 1;
  });
  ws.on('error', (e: Error & { code?: string }) => (err ??= e.code ?? e.message));
  const closed = new Promise<void>((resolve) =>
    ws.once('close', (code: number, reason: Buffer) => {
      closedAt = Date.now();
      // 1005: a close frame without a code; 1006: no close frame at all (the TCP connection dropped).
      if (code === 1006) err ??= 'no close frame (1006)';
      else frame = { code, reason: reason.toString() };
      resolve();
    }),
  );
  const rendered = (): Buffer => Buffer.concat(messages.flatMap((m) => [m, Buffer.from('\n')]));
  const sendLines = (text: Buffer): boolean => {
    pending += text.toString('utf8');
    let nl = pending.indexOf('\n');
    while (nl >= 0) {
      ws.send(pending.slice(0, nl));
      pending = pending.slice(nl + 1);
      nl = pending.indexOf('\n');
    }
    return ws.bufferedAmount < HIGH_WATER;
  };
  return {
    label: USER_AGENT,
    localAddress: plain(socket.localAddress),
    localPort: socket.localPort ?? 0,
    remoteAddress: plain(socket.remoteAddress),
    remotePort: socket.remotePort ?? 0,
    write: async (data) => {
      if (ws.readyState !== WebSocket.OPEN) throw new Error(`the WebSocket is closed (${err ?? frame?.code ?? ''})`);
      sendLines(Buffer.from(data));
      while (ws.bufferedAmount > 0 && ws.readyState === WebSocket.OPEN) await new Promise((r) => setTimeout(r, 5));
    },
    tryWrite: (data) => (ws.readyState === WebSocket.OPEN ? sendLines(data) : false),
    drained: async () => {
      while (ws.bufferedAmount >= HIGH_WATER / 4 && ws.readyState === WebSocket.OPEN) await new Promise((r) => setTimeout(r, 5));
    },
    halfClose: () => {
      // A WebSocket has no half-close: the pending partial line goes as a last message.
      if (pending && ws.readyState === WebSocket.OPEN) ws.send(pending);
      pending = '';
    },
    reset: () => void socket.resetAndDestroy(),
    close: () => ws.close(1000, 'client done'),
    pause: () => ws.pause(),
    resume: () => ws.resume(),
    received: rendered,
    receivedLength: () => total,
    waitFor: async (pred, what, timeoutMs = 5000) => {
      const deadline = Date.now() + timeoutMs;
      let seen = -1;
      for (;;) {
        if (total !== seen) {
          seen = total;
          if (pred(rendered())) return;
        }
        if (Date.now() > deadline) {
          // One more look after pending events: this process may have been stalled.
          await new Promise((r) => setTimeout(r, 50));
          if (pred(rendered())) return;
          throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
        }
        if (closedAt !== undefined) {
          if (pred(rendered())) return;
          throw new Error(`connection closed (${frame ? `close ${frame.code}` : err}) before ${what}`);
        }
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    endedAt: () => (frame ? closedAt : undefined),
    closed,
    error: () => err,
    messages: () => messages,
    sendMessage: (data, binary = false) => ws.send(data, { binary }),
    closeFrame: () => frame,
  };
}

/**
 * A client of the `ws` package itself, for checks that need what Conn hides (pings), or, with
 * `wrap`, a Conn. `wrap` runs inside the 'open' event: messages that came in the same read as
 * the 101 are emitted right after it, before any promise callback could listen for them.
 */
export function openWs(url: string, opts?: { autoPong?: boolean; headers?: Record<string, string> }): Promise<WebSocket>;
export function openWs<T>(url: string, opts: { autoPong?: boolean; headers?: Record<string, string> }, wrap: (ws: WebSocket) => T): Promise<T>;
export function openWs<T>(url: string, opts: { autoPong?: boolean; headers?: Record<string, string> } = {}, wrap?: (ws: WebSocket) => T): Promise<T | WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, {
      headers: { 'User-Agent': USER_AGENT, ...opts.headers },
      perMessageDeflate: false,
      rejectUnauthorized: false,
      autoPong: opts.autoPong ?? true,
      maxPayload: 64 << 20,
    });
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => {
      res.resume();
      reject(new Error(`HTTP ${res.statusCode} before the upgrade`));
    });
    ws.once('open', () => {
      ws.off('error', reject);
      ws.on('error', () => {});
      resolve(wrap ? wrap(ws) : ws);
    });
  });
}

export interface RawResponse {
  status: number;
  /** Header names lower-cased. */
  headers: Record<string, string>;
  body: string;
}

/** An upgrade request with version 13 and this key; `extra` are more header lines. */
export function upgradeRequest(path: string, key: string | undefined, extra: string[] = []): string {
  const lines = [`GET ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Upgrade: websocket', 'Connection: Upgrade', `User-Agent: ${USER_AGENT}`, 'Sec-WebSocket-Version: 13'];
  if (key !== undefined) lines.push(`Sec-WebSocket-Key: ${key}`);
  return [...lines, ...extra, '', ''].join('\r\n');
}

/** Send raw bytes (over TLS when asked; from `localAddress` when given) and read the response head, and its body as far as
 * Content-Length says or until the connection ends; a 101 resolves at the end of its head. */
export function rawRequest(host: string, port: number, request: string | Buffer, tls = false, timeoutMs = 5000, localAddress?: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const from = localAddress === undefined ? {} : { localAddress };
    const s: Socket = tls
      ? tlsConnect({ host, port, servername: 'localhost', rejectUnauthorized: false, ...from }, () => s.write(request))
      : netConnect({ host, port, ...from }, () => s.write(request));
    let buf = Buffer.alloc(0);
    let done = false;
    const timer = setTimeout(() => finish(new Error(`no whole response within ${timeoutMs} ms: ${JSON.stringify(buf.toString('latin1').slice(0, 200))}`)), timeoutMs);
    const finish = (r: RawResponse | Error): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      if (r instanceof Error) reject(r);
      else resolve(r);
    };
    const parse = (ended: boolean): void => {
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return ended ? finish(new Error(`the connection ended without a response head: ${JSON.stringify(buf.toString('latin1').slice(0, 200))}`)) : undefined;
      const [first, ...lines] = buf.subarray(0, end).toString('latin1').split('\r\n');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(first!);
      if (!m) return finish(new Error(`not an HTTP response: ${JSON.stringify(first)}`));
      const headers: Record<string, string> = {};
      for (const l of lines) {
        const i = l.indexOf(':');
        if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
      }
      const status = Number(m[1]);
      const body = buf.subarray(end + 4);
      const length = headers['content-length'] === undefined ? undefined : Number(headers['content-length']);
      if (status === 101 || (length !== undefined && body.length >= length) || ended)
        finish({ status, headers, body: body.subarray(0, length ?? body.length).toString('utf8') });
    };
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      parse(false);
    });
    s.on('end', () => parse(true));
    s.on('close', () => parse(true));
    s.on('error', (e: Error) => (buf.length ? parse(true) : finish(e)));
  });
}

export function dialWs(url: string, headers: Record<string, string> = {}): Promise<Conn> {
  return openWs(url, { headers }, wrapWebSocket);
}

export const ws: Binding = {
  name: 'ws',
  summary: 'WebSocket text messages, spec/bindings/ws.md',
  placeholders: [['{port}'], ['{command}']],
  transport: 'tcp',
  framing: 'message',
  async allocate(_dir, host = '127.0.0.1') {
    return { host, port: await freePort(host), path: '', tls: false };
  },
  listening: (addr, pid) => ownedByTree(pid, tcpListeners(addr.port)),
  dial: (addr) => dialWs(wsUrl(addr.host, addr.port, addr.tls)),
  hType: (addr) => `WS-${SPEC}-${addr.tls ? 'TLS' : 'INSECURE'}`,
  hClient: () => USER_AGENT,
};
