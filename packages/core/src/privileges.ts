/**
 * --user/--group (OPS-10): bind first (a port below 1024 needs root), then give up root for
 * good, before the first child is spawned: with either option the spawn helper is not started
 * ahead (cli.ts: createDaemon) but at the first spawn, so it and every child run as the new user.
 */
import { execFileSync } from 'node:child_process';
import { StartupError } from './command.js';
import type { Logger } from './log.js';

function idOf(kind: 'user' | 'group', name: string): number {
  if (/^\d+$/.test(name)) return Number(name);
  try {
    const line = execFileSync('getent', [kind === 'user' ? 'passwd' : 'group', name], { encoding: 'utf8' });
    return Number(line.split(':')[2]);
  } catch {
    throw new StartupError(`--${kind} ${name}: no such ${kind}`);
  }
}

export function dropPrivileges(user: string | undefined, group: string | undefined, log: Logger): void {
  if (user === undefined && group === undefined) return;
  if (process.getuid?.() !== 0) throw new StartupError('--user and --group need the daemon to start as root', 1);
  const uid = user !== undefined ? idOf('user', user) : undefined;
  let gid = group !== undefined ? idOf('group', group) : undefined;
  if (gid === undefined && user !== undefined) {
    gid = Number(execFileSync('getent', ['passwd', user], { encoding: 'utf8' }).split(':')[3]);
  }
  // Supplementary groups first (root's would stay otherwise), then the group, then the user.
  process.setgroups?.([gid!]);
  process.setgid!(gid!);
  if (uid !== undefined) process.setuid!(uid);
  log.info('privileges', { uid: process.getuid?.(), gid: process.getgid?.() });
}
