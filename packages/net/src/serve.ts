/** The hamelin-net listener: every accepted socket that the front door admits becomes a session. */
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { endFailedHandshakes, FrontDoor, frontDoorVars, listenerHandle, peerLabel, refusalLine, socketClient, type Daemon, type FrontDoorRefusal, type ServeHandle } from '@hamelin/core';
import { streamVars } from './address.js';
import type { NetServeOptions } from './options.js';
import { SocketEndpoint } from './socket-endpoint.js';

export interface NetServeHandle extends ServeHandle {
  readonly server: Server;
}

/** How long a refused connection keeps reading (and dropping) before it is destroyed: closing
 * with unread input sends RST, which can destroy the refusal line before it is read (NET-07). */
const REFUSAL_LINGER_MS = 2000;

export async function serve(daemon: Daemon, opts: NetServeOptions): Promise<NetServeHandle> {
  const { target, tls, raw } = opts;
  const door = new FrontDoor(opts.frontDoor, daemon);
  // FD-07: one line, then close; no process is started.
  const refuse = (socket: Socket, label: string, refusal: FrontDoorRefusal): void => {
    door.refused(label, refusal);
    socket.end(refusalLine(refusal) ?? '');
    socket.resume();
    const timer = setTimeout(() => socket.destroy(), REFUSAL_LINGER_MS);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  };
  const onSocket = (socket: Socket): void => {
    // A client's FIN ends the child's stdin, not the connection (NET-04). For TLS this is turned
    // on only now, once the handshake is done: a FIN before it must close the socket (NET-10), and
    // Duplex reads allowHalfOpen when the end comes, not when the socket is made.
    socket.allowHalfOpen = true;
    socket.setNoDelay(true);
    const label = peerLabel(socket, target);
    // FD-14: the PROXY header and an early --deny were judged in door.guard; the limits now.
    const admitted = target.kind === 'unix' ? { ok: true as const, release: () => {} } : door.admit(socketClient(socket).address);
    if (!admitted.ok) return refuse(socket, label, admitted.refusal);
    const vars = { ...streamVars(socket, target, tls !== undefined), ...frontDoorVars(socket) };
    void daemon.acceptAdmitted(new SocketEndpoint(socket, label, raw ? 'raw' : 'stream'), vars, daemon.config.command, admitted.release);
  };
  const server: Server = tls ? createTlsServer({ ...tls, allowHalfOpen: false }, onSocket) : createServer({ allowHalfOpen: true, noDelay: true }, onSocket);
  if (tls) endFailedHandshakes(server, target, daemon.log);
  door.guard(server, target, tls !== undefined);
  const port = await daemon.listen(server, target, target.kind === 'unix' ? {} : { tls: tls !== undefined });
  // The listening socket closes at once; 'close' comes only after the last connection.
  const allClosed = new Promise<void>((resolve) => server.once('close', () => resolve()));
  return listenerHandle(daemon, server, target, port, tls !== undefined, async () => {
    await Promise.all([allClosed, daemon.shutdown()]);
  });
}
