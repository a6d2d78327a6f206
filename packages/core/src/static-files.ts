/**
 * `--static DIR` for hamelin-http and hamelin-ws (HTTP-41, WS-27): a GET or HEAD naming a file
 * inside DIR is answered with it by `send` (ETag, Last-Modified, Range, conditional requests,
 * the MIME type, HEAD), so the daemon does not grow its own HTTP file server.
 *
 * The path is checked by the rules of `--dir` (dir-route.ts) before `send` sees it: split on
 * `/` before percent-decoding, so an encoded separator never makes a path step; no `.` or `..`
 * segment; no backslash or NUL; no name starting with `.`; and the real path (symlinks resolved)
 * inside the real path of DIR. Every refusal is the same 404 as a missing file. A directory is
 * served by its `index.html`, never listed.
 */
import { realpathSync, statSync } from 'node:fs';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { basename, dirname, join, relative, sep } from 'node:path';
import type sendModule from 'send';
import { coreRequire } from './package-root.js';

// send (with mime-db's table) is loaded with the first file served, not when the daemon starts:
// most daemons serve none, and it was a tenth of a bundled daemon's start (scripts/bundle.mjs).
let sendModuleCache: typeof sendModule | undefined;
const send = (...args: Parameters<typeof sendModule>): ReturnType<typeof sendModule> =>
  (sendModuleCache ??= coreRequire('send') as typeof sendModule)(...args);

const realpath = realpathSync.native;

/** The real path of the file a URL path names inside `dir`, or undefined for a 404. */
export function resolveStaticFile(dir: string, urlPath: string): string | undefined {
  const q = urlPath.search(/[?#]/);
  const raw = q >= 0 ? urlPath.slice(0, q) : urlPath;
  if (!raw.startsWith('/')) return undefined;
  const segments: string[] = [];
  for (const enc of raw.slice(1).split('/')) {
    if (/%(2f|5c|00)/i.test(enc)) return undefined;
    let seg: string;
    try {
      seg = decodeURIComponent(enc);
    } catch {
      return undefined;
    }
    if (seg.includes('\0') || seg.includes('\\') || seg.startsWith('.')) return undefined;
    if (seg !== '') segments.push(seg);
  }
  let root: string;
  let real: string;
  try {
    root = realpath(dir);
    real = realpath(join(root, ...segments));
    if (statSync(real).isDirectory()) real = realpath(join(real, 'index.html'));
    if (!statSync(real).isFile()) return undefined;
  } catch {
    return undefined;
  }
  const rel = relative(root, real);
  // A symlink may lead out of DIR, or onto a hidden name inside it.
  if (rel === '' || rel.startsWith('..') || rel.split(sep).some((s) => s.startsWith('.'))) return undefined;
  return real;
}

/** Answer with the file: `headers` (CORS) first, then what `send` sets. */
export function sendStaticFile(req: IncomingMessage, res: ServerResponse, file: string, headers: OutgoingHttpHeaders, failed: (status: number) => void): void {
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) res.setHeader(name, value);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  // send decodes the path it is given: the name is encoded, the directory is the root.
  send(req, '/' + encodeURIComponent(basename(file)), { root: dirname(file), index: false, dotfiles: 'deny' })
    .on('error', (err: { status?: number }) => failed(err.status ?? 500))
    .pipe(res);
}
