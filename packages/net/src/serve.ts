/** The hamelin-net listener: every accepted socket becomes a session. */
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { removeSocketFile, type Daemon, type ListenTarget, type ServeHandle } from '@hamelin/core';
import { hostPort, plainAddress, streamVars } from './address.js';
import { SocketEndpoint } from './socket-endpoint.js';

export interface NetServeHandle extends ServeHandle {
  readonly server: Server;
}

export async function serve(daemon: Daemon, target: ListenTarget, tls?: { cert: Buffer; key: Buffer }): Promise<NetServeHandle> {
  const onSocket = (socket: Socket): void => {
    socket.setNoDelay(true);
    const label = target.kind === 'unix' ? `unix:${target.path}` : socket.remoteAddress ? hostPort(plainAddress(socket.remoteAddress), socket.remotePort) : 'unknown';
    void daemon.accept(new SocketEndpoint(socket, label), streamVars(socket, target, tls !== undefined));
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
  const port = await daemon.listen(server, target, target.kind === 'unix' ? {} : { tls: tls !== undefined });
  // The listening socket closes at once; 'close' comes only after the last connection.
  const allClosed = new Promise<void>((resolve) => server.once('close', () => resolve()));
  let stopped = false;
  const stopAccepting = (): Promise<void> => {
    if (!stopped) {
      stopped = true;
      server.close();
      removeSocketFile(target);
    }
    return Promise.resolve();
  };
  let closed: Promise<void> | undefined;
  return {
    daemon,
    server,
    port,
    stopAccepting,
    setTls: (pair) => {
      if (tls) (server as import('node:tls').Server).setSecureContext({ ...pair });
    },
    close: () => (closed ??= stopAccepting().then(() => Promise.all([allClosed, daemon.shutdown()])).then(() => {})),
  };
}
