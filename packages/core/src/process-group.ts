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

/**
 * Call `cb` once no process of the group is alive (zombies do not count); returns a cancel.
 * For a layer that cannot report it (child_process, a helper that is no subreaper): every group
 * waited on is looked at by one shared timer, with one kill(2) each every 50 ms, and one scan of
 * /proc for all of them together every 500 ms (it only tells a group of zombies, left under an
 * init that does not reap, from a live one), so the cost grows with sessions plus processes, not
 * with sessions times processes (issue 10, item 8).
 */
export function whenGroupEmpty(pgid: number, cb: () => void): () => void {
  let set = emptyWaiters.get(pgid);
  if (!set) emptyWaiters.set(pgid, (set = new Set()));
  set.add(cb);
  emptyTimer ??= setInterval(checkGroups, 50);
  return () => {
    set.delete(cb);
    if (set.size === 0 && emptyWaiters.get(pgid) === set) emptyWaiters.delete(pgid);
    stopIfIdle();
  };
}

const emptyWaiters = new Map<number, Set<() => void>>();
let emptyTimer: NodeJS.Timeout | undefined;
let ticks = 0;

function stopIfIdle(): void {
  if (emptyWaiters.size === 0 && emptyTimer) {
    clearInterval(emptyTimer);
    emptyTimer = undefined;
  }
}

function checkGroups(): void {
  const maybe: number[] = [];
  const empty: number[] = [];
  for (const pgid of emptyWaiters.keys()) {
    try {
      process.kill(-pgid, 0);
      maybe.push(pgid);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EPERM') maybe.push(pgid);
      else empty.push(pgid);
    }
  }
  if (maybe.length > 0 && process.platform === 'linux' && ++ticks % 10 === 0) {
    const live = liveGroups();
    if (live) for (const pgid of maybe) if (!live.has(pgid)) empty.push(pgid);
  }
  for (const pgid of empty) {
    const set = emptyWaiters.get(pgid);
    emptyWaiters.delete(pgid);
    for (const cb of set ?? []) cb();
  }
  stopIfIdle();
}

/** The process groups that have a member that is not a zombie, from one pass over /proc. */
function liveGroups(): Set<number> | undefined {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return undefined;
  }
  const live = new Set<number>();
  for (const ent of entries) {
    const c = ent.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const s = statOf(ent);
    if (s && s.state !== 'Z' && s.state !== 'X') live.add(s.pgrp);
  }
  return live;
}

function statOf(pid: string): { state: string; pgrp: number } | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined; // exited while we looked
  }
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ', 3);
  return { state: fields[0]!, pgrp: Number(fields[2]) };
}

/**
 * Call `cb` once the process `pid` has exited (gone, or a zombie), for a child whose parent
 * is not this daemon and can no longer tell it (its spawn helper died, CORE-30). One shared
 * timer reads one /proc/PID/stat per such child, every 250 ms.
 */
export function whenProcessGone(pid: number, cb: () => void): () => void {
  goneWaiters.set(pid, cb);
  goneTimer ??= setInterval(checkProcesses, 250);
  return () => {
    if (goneWaiters.get(pid) === cb) goneWaiters.delete(pid);
    if (goneWaiters.size === 0 && goneTimer) {
      clearInterval(goneTimer);
      goneTimer = undefined;
    }
  };
}

const goneWaiters = new Map<number, () => void>();
let goneTimer: NodeJS.Timeout | undefined;

function checkProcesses(): void {
  for (const [pid, cb] of goneWaiters) {
    const s = statOf(String(pid));
    if (s && s.state !== 'Z' && s.state !== 'X') continue;
    goneWaiters.delete(pid);
    cb();
  }
  if (goneWaiters.size === 0 && goneTimer) {
    clearInterval(goneTimer);
    goneTimer = undefined;
  }
}
