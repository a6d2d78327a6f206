/** HTTP startup and request guards (spec/bindings/http.md): listening, HTTP/1.0 and TLS
 * (HTTP-01), a request of another origin runs nothing (HTTP-34), --origin values (HTTP-35) and
 * header bytes (HTTP-36). Each asserts the status line, the body the spec fixes, and the process
 * count after a refusal. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Check, Ctx, DaemonRun } from '../runner.js';
import { within } from '../runner.js';
import { dialHttp, HTTP_USER_AGENT, type RequestSpec } from '../bindings/http.js';
import { rawRequest } from '../bindings/ws.js';
import { clip, eventually, expectNoMoreStarted } from './common.js';
import { mustRefuse } from './life.js';
import { BAD_BYTES, BAD_ORIGINS, BAD_SEEN, hold, hostOf, ORIGIN_CASES, ORIGIN_LIST, ownOrigin, UTF8_AGENT } from './raw.js';

/** One whole request: its status (0: none) and body. */
async function ask(ctx: Ctx, d: DaemonRun, req: RequestSpec): Promise<{ status: number; body: string }> {
  const c = await dialHttp(d.addr, req);
  await within(() => c.endedAt() !== undefined || c.error() !== undefined, ctx.ms(5000));
  c.close();
  return { status: c.status() ?? 0, body: c.received().toString() };
}

const described = (req: RequestSpec): string =>
  `${req.method ?? 'POST'}${req.headers?.Accept ? ` (${req.headers.Accept})` : ''} with ${Object.entries(req.headers ?? {})
    .filter(([k]) => k !== 'Accept')
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ') || 'neither Origin nor Sec-Fetch-Site'}`;

/** The log line a hamelin daemon must write, when the daemon is hamelin's. */
async function logged(ctx: Ctx, d: DaemonRun, re: RegExp, what: string): Promise<void> {
  if (!ctx.config.hamelin) return;
  await eventually(() => re.test(d.stderr().toString()) || undefined, what, ctx.ms(3000)).catch(() => ctx.fail(what, clip(d.stderr().toString(), 300)));
}

export const httpGuardChecks: Check[] = [
  {
    id: 'HTTP-01',
    level: 'MUST',
    title: 'serves HTTP/1.1 and HTTP/1.0; with TLS files, HTTPS only; a --dir that is not a directory is a startup error',
    async run(ctx) {
      const d = await ctx.start({ mode: 'echo' });
      const one = await rawRequest(d.addr.host, d.addr.port, `GET / HTTP/1.1\r\nHost: ${hostOf(d.addr)}\r\nUser-Agent: ${HTTP_USER_AGENT}\r\nConnection: close\r\n\r\n`).catch((e: Error) => ctx.fail('an answer to HTTP/1.1', e.message));
      ctx.expect(one.status === 200, 'HTTP/1.1 GET answered 200', () => `HTTP ${one.status}`);
      const old = await rawRequest(d.addr.host, d.addr.port, `GET / HTTP/1.0\r\nUser-Agent: ${HTTP_USER_AGENT}\r\n\r\n`).catch((e: Error) => ctx.fail('an answer to HTTP/1.0', e.message));
      ctx.expect(old.status === 200, 'HTTP/1.0 GET answered 200', () => `HTTP ${old.status}`);
      await logged(ctx, d, new RegExp(`listening\\b.*address=\\S+ port=${d.addr.port}\\b`), `a listening log line with port=${d.addr.port}`);
      const notes = ['HTTP/1.1 and HTTP/1.0 served'];
      if (ctx.has('tls')) {
        const t = await ctx.start({ mode: 'echo', options: { tls: '' } });
        const secure = await rawRequest(t.addr.host, t.addr.port, `GET / HTTP/1.1\r\nHost: ${hostOf(t.addr)}\r\nUser-Agent: ${HTTP_USER_AGENT}\r\nConnection: close\r\n\r\n`, true).catch((e: Error) => ctx.fail('an HTTPS answer', e.message));
        ctx.expect(secure.status === 200, 'HTTPS GET answered 200', () => `HTTP ${secure.status}`);
        const plain = await rawRequest(t.addr.host, t.addr.port, `GET / HTTP/1.1\r\nHost: ${hostOf(t.addr)}\r\nConnection: close\r\n\r\n`, false, ctx.ms(3000)).then(
          (r) => `HTTP ${r.status}`,
          (e: Error) => `no HTTP answer (${e.message.slice(0, 60)})`,
        );
        ctx.expect(!/^HTTP 2/.test(plain), 'a plain-text request on the TLS port not served', () => plain);
        const [p] = await t.waitSessions(1);
        ctx.expect(p!.env['H-TYPE'] === 'HTTP-0.2-TLS', 'H-TYPE=HTTP-0.2-TLS', () => `H-TYPE=${JSON.stringify(p!.env['H-TYPE'] ?? null)}`);
        notes.push(`HTTPS served, plain text on its port: ${plain}`);
      } else notes.push('TLS not checked (give --opt tls=...)');
      if (ctx.has('dir')) {
        const file = join(ctx.dir, 'not-a-directory');
        writeFileSync(file, '');
        notes.push(await mustRefuse(ctx, '--dir naming a file', { commandFor: () => [], options: { dir: file } }));
      }
      return notes.join('; ');
    },
  },
  {
    id: 'HTTP-34',
    level: 'MUST',
    title: 'by default a request of another origin (Origin, or Sec-Fetch-Site without one) is answered 403 "hamelin: forbidden: ..." and runs nothing',
    async run(ctx) {
      const d = await ctx.start({ mode: 'echo' });
      const foreign: RequestSpec[] = [
        { method: 'POST', body: 'x\n', headers: { Origin: 'http://evil.example' } },
        { method: 'GET', headers: { Origin: 'http://evil.example' } },
        { method: 'GET', headers: { Accept: 'text/event-stream', Origin: 'http://evil.example' } },
        { method: 'GET', headers: { Origin: `http://localhost:${d.addr.port}` } },
        { method: 'POST', body: 'x\n', headers: { Origin: 'null' } },
        { method: 'GET', headers: { 'Sec-Fetch-Site': 'cross-site' } },
        { method: 'POST', body: 'x\n', headers: { 'Sec-Fetch-Site': 'same-site' } },
      ];
      for (const req of foreign) {
        const r = await ask(ctx, d, req);
        ctx.expect(r.status === 403 && /^hamelin: forbidden: \S.*\n?$/.test(r.body), `403 "hamelin: forbidden: REASON" for ${described(req)}`, () => `${r.status} ${clip(r.body, 80)}`);
      }
      const counted = await expectNoMoreStarted(ctx, d, 0, `no process for ${foreign.length} refused requests`);
      await logged(ctx, d, /refused\b.*status=403/, 'a refused log line with status=403');
      const served: RequestSpec[] = [
        { method: 'GET', headers: { Origin: ownOrigin(d.addr) } },
        { method: 'GET' },
        { method: 'POST', body: 'x\n', headers: { 'Sec-Fetch-Site': 'same-origin' } },
        { method: 'GET', headers: { 'Sec-Fetch-Site': 'none' } },
      ];
      for (const req of served) {
        const r = await ask(ctx, d, req);
        ctx.expect(r.status === 200, `200 for ${described(req)}`, () => `${r.status} ${clip(r.body, 80)}`);
      }
      return `403 for ${foreign.length} requests of other origins (${counted}); ${served.length} of the own origin or of programs served`;
    },
  },
  {
    id: 'HTTP-35',
    level: 'MUST',
    timeoutMs: 40_000,
    title: '--origin entries as WS-23 reads them allow those pages; a value that is no origin is a startup error',
    needs: ['origin'],
    async run(ctx) {
      const d = await ctx.start({ mode: 'echo', options: { origin: ORIGIN_LIST } });
      let refused = 0;
      for (const [origin, ok] of ORIGIN_CASES) {
        const r = await ask(ctx, d, { method: 'GET', headers: { Origin: origin } });
        const want = ok ? 200 : 403;
        if (!ok) refused++;
        ctx.expect(r.status === want, `${want} for Origin ${origin}`, () => `${r.status} ${clip(r.body, 80)}`);
      }
      // One after another: daemons that start at once on a loaded machine may take long to fail.
      const bad: string[] = [];
      for (const v of BAD_ORIGINS) bad.push(await mustRefuse(ctx, `--origin ${v}`, { mode: 'echo', options: { origin: v } }));
      return `--origin ${ORIGIN_LIST}: ${ORIGIN_CASES.length - refused} served, ${refused} refused as the entries say; ${bad.join('; ')}`;
    },
  },
  {
    id: 'HTTP-36',
    level: 'MUST',
    title: 'variables made from headers hold the bytes the client sent when UTF-8 (not encoded twice), U+FFFD for invalid bytes',
    async run(ctx) {
      const d = await ctx.start({ mode: 'echo+stay' });
      const type = 'text/plain; name=café';
      const request = Buffer.concat([
        Buffer.from(`POST / HTTP/1.1\r\nHost: ${hostOf(d.addr)}\r\nUser-Agent: ${UTF8_AGENT}\r\nContent-Type: ${type}\r\nTransfer-Encoding: chunked\r\nX-Conformance-Bad: `),
        BAD_BYTES,
        Buffer.from('\r\n\r\n'),
      ]);
      const c = await hold(d.addr, request);
      try {
        const [p] = await d.waitSessions(1, ctx.ms(5000)).catch(() => ctx.fail('a process for the request', clip(c.received(), 120)));
        const want: Record<string, string> = { 'H-CLIENT': UTF8_AGENT, 'H-HEADER-USER-AGENT': UTF8_AGENT, 'H-CONTENT-TYPE': type, 'H-HEADER-X-CONFORMANCE-BAD': BAD_SEEN };
        const hex = (s: string | undefined): string => (s === undefined ? 'unset' : Buffer.from(s).toString('hex'));
        const bad = Object.entries(want).filter(([k, v]) => p!.env[k] !== v);
        ctx.expect(bad.length === 0, bad.map(([k, v]) => `${k} bytes ${hex(v)}`).join(', '), () => bad.map(([k]) => `${k} bytes ${hex(p!.env[k])}`).join(', '));
      } finally {
        c.socket.destroy();
      }
      return `User-Agent and Content-Type in UTF-8 reached the child as sent; an 0xff byte as U+FFFD`;
    },
  },
];
