/** WebSocket binding (spec/bindings/ws.md): handshake, text framing, close codes, limits,
 * backpressure, pings, TLS, environment. What needs an option the suite cannot give a daemon
 * (--binary, --origin, --dir, --console) is reported as skipped, with that reason. */
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type Socket } from 'node:net';
import type { Check, Ctx, DaemonRun } from '../runner.js';
import { PROBE_ARGV } from '../probe-binary.js';
import { within } from '../runner.js';
import { dialWs, openWs, rawRequest, upgradeRequest, USER_AGENT, wsUrl } from '../bindings/ws.js';
import type { Conn } from '../types.js';
import { b64, clip, eventually, expectNoMoreStarted, fresh, howClosed, pingEcho, session, showBytes, signalsOf, waitSignal } from './common.js';
import { childNotReading, slowClient } from './flow.js';

async function closedWith(ctx: Ctx, c: Conn, ms = 5000): Promise<{ code: number; reason: string } | undefined> {
  await within(() => c.closeFrame?.() !== undefined || c.error() !== undefined, ctx.ms(ms));
  return c.closeFrame?.();
}

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const MiB = 1 << 20;
/** WS-11 lets the daemon hold 256 KiB for a client; this leaves room for its allocator. */
const WS11_RSS_BOUND_KB = 12 * 1024;

/** The status a raw request gets, or why it got none. */
async function statusOf(d: DaemonRun, request: string, tls = d.addr.tls): Promise<string> {
  return rawRequest(d.addr.host, d.addr.port, request, tls).then(
    (r) => `HTTP ${r.status}`,
    (e: Error) => `no answer (${e.message})`,
  );
}

/** Milliseconds from the handshake to the first ping, or undefined when none came in `ms`. */
async function firstPing(ctx: Ctx, d: DaemonRun, ms: number, autoPong = true): Promise<number | undefined> {
  const ws = await openWs(wsUrl(d.addr.host, d.addr.port, d.addr.tls), { autoPong });
  const t0 = Date.now();
  const after = await new Promise<number | undefined>((resolve) => {
    const t = setTimeout(() => resolve(undefined), ctx.ms(ms));
    ws.once('ping', () => {
      clearTimeout(t);
      resolve(Date.now() - t0);
    });
    ws.once('close', () => {
      clearTimeout(t);
      resolve(undefined);
    });
  });
  if (autoPong) ws.terminate();
  return after;
}

/** With --ping-interval 1: a ping within about a second, and a client that never answers is
 * dropped (no close frame needed) within a few intervals, its child sent SIGTERM. */
async function pingsAndDrops(ctx: Ctx): Promise<string> {
  const interval = 1;
  const d = await ctx.start({ mode: 'echo+stay', options: { 'ping-interval': String(interval) } });
  const after = await firstPing(ctx, d, interval * 1000 + 1500);
  ctx.expect(after !== undefined, `a ping within ${interval + 1.5} s (--ping-interval ${interval})`, () => 'none');
  // The client answers pings until its child has reported (a child the drop ended before it
  // started would never be seen), then falls silent.
  const mute = await openWs(wsUrl(d.addr.host, d.addr.port, d.addr.tls), { autoPong: false });
  let silent = false;
  mute.on('ping', (data: Buffer) => {
    if (!silent) mute.pong(data);
  });
  const closed = new Promise<number>((resolve) => mute.once('close', () => resolve(Date.now())));
  const port = String((mute as unknown as { _socket: Socket })._socket.localPort);
  const p = await eventually(() => d.sessions().find((x) => x.env['H-REMOTE-PORT'] === port), "the silent client's child to start", ctx.ms(5000));
  silent = true;
  const t0 = Date.now();
  const droppedAt = await Promise.race([closed, new Promise<undefined>((r) => setTimeout(r, ctx.ms(interval * 3000 + 2000)))]);
  ctx.expect(droppedAt !== undefined, `a client that answers no ping dropped within ${interval * 3 + 2} s`, () => 'still connected');
  const t = await waitSignal(d, p.pid, ctx.ms(3000));
  ctx.expect(t !== undefined, "SIGTERM to the dropped client's child", () => signalsOf(d, p.pid));
  return `first ping after ${after} ms; a silent client dropped after ${droppedAt! - t0} ms, its child sent SIGTERM`;
}

/**
 * A --dir tree for WS-17 and WS-18, under the check's directory:
 *   www/chat/room.sh   executable: runs the probe (echo+stay) into the run's report directory
 *   www/plain.txt      not executable;  www/.hidden.sh  executable but hidden;  www/sub/  a directory
 *   outside.sh         executable, outside DIR;  www/link.sh  a symlink to it
 * Every script runs the probe, so a process started for any of them is seen: through `env -S`
 * (a shell would drop the H- variables, whose names are not shell names), with the script's
 * path as the probe's one extra argument.
 */
export function dirTree(ctx: Ctx, runDir: string): string {
  const www = join(ctx.dir, 'www');
  mkdirSync(join(www, 'chat'), { recursive: true });
  mkdirSync(join(www, 'sub'), { recursive: true });
  const script = `#!/usr/bin/env -S ${PROBE_ARGV.join(' ')} ${runDir} echo+stay\n`;
  for (const f of ['chat/room.sh', 'plain.txt', '.hidden.sh', '../outside.sh']) writeFileSync(join(www, f), script);
  for (const f of ['chat/room.sh', '.hidden.sh', '../outside.sh']) chmodSync(join(www, f), 0o755);
  symlinkSync(join(ctx.dir, 'outside.sh'), join(www, 'link.sh'));
  return www;
}

async function startDir(ctx: Ctx): Promise<DaemonRun> {
  const www = join(ctx.dir, 'www');
  return ctx.start({ options: { dir: www }, commandFor: (runDir) => (dirTree(ctx, runDir), []) });
}

/** Each path's upgrade answered with this status; nothing started for any of them. */
async function refusedPaths(ctx: Ctx, d: DaemonRun, paths: [string, number][]): Promise<string> {
  for (const [path, status] of paths) {
    const got = await statusOf(d, upgradeRequest(path, randomBytes(16).toString('base64')));
    ctx.expect(got === `HTTP ${status}`, `HTTP ${status} for ${JSON.stringify(path)}`, () => got);
  }
  return expectNoMoreStarted(ctx, d, 0, `no process for ${paths.length} refused paths`);
}

export const wsChecks: Check[] = [
  {
    id: 'WS-01',
    level: 'MUST',
    title: 'the RFC 6455 upgrade (version 13): Sec-WebSocket-Accept, no compression negotiated, the first offered subprotocol',
    async run(ctx) {
      const d = await ctx.start({ mode: 'echo+stay' });
      const key = randomBytes(16).toString('base64');
      const extra = ['Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits', 'Sec-WebSocket-Protocol: first.example, second.example'];
      const r = await rawRequest(d.addr.host, d.addr.port, upgradeRequest('/', key, extra), d.addr.tls).catch((e: Error) => ctx.fail('a 101 answer', e.message));
      const accept = createHash('sha1').update(key + GUID).digest('base64');
      ctx.expect(r.status === 101, 'HTTP 101', () => `HTTP ${r.status} ${clip(r.body)}`);
      ctx.expect(r.headers['sec-websocket-accept'] === accept, `Sec-WebSocket-Accept ${accept}`, () => `${JSON.stringify(r.headers['sec-websocket-accept'] ?? null)}`);
      ctx.expect(r.headers['sec-websocket-extensions'] === undefined, 'no Sec-WebSocket-Extensions (permessage-deflate offered, not taken)', () => r.headers['sec-websocket-extensions']!);
      ctx.expect(r.headers['sec-websocket-protocol'] === 'first.example', 'Sec-WebSocket-Protocol: first.example', () => `${JSON.stringify(r.headers['sec-websocket-protocol'] ?? null)}`);
      return 'HTTP 101, the right accept key, no extension, subprotocol first.example';
    },
  },
  {
    id: 'WS-02',
    level: 'MUST',
    title: 'one process per accepted connection, started after the handshake; none for a connection without one or a refused handshake',
    async run(ctx) {
      const d = await ctx.start({ mode: 'echo+stay' });
      // A TCP connection that never sends its handshake, one with a broken handshake (no key)
      // and a plain GET, before two real clients: had any of the first three started a
      // process, it would be there by the time the two real ones have theirs.
      const silent = await new Promise<Socket>((resolve, reject) => {
        const s = connect({ host: d.addr.host, port: d.addr.port }, () => resolve(s));
        s.on('error', reject);
      });
      const broken = await statusOf(d, upgradeRequest('/', undefined));
      const plain = await statusOf(d, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
      ctx.expect(!/HTTP 101/.test(broken), 'no upgrade without Sec-WebSocket-Key', () => broken);
      const a = await d.dial();
      const b = await d.dial();
      await pingEcho(ctx, a);
      await pingEcho(ctx, b);
      const s = d.sessions();
      silent.destroy();
      ctx.expect(s.length === 2 && s[0]!.pid !== s[1]!.pid, 'exactly two processes, one per WebSocket', () => `${s.length} (${s.map((x) => x.pid).join(', ')})`);
      return `2 processes for 2 clients; a silent connection, a handshake without key (${broken}) and a plain GET (${plain}) started none`;
    },
  },
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
      ctx.expect(f?.code === 1003 && f.reason === 'binary messages not accepted (see --binary)', 'close 1003 "binary messages not accepted (see --binary)"', () => howClosed(c));
      const t = await waitSignal(d, p.pid, ctx.ms(3000));
      ctx.expect(t !== undefined, 'SIGTERM to the child', () => signalsOf(d, p.pid));
    },
  },
  {
    id: 'WS-06',
    level: 'MUST',
    title: '--binary: raw bytes both ways in binary messages, nothing appended',
    needs: ['binary'],
    async run(ctx) {
      // Not UTF-8, no newline at the end, a NUL: what text mode could not carry.
      const out = Buffer.from([0x00, 0xff, 0xfe, 0x0a, 0x41, 0x0d, 0x80]);
      const { d, c, p } = await session(ctx, { mode: `echo+stay+print=${b64(out)}`, options: { binary: '' } });
      const want = Buffer.concat([Buffer.from([1, 2, 0xff]), Buffer.from('text without newline')]);
      c.sendMessage!(Buffer.from([1, 2, 0xff]), true);
      c.sendMessage!('text without newline');
      await within(() => fresh(d, p).stdinTotal() >= want.length, ctx.ms(3000));
      const got = fresh(d, p).stdin();
      ctx.expect(got.equals(want), `the child to read ${showBytes(want)} (nothing appended)`, () => showBytes(got));
      const sent = (): Buffer => Buffer.concat(c.messages?.() ?? []);
      const all = Buffer.concat([out, want]);
      await within(() => sent().length >= all.length, ctx.ms(3000));
      ctx.expect(sent().equals(all), `the client to get ${showBytes(all)} in binary messages`, () => `${showBytes(sent())}, ${howClosed(c)}`);
      return `${want.length} bytes in, ${all.length} bytes out unchanged`;
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
    title: 'the close frame carries the exit, after all output: 1000 "exit status 0", 4003 "exit status 3", 4109 "killed by SIGKILL"',
    async run(ctx) {
      const cases = [
        { mode: `noread+delay=50+print=${b64('bye\n')}+exit=0`, out: 'bye\n', code: 1000, reason: 'exit status 0' },
        { mode: `noread+delay=50+print=${b64('bad\n')}+exit=3`, out: 'bad\n', code: 4003, reason: 'exit status 3' },
        { mode: `noread+delay=50+print=${b64('killed\n')}+die=SIGKILL`, out: 'killed\n', code: 4109, reason: 'killed by SIGKILL' },
      ];
      const runs = await Promise.all(cases.map((k) => session(ctx, { mode: k.mode })));
      const frames = await Promise.all(runs.map((r) => closedWith(ctx, r.c)));
      cases.forEach((k, i) => {
        const { c } = runs[i]!;
        const f = frames[i];
        ctx.expect(c.received().toString() === k.out && f?.code === k.code && f.reason === k.reason, `${JSON.stringify(k.out)} then close ${k.code} ${JSON.stringify(k.reason)}`, () =>
          `${clip(c.received().toString())}, ${howClosed(c)}`,
        );
      });
      return frames.map((f) => `close ${f!.code} ${JSON.stringify(f!.reason)}`).join(', ');
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
    id: 'WS-11',
    level: 'MUST',
    title: 'backpressure both ways: a client that reads nothing blocks the child, a child that reads nothing stops the client; memory bounded',
    timeoutMs: 45_000,
    async run(ctx) {
      const limits = { boundKb: WS11_RSS_BOUND_KB, chunk: 512 * 1024, push: 64 * MiB };
      const [a, b] = await Promise.all([slowClient(ctx, limits), childNotReading(ctx, limits)]);
      return `${a}; ${b}`;
    },
  },
  {
    id: 'WS-12',
    level: 'MUST',
    title: '--origin: a missing, foreign or invalid Origin is answered 403 before the upgrade, and nothing is started',
    needs: ['origin'],
    async run(ctx) {
      const allowed = 'http://allowed.example';
      const d = await ctx.start({ mode: 'echo+stay', options: { origin: allowed } });
      const ask = (origin: string | undefined): Promise<string> =>
        statusOf(d, upgradeRequest('/', randomBytes(16).toString('base64'), origin === undefined ? [] : [`Origin: ${origin}`]));
      const refused: string[] = [];
      for (const origin of ['http://evil.example', 'http://allowed.example.evil.example', 'http://allowed.example:8080', 'null', undefined]) {
        const got = await ask(origin);
        ctx.expect(/HTTP 403/.test(got), `HTTP 403 for Origin ${origin ?? '(none)'}`, () => got);
        refused.push(origin ?? '(none)');
      }
      await expectNoMoreStarted(ctx, d, 0, 'no process for a refused Origin');
      const c = await dialWs(wsUrl(d.addr.host, d.addr.port, d.addr.tls), { Origin: allowed });
      await pingEcho(ctx, c);
      return `403 for ${refused.join(', ')}, none started; ${allowed} served`;
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
      ctx.expect(d.startedPids().length === 1, 'one process for the client within the limit', () => `${d.startedPids().length}`);
      const refused = await d.dial().then(
        (c) => `accepted (${howClosed(c)})`,
        (e: Error) => e.message,
      );
      ctx.expect(/HTTP 503/.test(refused), 'HTTP 503 before the upgrade', () => refused);
      return `${refused}; ${await expectNoMoreStarted(ctx, d, 1, 'no second process')}`;
    },
  },
  {
    id: 'WS-14',
    level: 'MUST',
    title: 'pings every --ping-interval seconds (30 by default); a peer that misses a pong is dropped and its child gets SIGTERM',
    timeoutMs: 50_000,
    async run(ctx) {
      if (ctx.has('ping-interval')) return pingsAndDrops(ctx);
      const d = await ctx.start({ mode: 'echo+stay' });
      const after = await firstPing(ctx, d, 36_000);
      ctx.expect(after !== undefined, 'a ping within the default 30 s', () => `none in ${ctx.ms(36_000) / 1000} s`);
      return `first ping ${(after! / 1000).toFixed(1)} s after the handshake (dropping a peer that misses a pong: give --opt ping-interval=... to check it)`;
    },
  },
  {
    id: 'WS-15',
    level: 'MUST',
    title: 'H-TYPE WS-0.2-INSECURE, H-CLIENT the User-Agent, H-REMOTE-ADDR/PORT, H-PATH, H-QUERY, H-ORIGIN',
    async run(ctx) {
      const d = await ctx.start({ mode: 'echo+stay' });
      // The daemon's own origin: a daemon may refuse a foreign one by default (WS-12).
      const origin = `http://${d.addr.host}:${d.addr.port}`;
      const c = await dialWs(wsUrl(d.addr.host, d.addr.port, false, '/some/path?x=1&y=%20'), { Origin: origin, 'X-Conformance-Test': 'yes' });
      const [p] = await d.waitSessions(1);
      const env = p!.env;
      const want: Record<string, string> = {
        'H-TYPE': ctx.binding.hType(d.addr),
        'H-CLIENT': USER_AGENT,
        'H-REMOTE-ADDR': c.localAddress,
        'H-REMOTE-PORT': String(c.localPort),
        'H-PATH': '/some/path',
        'H-QUERY': 'x=1&y=%20',
        'H-ORIGIN': origin,
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
    id: 'WS-17',
    level: 'MUST',
    title: '--dir: the URL path picks an executable in DIR (H-SCRIPT-NAME, H-PATH-INFO), 404 before the upgrade when there is none',
    needs: ['dir'],
    async run(ctx) {
      const d = await startDir(ctx);
      const counted = await refusedPaths(ctx, d, [['/missing.sh', 404], ['/sub', 404], ['/sub/', 404], ['/plain.txt', 404], ['/.hidden.sh', 404], ['/chat/.hidden.sh', 404]]);
      const c = await dialWs(wsUrl(d.addr.host, d.addr.port, d.addr.tls, '/chat/room.sh/a/b?q=1'));
      await pingEcho(ctx, c);
      const [p] = await d.waitSessions(1);
      const env = p!.env;
      const want: Record<string, string> = { 'H-SCRIPT-NAME': '/chat/room.sh', 'H-PATH-INFO': '/a/b', 'H-PATH': '/chat/room.sh/a/b', 'H-QUERY': 'q=1' };
      const bad = Object.entries(want).filter(([k, v]) => env[k] !== v);
      ctx.expect(bad.length === 0, Object.entries(want).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' '), () => bad.map(([k]) => `${k}=${JSON.stringify(env[k] ?? null)}`).join(' '));
      // The probe's arguments after its own two: only the script's path, which `env -S` adds.
      ctx.expect(p!.argv.length === 3 && p!.argv[2]!.endsWith('chat/room.sh'), 'the program run with no arguments', () => JSON.stringify(p!.argv.slice(2)));
      return `/chat/room.sh/a/b served with H-SCRIPT-NAME and H-PATH-INFO; ${counted}`;
    },
  },
  {
    id: 'WS-18',
    level: 'MUST',
    title: '--dir: nothing outside DIR is ever run (dot segments, encoded separators, NUL, backslash, symlinks): 404, bad encoding 400',
    needs: ['dir'],
    async run(ctx) {
      const d = await startDir(ctx);
      const counted = await refusedPaths(ctx, d, [
        ['/../outside.sh', 404],
        ['/chat/../../outside.sh', 404],
        ['/chat/%2e%2e/%2E%2E/outside.sh', 404],
        ['/chat/room.sh/../x', 404],
        ['/chat%2froom.sh', 404],
        ['/chat%5Croom.sh', 404],
        ['/chat/room.sh%00', 404],
        ['/chat\\room.sh', 404],
        ['/link.sh', 404],
        ['/chat/%zz', 400],
      ]);
      return counted;
    },
  },
  {
    id: 'WS-19',
    level: 'MUST',
    title: 'without --console, a plain GET is answered 426 and starts nothing (the page itself needs --console: not checked)',
    async run(ctx) {
      const d = await ctx.start({ mode: 'echo+stay' });
      const r = await rawRequest(d.addr.host, d.addr.port, `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: ${USER_AGENT}\r\nConnection: close\r\n\r\n`, d.addr.tls).catch((e: Error) =>
        ctx.fail('an HTTP answer', e.message),
      );
      ctx.expect(r.status === 426, 'HTTP 426 Upgrade Required', () => `HTTP ${r.status} ${clip(r.body)}`);
      const c = await d.dial();
      await pingEcho(ctx, c);
      ctx.expect(d.sessions().length === 1, 'no process for the plain GET', () => `${d.sessions().length} processes`);
      return `HTTP ${r.status}`;
    },
  },
  {
    id: 'WS-20',
    level: 'MUST',
    title: 'with TLS: wss:// only, H-TYPE WS-0.2-TLS; a failed TLS handshake does not affect other clients',
    needs: ['tls'],
    async run(ctx) {
      const d = await ctx.start({ mode: 'echo+stay', options: { tls: '' } });
      const a = await d.dial();
      await pingEcho(ctx, a);
      const [p] = await d.waitSessions(1);
      ctx.expect(p!.env['H-TYPE'] === 'WS-0.2-TLS', 'H-TYPE=WS-0.2-TLS', () => `H-TYPE=${JSON.stringify(p!.env['H-TYPE'] ?? null)}`);
      // A plain-text handshake on the TLS port is a failed TLS handshake.
      const plain = await statusOf(d, upgradeRequest('/', randomBytes(16).toString('base64')), false);
      ctx.expect(!/HTTP 101/.test(plain), 'no WebSocket without TLS', () => plain);
      await pingEcho(ctx, a, 'still here\n');
      const b = await d.dial();
      await pingEcho(ctx, b);
      ctx.expect(d.sessions().length === 2, 'no process for the failed handshake', () => `${d.sessions().length} processes`);
      if (ctx.config.hamelin) {
        await eventually(() => /tls-error/.test(d.stderr().toString()) || undefined, 'the tls-error log line', ctx.ms(3000)).catch(() =>
          ctx.fail('a tls-error log line', clip(d.stderr().toString())),
        );
      }
      return `wss echo, plain text on the TLS port: ${plain}; the first client and a new one unaffected`;
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
      // The close frame is read once the connection has closed: a daemon may exit right after
      // the closing handshake, before this process has handled the frame it received.
      await Promise.race([c.closed, new Promise((r) => setTimeout(r, ctx.ms(3000)))]);
      const f = c.closeFrame?.();
      // The probe dies of the SIGTERM (WS-08: 4100 + 15).
      ctx.expect(f?.code === 4115 && f.reason === 'killed by SIGTERM', 'close 4115 "killed by SIGTERM" (the child died of the SIGTERM)', () => howClosed(c));
      return `close ${f!.code} ${JSON.stringify(f!.reason)}`;
    },
  },
];
