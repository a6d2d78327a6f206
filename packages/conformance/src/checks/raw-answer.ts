/** One request on its own connection, read to the close, with the head kept as sent: the
 * --cgi and --static checks assert header lines in order and with their case (Set-Cookie twice),
 * which a parsed header map loses. */
import { connect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { Address } from '../types.js';

export interface RawAnswer {
  /** The status line, e.g. `HTTP/1.1 404 Not Found`. */
  statusLine: string;
  status: number;
  /** The header lines as sent, in order. */
  lines: string[];
  /** The body, de-chunked when chunked. */
  body: Buffer;
  trailers: string[];
  /** Everything received, for "nothing of the script reached the client". */
  raw: Buffer;
}

/** The value of the first header `name` (any case), or undefined. */
export function header(a: RawAnswer, name: string): string | undefined {
  return values(a, name)[0];
}

export function values(a: RawAnswer, name: string): string[] {
  const n = name.toLowerCase();
  return a.lines.filter((l) => l.slice(0, l.indexOf(':')).toLowerCase() === n).map((l) => l.slice(l.indexOf(':') + 1).trim());
}

export function rawAnswer(addr: Address, method: string, path: string, headers: string[] = [], timeoutMs = 5000): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const s = addr.tls ? tlsConnect({ host: addr.host, port: addr.port, rejectUnauthorized: false }) : connect({ host: addr.host, port: addr.port });
    const parts: Buffer[] = [];
    const timer = setTimeout(() => s.destroy(new Error(`no complete answer to ${method} ${path} in ${timeoutMs} ms`)), timeoutMs);
    s.on(addr.tls ? 'secureConnect' : 'connect', () => {
      s.write([`${method} ${path} HTTP/1.1`, `Host: ${addr.host}:${addr.port}`, 'Connection: close', ...headers, '', ''].join('\r\n'));
    });
    s.on('data', (d: Buffer) => parts.push(d));
    s.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    s.on('close', () => {
      clearTimeout(timer);
      const raw = Buffer.concat(parts);
      const end = raw.indexOf('\r\n\r\n');
      if (end < 0) return reject(new Error(`no complete head in ${raw.length} bytes to ${method} ${path}`));
      const head = raw.subarray(0, end).toString('latin1').split('\r\n');
      const statusLine = head[0]!;
      const lines = head.slice(1);
      let rest = raw.subarray(end + 4);
      const trailers: string[] = [];
      if (lines.some((l) => /^transfer-encoding:\s*chunked/i.test(l))) {
        const body: Buffer[] = [];
        for (;;) {
          const nl = rest.indexOf('\r\n');
          if (nl < 0) break;
          const size = parseInt(rest.subarray(0, nl).toString('latin1'), 16);
          if (!(size > 0)) {
            const tail = rest.subarray(nl + 2).toString('latin1');
            trailers.push(...tail.split('\r\n').filter(Boolean));
            break;
          }
          body.push(rest.subarray(nl + 2, nl + 2 + size));
          rest = rest.subarray(nl + 2 + size + 2);
        }
        resolve({ statusLine, status: Number(statusLine.split(' ')[1]), lines, body: Buffer.concat(body), trailers, raw });
        return;
      }
      resolve({ statusLine, status: Number(statusLine.split(' ')[1]), lines, body: rest, trailers, raw });
    });
  });
}

/** An answer for evidence: its status line, header lines and body, clipped. */
export function showAnswer(a: RawAnswer, n = 160): string {
  const text = `${a.statusLine} | ${a.lines.join(' | ')} | ${JSON.stringify(a.body.toString('latin1'))}`;
  return text.length > n ? `${text.slice(0, n)}...` : text;
}
