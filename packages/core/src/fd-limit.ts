/**
 * How many sessions the daemon's open-files limit leaves room for. Running out of descriptors
 * is silent from inside Node: libuv accepts and closes a connection it has no descriptor for,
 * and no callback learns of it. So the daemon says at startup, once, when the limit is lower
 * than --max-clients asks for, as nginx does for worker_connections.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** A session holds three descriptors in the daemon: the client's socket and the child's
 * stdin and stdout sockets (stderr is inherited by the child, never opened here). */
export const DESCRIPTORS_PER_SESSION = 3;

export interface DescriptorRoom {
  /** The soft RLIMIT_NOFILE (Node raises it to the hard limit at startup). */
  limit: number;
  /** Descriptors open now, before any client. */
  open: number;
  /** Sessions that fit in what is left. */
  sessions: number;
}

/** Undefined where /proc cannot tell (not Linux) or the limit is unlimited. */
export function descriptorRoom(): DescriptorRoom | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
    const limit = Number(line?.trim().split(/\s+/)[3]);
    if (!Number.isSafeInteger(limit)) return undefined;
    const open = readdirSync('/proc/self/fd').length;
    return { limit, open, sessions: Math.max(0, Math.floor((limit - open) / DESCRIPTORS_PER_SESSION)) };
  } catch {
    return undefined;
  }
}
