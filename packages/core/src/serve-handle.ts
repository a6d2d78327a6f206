/**
 * What every front-end's `serve()` returns: a handle, never a process exit. Signals and
 * `process.exit` belong to whoever composed the services (each cli.ts, the `hamelin` entry
 * point), as ws leaves exiting to whoever calls `close()`.
 */
import type { Server } from 'node:net';
import type { Daemon } from './daemon.js';
import { removeSocketFile, type ListenTarget } from './listen.js';

export interface ServeHandle {
  readonly daemon: Daemon;
  /** The bound TCP port (0 for a unix socket or a tty). */
  readonly port: number;
  /** Close the listener (a unix socket file is removed); live sessions go on. */
  stopAccepting(): Promise<void>;
  /** CORE-22: stop accepting, end every session, let the transport say goodbye. Idempotent. */
  close(): Promise<void>;
  /** OPS-08: serve new TLS connections with this certificate and key (live ones keep theirs). */
  setTls?(tls: { cert: Buffer; key: Buffer; ca?: Buffer | undefined }): void;
}

type Listener = Server & { closeIdleConnections?: () => void; setSecureContext?: (o: { cert: Buffer; key: Buffer; ca?: Buffer }) => void };

/**
 * The handle of one listening server, the same for every front-end: `stopAccepting` closes the
 * listener (idle keep-alive connections too) and removes a unix socket file once; `close` stops
 * accepting, then runs `end`, the front-end's goodbye (sessions ended, close frames sent), once;
 * `setTls` gives new TLS connections another certificate.
 */
export function listenerHandle<S extends Server>(
  daemon: Daemon,
  server: S,
  target: ListenTarget,
  port: number,
  tls: boolean,
  end: () => Promise<void>,
): ServeHandle & { readonly server: S } {
  const s = server as S & Listener;
  let stopped = false;
  const stopAccepting = (): Promise<void> => {
    if (!stopped) {
      stopped = true;
      s.close();
      s.closeIdleConnections?.();
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
      // A new context replaces the whole old one: --tls-ca's CA must come along (FD-20).
      if (tls) s.setSecureContext?.({ cert: pair.cert, key: pair.key, ...(pair.ca ? { ca: pair.ca } : {}) });
    },
    close: () => (closed ??= stopAccepting().then(end)),
  };
}
