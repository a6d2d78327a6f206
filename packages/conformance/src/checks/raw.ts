/** A raw TCP client that sends exactly the bytes a check gives (a half-sent request, header
 * bytes that are not ASCII) and keeps the connection open until told, so that a process a
 * request started is still there to be read. */
import { connect, type Socket } from 'node:net';
import type { Address } from '../types.js';

export interface Held {
  readonly socket: Socket;
  /** What arrived, as Latin-1 text (status lines and headers are ASCII). */
  received(): string;
  /** The time the connection closed. */
  readonly closed: Promise<number>;
  /** The status code of the first response head, once it has arrived. */
  status(): number | undefined;
}

export function hold(addr: Address, bytes: string | Buffer): Promise<Held> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: addr.host, port: addr.port });
    let got = '';
    socket.on('data', (d: Buffer) => (got += d.toString('latin1')));
    const closed = new Promise<number>((r) => socket.once('close', () => r(Date.now())));
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      socket.on('error', () => {});
      if (bytes.length) socket.write(bytes);
      resolve({
        socket,
        received: () => got,
        closed,
        status: () => {
          const m = /^HTTP\/1\.[01] (\d{3})/.exec(got);
          return m ? Number(m[1]) : undefined;
        },
      });
    });
  });
}

/** `Host` as a client that dialled the daemon sends it. */
export const hostOf = (addr: Address): string => (addr.host.includes(':') ? `[${addr.host}]:${addr.port}` : `${addr.host}:${addr.port}`);

/** The daemon's own origin (WS-22): its scheme with the Host above. */
export const ownOrigin = (addr: Address): string => `${addr.tls ? 'https' : 'http'}://${hostOf(addr)}`;

/**
 * WS-23 and HTTP-35: one --origin value with every kind of entry (a full origin, a host with a
 * port for either scheme, a subdomain wildcard, a trailing slash), and what each Origin sent
 * must get: allowed or not.
 */
export const ORIGIN_LIST = 'http://a.example,b.example:8080,*.wild.example,https://slash.example/';
export const ORIGIN_CASES: [string, boolean][] = [
  ['http://a.example', true],
  ['https://a.example', false], // the scheme is part of it
  ['http://a.example:8080', false], // and the port (80 by default)
  ['http://b.example:8080', true],
  ['https://b.example:8080', true], // host:port: either scheme
  ['http://b.example', false],
  ['http://x.wild.example', true],
  ['http://wild.example', false], // *. is subdomains only
  ['https://slash.example', true], // the trailing / dropped
  ['http://evil.example', false],
];
/** Values that are no origin: each is a startup error (CORE-18). */
export const BAD_ORIGINS = ['https://app.example/app', 'https://user@app.example', 'ftp://app.example', 'app.example:70000'];

/** The bytes of a header value: UTF-8 kept, an invalid byte (0xff) in the last one. */
export const UTF8_AGENT = 'conformance café 日本';
export const BAD_BYTES = Buffer.from([0x61, 0xff, 0x62]);
/** What the child must see for BAD_BYTES: the invalid byte as U+FFFD. */
export const BAD_SEEN = 'a\uFFFDb';
