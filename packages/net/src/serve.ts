/** The hamelin-net listener: every accepted socket becomes a session. */
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { endFailedHandshakes, peerLabel, removeSocketFile, type Daemon, type ListenTarget, type TlsServerOptions } from '@hamelin/core';
import { streamVars } from './address.js';
import { SocketEndpoint } from './socket-endpoint.js';

export async function serve(daemon: Daemon, target: ListenTarget, tls?: TlsServerOptions, raw = false): Promise<Server> {
  const onSocket = (socket: Socket): void => {
    // A client's FIN ends the child's stdin, not the connection (NET-04). For TLS this is turned
    // on only now, once the handshake is done: a FIN before it must close the socket (NET-10), and
    // Duplex reads allowHalfOpen when the end comes, not when the socket is made.
    socket.allowHalfOpen = true;
    socket.setNoDelay(true);
    void daemon.accept(new SocketEndpoint(socket, peerLabel(socket, target), raw ? 'raw' : 'stream'), streamVars(socket, target, tls !== undefined));
  };
  const server: Server = tls ? createTlsServer({ ...tls, allowHalfOpen: false }, onSocket) : createServer({ allowHalfOpen: true, noDelay: true }, onSocket);
  if (tls) endFailedHandshakes(server, target, daemon.log);
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
