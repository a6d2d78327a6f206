/** HTTP interactive sessions (spec/bindings/http.md): the /.hamelin/ prefix (HTTP-22), session
 * ids (HTTP-23), POSTed lines (HTTP-24), the end of input (HTTP-25), long polls (HTTP-26),
 * DELETE (HTTP-27), abandoned sessions (HTTP-28), ids that name nothing (HTTP-29) and --dir
 * (HTTP-31). Each asserts status codes, the Hamelin-* headers and what the child saw. */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Check, Ctx, DaemonRun } from '../runner.js';
import { within } from '../runner.js';
import { dialHttp } from '../bindings/http.js';
import { b64, clip, eventually, expectNoMoreStarted, fresh, isRunning, signalsOf, waitSignal } from './common.js';
import { dirTree } from './ws.js';

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Milliseconds from the request to the end of its answer. */
  ms: number;
}

/** One whole request; a method other than GET carries `body` (empty by default). */
async function call(ctx: Ctx, d: DaemonRun, method: string, path: string, body = '', waitMs = 5000, headers: Record<string, string> = {}): Promise<Answer> {
  const t0 = Date.now();
  const c = await dialHttp(d.addr, { method, path, headers, ...(method === 'GET' ? {} : { body }) });
  await within(() => c.endedAt() !== undefined || c.error() !== undefined, ctx.ms(waitMs));
  c.close();
  return { status: c.status() ?? 0, headers: c.headers(), body: c.received().toString(), ms: Date.now() - t0 };
}

const show = (a: Answer): string => `${a.status || 'no answer'} ${clip(a.body, 80)}${Object.entries(a.headers).filter(([k]) => k.startsWith('hamelin-') || k === 'allow').map(([k, v]) => ` ${k}: ${v}`).join('')}`;

/** Open a long-poll session: its id (checked for shape), or the check fails. */
async function open(ctx: Ctx, d: DaemonRun, method = 'POST', path = '/.hamelin/poll'): Promise<string> {
  const a = await call(ctx, d, method, path);
  const id = a.body.trim();
  ctx.expect(a.status === 200 && /^[A-Za-z0-9_-]{24}\n$/.test(a.body) && a.headers['hamelin-session'] === id, `${method} ${path}: 200, the body "ID\\n" (24 base64url characters) and Hamelin-Session: ID`, () => show(a));
  return id;
}

const session = (id: string): string => `/.hamelin/session/${id}`;

/** Poll a session whose child has exited until a poll says it ended (the daemon may learn of
 * the exit a moment after the child's last write): all the output, and that last answer. */
async function pollToEnd(ctx: Ctx, d: DaemonRun, id: string): Promise<{ body: string; last: Answer }> {
  let body = '';
  for (let i = 0; ; i++) {
    const a = await call(ctx, d, 'GET', session(id));
    if (a.status === 200) body += a.body;
    if (a.headers['hamelin-state'] !== 'running' || i >= 5) return { body, last: a };
  }
}

export const httpSessionChecks: Check[] = [
  {
    id: 'HTTP-22',
    level: 'MUST',
    title: 'the /.hamelin/ prefix never runs the command by its path: anything but its URLs is 404, a wrong method 405 with Allow',
    async run(ctx) {
      const d = await ctx.start({ mode: 'echo' });
      const cases: [string, string, number][] = [
        ['GET', '/.hamelin/', 404],
        ['GET', '/.hamelin/anything', 404],
        ['POST', '/.hamelin/run/me', 404],
        ['GET', '/.hamelin/sessions', 404],
        ['DELETE', '/.hamelin/poll', 405],
      ];
      for (const [method, path, status] of cases) {
        const a = await call(ctx, d, method, path, 'x\n');
        ctx.expect(a.status === status && (status !== 405 || a.headers.allow !== undefined), `${method} ${path}: ${status}${status === 405 ? ' with Allow' : ''}`, () => show(a));
      }
      return `${cases.map(([m, p, s]) => `${m} ${p} ${s}`).join(', ')}; ${await expectNoMoreStarted(ctx, d, 0, 'no process for a path under /.hamelin/')}`;
    },
  },
  {
    id: 'HTTP-23',
    level: 'MUST',
    title: 'opening a long-poll session (GET or POST /.hamelin/poll): 200, a 24-character base64url id as body and Hamelin-Session, one process; ids differ and are never logged',
    async run(ctx) {
      const d = await ctx.start({ mode: 'echo+stay' });
      const a = await open(ctx, d, 'POST');
      const b = await open(ctx, d, 'GET');
      ctx.expect(a !== b, 'two sessions, two ids', () => `${a} twice`);
      const counted = await expectNoMoreStarted(ctx, d, 2, 'a process per session');
      const logged = [a, b].filter((id) => d.stderr().toString().includes(id));
      ctx.expect(logged.length === 0, 'no session id in the log', () => `${logged.join(', ')} logged`);
      return `ids ${a.slice(0, 4)}... and ${b.slice(0, 4)}...; ${counted}`;
    },
  },
  {
    id: 'HTTP-24',
    level: 'MUST',
    title: "a POST to /.hamelin/session/ID feeds the same process's stdin, each piece of the body a line with its LF (CR kept, empty body nothing): 204",
    async run(ctx) {
      const d = await ctx.start({ mode: 'echo+stay' });
      const id = await open(ctx, d);
      const [p] = await d.waitSessions(1);
      for (const body of ['hello', 'a\nb', '', 'cr kept\r\n']) {
        const a = await call(ctx, d, 'POST', session(id), body);
        ctx.expect(a.status === 204, `POST ${JSON.stringify(body)}: 204`, () => show(a));
      }
      const want = 'hello\na\nb\ncr kept\r\n';
      await within(() => fresh(d, p!).stdin().toString() === want, ctx.ms(3000));
      const got = fresh(d, p!).stdin().toString();
      ctx.expect(got === want, `the child to read ${JSON.stringify(want)}`, () => JSON.stringify(got));
      ctx.expect(d.sessions().length === 1, 'one process for the session and its four POSTs', () => `${d.sessions().length}`);
      return `4 POSTs answered 204, the child read ${JSON.stringify(want)}`;
    },
  },
  {
    id: 'HTTP-25',
    level: 'MUST',
    title: "POST /.hamelin/session/ID/end ends the child's stdin after the lines POSTed before (EOF, no signal): 204",
    async run(ctx) {
      const d = await ctx.start({ mode: 'echo' });
      const id = await open(ctx, d);
      const [p] = await d.waitSessions(1);
      const a = await call(ctx, d, 'POST', session(id), 'last');
      const e = await call(ctx, d, 'POST', `${session(id)}/end`, 'ignored');
      ctx.expect(a.status === 204 && e.status === 204, 'the POST and the end: 204 each', () => `${show(a)}; ${show(e)}`);
      await within(() => fresh(d, p!).exit() !== undefined, ctx.ms(3000));
      const q = fresh(d, p!);
      ctx.expect(q.eof() !== undefined && q.stdin().toString() === 'last\n', 'the child to read "last\\n", then EOF', () => `${JSON.stringify(q.stdin().toString())}${q.eof() ? ', EOF' : ', no EOF'}`);
      ctx.expect(q.signals().length === 0, 'no signal to the child', () => signalsOf(d, p!.pid));
      return 'the line, then EOF; the child exited by itself';
    },
  },
  {
    id: 'HTTP-26',
    level: 'MUST',
    title: 'GET /.hamelin/session/ID waits for output (up to --poll-timeout, then 204), answers 200 with the lines and Hamelin-State; after the exit, the rest with a LF, ended and Hamelin-Exit',
    timeoutMs: 60_000,
    async run(ctx) {
      const secs = ctx.has('poll-timeout') ? 2 : 25;
      const options = ctx.has('poll-timeout') ? { 'poll-timeout': String(secs) } : {};
      const d = await ctx.start({ mode: `noread+stay+delay=800+print=${b64('one\ntwo\n')}`, options });
      const id = await open(ctx, d);
      // Poll until the output has come (a loaded machine may start the child late): every 204
      // on the way must have waited out the poll timeout, and the lines come in one answer.
      let first: Answer | undefined;
      const waited: number[] = [];
      for (let i = 0; i < 4 && first === undefined; i++) {
        const a = await call(ctx, d, 'GET', session(id), '', secs * 1000 + 5000);
        if (a.status === 200) first = a;
        else {
          ctx.expect(a.status === 204 && a.ms >= secs * 1000 - 100, `a poll with no output yet to wait up to the poll timeout (${secs} s), then 204`, () => `${show(a)} after ${a.ms} ms`);
          waited.push(a.ms);
        }
      }
      ctx.expect(first !== undefined && first.body === 'one\ntwo\n' && first.headers['hamelin-state'] === 'running', '200 "one\\ntwo\\n" with Hamelin-State: running, once the output came', () => (first ? show(first) : 'no output in 4 polls'));
      const idle = await call(ctx, d, 'GET', session(id), '', secs * 1000 + 5000);
      ctx.expect(idle.status === 204 && idle.headers['hamelin-state'] === 'running', `204 with Hamelin-State: running when no output came within ${secs} s`, () => show(idle));
      ctx.expect(idle.ms >= secs * 1000 - 100, `not before the poll timeout (${secs} s)`, () => `after ${idle.ms} ms`);
      const e = await ctx.start({ mode: `noread+print=${b64('x\ny')}+exit=3`, options });
      const eid = await open(ctx, e);
      const [p] = await e.waitSessions(1);
      await within(() => fresh(e, p!).exit() !== undefined, ctx.ms(3000));
      const { body, last } = await pollToEnd(ctx, e, eid);
      ctx.expect(last.status === 200 && body === 'x\ny\n' && last.headers['hamelin-state'] === 'ended' && last.headers['hamelin-exit'] === '3', 'after exit 3: "x\\ny\\n" (a LF added), the last poll 200 with Hamelin-State: ended, Hamelin-Exit: 3', () => `${JSON.stringify(body)}, last ${show(last)}`);
      return `a poll answered after ${first!.ms} ms when output came${waited.length ? ` (after ${waited.length} 204s)` : ''}, 204 after ${idle.ms} ms without; the last one ended with Hamelin-Exit 3`;
    },
  },
  {
    id: 'HTTP-27',
    level: 'MUST',
    title: 'DELETE /.hamelin/session/ID: SIGTERM to the process, 204 with Hamelin-Exit once it has ended',
    async run(ctx) {
      const d = await ctx.start({ mode: 'echo+stay' });
      const id = await open(ctx, d);
      const [p] = await d.waitSessions(1);
      const a = await call(ctx, d, 'DELETE', session(id));
      const ended = !isRunning(p!.pid);
      ctx.expect(a.status === 204 && a.headers['hamelin-exit'] === 'SIGTERM', '204 with Hamelin-Exit: SIGTERM', () => show(a));
      ctx.expect(ended, 'the process ended when the DELETE is answered', () => 'still running');
      const t = await waitSignal(d, p!.pid, ctx.ms(1000));
      ctx.expect(t !== undefined, 'SIGTERM to the process', () => signalsOf(d, p!.pid));
      return `204, Hamelin-Exit: ${a.headers['hamelin-exit']}, after the process ended`;
    },
  },
  {
    id: 'HTTP-28',
    level: 'MUST',
    title: 'a long-poll session no request names for --abandon-timeout is abandoned: SIGTERM, its id expired',
    needs: ['abandon-timeout'],
    async run(ctx) {
      const d = await ctx.start({ mode: 'echo+stay', options: { 'abandon-timeout': '1' } });
      const t0 = Date.now();
      const id = await open(ctx, d);
      const [p] = await d.waitSessions(1);
      const t = await waitSignal(d, p!.pid, ctx.ms(5000));
      ctx.expect(t !== undefined, 'SIGTERM within 5 s (--abandon-timeout 1)', () => signalsOf(d, p!.pid));
      ctx.expect(t! - t0 >= 900, 'not before the timeout', () => `after ${t! - t0} ms`);
      const a = await call(ctx, d, 'GET', session(id));
      ctx.expect(a.status === 404, 'its id expired: 404', () => show(a));
      return `SIGTERM ${t! - t0} ms after the session opened; then 404`;
    },
  },
  {
    id: 'HTTP-29',
    level: 'MUST',
    title: 'an id that does not exist, is malformed, or whose end was told (last poll answered) is 404, and runs nothing',
    async run(ctx) {
      const d = await ctx.start({ mode: `noread+print=${b64('bye\n')}+exit=0` });
      const id = await open(ctx, d);
      const [p] = await d.waitSessions(1);
      await within(() => fresh(d, p!).exit() !== undefined, ctx.ms(3000));
      const { last } = await pollToEnd(ctx, d, id);
      ctx.expect(last.status === 200 && last.headers['hamelin-state'] === 'ended', 'the last poll: 200, Hamelin-State: ended', () => show(last));
      const unknown = randomBytes(18).toString('base64url');
      const cases: [string, string][] = [
        ['GET', session(id)],
        ['POST', session(id)],
        ['GET', session(unknown)],
        ['POST', session(unknown)],
        ['DELETE', session(unknown)],
        ['POST', `${session(unknown)}/end`],
        ['GET', session('not-an-id')],
      ];
      for (const [method, path] of cases) {
        const a = await call(ctx, d, method, path, 'x\n');
        ctx.expect(a.status === 404, `${method} ${path === session(id) ? 'the spent id' : path}: 404`, () => show(a));
      }
      return `${cases.length} requests naming no live session: 404; ${await expectNoMoreStarted(ctx, d, 1, 'no process for them')}`;
    },
  },
  {
    id: 'HTTP-31',
    level: 'MUST',
    title: '--dir: the path names the executable in DIR (H-SCRIPT-NAME, H-PATH-INFO, for long polls too); nothing outside DIR runs (404, bad encoding 400)',
    needs: ['dir'],
    async run(ctx) {
      const d = await ctx.start({ options: { dir: join(ctx.dir, 'www') }, commandFor: (runDir) => (dirTree(ctx, runDir), []) });
      const refused: [string, number][] = [
        ['/missing.sh', 404],
        ['/sub/', 404],
        ['/plain.txt', 404],
        ['/.hidden.sh', 404],
        ['/../outside.sh', 404],
        ['/chat/%2e%2e/%2E%2E/outside.sh', 404],
        ['/chat%2froom.sh', 404],
        ['/link.sh', 404],
        ['/chat/%zz', 400],
      ];
      for (const [path, status] of refused) {
        const a = await call(ctx, d, 'POST', path, 'x\n');
        ctx.expect(a.status === status, `POST ${path}: ${status}`, () => show(a));
      }
      const counted = await expectNoMoreStarted(ctx, d, 0, `no process for ${refused.length} paths naming no script`);
      const c = await dialHttp(d.addr, { method: 'POST', path: '/chat/room.sh/a/b?q=1' });
      const [p] = await d.waitSessions(1).catch(() => ctx.fail('a process for /chat/room.sh/a/b', `status ${c.status() ?? 'none'}`));
      const want: Record<string, string> = { 'H-SCRIPT-NAME': '/chat/room.sh', 'H-PATH-INFO': '/a/b', 'H-PATH': '/chat/room.sh/a/b', 'H-QUERY': 'q=1' };
      const bad = Object.entries(want).filter(([k, v]) => p!.env[k] !== v);
      ctx.expect(bad.length === 0, Object.entries(want).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' '), () => bad.map(([k]) => `${k}=${JSON.stringify(p!.env[k] ?? null)}`).join(' '));
      c.close();
      await open(ctx, d, 'POST', '/.hamelin/poll/chat/room.sh');
      const polled = await eventually(() => d.sessions().find((x) => x.pid !== p!.pid), 'the long-poll session\'s process', ctx.ms(5000));
      ctx.expect(polled.env['H-SCRIPT-NAME'] === '/chat/room.sh', 'the long-poll session runs /chat/room.sh (H-SCRIPT-NAME)', () => JSON.stringify(polled.env['H-SCRIPT-NAME'] ?? null));
      const miss = await call(ctx, d, 'POST', '/.hamelin/poll/link.sh');
      ctx.expect(miss.status === 404, 'POST /.hamelin/poll/link.sh: 404', () => show(miss));
      return `/chat/room.sh/a/b served with H-SCRIPT-NAME and H-PATH-INFO, and as a long poll; ${counted}`;
    },
  },
];
