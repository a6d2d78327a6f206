/**
 * The file of a unix socket listener (NET-08, NET-12, NET-13): whether one already there is live,
 * and the socket's permissions from the moment it exists.
 */
import { connect, type Server } from 'node:net';
import { chmodSync, lstatSync, readFileSync, realpathSync, statSync, unlinkSync } from 'node:fs';
import { basename, dirname, isAbsolute, resolve } from 'node:path';
import { StartupError } from './command.js';

/** The longest path a unix socket can be bound to: sun_path is 108 bytes with its NUL. Node binds a
 * longer one silently cut short, at a path nobody asked for. */
export const UNIX_PATH_MAX = 107;

/** The default permissions of the socket file, before the umask narrows them (NET-13): the owner
 * and the group may connect, nobody else. */
export const DEFAULT_UNIX_MODE = 0o660;

/** `--unix-mode`: octal permissions such as 0660 or 600, nothing above 0777. */
export function parseUnixMode(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^0?[0-7]{3}$/.test(text)) throw new StartupError(`bad --unix-mode: ${JSON.stringify(text)} (octal permissions, such as 0660 or 0600)`);
  return parseInt(text, 8);
}

export const unixModeOption = {
  type: 'string',
  describe: 'permissions of the unix socket, octal (default: 0660, narrowed by the umask)',
  group: 'Listening:',
} as const;

/** The path to bind: absolute when it fits, so that /proc/net/unix names it unambiguously for the
 * next daemon's liveness check. */
export function bindPath(path: string): string {
  if (Buffer.byteLength(path) > UNIX_PATH_MAX) throw new StartupError(`cannot listen on unix:${path}: the path is ${Buffer.byteLength(path)} bytes long, over the ${UNIX_PATH_MAX} a unix socket can have`, 1);
  const abs = resolve(path);
  return Buffer.byteLength(abs) <= UNIX_PATH_MAX ? abs : path;
}

/**
 * Make way for a listener at `path`: nothing there is fine, a stale socket (its daemon died) is
 * removed, a live one or a file that is not a socket is a startup error. A socket the kernel lists
 * as listening under this path is live without connecting to it: a connection would start a session
 * of the daemon there, running its command for nobody (NET-08).
 */
export async function clearStaleSocket(path: string): Promise<void> {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return;
  }
  if (!st.isSocket()) throw new StartupError(`cannot listen on unix:${path}: it exists and is not a socket`, 1);
  const live = listedAsListening(path) === 'yes' || (await answersConnect(path));
  if (live) throw new StartupError(`cannot listen on unix:${path}: another server is listening there`, 1);
  unlinkSync(path);
}

/**
 * Whether /proc/net/unix (the listeners of this network namespace) has a listening stream socket
 * bound to `path`: 'yes'; 'no'; or 'maybe' when /proc cannot tell (not Linux, or a listener bound to
 * a relative path with our file's name, relative to a directory we cannot know).
 */
function listedAsListening(path: string): 'yes' | 'no' | 'maybe' {
  let table: string;
  try {
    table = readFileSync('/proc/net/unix', 'latin1');
  } catch {
    return 'maybe';
  }
  const ours = canonical(resolve(path));
  const name = basename(path);
  let answer: 'no' | 'maybe' = 'no';
  for (const line of table.split('\n')) {
    // Num: RefCount Protocol Flags Type St Inode Path; Flags 00010000 is __SO_ACCEPTCON (listening).
    const m = /^\s*[0-9a-f]+: [0-9a-f]+ [0-9a-f]+ ([0-9a-f]+) 0001 [0-9a-f]+ +\d+ (.+)$/i.exec(line);
    if (!m || (parseInt(m[1]!, 16) & 0x10000) === 0 || basename(m[2]!) !== name) continue;
    if (!isAbsolute(m[2]!)) answer = 'maybe';
    else if (canonical(m[2]!) === ours) return 'yes';
  }
  return answer;
}

/** The path with its directory's symbolic links resolved (`/var/run` is `/run`). */
function canonical(path: string): string {
  try {
    return resolve(realpathSync(dirname(path)), basename(path));
  } catch {
    return path;
  }
}

/** The fallback when /proc cannot say: a connection that succeeds means a live listener. */
function answersConnect(path: string): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

/**
 * Bind `server` to the socket at `path` with permissions `mode` (default: DEFAULT_UNIX_MODE less the
 * umask), never wider at any moment: the socket is created under umask 0777 (mode 0000: only root
 * can connect), and opened up by chmod once it listens (NET-13). Node binds within listen(), so the
 * umask is the daemon's own again before any other JavaScript runs; the daemon creates its files
 * with synchronous calls, so no thread-pool call can create one under that umask meanwhile.
 * (In a node:cluster worker the primary binds, and this does not hold.)
 */
export function listenUnix(server: Server, path: string, mode: number | undefined): () => void {
  const at = bindPath(path);
  const umask = process.umask(0o777);
  try {
    server.listen(at);
  } finally {
    process.umask(umask);
  }
  const wanted = mode ?? DEFAULT_UNIX_MODE & ~umask;
  return () => chmodSync(path, wanted);
}

/** Why binding `path` failed, in words: libuv reports a missing directory as EACCES. */
export function unixBindProblem(path: string, err: NodeJS.ErrnoException): string | undefined {
  if (err.code !== 'EACCES' && err.code !== 'ENOENT' && err.code !== 'ENOTDIR') return undefined;
  const dir = dirname(resolve(path));
  try {
    if (!statSync(dir).isDirectory()) return `${dir} is not a directory`;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return `no such directory: ${dir}`;
    if (code === 'ENOTDIR') return `${dir} is not a directory`;
  }
  return undefined;
}
