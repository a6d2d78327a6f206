/**
 * The net binding (TCP and TLS) and the unix binding of spec section 9.1: how to pick an
 * address, how to tell that the daemon listens, and a client socket that records everything.
 */
import { connect as netConnect, createServer, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { join } from 'node:path';
import { tcpListening, unixListening } from '../proc.js';
import type { Binding, Conn } from '../types.js';

const SPEC = '0.2';

function bracket(addr: string): string {
  return addr.includes(':') ? `[${addr}]` : addr;
}

function plain(addr: string | undefined): string {
  if (!addr) return '';
  return addr.startsWith('::ffff:') && addr.includes('.') ? addr.slice(7) : addr;
}

/** A port free on this host (bound and released; the daemon gets it a moment later). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen({ port: 0, host: host === 'localhost' ? '127.0.0.1' : host, exclusive: true }, () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export function wrapSocket(socket: Socket, label: string): Conn {
  const chunks: Buffer[] = [];
  let total = 0;
  let ended: number | undefined;
  let err: string | undefined;
  socket.on('data', (d: Buffer) => {
    chunks.push(d);
    total += d.length;
  });
  socket.on('end', () => (ended ??= Date.now()));
  socket.on('error', (e: NodeJS.ErrnoException) => (err ??= e.code ?? e.message));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const received = (): Buffer => {
    if (chunks.length > 1) {
      const all = Buffer.concat(chunks, total);
      chunks.length = 0;
      chunks.push(all);
    }
    return chunks[0] ?? Buffer.alloc(0);
  };
  return {
    label,
    localAddress: plain(socket.localAddress),
    localPort: socket.localPort ?? 0,
    remoteAddress: plain(socket.remoteAddress),
    remotePort: socket.remotePort ?? 0,
    write: (data) =>
      new Promise<void>((resolve, reject) => {
        if (socket.destroyed) return reject(new Error(`socket closed (${err ?? 'no error'})`));
        socket.write(data, (e) => (e ? reject(e) : resolve()));
      }),
    tryWrite: (data) => socket.write(data),
    drained: () => new Promise<void>((resolve) => (socket.writableNeedDrain ? socket.once('drain', () => resolve()) : resolve())),
    halfClose: () => void socket.end(),
    reset: () => {
      // Unix sockets have no reset: a plain close is the nearest thing.
      if (socket.remotePort === undefined) socket.destroy();
      else socket.resetAndDestroy();
    },
    close: () => void socket.destroy(),
    pause: () => void socket.pause(),
    resume: () => void socket.resume(),
    received,
    receivedLength: () => total,
    waitFor: async (pred, what, timeoutMs = 5000) => {
      const deadline = Date.now() + timeoutMs;
      let seen = -1;
      for (;;) {
        // Re-test only when bytes arrived: joining 64 MiB every few ms would stall the suite.
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
        if (socket.destroyed && !socket.readableLength) {
          if (pred(received())) return;
          throw new Error(`connection closed (${err ?? 'no error'}) before ${what}`);
        }
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    endedAt: () => ended,
    closed,
    error: () => err,
  };
}

function dialSocket(make: () => Socket, label: (s: Socket) => string, readyEvent: string): Promise<Conn> {
  return new Promise((resolve, reject) => {
    const s = make();
    s.once('error', reject);
    s.once(readyEvent, () => {
      s.off('error', reject);
      resolve(wrapSocket(s, label(s)));
    });
  });
}

export const net: Binding = {
  name: 'net',
  summary: 'TCP (and TLS) stream sockets, spec section 9.1',
  placeholders: [['{port}'], ['{command}']],
  transport: 'tcp',
  framing: 'stream',
  async allocate(_dir, host = '127.0.0.1') {
    return { host, port: await freePort(host), path: '', tls: false };
  },
  listening: (addr) => tcpListening(addr.port),
  dial(addr) {
    const host = addr.host === 'localhost' ? 'localhost' : addr.host;
    const label = (s: Socket): string => `${bracket(plain(s.localAddress))}:${s.localPort}`;
    if (addr.tls) {
      return dialSocket(() => tlsConnect({ host, port: addr.port, servername: 'localhost', rejectUnauthorized: false, allowHalfOpen: true } as never), label, 'secureConnect');
    }
    return dialSocket(() => netConnect({ host, port: addr.port, allowHalfOpen: true, noDelay: true }), label, 'connect');
  },
  hType: (addr) => `TCP-${SPEC}-${addr.tls ? 'TLS' : 'INSECURE'}`,
  hClient: (conn) => conn.label,
};

export const unix: Binding = {
  name: 'unix',
  summary: 'unix stream sockets, spec section 9.1',
  placeholders: [['{path}'], ['{command}']],
  transport: 'unix',
  framing: 'stream',
  async allocate(dir) {
    return { host: '', port: 0, path: join(dir, 's.sock'), tls: false };
  },
  listening: (addr) => unixListening(addr.path),
  dial: (addr) => dialSocket(() => netConnect({ path: addr.path, allowHalfOpen: true }), () => `unix:${addr.path}`, 'connect'),
  hType: () => `UNIX-${SPEC}-LOCAL`,
  hClient: (_conn, addr) => `unix:${addr.path}`,
};
