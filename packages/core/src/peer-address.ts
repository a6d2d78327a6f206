/** How a stream client is named in logs and in H-CLIENT (NET-03): `ip:port`, `[v6]:port`, `unix:PATH`. */
import type { Socket } from 'node:net';
import type { ListenTarget } from './listen.js';

/** `::ffff:127.0.0.1` is how a dual-stack listener sees an IPv4 client; report it as IPv4. */
export function plainAddress(addr: string | undefined): string {
  if (!addr) return '';
  return addr.startsWith('::ffff:') && addr.includes('.') ? addr.slice(7) : addr;
}

export function hostPort(addr: string, port: number | undefined): string {
  return addr.includes(':') ? `[${addr}]:${port ?? ''}` : `${addr}:${port ?? ''}`;
}

/** The client of an accepted socket: its address and port, or the unix socket's path. */
export function peerLabel(socket: Socket, target: ListenTarget): string {
  if (target.kind === 'unix') return `unix:${target.path}`;
  return socket.remoteAddress ? hostPort(plainAddress(socket.remoteAddress), socket.remotePort) : 'unknown';
}
