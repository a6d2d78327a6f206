/**
 * What every front-end's `serve()` returns: a handle, never a process exit. Signals and
 * `process.exit` belong to whoever composed the services (each cli.ts, the `hamelin` entry
 * point), as ws leaves exiting to whoever calls `close()`.
 */
import type { Daemon } from './daemon.js';

export interface ServeHandle {
  readonly daemon: Daemon;
  /** The bound TCP port (0 for a unix socket or a tty). */
  readonly port: number;
  /** Close the listener (a unix socket file is removed); live sessions go on. */
  stopAccepting(): Promise<void>;
  /** CORE-22: stop accepting, end every session, let the transport say goodbye. Idempotent. */
  close(): Promise<void>;
  /** OPS-08: serve new TLS connections with this certificate and key (live ones keep theirs). */
  setTls?(tls: { cert: Buffer; key: Buffer }): void;
}
