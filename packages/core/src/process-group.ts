/**
 * Signals for a session's process group (CORE-13, CORE-14). The child is spawned as the
 * leader of a new session and group (setsid), so its pid is its pgid and a signal to
 * `-pid` reaches grandchildren such as the two halves of `sh -c 'a | b'`.
 */
import { readdirSync, readFileSync } from 'node:fs';

export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false; // ESRCH: the group is empty
  }
}

/**
 * Whether any process of the group still runs. kill(-pgid, 0) alone is not enough: a
 * grandchild orphaned by the leader's exit is reparented to init, and where init does not
 * reap (many containers), it stays a zombie in the group forever. On Linux, a positive
 * answer is confirmed against /proc, counting only members that are not zombies.
 */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  if (process.platform !== 'linux') return true;
  return liveMembers(pgid) > 0;
}

function liveMembers(pgid: number): number {
  let n = 0;
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return 1; // no /proc: trust kill(2)
  }
  for (const ent of entries) {
    const c = ent.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${ent}/stat`, 'latin1');
    } catch {
      continue; // exited while we looked
    }
    // pid (comm) state ppid pgrp ...: comm may contain spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X') n++;
  }
  return n;
}
