/** A WebSocket test client (the `ws` package) that records everything it sees. */
import { connect as netConnect } from 'node:net';
import { WebSocket, type ClientOptions } from 'ws';
import { eventually } from '../helpers/poll.js';

export interface WsClient {
  ws: WebSocket;
  /** Messages received so far, as text (binary ones decoded as latin1 in `raw`). */
  messages: string[];
  raw: Buffer[];
  binary: boolean[];
  /** Resolves with the close code and reason (1006 for an abnormal close). */
  closed: Promise<{ code: number; reason: string }>;
  send(data: string | Buffer, binary?: boolean): void;
  /** Wait until at least n messages arrived. */
  waitCount(n: number, timeoutMs?: number): Promise<void>;
  waitFor(re: RegExp, timeoutMs?: number): Promise<string>;
}

export function wsConnect(url: string, opts: ClientOptions & { rejectUnauthorized?: boolean } = {}): Promise<WsClient> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, ...opts });
    const messages: string[] = [];
    const raw: Buffer[] = [];
    const binary: boolean[] = [];
    let closedInfo: { code: number; reason: string } | undefined;
    const closed = new Promise<{ code: number; reason: string }>((res) =>
      ws.on('close', (code, reason) => {
        closedInfo = { code, reason: reason.toString() };
        res(closedInfo);
      }),
    );
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      raw.push(data);
      binary.push(isBinary);
      messages.push(data.toString());
    });
    ws.on('error', (e) => reject(e));
    ws.on('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('open', () =>
      resolve({
        ws,
        messages,
        raw,
        binary,
        closed,
        send: (data, bin = false) => ws.send(data, { binary: bin }),
        waitCount: async (n, timeoutMs = 10_000) => {
          await eventually(() => messages.length >= n || (closedInfo && messages.length < n ? Promise.reject(new Error(`closed ${closedInfo.code} after ${messages.length} messages`)) : false), `${n} messages`, timeoutMs);
        },
        waitFor: (re, timeoutMs = 10_000) => eventually(() => messages.find((m) => re.test(m)), `a message matching ${re}`, timeoutMs),
      }),
    );
  });
}

/** The status code a WebSocket handshake is answered with, when it is not 101. */
export function handshakeStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers, perMessageDeflate: false });
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      ws.terminate();
    });
    ws.on('open', () => {
      ws.terminate();
      resolve(101);
    });
    ws.on('error', (e) => reject(e));
  });
}

/** Send raw HTTP bytes (a path no URL parser would leave alone) and return the status code. */
export async function rawStatus(port: number, request: string): Promise<number> {
  return (await rawResponse(port, request)).status;
}

/** Send raw HTTP bytes; the status and the body (read up to its Content-Length). */
export function rawResponse(port: number, request: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const s = netConnect({ port, host: '127.0.0.1' }, () => s.write(request));
    let buf = '';
    s.setEncoding('latin1');
    s.on('data', (d: string) => {
      buf += d;
      const end = buf.indexOf('\r\n\r\n');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(buf);
      if (!m || end < 0) return;
      const length = /\r\ncontent-length: *(\d+)/i.exec(buf.slice(0, end));
      const body = buf.slice(end + 4);
      if (length && body.length < Number(length[1])) return;
      resolve({ status: Number(m[1]), body: length ? body.slice(0, Number(length[1])) : body });
      s.destroy();
    });
    s.on('error', reject);
    s.on('close', () => reject(new Error(`closed without a whole response: ${JSON.stringify(buf)}`)));
  });
}

export function upgradeRequest(path: string, extra = ''): string {
  return (
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`
  );
}
