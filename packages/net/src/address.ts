/** Parsing HOST PORT, and the H- variables of a stream connection (NET-01, NET-02, NET-03). */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { hostPort, parsePort, plainAddress, socketClient, SPEC_VERSION, StartupError, type HVars, type ListenTarget } from '@hamelin/core';

export { hostPort, plainAddress };

/**
 * The positional parameters before CMD: HOST PORT, or unix:PATH alone. When PORT cannot be one, say
 * which of the two is missing rather than "missing CMD" (`hamelin-net 8080 cat` has no HOST).
 */
export function listenPositionals(rest: string[]): string[] {
  if (rest[0]?.startsWith('unix:')) return ['HOST'];
  const [host, port] = rest;
  if (host !== undefined && port !== undefined && !/^\d+$/.test(port)) {
    if (/^\d+$/.test(host)) throw new StartupError(`missing HOST: ${host} is a port; give the address to listen on first, as in hamelin-net 127.0.0.1 ${rest.join(' ')}`);
    if (rest.length < 3) throw new StartupError(`missing PORT: ${JSON.stringify(port)} is not a port (usage: hamelin-net [options] HOST PORT CMD)`);
  }
  return ['HOST', 'PORT'];
}

/** HOST is an address or a name (`[::1]` allowed), or `unix:/path`. */
export function parseListen(host: string, port: string, unixMode?: number): ListenTarget {
  if (host.startsWith('unix:')) {
    const path = host.slice(5);
    if (!path) throw new StartupError('unix: needs a path, as in unix:/run/app.sock');
    return { kind: 'unix', path, mode: unixMode };
  }
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (!bare) throw new StartupError('missing HOST');
  return { kind: 'tcp', host: bare, port: parsePort(port) };
}

export function streamVars(socket: Socket, listen: ListenTarget, tls: boolean): HVars {
  if (listen.kind === 'unix') {
    return { TYPE: `UNIX-${SPEC_VERSION}-LOCAL`, CLIENT: `unix:${listen.path}`, 'UNIX-PATH': listen.path };
  }
  // The client a PROXY header named, when there was one (FD-14).
  const remote = socketClient(socket);
  const local = plainAddress(socket.localAddress);
  const vars: HVars = {
    TYPE: `TCP-${SPEC_VERSION}-${tls ? 'TLS' : 'INSECURE'}`,
    CLIENT: hostPort(remote.address, remote.port),
    'REMOTE-ADDR': remote.address,
    'REMOTE-PORT': String(remote.port ?? ''),
    'LOCAL-ADDR': local,
    'LOCAL-PORT': String(socket.localPort ?? ''),
  };
  if (tls) {
    const t = socket as TLSSocket;
    vars['TLS-PROTOCOL'] = t.getProtocol() ?? '';
    vars['TLS-CIPHER'] = t.getCipher()?.name ?? '';
    const sni = (t as TLSSocket & { servername?: string | false }).servername;
    if (sni) vars['TLS-SERVER-NAME'] = sni;
  }
  return vars;
}
