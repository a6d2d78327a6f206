/**
 * `--proxy-protocol`: read the PROXY header off a freshly accepted socket (FD-10 to FD-13), before
 * TLS, HTTP or a session sees it, and leave every byte after it in the socket for them.
 *
 * The spec says a receiver MUST NOT guess whether a header is present, so with the option on a
 * connection without a valid header is refused, and so is one from an address not in
 * `--trusted-proxy` (anyone else could simply write a header naming any client).
 */
import type { Socket } from 'node:net';
import type { CidrList } from './cidr.js';
import { parseProxyHeader, PROXY_V1_MAX_BYTES, PROXY_V2_MAX_BYTES, type ProxyHeader, type ProxyRefusal } from './proxy-header.js';

/** How long a header may take to arrive, by default and at least (FD-11): a proxy writes it with
 * the connection, so 3 s is plenty, and it bounds how long a silent connection holds a slot. */
export const PROXY_HEADER_TIMEOUT_MS = 3000;

export interface ProxyProtocolOptions {
  trusted: CidrList;
  /** Raised to PROXY_HEADER_TIMEOUT_MS when lower. */
  timeoutMs?: number;
  maxV2Bytes?: number;
}

/** How many more bytes may belong to the header, given those held: 16 to tell the version (and
 * a whole shortest v1 line, 15 bytes), then up to a v1 line's end or the v2 length. */
function stillNeeded(held: Buffer): number {
  if (held.length < 16) return 16 - held.length;
  if (held[0] !== 0x0d) return Math.max(1, PROXY_V1_MAX_BYTES - held.length);
  return Math.max(1, 16 + held.readUInt16BE(14) - held.length);
}

export type ProxyOutcome = { ok: true; header: ProxyHeader } | { ok: false; reason: ProxyRefusal; detail: string };

/**
 * Read exactly the header. On success the bytes that came after it are back at the front of the
 * socket's read buffer (`unshift`), and the socket is neither flowing nor paused by us: the next
 * `data` listener, `pipe`, or `server.emit('connection', socket)` gets them first. The caller
 * must attach its listeners in the continuation of this promise, before any further I/O: a
 * net.Socket without a reader emits 'end' (and, without allowHalfOpen, closes) when its FIN comes.
 * On a refusal the socket is left to the caller, which writes its refusal and destroys it.
 */
export function readProxyHeader(socket: Socket, options: ProxyProtocolOptions): Promise<ProxyOutcome> {
  if (socket.destroyed || socket.readableEnded) {
    return Promise.resolve({ ok: false, reason: 'closed', detail: 'the connection ended before its PROXY header' });
  }
  if (!options.trusted.contains(socket.remoteAddress)) {
    return Promise.resolve({ ok: false, reason: 'untrusted', detail: `${socket.remoteAddress ?? 'a peer without an address'} is not a --trusted-proxy` });
  }
  const timeoutMs = Math.max(PROXY_HEADER_TIMEOUT_MS, options.timeoutMs ?? PROXY_HEADER_TIMEOUT_MS);
  const maxV2Bytes = options.maxV2Bytes ?? PROXY_V2_MAX_BYTES;
  return new Promise((resolve) => {
    let held: Buffer = Buffer.alloc(0);
    const timer = setTimeout(() => finish({ ok: false, reason: 'timeout', detail: `no complete PROXY header within ${timeoutMs / 1000} s` }), timeoutMs);
    const onClose = (): void => finish({ ok: false, reason: 'closed', detail: 'the connection ended before its PROXY header' });
    const finish = (outcome: ProxyOutcome, rest?: Buffer): void => {
      clearTimeout(timer);
      socket.off('readable', onReadable);
      socket.off('end', onClose);
      socket.off('close', onClose);
      socket.off('error', onClose);
      if (rest && rest.length > 0) socket.unshift(rest);
      resolve(outcome);
    };
    // Ask for no more bytes than the header can still need. A read() without a size that empties
    // the buffer of a stream whose end is already in schedules 'end' for the next tick, before
    // whoever takes the socket after us listens; a read of a given size does not, and the next
    // reader's first read() emits it. (A net.Socket delivers its FIN in a callback of its own, so
    // today this is a precaution for streams that deliver both together.)
    const onReadable = (): void => {
      for (;;) {
        const want = Math.min(socket.readableLength, stillNeeded(held));
        if (want <= 0) {
          // Nothing buffered: let a FIN that came become 'end' (onClose) instead of the timeout.
          socket.read();
          return;
        }
        const chunk = socket.read(want) as Buffer | null;
        if (chunk === null) return;
        held = held.length === 0 ? chunk : Buffer.concat([held, chunk]);
        const p = parseProxyHeader(held, maxV2Bytes);
        if (p.state === 'more') continue;
        if (p.state === 'bad') return finish({ ok: false, reason: p.reason, detail: p.detail });
        return finish({ ok: true, header: p.header }, held.subarray(p.length));
      }
    };
    socket.on('readable', onReadable);
    socket.once('end', onClose);
    socket.once('close', onClose);
    socket.once('error', onClose);
  });
}
