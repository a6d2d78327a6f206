/** Processes of a running daemon, from /proc: its spawn helper, and the sessions' group ids. */
import { readdirSync, readFileSync } from 'node:fs';

/** `comm` and ppid of every process. */
function table(): { pid: number; ppid: number; comm: string }[] {
  const out: { pid: number; ppid: number; comm: string }[] = [];
  for (const ent of readdirSync('/proc')) {
    if (!/^\d+$/.test(ent)) continue;
    try {
      const stat = readFileSync(`/proc/${ent}/stat`, 'latin1');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (f[0] === 'Z') continue;
      out.push({ pid: Number(ent), ppid: Number(f[1]), comm });
    } catch {
      /* gone */
    }
  }
  return out;
}

/** The pid of the daemon's spawn helper (a child named hamelin-spawner*), or undefined. */
export function helperOf(daemonPid: number): number | undefined {
  return table().find((p) => p.ppid === daemonPid && p.comm.startsWith('hamelin-spawner'))?.pid;
}

/** Every session child pid (= its pgid) the daemon's log names in `start` lines. */
export function startedPids(log: string): number[] {
  return [...log.matchAll(/ start client=\S+ pid=(\d+)/g)].map((m) => Number(m[1]));
}

/** The parent of `pid`, from /proc. */
export function ppid(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

/** Whether `pid` runs under `ancestor` (a few generations at most: a daemon, its spawn helper, a
 * session); false once either is gone. */
export function descendsFrom(pid: number, ancestor: number): boolean {
  try {
    for (let p = ppid(pid), hops = 0; p > 1 && hops < 8; p = ppid(p), hops++) if (p === ancestor) return true;
  } catch {
    /* gone */
  }
  return false;
}

/** Under --workers: the worker whose session `pid` is, the ancestor just below the primary. */
export function workerOf(pid: number, primary: number): number {
  let p = pid;
  for (let hops = 0; hops < 5; hops++) {
    const up = ppid(p);
    if (up === primary) return p;
    p = up;
  }
  throw new Error(`pid ${pid} is not under the primary ${primary}`);
}
