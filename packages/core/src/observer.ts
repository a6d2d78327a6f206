/**
 * What a daemon tells whoever watches it (the admin endpoint's metrics): the same events its
 * log lines name (`start`, `end`/`exit`, `spawn-failed`, `refused`, `long-line`), as calls
 * instead of text. The core only counts; it never knows who listens.
 */
import type { AuthRefusal } from './auth.js';
import type { ProxyRefusal } from './proxy-header.js';
import type { SessionResult } from './session.js';
import type { LimitRefusal } from './source-limits.js';

/** Why a client was refused before any process ran (CORE-20, OPS-05, WS-22, HTTP-34), and the
 * front door's reasons (FD-07, FD-10, FD-18), as the `refused` log line names them. */
export type RefusalReason = 'max-clients' | 'draining' | 'shutting-down' | 'origin' | LimitRefusal | `proxy-${ProxyRefusal}` | `auth-${AuthRefusal}`;

export interface DaemonObserver {
  /** A child was spawned for a client. */
  sessionStarted?(): void;
  /** A session is over (its result says how; a spawn failure is one too). */
  sessionEnded?(result: SessionResult): void;
  refused?(reason: RefusalReason): void;
  /** A line longer than --max-line was passed on in pieces (CORE-06). */
  longLine?(direction: 'in' | 'out'): void;
}

/** The daemon's life as the admin endpoint reports it (OPS-04, OPS-05). */
export type DaemonState = 'accepting' | 'draining' | 'stopping';

/** A read-only view of one daemon, for health, the agent check and metrics. */
export interface DaemonView {
  readonly name: string;
  /** The service this daemon serves in a `hamelin` process (the command word otherwise). */
  readonly service: string;
  readonly state: DaemonState;
  readonly active: number;
  readonly maxClients: number;
  /** Sessions whose child's output waits for a slow client, and the lines queued for them. */
  readonly queued: { blocked: number; lines: number };
}
