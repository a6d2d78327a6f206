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

export interface ClientAddress {
  address: string;
  /** Undefined when a forwarded header named the client without a port (FD-08). */
  port: number | undefined;
}

// The client a PROXY header named for a connection (FD-13), kept beside it and gone with it.
const proxied = new WeakMap<Socket, ClientAddress>();

export function rememberProxiedClient(socket: Socket, client: ClientAddress): void {
  proxied.set(socket, client);
}

/** The client a socket stands for: the PROXY header's source when one named it (FD-14), else the
 * socket's peer. A TLS socket is looked up by the TCP socket under it, which read the header. */
export function socketClient(socket: Socket): ClientAddress {
  const parent = (socket as Socket & { _parent?: Socket })._parent;
  const p = proxied.get(socket) ?? (parent ? proxied.get(parent) : undefined);
  return p ?? { address: plainAddress(socket.remoteAddress), port: socket.remotePort };
}

/** The client of an accepted socket: its address and port, or the unix socket's path. */
export function peerLabel(socket: Socket, target: ListenTarget): string {
  if (target.kind === 'unix') return `unix:${target.path}`;
  const c = socketClient(socket);
  return c.address ? hostPort(c.address, c.port) : 'unknown';
}
