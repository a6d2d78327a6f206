/**
 * hamelin-ws against hostile or careless clients: pages of other origins (WS-22, WS-23), header
 * bytes (WS-24), handshakes that never finish (WS-25, WS-26), absolute-form targets (WS-15).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import { promisify } from 'node:util';
import { startDaemon, stopAll } from '../helpers/daemon.js';
import { eventually } from '../helpers/poll.js';
import { bin, fixture } from '../helpers/paths.js';
import { descriptors, halfOpen, settledDescriptors, type HalfOpen } from '../helpers/raw-http.js';
import { handshakeStatus } from './client.js';

after(stopAll);
const run = promisify(execFile);
const url = (port: number): string => `ws://127.0.0.1:${port}/`;
const starts = (stderr: string): number => (stderr.match(/ start client=/g) ?? []).length;

/** curl's view of a handshake: the status line, as a browser's Origin would get it. */
async function curlUpgrade(port: number, origin?: string, ...headers: string[]): Promise<number> {
  const args = ['-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '3', '-H', 'Connection: Upgrade', '-H', 'Upgrade: websocket', '-H', 'Sec-WebSocket-Version: 13', '-H', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=='];
  if (origin !== undefined) args.push('-H', `Origin: ${origin}`);
  for (const h of headers) args.push('-H', h);
  const r = await run('curl', [...args, `http://127.0.0.1:${port}/`]).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }));
  return Number(r.stdout);
}

test('WS-22 by default a handshake from another origin is refused 403 before the upgrade and starts nothing', async () => {
  const d = await startDaemon('ws', ['--port', '0', 'cat']);
  const own = `http://127.0.0.1:${d.port}`;
  assert.equal(await curlUpgrade(d.port, 'http://evil.example'), 403);
  assert.equal(await curlUpgrade(d.port, `http://127.0.0.1:${d.port + 1}`), 403, 'another port is another origin');
  assert.equal(await curlUpgrade(d.port, `http://localhost:${d.port}`), 403, 'another host name');
  assert.equal(await curlUpgrade(d.port, `https://127.0.0.1:${d.port}`), 403, 'https is not the origin of a plain listener');
  assert.equal(await curlUpgrade(d.port, 'null'), 403, 'an opaque origin');
  assert.equal(await curlUpgrade(d.port, undefined, 'Sec-Fetch-Site: cross-site'), 403, 'no Origin, but a browser says another site sent it');
  assert.equal(await handshakeStatus(url(d.port), { Origin: 'http://evil.example' }), 403);
  await d.waitLog(/warn refused client=127\.0\.0\.1:\d+ http_status=403 reason="Origin http:\/\/evil\.example not allowed/);
  assert.equal(starts(d.stderr()), 0, 'no process for a refused handshake');
  assert.equal(await handshakeStatus(url(d.port), { Origin: own }), 101, 'the daemon\'s own page');
  assert.equal(await handshakeStatus(url(d.port)), 101, 'a program sends no Origin');
  await eventually(() => starts(d.stderr()) === 2, 'two sessions');
});

test('WS-22 --origin allows more pages, --origin \'*\' allows any; the own origin always passes', async () => {
  const d = await startDaemon('ws', ['--port', '0', '--origin', 'https://app.example', 'cat']);
  assert.equal(await handshakeStatus(url(d.port), { Origin: 'https://app.example' }), 101);
  assert.equal(await handshakeStatus(url(d.port), { Origin: `http://127.0.0.1:${d.port}` }), 101);
  assert.equal(await handshakeStatus(url(d.port), { Origin: 'http://app.example' }), 403);
  const any = await startDaemon('ws', ['--port', '0', '--origin', '*', 'cat']);
  assert.equal(await curlUpgrade(any.port, 'http://evil.example'), 101);
  assert.equal(await curlUpgrade(any.port, 'null'), 101);
  assert.equal(await curlUpgrade(any.port), 101, 'and no Origin: * does not ask for one');
});

test('WS-23 CORE-18 an --origin that is not an origin: one line, exit 2, nothing listening', () => {
  const cases: [string[], RegExp][] = [
    [['--origin', 'https://app.example/app'], /^hamelin-ws: --origin https:\/\/app\.example\/app: a path is not part of an origin/],
    [['--origin', 'https://user@app.example'], /^hamelin-ws: --origin https:\/\/user@app\.example: user info is not part of an origin/],
    [['--origin', 'https://app%2eexample'], /^hamelin-ws: --origin https:\/\/app%2eexample: percent-encoding is not allowed/],
    [['--origin', 'ftp://app.example'], /^hamelin-ws: --origin ftp:\/\/app\.example: only http:\/\/ and https:\/\/ origins/],
    [['--origin', 'https://app.example?x=1'], /^hamelin-ws: --origin https:\/\/app\.example\?x=1: a query or fragment/],
    [['--origin', 'app.example:70000'], /^hamelin-ws: --origin app\.example:70000: bad port/],
    [['--origin', 'a.example,https://b.example/x'], /^hamelin-ws: --origin https:\/\/b\.example\/x: a path/],
    [['--origin', '*', '--same-origin'], /^hamelin-ws: --same-origin and --origin '\*' contradict each other\n$/],
  ];
  for (const [args, re] of cases) {
    const r = spawnSync(process.execPath, [bin('ws'), '--port', '0', ...args, 'cat'], { encoding: 'utf8', timeout: 10_000 });
    assert.equal(r.status, 2, args.join(' '));
    assert.match(r.stderr, re);
    assert.equal(r.stderr.split('\n').length, 2, `one line: ${r.stderr}`);
  }
});

test('WS-23 a trailing slash on an --origin is dropped (what an address bar shows)', async () => {
  const d = await startDaemon('ws', ['--port', '0', '--origin', 'https://app.example/', 'cat']);
  assert.equal(await handshakeStatus(url(d.port), { Origin: 'https://app.example' }), 101);
});

/** Read server frames (unmasked, short) until the close frame; the text messages. */
function wsMessages(port: number, request: Buffer): Promise<string[]> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    let head = -1;
    const out: string[] = [];
    const s = connect({ port, host: '127.0.0.1' }, () => s.write(request));
    s.on('error', reject);
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (head < 0) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        if (!buf.subarray(0, 12).toString().startsWith('HTTP/1.1 101')) return reject(new Error(buf.toString('latin1')));
        buf = buf.subarray(end + 4);
        head = 0;
      }
      while (buf.length >= 2) {
        let len = buf[1]! & 0x7f;
        let at = 2;
        if (len === 126) {
          if (buf.length < 4) return;
          len = buf.readUInt16BE(2);
          at = 4;
        }
        if (buf.length < at + len) return;
        const op = buf[0]! & 0x0f;
        if (op === 8) {
          s.destroy();
          return resolve(out);
        }
        out.push(buf.subarray(at, at + len).toString('latin1'));
        buf = buf.subarray(at + len);
      }
    });
  });
}

test('WS-24 header values reach the child as the bytes the client sent (UTF-8), not encoded twice', async () => {
  const d = await startDaemon('ws', ['--port', '0', fixture('ws/env-hex.sh'), 'H_CLIENT', 'H_HEADER_USER_AGENT', 'H_HEADER_X_NAME', 'H_HEADER_X_BAD']);
  const request = Buffer.concat([
    Buffer.from('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n'),
    Buffer.from('User-Agent: café\r\nX-Name: 日本 ü\r\nX-Bad: a'),
    Buffer.from([0xff, 0x62]),
    Buffer.from('\r\n\r\n'),
  ]);
  const hex = (s: string | Buffer): string => Buffer.from(s).toString('hex');
  assert.deepEqual(await wsMessages(d.port, request), [
    `H_CLIENT=${hex('café')}`,
    `H_HEADER_USER_AGENT=${hex('café')}`,
    `H_HEADER_X_NAME=${hex('日本 ü')}`,
    // Not UTF-8: the invalid byte becomes U+FFFD (EF BF BD), as WS-07 does for output.
    `H_HEADER_X_BAD=${hex(Buffer.from([0x61, 0xef, 0xbf, 0xbd, 0x62]))}`,
  ]);
});

test('WS-15 an absolute-form request target: H-PATH is the path, without scheme and host', async () => {
  const d = await startDaemon('ws', ['--port', '0', fixture('ws/echo-env.sh'), 'H_PATH', 'H_QUERY']);
  const request = Buffer.from(
    `GET http://127.0.0.1:${d.port}/a/b%20c?x=1 HTTP/1.1\r\nHost: 127.0.0.1:${d.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
  );
  assert.deepEqual(await wsMessages(d.port, request), ['H_PATH=/a/b%20c', 'H_QUERY=x=1']);
});

test('WS-25 a handshake request not finished within --header-timeout is answered 408 and closed; no process', async () => {
  const d = await startDaemon('ws', ['--port', '0', '--header-timeout', '0.5', 'cat']);
  const c = halfOpen(d.port, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n');
  const silent = halfOpen(d.port, '');
  await Promise.all([c.closed, silent.closed]);
  assert.match(c.received(), /^HTTP\/1\.1 408 Request Timeout\r\n/);
  assert.match(silent.received(), /^HTTP\/1\.1 408 Request Timeout\r\n/, 'a connection that sent nothing too');
  await d.waitLog(/info bad-request client=127\.0\.0\.1:\d+ http_status=408/);
  assert.equal(starts(d.stderr()), 0);
});

test('WS-25 with TLS: a connection that never starts its TLS handshake is closed by the deadline, its descriptor freed', async () => {
  const d = await startDaemon('ws', ['--port', '0', '--header-timeout', '0.5', '--tls-cert', fixture('ws/cert.pem'), '--tls-key', fixture('ws/key.pem'), 'cat']);
  const pid = d.proc.pid!;
  const base = await settledDescriptors(pid);
  const idle = [halfOpen(d.port, ''), halfOpen(d.port, '')];
  await Promise.all(idle.map((c) => c.closed));
  await d.waitLog(/tls-error client=127\.0\.0\.1:\d+ error=ERR_TLS_HANDSHAKE_TIMEOUT/);
  await eventually(() => descriptors(pid) <= base, `descriptors back to ${base}`);
});

test('WS-25 WS-26 500 idle half-requests are closed by the deadline and the descriptors come back', async () => {
  const d = await startDaemon('ws', ['--port', '0', '--header-timeout', '1', '--max-handshakes', '1000', 'cat']);
  const pid = d.proc.pid!;
  const base = await settledDescriptors(pid);
  const conns: HalfOpen[] = [];
  for (let i = 0; i < 500; i++) conns.push(halfOpen(d.port, 'GET / HTTP/1.1\r\nHost: x\r\n'));
  // Every one of them is held for a while: the deadline, not a refusal, ends them.
  await eventually(() => descriptors(pid) >= base + 450, 'the daemon to hold the connections');
  // Node's default let them live 60-98 s; the deadline is 1 s plus one check interval.
  await eventually(async () => (await Promise.race([Promise.all(conns.map((c) => c.closed)).then(() => true), new Promise((r) => setTimeout(() => r(false), 50))])) as boolean, 'every half-request to be closed', 15_000);
  const statuses = new Set(conns.map((c) => c.received().split('\r\n')[0]));
  assert.deepEqual([...statuses], ['HTTP/1.1 408 Request Timeout']);
  await eventually(() => descriptors(pid) <= base, `descriptors back to ${base}`);
  assert.equal(starts(d.stderr()), 0);
  assert.equal(await handshakeStatus(url(d.port)), 101, 'and the daemon still serves');
});

test('WS-26 --max-handshakes: past the limit a connection is answered 503 and closed, logged, and a slot frees when one ends', async () => {
  const d = await startDaemon('ws', ['--port', '0', '--max-handshakes', '5', 'cat']);
  const pid = d.proc.pid!;
  const base = await settledDescriptors(pid);
  const held: HalfOpen[] = [];
  for (let i = 0; i < 5; i++) held.push(halfOpen(d.port, 'GET / HTTP/1.1\r\n'));
  await eventually(() => descriptors(pid) >= base + 5, 'five half-requests held');
  const extra = halfOpen(d.port, 'GET / HTTP/1.1\r\n');
  await extra.closed;
  assert.match(extra.received(), /^HTTP\/1\.1 503 Service Unavailable\r\n[^]*too many unfinished requests \(limit 5\)/);
  assert.equal(await handshakeStatus(url(d.port)), 503, 'a whole handshake on a refused connection is not served');
  await d.waitLog(/warn refused client=127\.0\.0\.1:\d+ http_status=503 reason="too many unfinished requests \(limit 5\)"/);
  held[0]!.socket.destroy();
  await eventually(async () => (await handshakeStatus(url(d.port))) === 101, 'a freed slot');
  for (const h of held) h.socket.destroy();
  await eventually(() => starts(d.stderr()) >= 1, 'one session');
  assert.equal(starts(d.stderr()), 1, 'only the handshake that was admitted ran');
});

test('WS-25 WS-26 CORE-18 bad --header-timeout and --max-handshakes: one line, exit 2', () => {
  for (const [args, re] of [
    [['--header-timeout', '0'], /^hamelin-ws: --header-timeout must be/],
    [['--header-timeout', '9999999'], /^hamelin-ws: --header-timeout must be/],
    [['--max-handshakes', '-1'], /^hamelin-ws: --max-handshakes must be/],
    [['--max-handshakes', '2.5'], /^hamelin-ws: --max-handshakes must be/],
  ] as [string[], RegExp][]) {
    const r = spawnSync(process.execPath, [bin('ws'), '--port', '0', ...args, 'cat'], { encoding: 'utf8', timeout: 10_000 });
    assert.equal(r.status, 2, args.join(' '));
    assert.match(r.stderr, re);
  }
});
