/** WebSocket binding (spec/bindings/ws.md): text framing, close codes, limits, environment.
 * --binary, --origin, --dir, --console and pings are not covered yet. */
import type { Check, Ctx } from '../runner.js';
import { within } from '../runner.js';
import { dialWs, USER_AGENT, wsUrl } from '../bindings/ws.js';
import type { Conn } from '../types.js';
import { b64, clip, eventually, fresh, howClosed, pingEcho, session, signalsOf, waitSignal } from './common.js';

async function closedWith(ctx: Ctx, c: Conn, ms = 5000): Promise<{ code: number; reason: string } | undefined> {
  await within(() => c.closeFrame?.() !== undefined || c.error() !== undefined, ctx.ms(ms));
  return c.closeFrame?.();
}

export const wsChecks: Check[] = [
  {
    id: 'WS-03',
    level: 'MUST',
    title: 'one text message is one stdin line (newline appended); embedded newlines pass unchanged',
    async run(ctx) {
      const { d, c, p } = await session(ctx, { mode: 'echo+stay' });
      c.sendMessage!('one');
      c.sendMessage!('two\nthree');
      c.sendMessage!('');
      c.sendMessage!('cr kept\r');
      const want = 'one\ntwo\nthree\n\ncr kept\r\n';
      await eventually(() => fresh(d, p).stdin().toString() === want || undefined, 'the lines on stdin', ctx.ms(3000)).catch(() =>
        ctx.fail(JSON.stringify(want), JSON.stringify(fresh(d, p).stdin().toString())),
      );
    },
  },
  {
    id: 'WS-04',
    level: 'MUST',
    title: 'one stdout line is one text message, without its newline',
    async run(ctx) {
      const { c } = await session(ctx, { mode: `noread+stay+print=${b64('alpha\n\nbeta  \ngamma\r\n')}` });
      const want = ['alpha', '', 'beta  ', 'gamma\r'];
      await within(() => (c.messages?.().length ?? 0) >= want.length, ctx.ms(3000));
      const got = (c.messages?.() ?? []).map((m) => m.toString());
      ctx.expect(JSON.stringify(got) === JSON.stringify(want), `messages ${JSON.stringify(want)}`, () => JSON.stringify(got));
    },
  },
  {
    id: 'WS-05',
    level: 'MUST',
    title: 'a binary message in text mode: close 1003 and SIGTERM',
    async run(ctx) {
      const { d, c, p } = await session(ctx, { mode: 'echo+stay' });
      c.sendMessage!(Buffer.from([1, 2, 3]), true);
      const f = await closedWith(ctx, c);
      ctx.expect(f?.code === 1003, 'close code 1003', () => howClosed(c));
      const t = await waitSignal(d, p.pid, ctx.ms(3000));
      ctx.expect(t !== undefined, 'SIGTERM to the child', () => signalsOf(d, p.pid));
    },
  },
  {
    id: 'WS-07',
    level: 'MUST',
    title: 'stdout that is not UTF-8: invalid bytes become U+FFFD, the rest is kept',
    async run(ctx) {
      const bytes = Buffer.concat([Buffer.from('ok '), Buffer.from([0xff, 0xfe]), Buffer.from(' end ü\n')]);
      const { c } = await session(ctx, { mode: `noread+stay+print=${b64(bytes)}` });
      await within(() => (c.messages?.().length ?? 0) >= 1 || c.error() !== undefined, ctx.ms(3000));
      const m = c.messages?.()[0]?.toString('utf8');
      ctx.expect(m !== undefined && m === 'ok \uFFFD\uFFFD end ü', 'the message "ok \\uFFFD\\uFFFD end ü"', () => (m === undefined ? howClosed(c) : JSON.stringify(m)));
    },
  },
  {
    id: 'WS-08',
    level: 'MUST',
    title: 'the close frame carries the exit: 1000 for status 0, 4000+N for status N, after all output',
    async run(ctx) {
      const [ok, bad] = await Promise.all([
        session(ctx, { mode: `noread+delay=50+print=${b64('bye\n')}+exit=0` }),
        session(ctx, { mode: `noread+delay=50+print=${b64('bad\n')}+exit=3` }),
      ]);
      const [f0, f3] = await Promise.all([closedWith(ctx, ok.c), closedWith(ctx, bad.c)]);
      ctx.expect(f0?.code === 1000 && ok.c.received().toString() === 'bye\n', '"bye" then close 1000', () => `${clip(ok.c.received().toString())}, ${howClosed(ok.c)}`);
      ctx.expect(f3?.code === 4003 && bad.c.received().toString() === 'bad\n', '"bad" then close 4003', () => `${clip(bad.c.received().toString())}, ${howClosed(bad.c)}`);
      return `close ${f0!.code} ${JSON.stringify(f0!.reason)}, close ${f3!.code} ${JSON.stringify(f3!.reason)}`;
    },
  },
  {
    id: 'WS-09',
    level: 'MUST',
    title: "the client's close frame => SIGTERM at once",
    async run(ctx) {
      const { d, c, p } = await session(ctx, { mode: 'echo+stay' });
      await pingEcho(ctx, c);
      const at = Date.now();
      c.close();
      const t = await waitSignal(d, p.pid, ctx.ms(3000));
      ctx.expect(t !== undefined, 'SIGTERM within 3 s of the close frame', () => signalsOf(d, p.pid));
      return `SIGTERM ${t! - at} ms after the close frame`;
    },
  },
  {
    id: 'WS-10',
    level: 'MUST',
    title: 'a message over --max-message (default 1 MiB): close 1009 and SIGTERM',
    async run(ctx) {
      const exact = await session(ctx, { mode: 'noread+stay' });
      exact.c.sendMessage!(Buffer.alloc(1 << 20, 'e').toString());
      const { d, c, p } = await session(ctx, { mode: 'echo+stay' });
      c.sendMessage!(Buffer.alloc((1 << 20) + 1, 'm').toString());
      const f = await closedWith(ctx, c);
      ctx.expect(f?.code === 1009, 'close code 1009', () => howClosed(c));
      const t = await waitSignal(d, p.pid, ctx.ms(3000));
      ctx.expect(t !== undefined, 'SIGTERM to the child', () => signalsOf(d, p.pid));
      ctx.expect(exact.c.closeFrame?.() === undefined && exact.c.error() === undefined, 'a message of exactly 1 MiB accepted', () => howClosed(exact.c));
    },
  },
  {
    id: 'WS-13',
    level: 'MUST',
    title: 'over --max-clients the handshake is answered 503, and nothing is started',
    needs: ['max-clients'],
    async run(ctx) {
      const d = await ctx.start({ mode: 'echo+stay', options: { 'max-clients': '1' } });
      const a = await d.dial();
      await pingEcho(ctx, a);
      const refused = await d.dial().then(
        (c) => `accepted (${howClosed(c)})`,
        (e: Error) => e.message,
      );
      ctx.expect(/HTTP 503/.test(refused), 'HTTP 503 before the upgrade', () => refused);
      ctx.expect(d.sessions().length === 1, 'no second process', () => `${d.sessions().length}`);
    },
  },
  {
    id: 'WS-15',
    level: 'MUST',
    title: 'H-TYPE WS-0.2-INSECURE, H-CLIENT the User-Agent, H-REMOTE-ADDR/PORT, H-PATH, H-QUERY, H-ORIGIN',
    async run(ctx) {
      const d = await ctx.start({ mode: 'echo+stay' });
      const c = await dialWs(wsUrl(d.addr.host, d.addr.port, false, '/some/path?x=1&y=%20'), { Origin: 'http://conformance.example', 'X-Conformance-Test': 'yes' });
      const [p] = await d.waitSessions(1);
      const env = p!.env;
      const want: Record<string, string> = {
        'H-TYPE': ctx.binding.hType(d.addr),
        'H-CLIENT': USER_AGENT,
        'H-REMOTE-ADDR': c.localAddress,
        'H-REMOTE-PORT': String(c.localPort),
        'H-PATH': '/some/path',
        'H-QUERY': 'x=1&y=%20',
        'H-ORIGIN': 'http://conformance.example',
      };
      const bad = Object.entries(want).filter(([k, v]) => env[k] !== v);
      ctx.expect(bad.length === 0, Object.entries(want).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' '), () =>
        bad.map(([k]) => `${k}=${JSON.stringify(env[k] ?? null)}`).join(' '),
      );
      c.close();
    },
  },
  {
    id: 'WS-16',
    level: 'MUST',
    title: 'request headers as H-HEADER-*; Authorization, Cookie, Proxy never passed',
    async run(ctx) {
      const d = await ctx.start({ mode: 'echo+stay' });
      const secret = 'conformance-secret-9b1e';
      const c = await dialWs(wsUrl(d.addr.host, d.addr.port, false), {
        'X-Conformance-Test': 'yes',
        Authorization: `Bearer ${secret}`,
        Cookie: `s=${secret}`,
        Proxy: `http://${secret}:1`,
      });
      const [p] = await d.waitSessions(1);
      const env = p!.env;
      ctx.expect(env['H-HEADER-X-CONFORMANCE-TEST'] === 'yes' && env['H-HEADER-USER-AGENT'] === USER_AGENT, 'H-HEADER-X-CONFORMANCE-TEST=yes and H-HEADER-USER-AGENT', () =>
        `H-HEADER-X-CONFORMANCE-TEST=${JSON.stringify(env['H-HEADER-X-CONFORMANCE-TEST'] ?? null)} H-HEADER-USER-AGENT=${JSON.stringify(env['H-HEADER-USER-AGENT'] ?? null)}`,
      );
      const leaks = Object.entries(env).filter(([k, v]) => v.includes(secret) || /^HTTP_PROXY$/i.test(k));
      ctx.expect(leaks.length === 0, 'no variable carrying Authorization, Cookie or Proxy', () => leaks.map(([k]) => k).join(', '));
      c.close();
    },
  },
  {
    id: 'WS-21',
    level: 'MUST',
    title: 'SIGTERM to the daemon: each client gets its close frame, the daemon exits 0',
    timeoutMs: 30_000,
    async run(ctx) {
      const options = ctx.has('kill-after') ? { 'kill-after': '1' } : {};
      const d = await ctx.start({ mode: 'echo+stay', options });
      const c = await d.dial();
      await pingEcho(ctx, c);
      d.signal('SIGTERM');
      const exited = await Promise.race([d.exited, new Promise<undefined>((r) => setTimeout(r, ctx.ms(12_000)))]);
      ctx.expect(exited?.code === 0, 'exit status 0', () => (exited ? `status ${exited.code ?? exited.signal}` : 'still running after 12 s'));
      const f = c.closeFrame?.();
      ctx.expect(f !== undefined && f.code >= 1000, 'a close frame telling how the session ended', () => howClosed(c));
      return `close ${f!.code} ${JSON.stringify(f!.reason)}`;
    },
  },
];
