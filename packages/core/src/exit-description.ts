import type { ExitInfo } from './endpoint.js';

/** One short phrase for how a session ended, for close reasons, trailers and client lines. */
export function exitDescription(exit: ExitInfo): string {
  if (exit.refused) return `refused: ${exit.refused}`;
  if (exit.closed !== undefined) return `closed: ${exit.closed}`;
  if (exit.spawnError) return `spawn failed: ${exit.spawnError.code}`;
  if (exit.signal) return `killed by ${exit.signal}`;
  return `exit status ${exit.code ?? 'unknown'}`;
}
