/**
 * The front door (spec/front-door.md), opt-in: the PROXY protocol (FD-10 to FD-14) and the
 * refusals before spawn (FD-07: --deny and --max-per-source; FD-18: authentication). They run when
 * one of their option names is given with --opt (they need the daemon's spelling), and each asserts
 * exact observable values: the bytes or the status line and header of a refusal, the process
 * count before and after it (counting probes still loading), the client the child sees.
 *
 * The suite's clients come from loopback addresses other than 127.0.0.1 where a check needs a
 * second source (Linux routes all of 127.0.0.0/8 to lo): 127.0.0.1 is the trusted proxy and the
 * ordinary client, 127.0.0.2 the untrusted or denied one, 127.0.0.3 another source.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { WebSocket } from 'ws';
import type { Check, Ctx, DaemonRun } from '../runner.js';
import { sleep } from '../runner.js';
import { wrapSocket } from '../bindings/net.js';
import { rawRequest, USER_AGENT, wrapWebSocket, wsUrl, type RawResponse } from '../bindings/ws.js';
import { HTTP_USER_AGENT, httpConn } from '../bindings/http.js';
import type { Conn } from '../types.js';
import type { ProbeRun } from '../probe-report.js';
import { clip, eventually, expectNoMoreStarted, pingEcho, showBytes, within } from './common.js';
import { hostOf } from './raw.js';

const WEB = ['net', 'ws', 'http'];
/** The trusted proxy the checks name (`--opt proxy-protocol=... {value}`), and its address. */
const TRUSTED = '127.0.0.1/32';
const PROXY_PEER = '127.0.0.1';
const OTHER = '127.0.0.2';
const THIRD = '127.0.0.3';

// ---- PROXY headers, byte by byte (HAProxy's proxy-protocol.txt) ----------------------------
const V2_SIG = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
function v2(verCmd: number, famProto: number, block: Buffer, length = block.length): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(length);
  return Buffer.concat([V2_SIG, Buffer.from([verCmd, famProto]), len, block]);
}
const ports = (src: number, dst: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt16BE(src, 0);
  b.writeUInt16BE(dst, 2);
  return b;
};
const ip4 = (a: string): Buffer => Buffer.from(a.split('.').map(Number));
const tlv = (type: number, value: Buffer, length = value.length): Buffer => Buffer.concat([Buffer.from([type, length >> 8, length & 0xff]), value]);
/** PROXY over TCP/IPv4, with TLVs after the addresses (an ALPN and a NOOP: values to skip). */
const v2Tcp4 = (src: string, sport: number, tlvs: Buffer = Buffer.alloc(0)): Buffer => v2(0x21, 0x11, Buffer.concat([ip4(src), ip4('192.0.2.1'), ports(sport, 443), tlvs]));
/** PROXY over TCP/IPv6: 2001:db8::5 written out in full. */
const V6_SRC = Buffer.from('20010db8000000000000000000000005', 'hex');
const V6_DST = Buffer.from('20010db8000000000000000000000001', 'hex');
const v2Tcp6 = (sport: number): Buffer => v2(0x21, 0x21, Buffer.concat([V6_SRC, V6_DST, ports(sport, 443)]));
const v1 = (line: string): Buffer => Buffer.from(`${line}\r\n`, 'latin1');

// ---- connections ----------------------------------------------------------------------------
function rawSocket(ctx: Ctx, d: DaemonRun, from: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: d.addr.host, port: d.addr.port, localAddress: from, allowHalfOpen: true, noDelay: true });
    s.once('error', reject);
    s.once('connect', () => {
      s.off('error', reject);
      resolve(s);
    });
    s.setTimeout(ctx.ms(20_000), () => s.destroy());
  });
}

/**
 * A session over a connection from `from` whose first bytes are `prefix` (a PROXY header, or
 * nothing), followed by the binding's own start (the WebSocket handshake, the HTTP request) in the
 * same write where the binding has one: the daemon must take exactly the header (FD-13).
 */
async function dialVia(ctx: Ctx, d: DaemonRun, prefix: Buffer, from = PROXY_PEER, headers: Record<string, string> = {}): Promise<Conn> {
  if (ctx.binding.name === 'ws') {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(wsUrl(d.addr.host, d.addr.port, false), {
        headers: { 'User-Agent': USER_AGENT, ...headers },
        perMessageDeflate: false,
        maxPayload: 64 << 20,
        // The header and the upgrade request leave in one writev, so they reach the daemon in one
        // read: held back (corked) until the socket connects, by when the request, which the
        // client writes a tick after this, is held too. Two writes could reach a loaded daemon in
        // two reads, and a daemon that drops what follows the header in its read would pass.
        createConnection: ((o: object) => {
          const s = connect({ ...o, localAddress: from } as never);
          if (prefix.length) {
            s.cork();
            s.write(prefix);
            s.once('connect', () => s.uncork());
          }
          return s;
        }) as never,
      });
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => {
        res.resume();
        reject(new Error(`HTTP ${res.statusCode} before the upgrade`));
      });
      ws.once('open', () => {
        ws.off('error', reject);
        ws.on('error', () => {});
        resolve(wrapWebSocket(ws));
      });
    });
  }
  const s = await rawSocket(ctx, d, from);
  if (ctx.binding.name === 'http') {
    s.cork();
    if (prefix.length) s.write(prefix);
    const c = httpConn(s, d.addr, { headers });
    process.nextTick(() => s.uncork());
    return c;
  }
  if (prefix.length) s.write(prefix);
  return wrapSocket(s, `${from}:${s.localPort}`);
}

interface Exchange {
  /** Every byte that arrived until the connection closed. */
  got: Buffer;
  /** Whether it closed before the deadline, and when (ms after the last write). */
  closed: boolean;
  ms: number;
  /** When it closed, in ms after the client began to connect: no daemon clock starts earlier. */
  sinceConnect: number;
}

/** Write `parts` (a pause between them, so they travel apart), then read until the daemon closes
 * or `timeoutMs` passes. */
async function exchange(ctx: Ctx, d: DaemonRun, from: string, parts: Buffer[], timeoutMs: number): Promise<Exchange> {
  const began = Date.now();
  const s = await rawSocket(ctx, d, from);
  const chunks: Buffer[] = [];
  let closedAt: number | undefined;
  s.on('data', (b: Buffer) => chunks.push(b));
  s.on('error', () => {});
  s.once('close', () => (closedAt = Date.now()));
  s.on('end', () => s.end());
  for (const [i, p] of parts.entries()) {
    if (i > 0) await sleep(50);
    if (!s.destroyed) await new Promise<void>((r) => s.write(p, () => r()));
  }
  const sent = Date.now();
  await within(() => closedAt !== undefined, timeoutMs, 10);
  s.destroy();
  const end = closedAt ?? Date.now();
  return { got: Buffer.concat(chunks), closed: closedAt !== undefined, ms: end - sent, sinceConnect: end - began };
}

/** The request that starts a session on ws and http (raw bytes; net has none). */
function startRequest(ctx: Ctx, d: DaemonRun, extra: string[] = []): string {
  const host = `Host: ${hostOf(d.addr)}`;
  if (ctx.binding.name === 'ws') {
    return ['GET / HTTP/1.1', host, 'Upgrade: websocket', 'Connection: Upgrade', `User-Agent: ${USER_AGENT}`, 'Sec-WebSocket-Version: 13', `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`, ...extra, '', ''].join('\r\n');
  }
  return ['POST / HTTP/1.1', host, `User-Agent: ${HTTP_USER_AGENT}`, 'Content-Type: text/plain', 'Content-Length: 5', 'Connection: close', ...extra, '', 'ping\n'].join('\r\n');
}

const showResponse = (r: RawResponse | Error): string =>
  r instanceof Error ? `no answer (${r.message})` : `HTTP ${r.status} ${Object.entries(r.headers).map(([k, v]) => `${k}: ${v}`).join('; ')} body ${clip(r.body, 100)}`;

/** An HTTP refusal's body is one line of plain text (FD-07). */
function oneLineBody(ctx: Ctx, r: RawResponse, what: string): void {
  ctx.expect(/^[^\n]+\n$/.test(r.body), `a one-line plain-text body for ${what}`, () => clip(r.body, 100));
}

/** The `refused` log line hamelin's daemons write (LOG-05), when the daemon is hamelin's. */
async function logged(ctx: Ctx, d: DaemonRun, re: RegExp, what: string): Promise<void> {
  if (!ctx.config.hamelin) return;
  await eventually(() => re.test(d.stderr().toString()) || undefined, what, ctx.ms(3000)).catch(() => ctx.fail(what, clip(d.stderr().toString(), 300)));
}

/** The session's probe for one more client: the (n)th to start. */
async function nth(ctx: Ctx, d: DaemonRun, n: number): Promise<ProbeRun> {
  const s = await d.waitSessions(n, ctx.ms(5000));
  return s[n - 1]!;
}

/** The connection was closed with no byte written, promptly (`limitMs`). */
function closedSilently(ctx: Ctx, x: Exchange, what: string, limitMs: number): string {
  ctx.expect(x.closed && x.ms <= limitMs, `${what}: the connection closed within ${limitMs} ms`, () => (x.closed ? `closed after ${x.ms} ms` : `still open after ${x.ms} ms`));
  ctx.expect(x.got.length === 0, `${what}: not a byte written`, () => showBytes(x.got));
  return `${what}: closed after ${x.ms} ms, 0 bytes`;
}

/** How long a refusal that needs no waiting may take: well under the header timeout, which
 * the checks raise to 10 s with --opt proxy-timeout (else it is the 3 s default). */
function promptMs(ctx: Ctx): number {
  return ctx.has('proxy-timeout') ? ctx.ms(2000) : Math.min(ctx.ms(1500), 2500);
}
const proxyOptions = (ctx: Ctx): Record<string, string> => ({ 'proxy-protocol': TRUSTED, ...(ctx.has('proxy-timeout') ? { 'proxy-timeout': '10' } : {}) });

// ---- FD-07: --deny and --max-per-source ------------------------------------------------------

const NET_LINES = {
  denied: 'hamelin: refused: your address is not allowed\n',
  'per-source': 'hamelin: refused: too many sessions from your address (limit 1)\n',
};

/** The binding's refusal for `reason`, to a client from `from` (behind `header`, a PROXY header,
 * when given): net's one line then close; the HTTP status (with Retry-After for 429) before any
 * upgrade on ws and http. */
async function expectRefusal(ctx: Ctx, d: DaemonRun, from: string, reason: 'denied' | 'per-source', header?: Buffer): Promise<string> {
  if (header) from = `${from} behind a header`;
  if (ctx.binding.name === 'net') {
    const x = await exchange(ctx, d, from.split(' ')[0]!, header ? [header] : [], ctx.ms(3000));
    const want = NET_LINES[reason];
    ctx.expect(x.got.toString('latin1') === want, `the ${reason} line ${JSON.stringify(want)} to a client from ${from}`, () => showBytes(x.got));
    ctx.expect(x.closed, `the ${reason} client closed after its line`, () => `still open after ${x.ms} ms`);
    return `${from}: ${JSON.stringify(want.trim())}, then closed`;
  }
  const request = Buffer.from(startRequest(ctx, d), 'latin1');
  const r = await rawRequest(d.addr.host, d.addr.port, header ? Buffer.concat([header, request]) : request, false, ctx.ms(5000), from.split(' ')[0]).catch((e: Error) => e);
  const status = reason === 'denied' ? 403 : 429;
  const what = `${status} to a client from ${from} (${reason})`;
  ctx.expect(!(r instanceof Error) && r.status === status, what, () => showResponse(r));
  const res = r as RawResponse;
  if (status === 429) ctx.expect(/^[1-9]\d*$/.test(res.headers['retry-after'] ?? ''), `Retry-After: N (whole seconds, at least 1) with the ${what}`, () => showResponse(res));
  oneLineBody(ctx, res, what);
  return `${from}: HTTP ${res.status}${status === 429 ? ` Retry-After: ${res.headers['retry-after']}` : ''} ${clip(res.body.trim(), 60)}`;
}

const refusals07: Check = {
  id: 'FD-07',
  level: 'MUST',
  title: "a client refused by --deny or --max-per-source gets its binding's refusal (net: one line, then close; ws, http: 403, or 429 with Retry-After) and no process is started",
  bindings: WEB,
  optIn: 'front-door',
  needs: ['deny', 'max-per-source'],
  async run(ctx) {
    const d = await ctx.start({ mode: 'echo+stay', options: { deny: `${OTHER}/32`, 'max-per-source': '1' } });
    const denied = await expectRefusal(ctx, d, OTHER, 'denied');
    const none = await expectNoMoreStarted(ctx, d, 0, `no process for the --deny'd client ${OTHER}`);
    await logged(ctx, d, new RegExp(`refused\\b.*client=${OTHER.replace(/\./g, '\\.')}(:\\d+)?\\b.*reason=denied`), 'a refused log line with the client and reason=denied');
    const a = await dialVia(ctx, d, Buffer.alloc(0), PROXY_PEER);
    await pingEcho(ctx, a);
    const over = await expectRefusal(ctx, d, PROXY_PEER, 'per-source');
    const one = await expectNoMoreStarted(ctx, d, 1, `no second process for ${PROXY_PEER} over --max-per-source 1`);
    await logged(ctx, d, /refused\b.*reason=per-source/, 'a refused log line with reason=per-source');
    // The limit counts per source: another address is served meanwhile.
    const c = await dialVia(ctx, d, Buffer.alloc(0), THIRD);
    await pingEcho(ctx, c).catch(() => ctx.fail(`a client from ${THIRD} served while ${PROXY_PEER} is at its limit`, 'no echo'));
    a.close();
    c.close();
    return `denied ${denied} (${none}); over the limit ${over} (${one}); ${THIRD} served meanwhile`;
  },
};

// ---- FD-10 to FD-14: the PROXY protocol --------------------------------------------------------

const proxy10: Check = {
  id: 'FD-10',
  level: 'MUST',
  title: 'with --proxy-protocol, a connection without a PROXY header, or from an address not in --trusted-proxy, is closed without a byte and starts no process',
  bindings: WEB,
  optIn: 'front-door',
  needs: ['proxy-protocol'],
  async run(ctx) {
    const d = await ctx.start({ mode: 'echo+stay', options: proxyOptions(ctx) });
    const limit = promptMs(ctx);
    const seen: string[] = [];
    // The binding's own first bytes (its request, or a line): not a header, refused at once.
    const own = ctx.binding.name === 'net' ? Buffer.from('ping\n') : Buffer.from(startRequest(ctx, d), 'latin1');
    seen.push(closedSilently(ctx, await exchange(ctx, d, PROXY_PEER, [own], limit + 1000), 'no header', limit));
    seen.push(closedSilently(ctx, await exchange(ctx, d, PROXY_PEER, [Buffer.from([0x00, 0xff, 0x16, 0x03, 0x01, 0x0d, 0x0a])], limit + 1000), 'garbage first bytes', limit));
    // A valid header from a peer that is no trusted proxy: anyone could write one.
    const header = v1(`PROXY TCP4 203.0.113.9 192.0.2.1 5555 ${d.addr.port}`);
    seen.push(closedSilently(ctx, await exchange(ctx, d, OTHER, [Buffer.concat([header, own])], limit + 1000), `a valid header from ${OTHER}, not a trusted proxy`, limit));
    const counted = await expectNoMoreStarted(ctx, d, 0, 'no process for the refused connections');
    await logged(ctx, d, /refused\b.*reason=proxy-not-proxy/, 'a refused log line with reason=proxy-not-proxy');
    await logged(ctx, d, /refused\b.*reason=proxy-untrusted/, 'a refused log line with reason=proxy-untrusted');
    // And the trusted proxy's own header is served: the refusals are not all there is.
    const c = await dialVia(ctx, d, header, PROXY_PEER);
    await pingEcho(ctx, c).catch(() => ctx.fail('a session behind a valid header from the trusted proxy', 'no echo'));
    return `${seen.join('; ')}; ${counted}; a valid header from ${PROXY_PEER} served`;
  },
};

const timeout11: Check = {
  id: 'FD-11',
  level: 'MUST',
  title: 'a PROXY header that never completes is refused once --proxy-timeout (at least 3 s) has passed, with no byte written and no process',
  bindings: WEB,
  optIn: 'front-door',
  needs: ['proxy-protocol'],
  async run(ctx) {
    const seconds = 3;
    const d = await ctx.start({ mode: 'echo+stay', options: { 'proxy-protocol': TRUSTED, ...(ctx.has('proxy-timeout') ? { 'proxy-timeout': String(seconds) } : {}) } });
    const started = Date.now();
    const late = ctx.ms(seconds * 1000 + 3000);
    const [a, b] = await Promise.all([
      exchange(ctx, d, PROXY_PEER, [Buffer.from('PROXY TCP4 203.0.113.9 ')], late),
      exchange(ctx, d, PROXY_PEER, [V2_SIG.subarray(0, 8)], late),
    ]);
    const out: string[] = [];
    for (const [x, what] of [[a, 'half a v1 line'], [b, 'half a v2 signature']] as const) {
      ctx.expect(x.closed, `${what}: the connection closed within ${late} ms`, () => `still open after ${x.ms} ms`);
      // Timers may fire a little early by the suite's clock; 50 ms is that, not a shorter timeout.
      ctx.expect(x.sinceConnect >= seconds * 1000 - 50, `${what}: not closed before the ${seconds} s timeout`, () => `closed ${x.sinceConnect} ms after connecting`);
      ctx.expect(x.got.length === 0, `${what}: not a byte written`, () => showBytes(x.got));
      out.push(`${what}: closed ${x.sinceConnect} ms after connecting`);
    }
    const counted = await expectNoMoreStarted(ctx, d, 0, 'no process for the timed-out connections');
    await logged(ctx, d, /refused\b.*reason=proxy-timeout/, 'a refused log line with reason=proxy-timeout');
    return `${out.join('; ')} (${Date.now() - started} ms in all); ${counted}`;
  },
};

const limits12: Check = {
  id: 'FD-12',
  level: 'MUST',
  title: 'a v1 line over 107 bytes is refused at once, without waiting for its end; a v2 header whose length says over 4096 bytes, or whose address block or TLVs are truncated, is refused',
  bindings: WEB,
  optIn: 'front-door',
  needs: ['proxy-protocol'],
  async run(ctx) {
    const d = await ctx.start({ mode: 'echo+stay', options: proxyOptions(ctx) });
    const limit = promptMs(ctx);
    const wait = limit + 1000;
    const seen: string[] = [];
    // 108 bytes of an UNKNOWN line (whose rest the receiver ignores up to the CRLF), no CR in them.
    const long = Buffer.from(`PROXY UNKNOWN ${'x'.repeat(94)}`, 'latin1');
    seen.push(closedSilently(ctx, await exchange(ctx, d, PROXY_PEER, [long], wait), `a v1 line of ${long.length} bytes without its CRLF`, limit));
    // The 16 fixed bytes alone, with a length past 4096 - 16: no need to wait for the rest.
    seen.push(closedSilently(ctx, await exchange(ctx, d, PROXY_PEER, [v2(0x21, 0x11, Buffer.alloc(0), 4081)], wait), 'a v2 header whose length says 4097 bytes', limit));
    // A TCP/IPv6 header whose block has only the 12 bytes of IPv4 addresses.
    seen.push(closedSilently(ctx, await exchange(ctx, d, PROXY_PEER, [v2(0x21, 0x21, Buffer.concat([ip4('203.0.113.9'), ip4('192.0.2.1'), ports(5555, 443)] as Buffer[]))], wait), 'a v2 TCP/IPv6 header with a 12-byte address block', limit));
    // A TLV whose length runs past the end of the header.
    const overrun = v2Tcp4('203.0.113.9', 5555, tlv(0x04, Buffer.from('ab'), 10));
    seen.push(closedSilently(ctx, await exchange(ctx, d, PROXY_PEER, [Buffer.concat([overrun, Buffer.from('ping\n')])], wait), 'a v2 header whose last TLV overruns it', limit));
    const counted = await expectNoMoreStarted(ctx, d, 0, 'no process for the refused headers');
    return `${seen.join('; ')}; ${counted}`;
  },
};

/** The first bytes after the header reach the session: net's stdin, the ws handshake, the HTTP request. */
const exact13: Check = {
  id: 'FD-13',
  level: 'MUST',
  title: "exactly the PROXY header is read: the first byte after it is the session's first byte, whether it came in the header's packet or after a split",
  bindings: WEB,
  optIn: 'front-door',
  needs: ['proxy-protocol'],
  async run(ctx) {
    const d = await ctx.start({ mode: 'echo+stay', options: proxyOptions(ctx) });
    const withTlvs = v2Tcp4('198.51.100.4', 4444, Buffer.concat([tlv(0x01, Buffer.from('h2')), tlv(0x04, Buffer.alloc(5))]));
    const cases: [string, Buffer, number][] = [
      ['a v1 header and the first bytes in one write', v1(`PROXY TCP4 203.0.113.9 192.0.2.1 5555 ${d.addr.port}`), 0],
      ['a v2 header with TLVs and the first bytes in one write', withTlvs, 0],
      ['a v1 header split after 9 bytes', v1(`PROXY TCP4 203.0.113.9 192.0.2.1 5555 ${d.addr.port}`), 9],
      ['a v2 header split inside its address block', withTlvs, 20],
    ];
    const payload = 'first\nsecond\n';
    let n = 0;
    for (const [what, header, split] of cases) {
      n++;
      let c: Conn;
      if (ctx.binding.name === 'net') {
        const s = await rawSocket(ctx, d, PROXY_PEER);
        c = wrapSocket(s, `${PROXY_PEER}:${s.localPort}`);
        const all = Buffer.concat([header, Buffer.from(payload)]);
        if (split) {
          await c.write(all.subarray(0, split));
          await sleep(50);
          await c.write(all.subarray(split));
        } else await c.write(all);
        await c.waitFor((b) => b.length >= payload.length, `the echo of ${JSON.stringify(payload)}`, ctx.ms(5000)).catch(() => undefined);
        ctx.expect(c.received().toString('latin1') === payload, `${what}: the echo ${JSON.stringify(payload)}`, () => showBytes(c.received()));
      } else {
        // The handshake or request follows the header in the same write (or after the split);
        // a daemon that loses a byte of it never answers it.
        c = split ? await splitDial(ctx, d, header, split) : await dialVia(ctx, d, header, PROXY_PEER).catch((e: Error) => ctx.fail(`${what}: the session started`, e.message));
        await c.write(payload);
        await c.waitFor((b) => b.toString('latin1') === payload, `the echo of ${JSON.stringify(payload)}`, ctx.ms(5000)).catch(() => ctx.fail(`${what}: the echo ${JSON.stringify(payload)}`, showBytes(c.received())));
      }
      const p = await nth(ctx, d, n);
      const read = (d.probe(p.pid) ?? p).stdin().toString('latin1');
      ctx.expect(read === payload, `${what}: the child read exactly ${JSON.stringify(payload)}`, () => JSON.stringify(read));
      c.close();
    }
    return `${cases.length} sessions, each child read exactly ${JSON.stringify(payload)}`;
  },
};

/** ws and http: the header in two writes, the second carrying the handshake or request with it. */
async function splitDial(ctx: Ctx, d: DaemonRun, header: Buffer, split: number): Promise<Conn> {
  const s = await rawSocket(ctx, d, PROXY_PEER);
  await new Promise<void>((r) => s.write(header.subarray(0, split), () => r()));
  await sleep(50);
  if (ctx.binding.name === 'http') {
    s.cork();
    s.write(header.subarray(split));
    const c = httpConn(s, d.addr);
    process.nextTick(() => s.uncork());
    return c;
  }
  // ws: a WebSocket client on this very socket, the rest of the header written before its request.
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl(d.addr.host, d.addr.port, false), {
      headers: { 'User-Agent': USER_AGENT },
      perMessageDeflate: false,
      createConnection: (() => {
        s.write(header.subarray(split));
        return s;
      }) as never,
    });
    ws.once('error', (e) => reject(new Error(`the session started after a split header: ${e.message}`)));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode} before the upgrade`)));
    ws.once('open', () => {
      ws.removeAllListeners('error');
      ws.on('error', () => {});
      resolve(wrapWebSocket(ws));
    });
  }).catch((e: Error) => ctx.fail('a session after a split header', e.message)) as Promise<Conn>;
}

const client14: Check = {
  id: 'FD-14',
  level: 'MUST',
  title: 'the client a PROXY header names is the client: H-REMOTE-ADDR and H-REMOTE-PORT (net: H-CLIENT too) carry it, IPv6 as RFC 5952 writes it; --deny and --max-per-source judge it, not the proxy',
  bindings: WEB,
  optIn: 'front-door',
  needs: ['proxy-protocol'],
  async run(ctx) {
    const d = await ctx.start({ mode: 'echo+stay', options: proxyOptions(ctx) });
    const cases: [string, Buffer, string, number][] = [
      ['v1 TCP4', v1(`PROXY TCP4 203.0.113.9 192.0.2.1 5555 ${d.addr.port}`), '203.0.113.9', 5555],
      ['v2 TCP/IPv4', v2Tcp4('198.51.100.4', 4444), '198.51.100.4', 4444],
      ['v2 TCP/IPv6', v2Tcp6(6666), '2001:db8::5', 6666],
      ['v1 TCP6 written out in upper case', v1(`PROXY TCP6 2001:DB8:0:0:0:0:0:7 2001:db8::1 7777 ${d.addr.port}`), '2001:db8::7', 7777],
    ];
    let n = 0;
    const seen: string[] = [];
    for (const [what, header, addr, port] of cases) {
      const c = await dialVia(ctx, d, header).catch((e: Error) => ctx.fail(`a session behind a ${what} header`, e.message));
      await pingEcho(ctx, c).catch(() => ctx.fail(`a session behind a ${what} header`, 'no echo'));
      const p = await nth(ctx, d, ++n);
      const env = (d.probe(p.pid) ?? p).env;
      const want: Record<string, string> = { 'H-REMOTE-ADDR': addr, 'H-REMOTE-PORT': String(port) };
      if (ctx.binding.name === 'net') want['H-CLIENT'] = addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`;
      const bad = Object.entries(want).filter(([k, v]) => env[k] !== v);
      ctx.expect(bad.length === 0, `behind a ${what} header: ${Object.entries(want).map(([k, v]) => `${k}=${v}`).join(' ')}`, () => bad.map(([k]) => `${k}=${JSON.stringify(env[k] ?? null)}`).join(' '));
      seen.push(`${what}: ${addr} port ${port}`);
      c.close();
    }
    if (ctx.binding.name === 'net') await logged(ctx, d, /\bclient=203\.0\.113\.9:5555\b/, 'the log naming the client 203.0.113.9:5555');
    if (!ctx.has('deny') || !ctx.has('max-per-source')) return `${seen.join('; ')}; the limits on the named client not checked (needs --opt deny, max-per-source)`;
    return `${seen.join('; ')}; ${await limitsOnNamedClient(ctx)}`;
  },
};

/** FD-14: --deny and --max-per-source judge the client the header names, not the proxy, whose
 * address all of them share. */
async function limitsOnNamedClient(ctx: Ctx): Promise<string> {
  const d = await ctx.start({ mode: 'echo+stay', options: { ...proxyOptions(ctx), deny: '203.0.113.66/32', 'max-per-source': '1' } });
  const named = (addr: string, port: number): Buffer => v1(`PROXY TCP4 ${addr} 192.0.2.1 ${port} ${d.addr.port}`);
  const denied = await expectRefusal(ctx, d, PROXY_PEER, 'denied', named('203.0.113.66', 1001));
  await expectNoMoreStarted(ctx, d, 0, 'no process for a header naming a --deny\'d client');
  const a = await dialVia(ctx, d, named('198.51.100.10', 1002));
  await pingEcho(ctx, a).catch(() => ctx.fail('a session for 198.51.100.10 behind the proxy', 'no echo'));
  const over = await expectRefusal(ctx, d, PROXY_PEER, 'per-source', named('198.51.100.10', 1003));
  await expectNoMoreStarted(ctx, d, 1, 'no second process for 198.51.100.10 over --max-per-source 1');
  const b = await dialVia(ctx, d, named('198.51.100.11', 1004));
  await pingEcho(ctx, b).catch(() => ctx.fail('198.51.100.11 served behind the same proxy while 198.51.100.10 is at its limit', 'no echo'));
  a.close();
  b.close();
  return `behind the proxy: 203.0.113.66 denied (${denied.replace(/^\S+ behind a header: /, '')}), a second 198.51.100.10 refused (${over.replace(/^\S+ behind a header: /, '')}), 198.51.100.11 served`;
}

// ---- FD-18: authentication --------------------------------------------------------------------

const USER = 'conformance';
const PASSWORD = 'hc-pass-7f3e9a';
const WRONG = 'hc-wrong-2b81';
const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

const auth18: Check = {
  id: 'FD-18',
  level: 'MUST',
  title: 'with --auth-basic, a request without valid credentials gets 401 with a Basic WWW-Authenticate challenge before any upgrade or spawn; the right ones start a session with H-AUTH-USER, and no credential reaches the log',
  bindings: ['ws', 'http'],
  optIn: 'front-door',
  needs: ['auth-basic'],
  async run(ctx) {
    const file = join(ctx.dir, 'users.htpasswd');
    writeFileSync(file, `${USER}:${bcrypt.hashSync(PASSWORD, 4)}\n`);
    const d = await ctx.start({ mode: 'echo+stay', options: { 'auth-basic': file } });
    const seen: string[] = [];
    for (const [what, extra] of [
      ['no credentials', []],
      ['a wrong password', [`Authorization: ${basic(USER, WRONG)}`]],
      ['an unknown user', [`Authorization: ${basic('nobody-here', PASSWORD)}`]],
    ] as [string, string[]][]) {
      const r = await rawRequest(d.addr.host, d.addr.port, startRequest(ctx, d, extra), false, ctx.ms(5000)).catch((e: Error) => e);
      ctx.expect(!(r instanceof Error) && r.status === 401, `401 for ${what}`, () => showResponse(r));
      const res = r as RawResponse;
      const challenge = res.headers['www-authenticate'] ?? '';
      ctx.expect(/(^|,\s*)Basic realm="[^"]*"/i.test(challenge), `WWW-Authenticate: Basic realm="..." with the 401 for ${what}`, () => showResponse(res));
      oneLineBody(ctx, res, `the 401 for ${what}`);
      seen.push(`${what}: 401 ${challenge}`);
    }
    const counted = await expectNoMoreStarted(ctx, d, 0, 'no process for the 3 refused requests');
    await logged(ctx, d, /refused\b.*reason=auth-no-credentials/, 'a refused log line with reason=auth-no-credentials');
    await logged(ctx, d, /refused\b.*reason=auth-bad-password/, 'a refused log line with reason=auth-bad-password');
    const c = await dialVia(ctx, d, Buffer.alloc(0), PROXY_PEER, { Authorization: basic(USER, PASSWORD) }).catch((e: Error) => ctx.fail('a session with the right credentials', e.message));
    await pingEcho(ctx, c);
    const p = await nth(ctx, d, 1);
    const env = p.env;
    ctx.expect(env['H-AUTH-USER'] === USER, `H-AUTH-USER=${USER}`, () => `H-AUTH-USER=${JSON.stringify(env['H-AUTH-USER'] ?? null)}`);
    const leaked = Object.entries(env).filter(([, v]) => v.includes(PASSWORD) || v.includes(basic(USER, PASSWORD).slice(6)));
    ctx.expect(leaked.length === 0, "no credential in the child's environment", () => leaked.map(([k]) => k).join(', '));
    // The refusals' log lines were written seconds ago (the settle wait came after them).
    const log = d.stderr().toString();
    const inLog = [PASSWORD, WRONG, basic(USER, WRONG).slice(6), basic(USER, PASSWORD).slice(6)].filter((s) => log.includes(s));
    ctx.expect(inLog.length === 0, 'no password or credential in the log', () => `found ${inLog.map((s) => JSON.stringify(s)).join(', ')}`);
    c.close();
    return `${seen.join('; ')}; ${counted}; the right credentials served with H-AUTH-USER=${USER}`;
  },
};

export const frontDoorChecks: Check[] = [refusals07, proxy10, timeout11, limits12, exact13, client14, auth18];
