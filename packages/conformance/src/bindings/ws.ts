/**
 * The WebSocket binding (spec/bindings/ws.md): text messages, one message per line. The
 * client is the `ws` package's WebSocket; what checks write as lines goes out as messages, and
 * received messages read as lines (each followed by a newline), so the byte-oriented checks
 * work unchanged where the spec's promise is the same.
 */
import type { Socket } from 'node:net';
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

export function dialWs(url: string, headers: Record<string, string> = {}): Promise<Conn> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, {
      headers: { 'User-Agent': USER_AGENT, ...headers },
      perMessageDeflate: false,
      rejectUnauthorized: false,
      maxPayload: 64 << 20,
    });
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => {
      res.resume();
      reject(new Error(`HTTP ${res.statusCode} before the upgrade`));
    });
    ws.once('open', () => {
      ws.off('error', reject);
      resolve(wrapWebSocket(ws));
    });
  });
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
