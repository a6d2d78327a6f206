/** A raw TCP/unix client for tests: send bytes, half-close, read everything. */
import { connect, type Socket } from 'node:net';
import { eventually } from './poll.js';

export interface Client {
  socket: Socket;
  /** Everything received so far. */
  received(): Buffer;
  text(): string;
  /** Resolves when the server has finished sending (its FIN, or a close), with all bytes received.
   * The client then ends its own side, as nc does. */
  closed: Promise<Buffer>;
  waitFor(s: string | RegExp, timeoutMs?: number): Promise<string>;
}

export function dial(port: number | string, host = '127.0.0.1'): Promise<Client> {
  return new Promise((resolve, reject) => {
    const socket = typeof port === 'string' ? connect(port) : connect({ port, host, allowHalfOpen: true });
    const chunks: Buffer[] = [];
    let total = 0;
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      total += d.length;
    });
    const closed = new Promise<Buffer>((res) => {
      const done = (): void => res(Buffer.concat(chunks, total));
      socket.on('end', () => {
        done();
        socket.end();
      });
      socket.on('close', done);
      socket.on('error', () => {});
    });
    const received = (): Buffer => Buffer.concat(chunks, total);
    socket.once('connect', () =>
      resolve({
        socket,
        received,
        text: () => received().toString('utf8'),
        closed,
        waitFor: (s, timeoutMs = 10_000) =>
          eventually(() => {
            const t = received().toString('utf8');
            return (typeof s === 'string' ? t.includes(s) : s.test(t)) ? t : undefined;
          }, `client to receive ${String(s)}`, timeoutMs),
      }),
    );
    socket.once('error', reject);
  });
}

/** Connect, send `input`, half-close, and return everything the server sends until it closes. */
export async function roundTrip(port: number | string, input: string | Buffer): Promise<Buffer> {
  const c = await dial(port);
  c.socket.end(input);
  return c.closed;
}
