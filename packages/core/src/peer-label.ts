/**
 * A socket's peer as a log's `client` field (LOG-03) before a front-end has built its own label:
 * `ip:port`, `[v6]:port` (an IPv4 client of a dual-stack listener shown as IPv4), or `unknown`.
 */
export function peerLabel(socket: { remoteAddress?: string | undefined; remotePort?: number | undefined }): string {
  const raw = socket.remoteAddress;
  if (!raw) return 'unknown';
  const a = raw.startsWith('::ffff:') && raw.includes('.') ? raw.slice(7) : raw;
  return a.includes(':') ? `[${a}]:${socket.remotePort ?? ''}` : `${a}:${socket.remotePort ?? ''}`;
}
