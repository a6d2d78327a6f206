/**
 * The spawn helper's private directory (it holds the helper's unix socket), named
 * `hamelin-spawn-PID-XXXXXX` after the daemon that owns it, so that a daemon that died without
 * removing it (SIGKILL, a crash) can be recognised: at startup, such directories of this user
 * whose owner is gone are removed (CORE-28).
 */
import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PREFIX = 'hamelin-spawn-';
const OWNED = /^hamelin-spawn-(\d+)-[A-Za-z0-9]{6}$/;

/** A new 0700 directory for this process's helper. */
export function makeSpawnDir(): string {
  return mkdtempSync(join(tmpdir(), `${PREFIX}${process.pid}-`));
}

/** Remove this user's spawn directories whose daemon is no longer running; returns how many. */
export function removeStaleSpawnDirs(): number {
  const dir = tmpdir();
  const uid = process.getuid?.();
  let removed = 0;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  for (const name of names) {
    const m = OWNED.exec(name);
    if (!m) continue;
    const owner = Number(m[1]);
    const path = join(dir, name);
    try {
      const st = lstatSync(path);
      if (!st.isDirectory() || (uid !== undefined && st.uid !== uid)) continue;
      if (owner === process.pid || running(owner)) continue;
      rmSync(path, { recursive: true, force: true });
      removed++;
    } catch {
      /* gone meanwhile, or not ours to remove */
    }
  }
  return removed;
}

/** True while a process with this pid runs (a zombie has died). A recycled pid keeps a dead
 * daemon's directory until that process is gone too: never a live daemon's. */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return true; // no /proc: trust kill(2)
  }
}
