/**
 * --user/--group (OPS-10): bind first (a port below 1024 needs root), then give up root for
 * good, before the first child is spawned. The listening line names the spawn layer, so a helper
 * may already run as root by then: it is stopped, and the first spawn starts a new one as the new
 * user, so that it and every child run as that user.
 */
import { execFileSync } from 'node:child_process';
import { StartupError } from './command.js';
import type { Logger } from './log.js';
import { stopSpawnLayer } from './spawn.js';
import { handPeersTo } from './worker-peers.js';

function idOf(kind: 'user' | 'group', name: string): number {
  if (/^\d+$/.test(name)) return Number(name);
  try {
    const line = execFileSync('getent', [kind === 'user' ? 'passwd' : 'group', name], { encoding: 'utf8' });
    return Number(line.split(':')[2]);
  } catch {
    throw new StartupError(`--${kind} ${name}: no such ${kind}`);
  }
}

export async function dropPrivileges(user: string | undefined, group: string | undefined, log: Logger): Promise<void> {
  if (user === undefined && group === undefined) return;
  if (process.getuid?.() !== 0) throw new StartupError('--user and --group need the daemon to start as root', 1);
  const uid = user !== undefined ? idOf('user', user) : undefined;
  let gid = group !== undefined ? idOf('group', group) : undefined;
  if (gid === undefined && user !== undefined) {
    gid = Number(execFileSync('getent', ['passwd', user], { encoding: 'utf8' }).split(':')[3]);
  }
  // While still root: the helper's directory is root's, and only root may remove it.
  await stopSpawnLayer();
  // Under --workers, the sockets siblings pass requests on (OPS-17) must stay reachable.
  handPeersTo(uid ?? process.getuid!(), gid!);
  // Supplementary groups first (root's would stay otherwise), then the group, then the user.
  process.setgroups?.([gid!]);
  process.setgid!(gid!);
  if (uid !== undefined) process.setuid!(uid);
  log.info('privileges', { uid: process.getuid?.(), gid: process.getgid?.() });
}
