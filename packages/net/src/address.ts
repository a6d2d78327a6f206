/** Parsing HOST PORT, and the H- variables of a stream connection (NET-01, NET-02, NET-03). */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { hostPort, parsePort, plainAddress, SPEC_VERSION, StartupError, type HVars, type ListenTarget } from '@hamelin/core';

export { hostPort, plainAddress };

/** HOST is an address or a name (`[::1]` allowed), or `unix:/path`. */
export function parseListen(host: string, port: string): ListenTarget {
  if (host.startsWith('unix:')) {
    const path = host.slice(5);
    if (!path) throw new StartupError('unix: needs a path, as in unix:/run/app.sock');
    return { kind: 'unix', path };
  }
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (!bare) throw new StartupError('missing HOST');
  return { kind: 'tcp', host: bare, port: parsePort(port) };
}

export function streamVars(socket: Socket, listen: ListenTarget, tls: boolean): HVars {
  if (listen.kind === 'unix') {
    return { TYPE: `UNIX-${SPEC_VERSION}-LOCAL`, CLIENT: `unix:${listen.path}`, 'UNIX-PATH': listen.path };
  }
  const remote = plainAddress(socket.remoteAddress);
  const local = plainAddress(socket.localAddress);
  const vars: HVars = {
    TYPE: `TCP-${SPEC_VERSION}-${tls ? 'TLS' : 'INSECURE'}`,
    CLIENT: hostPort(remote, socket.remotePort),
    'REMOTE-ADDR': remote,
    'REMOTE-PORT': String(socket.remotePort ?? ''),
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
