/**
 * `--dir DIR`: pick the executable named by a URL path inside DIR (shared by hamelin-ws and
 * hamelin-http).
 *
 * The raw path is split on `/` BEFORE percent-decoding, so an encoded separator can never
 * create a path step. Segments are then walked one by one from DIR: directories are entered,
 * the first regular file ends the walk and what is left of the path becomes PATH-INFO.
 *
 * Answers:
 * - 400 for a request that is not a path at all: not starting with `/`, or bad percent
 *   encoding.
 * - 404 for every attempt to leave DIR, so that a prober learns nothing about which rule
 *   stopped it: an encoded `/` or `\` (`%2f`, `%5c`), a NUL byte, a backslash, or a `.` /
 *   `..` segment anywhere (also in PATH-INFO, which scripts often use as a file name);
 * - 404 when nothing executable is found: a missing name, a directory with no file after it,
 *   a file that is not executable (or not a regular file), a segment naming a hidden entry
 *   (starting with `.`), or a file whose real path (symlinks resolved) is outside DIR.
 */
import { accessSync, constants, realpathSync, statSync } from 'node:fs';

/** realpath(3) in one call: the JS realpathSync lstat()s every component of the path on
 * every request (8 statx per request on the hot path of hamelin-http --dir). */
const realpath = realpathSync.native;
import { join, sep } from 'node:path';

export interface DirRoute {
  /** The executable to run: its real path, inside the real path of DIR. */
  file: string;
  /** The decoded URL path that named it, e.g. `/chat/room.sh`. */
  scriptName: string;
  /** The decoded rest of the path after the script, `''` or starting with `/`, e.g. `/a/b`. */
  pathInfo: string;
  /** The script's path as named inside DIR (before symlinks are resolved). */
  path: string;
}

export interface DirRouteError {
  error: 404 | 400;
  reason: string;
}

export function resolveDirRoute(dir: string, urlPath: string): DirRoute | DirRouteError {
  const q = urlPath.search(/[?#]/);
  const raw = q >= 0 ? urlPath.slice(0, q) : urlPath;
  if (!raw.startsWith('/')) return { error: 400, reason: 'path must start with /' };

  const segments: string[] = [];
  for (const enc of raw.slice(1).split('/')) {
    let seg: string;
    if (/%(2f|5c|00)/i.test(enc)) return { error: 404, reason: 'encoded separator or NUL in path' };
    try {
      seg = decodeURIComponent(enc);
    } catch {
      return { error: 400, reason: 'bad percent-encoding in path' };
    }
    if (seg.includes('\0') || seg.includes('\\')) return { error: 404, reason: 'NUL or backslash in path' };
    if (seg === '.' || seg === '..') return { error: 404, reason: 'dot segment in path' };
    segments.push(seg);
  }

  let root: string;
  try {
    root = realpath(dir);
  } catch {
    return { error: 404, reason: 'directory not found' };
  }
  const inside = (p: string): boolean => p === root || p.startsWith(root.endsWith(sep) ? root : root + sep);

  let cur = root;
  const named: string[] = [];
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    if (seg === '') continue; // `//` and a trailing `/` name nothing
    if (seg.startsWith('.')) return { error: 404, reason: 'hidden name' };
    const candidate = join(cur, seg);
    let st;
    try {
      st = statSync(candidate);
    } catch {
      return { error: 404, reason: 'not found' };
    }
    let real: string;
    try {
      real = realpath(candidate);
    } catch {
      return { error: 404, reason: 'not found' };
    }
    if (!inside(real)) return { error: 404, reason: 'outside the directory' };
    named.push(seg);
    if (st.isDirectory()) {
      cur = real;
      continue;
    }
    if (!st.isFile()) return { error: 404, reason: 'not a regular file' };
    try {
      accessSync(real, constants.X_OK);
    } catch {
      return { error: 404, reason: 'not executable' };
    }
    const rest = segments.slice(i + 1);
    return {
      file: real,
      scriptName: '/' + named.join('/'),
      pathInfo: rest.length ? '/' + rest.join('/') : '',
      path: join(root, ...named),
    };
  }
  return { error: 404, reason: 'no executable named' };
}
