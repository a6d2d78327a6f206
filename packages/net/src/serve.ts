/** The hamelin-net listener: every accepted socket becomes a session. */
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { removeSocketFile, type Daemon, type ListenTarget } from '@hamelin/core';
import { hostPort, plainAddress, streamVars } from './address.js';
import { SocketEndpoint } from './socket-endpoint.js';

export async function serve(daemon: Daemon, target: ListenTarget, tls?: { cert: Buffer; key: Buffer }, raw = false): Promise<Server> {
  const onSocket = (socket: Socket): void => {
    socket.setNoDelay(true);
    const label = target.kind === 'unix' ? `unix:${target.path}` : socket.remoteAddress ? hostPort(plainAddress(socket.remoteAddress), socket.remotePort) : 'unknown';
    void daemon.accept(new SocketEndpoint(socket, label, raw ? 'raw' : 'stream'), streamVars(socket, target, tls !== undefined));
  };
  // allowHalfOpen: a client's FIN ends the child's stdin, not the connection (NET-04).
  const server: Server = tls
    ? createTlsServer({ ...tls, allowHalfOpen: true }, onSocket)
    : createServer({ allowHalfOpen: true, noDelay: true }, onSocket);
  if (tls) {
    server.on('tlsClientError', (err: Error, socket: Socket) => {
      daemon.log.warn('tls-error', { client: hostPort(plainAddress(socket.remoteAddress), socket.remotePort), error: err.message });
    });
  }
  await daemon.listen(server, target, target.kind === 'unix' ? {} : { tls: tls !== undefined });
  daemon.exitOnSignals(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        removeSocketFile(target);
      }),
  );
  return server;
}
