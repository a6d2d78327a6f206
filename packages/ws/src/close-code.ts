/**
 * How a session's end is told to a WebSocket client (WS-08): the close frame carries the
 * exit status, so a client learns why the session ended (websocketd sends no close frame).
 *
 *   exit status 0         -> 1000 "exit status 0"
 *   exit status N (1-255) -> 4000 + N "exit status N"
 *   killed by signal S    -> 4100 + signal number, "killed by SIGKILL"
 *   spawn failed          -> 1011 "spawn failed: ENOENT"
 *   refused (limit)       -> 1013 "refused: too many clients (limit 4)"
 */
import { constants } from 'node:os';
import { exitDescription, type ExitInfo } from '@hamelin/core';

export interface CloseFrame {
  code: number;
  reason: string;
}

export function closeFor(exit: ExitInfo): CloseFrame {
  const reason = truncate(exitDescription(exit));
  if (exit.refused) return { code: 1013, reason };
  // HUB-09, HUB-11: the shared process goes on; this client was ended normally, for a reason.
  if (exit.closed !== undefined) return { code: 1000, reason };
  if (exit.spawnError) return { code: 1011, reason };
  if (exit.signal) {
    const n = (constants.signals as Record<string, number>)[exit.signal];
    return { code: n !== undefined ? 4100 + n : 1011, reason };
  }
  if (exit.code === 0) return { code: 1000, reason };
  if (exit.code !== null && exit.code > 0 && exit.code < 256) return { code: 4000 + exit.code, reason };
  return { code: 1011, reason };
}

/** A close reason is at most 123 bytes of UTF-8. */
function truncate(s: string): string {
  let out = s;
  while (Buffer.byteLength(out) > 123) out = out.slice(0, -1);
  return out;
}
