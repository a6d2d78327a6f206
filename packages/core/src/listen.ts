/**
 * Listening, shared by every socket front-end (CORE-18, NET-01, NET-08): a busy port, a
 * bad address or a live unix socket is one clear line and a non-zero exit before any
 * client is served; a stale unix socket file left by a dead daemon is replaced.
 */
import type { Server } from 'node:net';
import { readFileSync, readlinkSync, unlinkSync } from 'node:fs';
import { StartupError } from './command.js';
import { bindPath, clearStaleSocket, listenUnix, unixBindProblem } from './unix-socket.js';

/** Where a front-end listens. `mode` is a unix socket's permissions (`--unix-mode`, NET-13). */
export type ListenTarget = { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string; mode?: number | undefined };

export function describeTarget(t: ListenTarget): string {
  return t.kind === 'unix' ? `unix:${t.path}` : t.host.includes(':') ? `[${t.host}]:${t.port}` : `${t.host}:${t.port}`;
}

/** Parse a port given as text: digits only, 0-65535 (0 picks a free one). */
export function parsePort(text: string | number | undefined): number {
  const s = String(text ?? '');
  if (!/^\d+$/.test(s) || Number(s) > 65535) throw new StartupError(`bad port: ${JSON.stringify(s)} (0-65535)`);
  return Number(s);
}

/** Listen, or throw a StartupError that says why. Resolves with the bound TCP port (or 0). */
export async function listenOn(server: Server, target: ListenTarget): Promise<number> {
  if (target.kind === 'unix') {
    bindPath(target.path);
    await clearStaleSocket(target.path);
  }
  return new Promise((resolve, reject) => {
    let opened: (() => void) | undefined;
    const onError = (err: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      const where = describeTarget(target);
      const why =
        (target.kind === 'unix' ? unixBindProblem(target.path, err) : undefined) ??
        (err.code === 'EADDRINUSE' ? 'address already in use'
        : err.code === 'EACCES' ? 'permission denied'
        : err.code === 'EADDRNOTAVAIL' ? 'address not available on this machine'
        : err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN' ? 'host name does not resolve'
        : err.message);
      reject(new StartupError(`cannot listen on ${where}: ${why}`, 1));
    };
    const onListening = (): void => {
      server.off('error', onError);
      try {
        opened?.();
      } catch (e) {
        server.close();
        reject(new StartupError(`cannot set the permissions of unix:${(target as { path: string }).path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 1));
        return;
      }
      const addr = server.address();
      resolve(typeof addr === 'object' && addr ? addr.port : 0);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    if (target.kind === 'unix') opened = listenUnix(server, target.path, target.mode);
    else server.listen({ host: target.host, port: target.port, ipv6Only: false });
  });
}

/** Serve a listening socket inherited from systemd (OPS-09); resolves with where it listens. */
export function listenOnFd(server: Server, fd: number): Promise<string | { address: string; port: number }> {
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(new StartupError(`cannot serve the socket on fd ${fd} from systemd: ${err.code ?? err.message}`, 1)));
    server.listen({ fd }, () => {
      const a = server.address();
      resolve(typeof a === 'string' || a === null ? (a || unixPathOf(fd)) : { address: a.address, port: a.port });
    });
  });
}

/** Node cannot name a unix socket opened from a descriptor; Linux can (/proc/net/unix, by inode). */
function unixPathOf(fd: number): string {
  try {
    const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`))?.[1];
    for (const line of readFileSync('/proc/net/unix', 'latin1').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[6] === inode && f[7]) return f[7];
    }
  } catch {
    /* not Linux */
  }
  return `fd:${fd}`;
}

/** Unix socket files that belong to systemd (OPS-09): never removed by us. */
const keptSocketFiles = new Set<string>();
export function keepSocketFile(path: string): void {
  keptSocketFiles.add(path);
}

export function removeSocketFile(target: ListenTarget): void {
  if (target.kind !== 'unix' || keptSocketFiles.has(target.path)) return;
  try {
    unlinkSync(target.path);
  } catch {
    /* already gone */
  }
}
