/**
 * --static DIR on http (HTTP-41) and ws (WS-27): a file in DIR is served as the `send` library
 * serves it (type, ETag, Range, 304, HEAD), nothing runs for it, and every path the --dir rules
 * refuse (dot segments, encoded slashes, dotfiles, a symlink out, a directory without index.html)
 * names no file: the answer is the one without --static (http: the command's; ws: 426).
 */
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Check, Ctx, DaemonRun } from '../runner.js';
import { dialWs, wsUrl } from '../bindings/ws.js';
import { b64, expectNoMoreStarted, pingEcho } from './common.js';
import { header, rawAnswer, showAnswer, type RawAnswer } from './raw-answer.js';

const PAGE = '<!doctype html><title>static page</title>\n';
const RAN = 'command ran\n';

/** The tree: served files, and beside them the files no path may reach (each says SECRET). */
function staticTree(ctx: Ctx): string {
  const root = join(ctx.dir, 'static');
  for (const d of ['sub', 'bare', '.hid']) mkdirSync(join(root, d), { recursive: true });
  const files: Record<string, string> = {
    'page.html': PAGE,
    'data.json': '{"k":1}\n',
    'sub/index.html': 'sub index\n',
    'sub/x.txt': 'SECRET via an encoded slash\n',
    'bare/a.txt': 'SECRET listed\n',
    '.secret.txt': 'SECRET dotfile\n',
    '.hid/x.txt': 'SECRET hidden directory\n',
    '../outside.txt': 'SECRET outside\n',
  };
  for (const [f, text] of Object.entries(files)) writeFileSync(join(root, f), text);
  symlinkSync(join(ctx.dir, 'outside.txt'), join(root, 'link.txt'));
  return root;
}

/** Paths that name no file by the --dir rules. */
const REFUSED = ['/.secret.txt', '/.hid/x.txt', '/../outside.txt', '/sub/%2e%2e/%2E%2E/outside.txt', '/sub%2fx.txt', '/sub%5cx.txt', '/link.txt', '/bare/', '/bare'];

const send = (ctx: Ctx, d: DaemonRun, method: string, path: string, headers: string[] = []): Promise<RawAnswer> =>
  rawAnswer(d.addr, method, path, headers, ctx.ms(5000)).catch((e: Error) => ctx.fail(`an answer to ${method} ${path}`, e.message));

/** The file answers both bindings give: GET with its headers, HEAD, Range, 304, an index.html.
 * No process may start for any of them. */
async function expectFiles(ctx: Ctx, d: DaemonRun): Promise<string> {
  const a = await send(ctx, d, 'GET', '/page.html');
  ctx.expect(a.status === 200 && a.body.toString() === PAGE, 'GET /page.html: 200 and the file', () => showAnswer(a));
  ctx.expect(/^text\/html\b/.test(header(a, 'content-type') ?? ''), 'Content-Type text/html (the MIME type of .html)', () => showAnswer(a));
  const etag = header(a, 'etag');
  ctx.expect(etag !== undefined && header(a, 'last-modified') !== undefined && header(a, 'accept-ranges') === 'bytes', 'ETag, Last-Modified and Accept-Ranges: bytes', () => showAnswer(a));
  const j = await send(ctx, d, 'GET', '/data.json');
  ctx.expect(j.status === 200 && /^application\/json\b/.test(header(j, 'content-type') ?? ''), 'GET /data.json: 200, Content-Type application/json', () => showAnswer(j));
  const h = await send(ctx, d, 'HEAD', '/page.html');
  ctx.expect(h.status === 200 && h.body.length === 0 && header(h, 'content-length') === String(PAGE.length), `HEAD /page.html: 200, Content-Length ${PAGE.length}, no body`, () => showAnswer(h));
  const r = await send(ctx, d, 'GET', '/page.html', ['Range: bytes=2-6']);
  ctx.expect(r.status === 206 && r.body.toString() === PAGE.slice(2, 7) && header(r, 'content-range') === `bytes 2-6/${PAGE.length}`, `Range bytes=2-6: 206, Content-Range bytes 2-6/${PAGE.length}, 5 bytes`, () => showAnswer(r));
  const over = await send(ctx, d, 'GET', '/page.html', ['Range: bytes=5000-6000']);
  ctx.expect(over.status === 416, 'Range bytes=5000-6000 (past the end): 416', () => showAnswer(over));
  const same = await send(ctx, d, 'GET', '/page.html', [`If-None-Match: ${etag}`]);
  ctx.expect(same.status === 304 && same.body.length === 0, 'If-None-Match with its ETag: 304, no body', () => showAnswer(same));
  const idx = await send(ctx, d, 'GET', '/sub/');
  ctx.expect(idx.status === 200 && idx.body.toString() === 'sub index\n', "GET /sub/: its index.html", () => showAnswer(idx));
  return expectNoMoreStarted(ctx, d, 0, 'no process for 8 file requests');
}

export const staticChecks: Check[] = [
  {
    id: 'HTTP-41',
    level: 'MUST',
    title: "--static: a file with its type, ETag, Range 206/416, 304, HEAD, index.html, nothing run; dotfiles, dot segments, encoded slashes, symlinks out and listings never",
    bindings: ['http'],
    needs: ['static'],
    async run(ctx) {
      const d = await ctx.start({ options: { static: join(ctx.dir, 'static') }, commandFor: (runDir) => (staticTree(ctx), ctx.probeCommand(runDir, `print=${b64(RAN)}+exit=0`)) });
      const files = await expectFiles(ctx, d);
      ctx.expect(header(await send(ctx, d, 'GET', '/page.html'), 'x-content-type-options') === 'nosniff', 'X-Content-Type-Options: nosniff on a file', () => 'none');
      for (const path of [...REFUSED, '/missing.html']) {
        const a = await send(ctx, d, 'GET', path);
        ctx.expect(a.status === 200 && a.body.toString() === RAN, `GET ${path} names no file: the command's answer (200 "${RAN.trim()}"), as without --static`, () => showAnswer(a));
      }
      const post = await send(ctx, d, 'POST', '/page.html', ['Content-Length: 0']);
      ctx.expect(post.status === 200 && post.body.toString() === RAN, 'POST /page.html reads no file: the command answers', () => showAnswer(post));
      if (!ctx.has('dir')) return `${files}; ${REFUSED.length + 1} paths answered by the command`;
      // One directory for both: a script in it runs (never served as source), a file is served.
      const both = join(ctx.dir, 'both');
      const d2 = await ctx.start({
        options: { static: both, dir: both },
        commandFor: (runDir) => {
          mkdirSync(both);
          writeFileSync(join(both, 'run.sh'), `#!/bin/sh\n# ${runDir}\necho script ran\n`);
          chmodSync(join(both, 'run.sh'), 0o755);
          writeFileSync(join(both, 'page.html'), PAGE);
          return [];
        },
      });
      const s = await send(ctx, d2, 'GET', '/run.sh');
      ctx.expect(s.status === 200 && s.body.toString() === 'script ran\n', '--dir and --static on one directory: GET /run.sh runs the script ("script ran"), never serves its source', () => showAnswer(s));
      const f = await send(ctx, d2, 'GET', '/page.html');
      ctx.expect(f.status === 200 && f.body.toString() === PAGE, '--dir and --static on one directory: GET /page.html serves the file', () => showAnswer(f));
      return `${files}; ${REFUSED.length + 1} paths answered by the command; a --dir script comes before the file`;
    },
  },
  {
    id: 'WS-27',
    level: 'MUST',
    title: '--static: a plain GET or HEAD naming a file is served (type, ETag, Range, 304, HEAD, index.html); refused paths are 426; an upgrade on a file\'s path opens a session',
    bindings: ['ws'],
    needs: ['static'],
    async run(ctx) {
      const d = await ctx.start({ options: { static: join(ctx.dir, 'static') }, commandFor: (runDir) => (staticTree(ctx), ctx.probeCommand(runDir, 'echo+stay')) });
      const files = await expectFiles(ctx, d);
      for (const path of [...REFUSED, '/missing.html']) {
        const a = await send(ctx, d, 'GET', path);
        ctx.expect(a.status === 426 && !a.raw.includes('SECRET'), `GET ${path} names no file: 426 as without --static`, () => showAnswer(a));
      }
      const c = await dialWs(wsUrl(d.addr.host, d.addr.port, d.addr.tls, '/page.html')).catch((e: Error) => ctx.fail('an upgrade on /page.html to open a session (the file does not answer it)', e.message));
      await pingEcho(ctx, c);
      c.close();
      return `${files}; ${REFUSED.length + 1} paths answered 426; an upgrade on /page.html opened a session`;
    },
  },
];
