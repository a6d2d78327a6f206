/** HTTP binding (spec/bindings/http.md): plain requests HTTP-02..HTTP-14, SSE HTTP-18, 19, 21,
 * HTTP/1.0 (HTTP-32) and the safe methods (HTTP-33). Long-poll sessions, CORS, the console and
 * --dir are not covered yet. */
import { connect } from 'node:net';
import type { Check, Ctx, DaemonRun } from '../runner.js';
import { within } from '../runner.js';
import { dialHttp, HTTP_USER_AGENT, type HttpResponseView, type RequestSpec } from '../bindings/http.js';
import type { Conn } from '../types.js';
import { b64, clip, eventually, expectNoMoreStarted, fresh, session, signalsOf, waitSignal } from './common.js';

type HttpConn = Conn & HttpResponseView;

async function request(ctx: Ctx, d: DaemonRun, req: RequestSpec = {}): Promise<HttpConn> {
  return dialHttp(d.addr, req);
}

async function whole(ctx: Ctx, c: HttpConn): Promise<HttpConn> {
  await within(() => c.endedAt() !== undefined || c.error() !== undefined, ctx.ms(5000));
  return c;
}

function show(c: HttpConn): string {
  return `status ${c.status() ?? 'none'}, body ${clip(c.received().toString('latin1'), 80)}${c.error() ? `, ${c.error()}` : ''}`;
}

export const httpChecks: Check[] = [
  {
    id: 'HTTP-02',
    level: 'MUST',
    title: 'the request body is stdin byte for byte, its end is EOF; a GET gives an empty stdin',
    async run(ctx) {
      const d = await ctx.start({ mode: 'echo' });
      const body = Buffer.from('line one\r\nbinary \0\xff\nlast without newline', 'latin1');
      const post = await whole(ctx, await request(ctx, d, { body }));
      const get = await whole(ctx, await request(ctx, d, { method: 'GET' }));
      const [a, b] = await d.waitSessions(2);
      const runs = [fresh(d, a!), fresh(d, b!)];
      const posted = runs.find((p) => p.env['H-METHOD'] !== 'GET') ?? runs[0]!;
      const got = runs.find((p) => p !== posted)!;
      ctx.expect(posted.stdin().equals(body) && posted.eof() !== undefined, 'the POST body on stdin, then EOF', () => `${clip(posted.stdin().toString('latin1'))}${posted.eof() ? '' : ', no EOF'}`);
      ctx.expect(post.received().equals(body), 'the echo of the body as the response', () => show(post));
      ctx.expect(got.eof() !== undefined && got.stdinTotal() === 0, 'a GET: EOF at once, no bytes', () => `${got.stdinTotal()} bytes${got.eof() ? '' : ', no EOF'}`);
      ctx.expect(get.status() === 200, 'the GET answered 200', () => show(get));
      // Expect: 100-continue: the client sends its body only after the 100.
      const s = connect({ host: d.addr.host, port: d.addr.port });
      let raw = '';
      s.on('data', (b: Buffer) => (raw += b.toString('latin1')));
      s.on('error', () => {});
      await new Promise((r) => s.once('connect', r));
      s.write(`POST / HTTP/1.1\r\nHost: x\r\nUser-Agent: ${HTTP_USER_AGENT}\r\nContent-Length: 9\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n`);
      const cont = await within(() => /^HTTP\/1\.1 100 /.test(raw), ctx.ms(3000));
      ctx.expect(cont, 'HTTP/1.1 100 Continue for Expect: 100-continue, before the body is sent', () => clip(raw));
      s.write('continued');
      await within(() => raw.includes('continued') && /\r\n0\r\n/.test(raw), ctx.ms(5000));
      s.destroy();
      ctx.expect(/\r\n\r\nHTTP\/1\.1 200 /.test(raw) && raw.includes('continued'), 'then 200 and the body echoed', () => clip(raw, 400));
    },
  },
  {
    id: 'HTTP-03',
    level: 'MUST',
    title: 'the response streams: chunked, each line sent while the child still runs',
    async run(ctx) {
      const { c, p, d } = await session(ctx, { mode: `noread+stay+print=${b64('first\n')}` });
      const h = c as HttpConn;
      await c.waitFor((b) => b.toString() === 'first\n', 'the first line while the child runs', ctx.ms(3000)).catch(() => ctx.fail('"first\\n" while the child runs', show(h)));
      ctx.expect(fresh(d, p).exit() === undefined, 'the child still running', () => 'it exited');
      ctx.expect(/chunked/i.test(h.headers()['transfer-encoding'] ?? ''), 'Transfer-Encoding: chunked', () => JSON.stringify(h.headers()));
    },
  },
  {
    id: 'HTTP-04',
    level: 'MUST',
    title: 'a streamed response carries its content type, no-cache, no-buffering, nosniff and Trailer headers',
    async run(ctx) {
      const { c } = await session(ctx, { mode: `noread+stay+print=${b64('x\n')}` });
      await c.waitFor((b) => b.length > 0, 'the first line', ctx.ms(3000));
      const h = (c as HttpConn).headers();
      const want: [string, RegExp][] = [
        ['content-type', /^text\/plain; ?charset=utf-8$/i],
        ['cache-control', /^no-cache, no-store$/],
        ['x-accel-buffering', /^no$/],
        ['x-content-type-options', /^nosniff$/],
        ['trailer', /hamelin-exit/i],
      ];
      for (const [name, re] of want) ctx.expect(re.test(h[name] ?? ''), `${name}: ${re}`, () => `${name}: ${JSON.stringify(h[name] ?? null)}`);
    },
  },
  {
    id: 'HTTP-05',
    level: 'MUST',
    title: 'no output: exit 0 is 200 empty; exit 3 is 500 "hamelin: exit status 3", SIGKILL 500 "hamelin: killed by SIGKILL", with Hamelin-Exit',
    async run(ctx) {
      const d = await ctx.start({ mode: 'noread+delay=50+exit=3' });
      const bad = await whole(ctx, await request(ctx, d, { method: 'GET' }));
      ctx.expect(bad.status() === 500, 'status 500', () => show(bad));
      ctx.expect(bad.received().toString().trim() === 'hamelin: exit status 3', 'the body "hamelin: exit status 3"', () => show(bad));
      ctx.expect(bad.headers()['hamelin-exit'] === '3', 'the header Hamelin-Exit: 3', () => JSON.stringify(bad.headers()));
      const ok = await ctx.start({ mode: 'noread+delay=50+exit=0' });
      const good = await whole(ctx, await request(ctx, ok, { method: 'GET' }));
      ctx.expect(good.status() === 200 && good.received().length === 0, 'status 200, empty body', () => show(good));
      const killed = await ctx.start({ mode: 'noread+delay=50+die=SIGKILL' });
      const k = await whole(ctx, await request(ctx, killed, { method: 'GET' }));
      ctx.expect(k.status() === 500 && k.received().toString().trim() === 'hamelin: killed by SIGKILL' && k.headers()['hamelin-exit'] === 'SIGKILL', 'a child killed by SIGKILL: 500 "hamelin: killed by SIGKILL", Hamelin-Exit: SIGKILL', () =>
        `${show(k)}, Hamelin-Exit ${JSON.stringify(k.headers()['hamelin-exit'] ?? null)}`,
      );
    },
  },
  {
    id: 'HTTP-06',
    level: 'MUST',
    title: 'the response ends with the trailer Hamelin-Exit (the exit status)',
    async run(ctx) {
      const d = await ctx.start({ mode: `noread+delay=50+print=${b64('partial')}+exit=3` });
      const c = await whole(ctx, await request(ctx, d, { method: 'GET' }));
      ctx.expect(c.status() === 200 && c.received().toString() === 'partial', 'status 200 and the body "partial"', () => show(c));
      ctx.expect(c.trailers()['hamelin-exit'] === '3', 'the trailer Hamelin-Exit: 3', () => `trailers ${JSON.stringify(c.trailers())}`);
      const killed = await ctx.start({ mode: `noread+delay=50+print=${b64('partial')}+die=SIGKILL` });
      const k = await whole(ctx, await request(ctx, killed, { method: 'GET' }));
      ctx.expect(k.trailers()['hamelin-exit'] === 'SIGKILL', 'the trailer Hamelin-Exit: SIGKILL for a child killed by it', () => `${show(k)}, trailers ${JSON.stringify(k.trailers())}`);
    },
  },
  {
    id: 'HTTP-07',
    level: 'MUST',
    title: 'H-TYPE is HTTP-0.2-INSECURE (HTTP-0.2-TLS with TLS); H-CLIENT is the User-Agent',
    async run(ctx) {
      const { p, d } = await session(ctx, { mode: 'echo' });
      const want = { 'H-TYPE': ctx.binding.hType(d.addr), 'H-CLIENT': HTTP_USER_AGENT };
      for (const [k, v] of Object.entries(want)) ctx.expect(p.env[k] === v, `${k}=${JSON.stringify(v)}`, () => `${k}=${JSON.stringify(p.env[k] ?? null)}`);
      return `H-TYPE=${p.env['H-TYPE']}`;
    },
  },
  {
    id: 'HTTP-08',
    level: 'MUST',
    title: 'H-METHOD, H-PATH, H-QUERY, H-REMOTE-ADDR/PORT, H-CONTENT-TYPE, H-MODE, H-HEADER-*; X_Name cannot pose as X-Name',
    async run(ctx) {
      const d = await ctx.start({ mode: 'echo' });
      // The look-alike comes after the real header, so that a daemon mapping `_` to `-` lets it win.
      const headers = { 'Content-Type': 'text/x-test', 'X-Conformance-Test': 'yes', X_Conformance_Test: 'spoofed', Proxy_Authorization: 'spoofed' };
      const c = await request(ctx, d, { method: 'POST', path: '/some/p%20ath?a=1&b=%20', body: 'x\n', headers });
      const [p] = await d.waitSessions(1);
      const env = p!.env;
      const want: Record<string, string> = {
        'H-METHOD': 'POST',
        'H-PATH': '/some/p%20ath',
        'H-QUERY': 'a=1&b=%20',
        'H-REMOTE-ADDR': c.localAddress,
        'H-REMOTE-PORT': String(c.localPort),
        'H-CONTENT-TYPE': 'text/x-test',
        'H-CONTENT-LENGTH': '2',
        'H-MODE': 'request',
        'H-HEADER-X-CONFORMANCE-TEST': 'yes',
        'H-HEADER-USER-AGENT': HTTP_USER_AGENT,
      };
      const bad = Object.entries(want).filter(([k, v]) => env[k] !== v);
      ctx.expect(bad.length === 0, Object.entries(want).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' '), () =>
        bad.map(([k]) => `${k}=${JSON.stringify(env[k] ?? null)}`).join(' '),
      );
      const spoofed = Object.entries(env).filter(([, v]) => v === 'spoofed').map(([k]) => k);
      ctx.expect(spoofed.length === 0, 'no variable from X_Conformance_Test or Proxy_Authorization', () => spoofed.join(', '));
    },
  },
  {
    id: 'HTTP-09',
    level: 'MUST',
    title: 'Authorization, Cookie, Proxy and Proxy-* headers never reach the child (httpoxy)',
    async run(ctx) {
      const d = await ctx.start({ mode: 'echo' });
      const secret = 'conformance-secret-7f3a';
      await request(ctx, d, {
        method: 'GET',
        headers: { Authorization: `Bearer ${secret}`, Cookie: `s=${secret}`, Proxy: `http://${secret}:1`, 'Proxy-Authorization': secret, 'Proxy-Connection': secret },
      });
      const [p] = await d.waitSessions(1);
      const leaks = Object.entries(p!.env).filter(([k, v]) => v.includes(secret) || /^HTTP_PROXY$/i.test(k));
      ctx.expect(leaks.length === 0, 'no variable carrying a withheld header', () => leaks.map(([k]) => k).join(', '));
    },
  },
  {
    id: 'HTTP-10',
    level: 'MUST',
    title: 'the client closing while still sending its body => SIGTERM at once',
    async run(ctx) {
      const { d, c, p } = await session(ctx, { mode: 'echo+stay' });
      await c.write('still sending\n');
      await c.waitFor((b) => b.includes('still sending'), 'the echo', ctx.ms(3000));
      c.close();
      const t = await waitSignal(d, p.pid, ctx.ms(3000));
      ctx.expect(t !== undefined, 'SIGTERM within 3 s of the close, the body unfinished', () => signalsOf(d, p.pid));
    },
  },
  {
    id: 'HTTP-11',
    level: 'MUST',
    title: 'each request on a keep-alive connection gets its own process',
    async run(ctx) {
      const d = await ctx.start({ mode: 'echo' });
      const s = connect({ host: d.addr.host, port: d.addr.port });
      let raw = '';
      s.on('data', (b: Buffer) => (raw += b.toString('latin1')));
      s.on('error', () => {});
      await new Promise((r) => s.once('connect', r));
      const req = (body: string): string => `POST / HTTP/1.1\r\nHost: x\r\nUser-Agent: ${HTTP_USER_AGENT}\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
      const done = (n: number) => (raw.match(/\r\n0\r\n(?:[^\r\n]+\r\n)*\r\n/g) ?? []).length >= n;
      s.write(req('first\n'));
      await eventually(() => done(1), 'the first response', ctx.ms(5000)).catch(() => ctx.fail('a complete first response', clip(raw, 200)));
      s.write(req('second\n'));
      await eventually(() => done(2), 'the second response on the same connection', ctx.ms(5000)).catch(() => ctx.fail('a second response on the same connection', clip(raw, 300)));
      s.destroy();
      const runs = d.sessions();
      const inputs = runs.map((p) => fresh(d, p).stdin().toString()).sort();
      ctx.expect(runs.length === 2 && runs[0]!.pid !== runs[1]!.pid, 'two processes', () => `${runs.length}: ${runs.map((p) => p.pid).join(', ')}`);
      ctx.expect(JSON.stringify(inputs) === JSON.stringify(['first\n', 'second\n']), 'each reading its own request body', () => JSON.stringify(inputs));
    },
  },
  {
    id: 'HTTP-12',
    level: 'MUST',
    title: 'a body over --max-body is 413 with a one-line body: before any process by Content-Length, else when crossed, the process sent SIGTERM',
    needs: ['max-body'],
    async run(ctx) {
      const limit = 1000;
      const d = await ctx.start({ mode: 'noread+stay', options: { 'max-body': String(limit) } });
      const declared = await whole(ctx, await request(ctx, d, { body: Buffer.alloc(limit + 1, 'b') }));
      ctx.expect(declared.status() === 413 && declared.received().toString().trim().split('\n').length === 1, 'Content-Length over the limit: 413 with a one-line body', () => show(declared));
      await expectNoMoreStarted(ctx, d, 0, 'no process for a body declared too long');
      const c = await request(ctx, d);
      await c.write(Buffer.alloc(limit - 10, 'c'));
      const [p] = await d.waitSessions(1);
      await c.write(Buffer.alloc(20, 'c'));
      await within(() => c.status() !== undefined || c.error() !== undefined, ctx.ms(3000));
      ctx.expect(c.status() === 413, 'a chunked body crossing the limit: 413', () => show(c));
      const t = await waitSignal(d, p!.pid, ctx.ms(3000));
      ctx.expect(t !== undefined, 'SIGTERM to the process that was reading it', () => signalsOf(d, p!.pid));
      const exact = await ctx.start({ mode: 'echo', options: { 'max-body': String(limit) } });
      const ok = await whole(ctx, await request(ctx, exact, { body: Buffer.alloc(limit, 'e') }));
      ctx.expect(ok.status() === 200 && ok.receivedLength() === limit, `a body of exactly ${limit} bytes served`, () => show(ok));
      return `413 by Content-Length (none started) and when a chunked body crossed ${limit} bytes (SIGTERM); ${limit} bytes served`;
    },
  },
  {
    id: 'HTTP-13',
    level: 'MUST',
    title: 'headers not complete within --header-timeout: 408 and disconnected, no process (slowloris)',
    needs: ['header-timeout'],
    async run(ctx) {
      const d = await ctx.start({ mode: 'echo', options: { 'header-timeout': '1' } });
      const s = connect({ host: d.addr.host, port: d.addr.port });
      let raw = '';
      s.on('data', (b: Buffer) => (raw += b.toString('latin1')));
      s.on('error', () => {});
      const closed = new Promise<number>((r) => s.once('close', () => r(Date.now())));
      await new Promise((r) => s.once('connect', r));
      const t0 = Date.now();
      s.write(`GET / HTTP/1.1\r\nHost: x\r\nUser-Agent: ${HTTP_USER_AGENT}\r\nX-Slow: `);
      const at = await Promise.race([closed, new Promise<undefined>((r) => setTimeout(r, ctx.ms(5000)))]);
      s.destroy();
      ctx.expect(at !== undefined, 'disconnected within 5 s (--header-timeout 1)', () => `still open, got ${clip(raw)}`);
      ctx.expect(/^HTTP\/1\.[01] 408 /.test(raw), 'HTTP 408', () => clip(raw));
      ctx.expect(at! - t0 >= 900, 'not before the timeout', () => `after ${at! - t0} ms`);
      const counted = await expectNoMoreStarted(ctx, d, 0, 'no process for the slow request');
      return `408 and closed ${at! - t0} ms after the partial headers; ${counted}`;
    },
  },
  {
    id: 'HTTP-14',
    level: 'MUST',
    title: 'over --max-clients: 503 with Retry-After and a one-line body, nothing started',
    needs: ['max-clients'],
    async run(ctx) {
      const d = await ctx.start({ mode: 'echo+stay', options: { 'max-clients': '1' } });
      const a = await d.dial();
      await a.write('hold\n');
      await d.waitSessions(1);
      ctx.expect(d.startedPids().length === 1, 'one process for the client within the limit', () => `${d.startedPids().length}`);
      const b = await whole(ctx, await request(ctx, d, { method: 'GET' }));
      ctx.expect(b.status() === 503, 'status 503', () => show(b));
      ctx.expect(b.headers()['retry-after'] === '1', 'Retry-After: 1', () => JSON.stringify(b.headers()));
      ctx.expect(/^hamelin: busy: too many clients \(limit 1\)\n?$/.test(b.received().toString()), 'the body "hamelin: busy: too many clients (limit 1)"', () => show(b));
      return expectNoMoreStarted(ctx, d, 1, 'no second process');
    },
  },
  {
    id: 'HTTP-18',
    level: 'MUST',
    title: 'a GET accepting text/event-stream opens an SSE session: headers, then the session event',
    async run(ctx) {
      const d = await ctx.start({ mode: 'echo+stay' });
      const c = await request(ctx, d, { method: 'GET', headers: { Accept: 'text/event-stream' } });
      await c.waitFor((b) => /\n\n/.test(b.toString()), 'the first event', ctx.ms(3000)).catch(() => ctx.fail('the session event', show(c)));
      const h = c.headers();
      ctx.expect(c.status() === 200 && /^text\/event-stream/i.test(h['content-type'] ?? ''), '200 text/event-stream', () => `${c.status()} ${h['content-type']}`);
      ctx.expect(h['cache-control'] === 'no-cache, no-store' && h['x-accel-buffering'] === 'no', 'Cache-Control: no-cache, no-store and X-Accel-Buffering: no', () => JSON.stringify(h));
      const first = c.received().toString().split('\n\n')[0]!;
      ctx.expect(/^id: 0\nevent: session\ndata: [A-Za-z0-9_-]{24}$/.test(first), 'the event "id: 0, event: session, data: ID" (24 base64url characters)', () => JSON.stringify(first));
      ctx.expect(h['hamelin-session'] === first.split('data: ')[1], 'Hamelin-Session: the same ID, for load balancers (OPS-19)', () => JSON.stringify(h));
      // A second session's id differs (HTTP-23: 144 random bits each).
      const c2 = await request(ctx, d, { method: 'GET', headers: { Accept: 'text/event-stream' } });
      await c2.waitFor((b) => /\n\n/.test(b.toString()), 'the second session event', ctx.ms(3000)).catch(() => ctx.fail('a second session event', show(c2)));
      const second = c2.received().toString().split('\n\n')[0]!;
      ctx.expect(second !== first, 'a different id for a second session', () => `${JSON.stringify(first)} twice`);
      c.close();
      c2.close();
    },
  },
  {
    id: 'HTTP-19',
    level: 'MUST',
    title: 'SSE: each stdout line is one event with a rising id; a final exit event with the status',
    async run(ctx) {
      const d = await ctx.start({ mode: `noread+delay=50+print=${b64('one\ntwo\r\nlast')}+exit=3` });
      const c = await request(ctx, d, { method: 'GET', headers: { Accept: 'text/event-stream' } });
      await whole(ctx, c);
      const events = c.received().toString().split('\n\n').filter((e) => e.trim() !== '' && !e.startsWith(':'));
      const data = events.slice(1, -1);
      const want = ['id: 1\ndata: one', 'id: 2\ndata: two', 'id: 3\ndata: last'];
      ctx.expect(JSON.stringify(data) === JSON.stringify(want), `the events ${JSON.stringify(want)}`, () => JSON.stringify(data));
      const exit = events[events.length - 1] ?? '';
      const json = /(?:^|\n)event: exit\n(?:id: \d+\n)?data: (.*)$/.exec(exit)?.[1];
      let parsed: { status?: unknown; exit?: unknown } = {};
      try {
        parsed = JSON.parse(json ?? '') as typeof parsed;
      } catch {
        /* below */
      }
      ctx.expect(parsed.status === 3 && parsed.exit === '3', 'an exit event with {"status": 3, "exit": "3", ...}', () => JSON.stringify(exit));
    },
  },
  {
    id: 'HTTP-21',
    level: 'MUST',
    title: 'an SSE GET with Last-Event-ID (a browser reconnect) is 204 and runs nothing',
    async run(ctx) {
      const d = await ctx.start({ mode: 'echo' });
      const c = await whole(ctx, await request(ctx, d, { method: 'GET', headers: { Accept: 'text/event-stream', 'Last-Event-ID': '0' } }));
      ctx.expect(c.status() === 204, 'status 204', () => show(c));
      // Proof that nothing ran, instead of a wait: a request sent after the 204 does run, and a
      // process the reconnect had started would have started before it.
      const later = await whole(ctx, await request(ctx, d, { method: 'GET', path: '/after-reconnect' }));
      ctx.expect(later.status() === 200, 'a later plain GET answered 200', () => show(later));
      await eventually(() => d.sessions().some((p) => p.env['H-PATH'] === '/after-reconnect'), 'the later GET\'s process', ctx.ms(5000));
      const others = d.sessions().filter((p) => p.env['H-PATH'] !== '/after-reconnect');
      ctx.expect(others.length === 0, 'no process for the reconnect', () => `${others.length} started`);
      return expectNoMoreStarted(ctx, d, 1, 'no process for the reconnect, only the later GET');
    },
  },
  {
    id: 'HTTP-32',
    level: 'MUST',
    title: 'an HTTP/1.0 request: the output to EOF, not chunked, no trailer; the daemon serves on',
    async run(ctx) {
      const d = await ctx.start({ mode: `noread+delay=50+print=${b64('one\ntwo')}+exit=3` });
      const raw = await rawExchange(ctx, d, `GET / HTTP/1.0\r\nUser-Agent: ${HTTP_USER_AGENT}\r\n\r\n`);
      const i = raw.indexOf('\r\n\r\n');
      const head = i < 0 ? raw : raw.slice(0, i);
      ctx.expect(/^HTTP\/1\.[01] 200 /.test(head), 'status 200', () => clip(head, 120));
      ctx.expect(!/transfer-encoding|trailer:/i.test(head), 'no Transfer-Encoding or Trailer header', () => clip(head, 300));
      ctx.expect(i >= 0 && raw.slice(i + 4) === 'one\ntwo', 'the body "one\\ntwo", ended by the close', () => JSON.stringify(raw.slice(i + 4)));
      const again = await whole(ctx, await request(ctx, d, { method: 'GET' }));
      ctx.expect(again.status() === 200, 'the daemon still serves HTTP/1.1', () => show(again));
    },
  },
  {
    id: 'HTTP-33',
    level: 'MUST',
    title: 'HEAD and OPTIONS are answered without running the command',
    async run(ctx) {
      const d = await ctx.start({ mode: `noread+print=${b64('x\n')}` });
      const head = await whole(ctx, await request(ctx, d, { method: 'HEAD' }));
      ctx.expect(head.status() === 200 && head.received().length === 0, 'HEAD: 200, no body', () => show(head));
      const opt = await whole(ctx, await request(ctx, d, { method: 'OPTIONS', body: '' }));
      ctx.expect(opt.status() === 204 && /OPTIONS/.test(opt.headers()['allow'] ?? ''), 'OPTIONS: 204 with Allow', () => `${show(opt)}, Allow ${JSON.stringify(opt.headers()['allow'] ?? null)}`);
      // Proof that nothing ran, instead of a wait: a later GET does run, after both answers.
      const later = await whole(ctx, await request(ctx, d, { method: 'GET', path: '/after-safe-methods' }));
      ctx.expect(later.status() === 200, 'a later GET answered 200', () => show(later));
      await eventually(() => d.sessions().some((p) => p.env['H-PATH'] === '/after-safe-methods'), 'the later GET\'s process', ctx.ms(5000));
      const others = d.sessions().filter((p) => p.env['H-PATH'] !== '/after-safe-methods');
      ctx.expect(others.length === 0, 'no process for HEAD or OPTIONS', () => others.map((p) => p.env['H-METHOD']).join(', '));
      return expectNoMoreStarted(ctx, d, 1, 'no process for HEAD or OPTIONS, only the later GET');
    },
  },
];

/** Write a request as it is on a new connection; resolves with everything read until the close. */
async function rawExchange(ctx: Ctx, d: DaemonRun, text: string): Promise<string> {
  const s = connect({ host: d.addr.host, port: d.addr.port });
  let raw = '';
  s.on('data', (b: Buffer) => (raw += b.toString('latin1')));
  s.on('error', () => {});
  const closed = new Promise<void>((r) => s.once('close', () => r()));
  await new Promise((r) => s.once('connect', r));
  s.write(text);
  await Promise.race([closed, new Promise((r) => setTimeout(r, ctx.ms(5000)))]);
  s.destroy();
  return raw;
}
