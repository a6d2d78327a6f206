/**
 * Signals for a session's process group (CORE-12, CORE-13). The child is spawned as the
 * leader of a new session and group (setsid), so its pid is its pgid and a signal to
 * `-pid` reaches grandchildren such as the two halves of `sh -c 'a | b'`.
 */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false; // ESRCH: the group is empty
  }
}

export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
