/** Raw sockets for requests no HTTP client would send: bytes as given, descriptors counted. */
import { connect, type Socket } from 'node:net';
import { readdirSync } from 'node:fs';

/** Send `request` as bytes and collect everything until the daemon closes the connection. */
export function rawExchange(port: number, request: Buffer, timeoutMs = 10_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = connect({ port, host: '127.0.0.1' }, () => s.write(request));
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no close within ${timeoutMs} ms; got ${JSON.stringify(Buffer.concat(chunks).toString('latin1'))}`));
    }, timeoutMs);
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
  });
}

/** The open descriptors of a process. */
export function descriptors(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** A connection that sent `partial` and waits: what it received, and when it closed. */
export interface HalfOpen {
  socket: Socket;
  received(): string;
  closed: Promise<void>;
}

export function halfOpen(port: number, partial: string): HalfOpen {
  let got = '';
  const socket = connect({ port, host: '127.0.0.1' }, () => socket.write(partial));
  socket.setEncoding('latin1');
  socket.on('data', (d: string) => (got += d));
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  return { socket, received: () => got, closed };
}

/** A daemon's descriptors once they have settled (its spawn server starts beside the listener):
 * the same count over half a second. */
export async function settledDescriptors(pid: number, timeoutMs = 10_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = descriptors(pid);
  let since = Date.now();
  while (Date.now() - since < 500) {
    if (Date.now() > deadline) throw new Error(`descriptors of ${pid} never settled (last ${last})`);
    await new Promise((r) => setTimeout(r, 50));
    const now = descriptors(pid);
    if (now !== last) {
      last = now;
      since = Date.now();
    }
  }
  return last;
}
