/** WebSocket handshake guards (spec/bindings/ws.md): the Origin refused by default (WS-22),
 * --origin values (WS-23), header bytes (WS-24), the handshake deadline (WS-25) and the limit
 * on unfinished handshakes (WS-26). Each asserts the status line, the body where the spec fixes
 * it, and the process count after the refusal. */
import { randomBytes } from 'node:crypto';
import type { Check, Ctx, DaemonRun } from '../runner.js';
import { sleep } from '../runner.js';
import { rawRequest, USER_AGENT } from '../bindings/ws.js';
import { clip, eventually, expectNoMoreStarted, pingEcho } from './common.js';
import { mustRefuse } from './life.js';
import { BAD_BYTES, BAD_ORIGINS, BAD_SEEN, hold, hostOf, ORIGIN_CASES, ORIGIN_LIST, ownOrigin, UTF8_AGENT, type Held } from './raw.js';

/** A whole handshake request, with the Host a client that dialled the daemon sends. */
function handshake(d: DaemonRun, extra: string[] = []): string {
  const lines = ['GET / HTTP/1.1', `Host: ${hostOf(d.addr)}`, 'Upgrade: websocket', 'Connection: Upgrade', `User-Agent: ${USER_AGENT}`, 'Sec-WebSocket-Version: 13', `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`];
  return [...lines, ...extra, '', ''].join('\r\n');
}

/** The status and body a handshake with these extra header lines gets. */
async function answer(d: DaemonRun, extra: string[]): Promise<{ status: string; body: string }> {
  return rawRequest(d.addr.host, d.addr.port, handshake(d, extra), d.addr.tls).then(
    (r) => ({ status: `HTTP ${r.status}`, body: r.body }),
    (e: Error) => ({ status: `no answer (${e.message})`, body: '' }),
  );
}

/** Each Origin gets 101 or 403 as `cases` say; returns the count of refusals. */
async function origins(ctx: Ctx, d: DaemonRun, cases: [string | undefined, boolean, string[]?][]): Promise<number> {
  let refused = 0;
  for (const [origin, ok, more] of cases) {
    const r = await answer(d, [...(origin === undefined ? [] : [`Origin: ${origin}`]), ...(more ?? [])]);
    const want = ok ? 'HTTP 101' : 'HTTP 403';
    const what = `${origin === undefined ? 'no Origin' : `Origin ${origin}`}${more?.length ? ` with ${more.join(', ')}` : ''}`;
    ctx.expect(r.status === want, `${want} for ${what}`, () => `${r.status} ${clip(r.body, 80)}`);
    if (!ok) {
      refused++;
      ctx.expect(r.body.trim() !== '', `a reason in the body of the 403 for ${what}`, () => 'an empty body');
    }
  }
  return refused;
}

/** The log line a hamelin daemon must write, when the daemon is hamelin's. */
async function logged(ctx: Ctx, d: DaemonRun, re: RegExp, what: string): Promise<void> {
  if (!ctx.config.hamelin) return;
  await eventually(() => re.test(d.stderr().toString()) || undefined, what, ctx.ms(3000)).catch(() => ctx.fail(what, clip(d.stderr().toString(), 300)));
}

const HALF = (d: DaemonRun): string => `GET / HTTP/1.1\r\nHost: ${hostOf(d.addr)}\r\n`;

export const wsGuardChecks: Check[] = [
  {
    id: 'WS-22',
    level: 'MUST',
    title: "by default a handshake whose Origin is not the daemon's own is answered 403 with its reason, and nothing is started; no Origin is served",
    async run(ctx) {
      const d = await ctx.start({ mode: 'echo+stay' });
      const own = ownOrigin(d.addr);
      const refused = await origins(ctx, d, [
        ['http://evil.example', false],
        [`http://${d.addr.host}:${d.addr.port + 1}`, false], // another port is another origin
        [`http://localhost:${d.addr.port}`, false], // another host name for the same address
        [`https://${hostOf(d.addr)}`, false], // another scheme
        ['null', false], // a sandboxed frame or a local file
        [undefined, false, ['Sec-Fetch-Site: cross-site']], // no Origin, but the browser says another site sent it
      ]);
      const counted = await expectNoMoreStarted(ctx, d, 0, `no process for ${refused} refused handshakes`);
      await logged(ctx, d, /refused\b.*status=403/, 'a refused log line with status=403');
      await origins(ctx, d, [
        [own, true],
        [undefined, true],
        [undefined, true, ['Sec-Fetch-Site: same-origin']],
      ]);
      return `403 with a reason for ${refused} foreign or opaque origins (${counted}); ${own}, no Origin and same-origin served`;
    },
  },
  {
    id: 'WS-23',
    level: 'MUST',
    timeoutMs: 40_000,
    title: '--origin entries: scheme://host[:port], host[:port] (either scheme), *.domain, a trailing / dropped; a value that is no origin is a startup error',
    needs: ['origin'],
    async run(ctx) {
      const d = await ctx.start({ mode: 'echo+stay', options: { origin: ORIGIN_LIST } });
      // WS-12 holds the refusals to starting nothing; this check is about which Origins pass.
      const refused = await origins(ctx, d, ORIGIN_CASES);
      // One after another: daemons that start at once on a loaded machine may take long to fail.
      const bad: string[] = [];
      for (const v of BAD_ORIGINS) bad.push(await mustRefuse(ctx, `--origin ${v}`, { mode: 'echo', options: { origin: v } }));
      return `--origin ${ORIGIN_LIST}: ${ORIGIN_CASES.length - refused} served, ${refused} refused as the entries say; ${bad.join('; ')}`;
    },
  },
  {
    id: 'WS-24',
    level: 'MUST',
    title: 'variables made from headers hold the bytes the client sent when UTF-8 (not encoded twice), U+FFFD for invalid bytes',
    async run(ctx) {
      const d = await ctx.start({ mode: 'echo+stay' });
      const request = Buffer.concat([
        Buffer.from(`GET / HTTP/1.1\r\nHost: ${hostOf(d.addr)}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n`),
        Buffer.from(`User-Agent: ${UTF8_AGENT}\r\nX-Conformance-Bad: `),
        BAD_BYTES,
        Buffer.from('\r\n\r\n'),
      ]);
      const c = await hold(d.addr, request);
      try {
        const [p] = await d.waitSessions(1, ctx.ms(5000)).catch(() => ctx.fail('a session for the handshake', `${clip(c.received(), 120)}`));
        const want: Record<string, string> = { 'H-CLIENT': UTF8_AGENT, 'H-HEADER-USER-AGENT': UTF8_AGENT, 'H-HEADER-X-CONFORMANCE-BAD': BAD_SEEN };
        const hex = (s: string | undefined): string => (s === undefined ? 'unset' : Buffer.from(s).toString('hex'));
        const bad = Object.entries(want).filter(([k, v]) => p!.env[k] !== v);
        ctx.expect(bad.length === 0, bad.map(([k, v]) => `${k} bytes ${hex(v)}`).join(', '), () => bad.map(([k]) => `${k} bytes ${hex(p!.env[k])}`).join(', '));
      } finally {
        c.socket.destroy();
      }
      return `User-Agent ${JSON.stringify(UTF8_AGENT)} reached the child as sent; an 0xff byte as U+FFFD`;
    },
  },
  {
    id: 'WS-25',
    level: 'MUST',
    title: 'a handshake request not complete within --header-timeout (10 s by default) is answered 408 and closed; nothing is started',
    timeoutMs: 30_000,
    async run(ctx) {
      const secs = ctx.has('header-timeout') ? 1 : 10;
      const d = await ctx.start({ mode: 'echo+stay', options: ctx.has('header-timeout') ? { 'header-timeout': String(secs) } : {} });
      const t0 = Date.now();
      const conns: [string, Held][] = [
        ['a half-sent request', await hold(d.addr, `${HALF(d)}Upgrade: websocket\r\n`)],
        ['a connection that sent nothing', await hold(d.addr, '')],
      ];
      const seen: string[] = [];
      for (const [what, c] of conns) {
        const at = await Promise.race([c.closed, sleep(ctx.ms(secs * 1000 + 4000))]);
        c.socket.destroy();
        ctx.expect(typeof at === 'number', `${what} closed within ${secs + 4} s`, () => `still open, got ${clip(c.received())}`);
        ctx.expect(/^HTTP\/1\.[01] 408 /.test(c.received()), `${what} answered 408 Request Timeout`, () => clip(c.received(), 120));
        ctx.expect((at as number) - t0 >= secs * 1000 - 100, `${what} not answered before the timeout`, () => `after ${(at as number) - t0} ms`);
        seen.push(`${what}: 408 after ${(at as number) - t0} ms`);
      }
      const counted = await expectNoMoreStarted(ctx, d, 0, 'no process for a handshake that never came');
      await logged(ctx, d, /bad-request\b.*status=408/, 'a bad-request log line with status=408');
      const c = await d.dial();
      await pingEcho(ctx, c);
      return `${seen.join(', ')}; ${counted}; a whole handshake still served`;
    },
  },
  {
    id: 'WS-26',
    level: 'MUST',
    title: 'over --max-handshakes (256 by default) unfinished requests, a connection is answered 503 and closed, and what it sends is not served',
    timeoutMs: 30_000,
    async run(ctx) {
      const n = ctx.has('max-handshakes') ? 2 : 256;
      const d = await ctx.start({ mode: 'echo+stay', options: ctx.has('max-handshakes') ? { 'max-handshakes': String(n) } : {} });
      const held: Held[] = [];
      try {
        for (let i = 0; i < n; i++) held.push(await hold(d.addr, HALF(d)));
        // Connections are accepted in order: the one after the n held ones is over the limit.
        const extra = await hold(d.addr, '');
        const at = await Promise.race([extra.closed, sleep(ctx.ms(3000))]);
        const body = `503 Service Unavailable: too many unfinished requests (limit ${n})`;
        ctx.expect(/^HTTP\/1\.[01] 503 /.test(extra.received()) && extra.received().includes(body), `HTTP 503 with the body "${body}"`, () => clip(extra.received(), 160));
        ctx.expect(typeof at === 'number', 'the refused connection closed at once', () => 'still open after 3 s');
        const whole = await answer(d, []);
        ctx.expect(whole.status === 'HTTP 503', `a whole handshake on a new connection while ${n} are unfinished: HTTP 503`, () => whole.status);
        const counted = await expectNoMoreStarted(ctx, d, 0, 'no process for a refused connection');
        await logged(ctx, d, /refused\b.*status=503/, 'a refused log line with status=503');
        // One held request completes: it is served, and its slot is free again.
        const first = held.shift()!;
        first.socket.write(`Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n\r\n`);
        await eventually(() => first.status(), 'the answer to the completed request', ctx.ms(3000)).catch(() => ctx.fail('HTTP 101 for a held request completed', clip(first.received())));
        ctx.expect(first.status() === 101, 'HTTP 101 for a held request completed', () => clip(first.received(), 120));
        const c = await d.dial().catch((e: Error) => ctx.fail('a new handshake served once a slot is free', e.message));
        await pingEcho(ctx, c);
        first.socket.destroy();
        return `the connection after ${n} unfinished ones: 503 "${body}", closed; ${counted}; a slot freed serves again`;
      } finally {
        for (const h of held) h.socket.destroy();
      }
    },
  },
];
