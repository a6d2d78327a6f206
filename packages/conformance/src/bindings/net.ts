/**
 * The net binding (TCP and TLS) and the unix binding of spec section 9.1: how to pick an
 * address, how to tell that the daemon listens, and a client socket that records everything.
 */
import { connect as netConnect, createServer, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ownedByTree, tcpListeners, unixListening } from '../proc.js';
import type { Binding, Conn } from '../types.js';

const SPEC = '0.2';

function bracket(addr: string): string {
  return addr.includes(':') ? `[${addr}]` : addr;
}

function plain(addr: string | undefined): string {
  if (!addr) return '';
  return addr.startsWith('::ffff:') && addr.includes('.') ? addr.slice(7) : addr;
}

let chosenRange: [number, number] | undefined;

/** Keep every port the suite listens on, or has a daemon listen on, in FROM..TO (`--ports`). */
export function setPortRange(from: number, to: number): void {
  chosenRange = [from, to + 1];
}

/** Ports are drawn below the kernel's ephemeral range, so that no outgoing connection (ours or
 * any other program's) takes one between our check and the daemon's bind. */
function portRange(): [number, number] {
  if (chosenRange) return chosenRange;
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    if (low > 12000) return [10000, low];
  } catch {
    /* not Linux: any unprivileged range will do */
  }
  return [20000, 30000];
}

function tryPort(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    // No such address here (no IPv6 loopback): the port cannot be taken on it either.
    srv.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'EADDRNOTAVAIL' || e.code === 'EAFNOSUPPORT'));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** A port free on this host (bound and released; the daemon gets it a moment later). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const [low, high] = portRange();
  const hosts = host === 'localhost' ? ['127.0.0.1', '::1'] : [host];
  for (let i = 0; i < 200; i++) {
    const port = low + Math.floor(Math.random() * (high - low));
    let ok = true;
    for (const h of hosts) ok = ok && (await tryPort(h, port));
    if (ok) return port;
  }
  throw new Error(`no free port on ${host} in ${low}-${high - 1}`);
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
  listening: (addr, pid) => ownedByTree(pid, tcpListeners(addr.port)),
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
