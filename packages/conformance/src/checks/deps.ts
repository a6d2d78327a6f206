/**
 * Which basic capability each check relies on, so that one defect is reported once: a daemon
 * that buffers its output fails the line-buffering check (CORE-03) and, with it, every check that
 * waits for an echo. When a check fails and a check it relies on failed too, the report marks it
 * "follows from" the deepest such failure, the likely root cause.
 *
 * The basics: CORE-01 (a process per client, so a session starts at all), CORE-03 (a line comes
 * back while the client waits), CORE-13 (the child learns the client left), CORE-15 (the end of
 * output is delivered), CORE-20 (the client limit), CORE-07 (flow control), CORE-22 (shutdown).
 */
import type { Result } from '../runner.js';

const SESSION = ['CORE-01'];
const ECHO = ['CORE-03'];
const GONE = ['CORE-13'];

export const DEPENDS_ON: Record<string, string[]> = {
  // CORE-03 is the most basic: the CORE-01 check itself proves each process by its echo.
  'CORE-01': ECHO,
  'CORE-02': SESSION,
  'CORE-04': ECHO,
  'CORE-05': ECHO,
  'CORE-06': ECHO,
  'CORE-07': ECHO,
  'CORE-08': SESSION,
  'CORE-09': SESSION,
  'CORE-10': SESSION,
  'CORE-11': SESSION,
  'CORE-12': SESSION,
  'CORE-13': ECHO,
  'CORE-14': GONE,
  'CORE-15': ECHO,
  'CORE-16': SESSION,
  'CORE-17': ECHO,
  'CORE-19': ECHO,
  'CORE-20': ECHO,
  'CORE-21': ECHO,
  // Not GONE: a daemon that ignores a client leaving may still shut down well, and the reverse.
  'CORE-22': SESSION,
  'CORE-23': SESSION,
  'CORE-24': SESSION,
  'CORE-25': ECHO,
  'CORE-26': SESSION,
  'NET-01': ECHO,
  'NET-02': SESSION,
  'NET-03': SESSION,
  'NET-04': ECHO,
  'NET-05': GONE,
  'NET-06': GONE,
  'NET-07': ['CORE-15'],
  'NET-08': ECHO,
  'NET-09': ECHO,
  'WS-02': ECHO,
  'WS-03': SESSION,
  'WS-04': SESSION,
  'WS-05': GONE,
  'WS-06': SESSION,
  'WS-07': SESSION,
  'WS-08': ['CORE-15'],
  'WS-09': GONE,
  'WS-10': GONE,
  'WS-11': ['CORE-07'],
  'WS-12': ECHO,
  'WS-13': ['CORE-20'],
  'WS-15': SESSION,
  'WS-16': SESSION,
  'WS-19': ECHO,
  'WS-20': ECHO,
  'WS-21': ['CORE-22'],
  'HTTP-02': SESSION,
  'HTTP-03': SESSION,
  'HTTP-04': SESSION,
  'HTTP-05': SESSION,
  'HTTP-06': ['HTTP-05'],
  'HTTP-07': SESSION,
  'HTTP-08': SESSION,
  'HTTP-09': SESSION,
  'HTTP-10': GONE,
  'HTTP-11': SESSION,
  'HTTP-14': ['CORE-20'],
  'HTTP-19': ['HTTP-18'],
  // The front door's checks prove each admitted session by its echo.
  'FD-07': ECHO,
  'FD-10': ECHO,
  'FD-13': ECHO,
  'FD-14': ECHO,
  'FD-18': ECHO,
};

/** Mark each failure that a failed check it relies on explains, with the deepest such check. */
export function markRootCauses(results: Result[]): Result[] {
  const failed = new Set(results.filter((r) => r.status === 'fail').map((r) => r.id));
  const root = (id: string, seen = new Set<string>()): string | undefined => {
    for (const dep of DEPENDS_ON[id] ?? []) {
      if (!failed.has(dep) || seen.has(dep)) continue;
      seen.add(dep);
      return root(dep, seen) ?? dep;
    }
    return undefined;
  };
  return results.map((r) => {
    if (r.status !== 'fail') return r;
    const from = root(r.id);
    return from ? { ...r, followsFrom: from } : r;
  });
}
