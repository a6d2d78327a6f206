/** hamelin-ws checks before the upgrade, liveness, environment, TLS, listening (WS-01, WS-12 .. WS-16, WS-20). */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import { startDaemon, stopAll } from '../helpers/daemon.js';
import { eventually } from '../helpers/poll.js';
import { bin, fixture } from '../helpers/paths.js';
import { handshakeStatus, wsConnect } from './client.js';
import { tempDir } from '../helpers/temp-dir.js';

after(stopAll);

const url = (port: number, path = '/'): string => `ws://127.0.0.1:${port}${path}`;

test('WS-12 --origin: a listed Origin is served, any other gets 403 before any process starts', async () => {
  const d = await startDaemon('ws', ['--port', '0', '--origin', 'app.example,https://secure.example:8443', '--origin', '*.good.test', 'cat']);
  const u = url(d.port);
  assert.equal(await handshakeStatus(u, { Origin: 'http://app.example' }), 101);
  assert.equal(await handshakeStatus(u, { Origin: 'https://app.example' }), 101);
  assert.equal(await handshakeStatus(u, { Origin: 'https://secure.example:8443' }), 101);
  assert.equal(await handshakeStatus(u, { Origin: 'http://a.good.test' }), 101);
  assert.equal(await handshakeStatus(u, { Origin: 'http://evil.example' }), 403);
  assert.equal(await handshakeStatus(u, { Origin: 'http://app.example:8080' }), 403);
  assert.equal(await handshakeStatus(u, { Origin: 'http://secure.example:8443' }), 403);
  assert.equal(await handshakeStatus(u, { Origin: 'http://app.example.evil' }), 403);
  assert.equal(await handshakeStatus(u, { Origin: 'http://good.test' }), 403);
  assert.equal(await handshakeStatus(u, {}), 403, 'no Origin at all');
  await d.waitLog(/refused .*status=403/);
  // A start line comes once the child exists, which under load may be after the refusals.
  await eventually(() => (d.stderr().match(/ start /g) ?? []).length >= 4, 'four sessions');
  assert.equal((d.stderr().match(/ start /g) ?? []).length, 4, 'a process only for the four accepted handshakes');
});

test('WS-12 --same-origin: the Origin must be this host', async () => {
  const d = await startDaemon('ws', ['--port', '0', '--same-origin', 'cat']);
  const u = url(d.port);
  assert.equal(await handshakeStatus(u, { Origin: `http://127.0.0.1:${d.port}` }), 101);
  assert.equal(await handshakeStatus(u, { Origin: 'http://127.0.0.1' }), 403);
  assert.equal(await handshakeStatus(u, { Origin: `http://localhost:${d.port}` }), 403);
  assert.equal(await handshakeStatus(u, { Origin: `http://127.0.0.1:${d.port + 1}` }), 403);
  assert.equal(await handshakeStatus(u, {}), 403, 'no Origin at all');
});

test('WS-13 CORE-20 --max-clients: over the limit the handshake gets 503; a freed slot is reused', async () => {
  const d = await startDaemon('ws', ['--port', '0', '--max-clients', '2', 'cat']);
  const a = await wsConnect(url(d.port));
  const b = await wsConnect(url(d.port));
  assert.equal(await handshakeStatus(url(d.port)), 503);
  await d.waitLog(/refused .*status=503 reason="?too many clients \(limit 2\)/);
  a.ws.close();
  await a.closed;
  await eventually(async () => (await handshakeStatus(url(d.port))) === 101, 'a free slot');
  b.ws.close();
});

test('WS-14 --ping-interval: a peer that never answers pings is dropped and its child ended', async () => {
  const d = await startDaemon('ws', ['--port', '0', '--ping-interval', '0.2', 'cat']);
  const live = await wsConnect(url(d.port));
  let pings = 0;
  live.ws.on('ping', () => pings++);
  const dead = await wsConnect(url(d.port), { autoPong: false });
  await d.waitLog(/client-gone .*reason=timeout/, 5000);
  assert.equal((await dead.closed).code, 1006);
  await eventually(() => pings >= 3, 'three pings answered');
  live.send('still here');
  await live.waitFor(/^still here$/);
  live.ws.close();
});

test('WS-15 WS-16 CORE-08 CORE-09 CORE-10 CORE-11 the environment of a WebSocket child', async () => {
  const names = ['H_TYPE', 'H_CLIENT', 'H_VERSION', 'H_REMOTE_ADDR', 'H_REMOTE_PORT', 'H_PATH', 'H_QUERY', 'H_ORIGIN', 'H_HEADER_X_TRACE', 'H_HEADER_USER_AGENT', 'H_HEADER_AUTHORIZATION', 'H_HEADER_COOKIE', 'H_HEADER_PROXY', 'H_HEADER_X_USER', 'H_PATH_INFO'];
  // o.example is allowed: a page of another origin is refused by default (WS-22).
  const d = await startDaemon('ws', ['--port', '0', '--origin', 'http://o.example', fixture('ws/echo-env.sh'), ...names]);
  const c = await wsConnect(url(d.port, '/some/where%20x?a=1&b=%41'), {
    headers: { 'User-Agent': 'test-agent/1.0', Origin: 'http://o.example', 'X-Trace': 't1', Authorization: 'Bearer s3cret', Cookie: 'sid=1', Proxy: 'http://evil:1', 'X_User': 'spoof' },
  });
  const port = (c.ws as unknown as { _socket: { localPort: number } })._socket.localPort;
  await c.closed;
  const env = Object.fromEntries(c.messages.map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  assert.equal(env.H_TYPE, 'WS-0.2-INSECURE');
  assert.equal(env.H_CLIENT, 'test-agent/1.0');
  assert.match(env.H_VERSION!, /^hamelin-ws\/0\.2\.\d+$/);
  assert.equal(env.H_REMOTE_ADDR, '127.0.0.1');
  assert.equal(env.H_REMOTE_PORT, String(port));
  assert.equal(env.H_PATH, '/some/where%20x');
  assert.equal(env.H_QUERY, 'a=1&b=%41');
  assert.equal(env.H_ORIGIN, 'http://o.example');
  assert.equal(env.H_HEADER_X_TRACE, 't1');
  assert.equal(env.H_HEADER_USER_AGENT, 'test-agent/1.0');
  assert.equal(env.H_HEADER_AUTHORIZATION, '<unset>');
  assert.equal(env.H_HEADER_COOKIE, '<unset>');
  assert.equal(env.H_HEADER_PROXY, '<unset>');
  assert.equal(env.H_HEADER_X_USER, '<unset>', 'a header name with _ is not passed');
  assert.equal(env.H_PATH_INFO, '<unset>', 'no PATH-INFO without --dir');
});

test('WS-15 CORE-11 the dash-visible aliases and the H- names agree', async () => {
  const d = await startDaemon('ws', ['--port', '0', 'env']);
  const c = await wsConnect(url(d.port), { headers: { 'User-Agent': 'ua' } });
  await c.closed;
  const h = c.messages.filter((l) => /^H[-_]/.test(l)).sort();
  assert.ok(h.includes('H-TYPE=WS-0.2-INSECURE') && h.includes('H_TYPE=WS-0.2-INSECURE'));
  assert.ok(h.includes('H-CLIENT=ua') && h.includes('H_CLIENT=ua'));
  const dash = h.filter((l) => l.startsWith('H-')).map((l) => l.replace(/^H-([^=]*)/, (_m, n: string) => `H_${n.replace(/-/g, '_')}`));
  assert.deepEqual(dash.sort(), h.filter((l) => l.startsWith('H_')).sort());
});

test('WS-16 --pass-header passes a withheld header', async () => {
  const d = await startDaemon('ws', ['--port', '0', '--pass-header', 'Authorization', fixture('ws/echo-env.sh'), 'H_HEADER_AUTHORIZATION', 'H_HEADER_COOKIE']);
  const c = await wsConnect(url(d.port), { headers: { Authorization: 'Basic eDp5', Cookie: 'a=b' } });
  await c.closed;
  assert.deepEqual(c.messages, ['H_HEADER_AUTHORIZATION=Basic eDp5', 'H_HEADER_COOKIE=<unset>']);
});

test('WS-20 TLS: wss:// with --tls-cert/--tls-key, H-TYPE WS-0.2-TLS', async () => {
  const d = await startDaemon('ws', ['--port', '0', '--tls-cert', fixture('ws/cert.pem'), '--tls-key', fixture('ws/key.pem'), fixture('ws/echo-env.sh'), 'H_TYPE']);
  const c = await wsConnect(`wss://127.0.0.1:${d.port}/`, { ca: readFileSync(fixture('ws/cert.pem')) });
  assert.deepEqual(await c.closed, { code: 1000, reason: 'exit status 0' });
  assert.deepEqual(c.messages, ['H_TYPE=WS-0.2-TLS']);
});

test('WS-01 --unix PATH: a WebSocket over a unix socket', async () => {
  const sock = join(tempDir('hamelin-ws-unix-'), 'ws.sock');
  const d = await startDaemon('ws', ['--unix', sock, 'cat']);
  const c = await wsConnect(`ws+unix://${sock}:/path`);
  c.send('over unix');
  await c.waitFor(/^over unix$/);
  c.ws.close();
  await c.closed;
  assert.equal(await d.stop(), 0);
});

test('WS-19 without --console a plain GET is answered 426 Upgrade Required', async () => {
  const d = await startDaemon('ws', ['--port', '0', 'cat']);
  const status = await new Promise<number>((resolve, reject) => get(`http://127.0.0.1:${d.port}/`, (res) => (res.resume(), resolve(res.statusCode!))).on('error', reject));
  assert.equal(status, 426);
});

test('WS-01 CORE-18 startup errors: one line, non-zero exit, nothing listening', () => {
  const run = (...args: string[]) => spawnSync(process.execPath, [bin('ws'), ...args], { encoding: 'utf8', timeout: 10_000 });
  const cases: [string[], RegExp][] = [
    [['--port', '0'], /^hamelin-ws: missing CMD/],
    [['--port', 'x', 'cat'], /^hamelin-ws: bad port/],
    [['--port', '0', 'no-such-command-hamelin'], /^hamelin-ws: command not found/],
    [['--port', '0', '--dir', '/nonexistent-dir'], /^hamelin-ws: --dir \/nonexistent-dir: not a directory\n$/],
    [['--port', '0', '--dir', '/tmp', 'cat'], /^hamelin-ws: --dir takes no CMD/],
    [['--port', '0', '--max-message', '0', 'cat'], /^hamelin-ws: --max-message must be/],
    [['--port', '0', '--tls-cert', '/nonexistent.pem', 'cat'], /^hamelin-ws: --tls-cert and --tls-key go together\n$/],
    // An empty host would listen on every interface.
    [['--host', '', '--port', '0', 'cat'], /^hamelin-ws: --host needs an address \(0\.0\.0\.0 or :: for every interface\)\n$/],
    [['--port', '0', '--host=', 'cat'], /^hamelin-ws: --host needs an address/],
    // An option last, without its value: said as such, not as a missing CMD.
    [['--port', '0', '--dir'], /^hamelin-ws: --dir needs a value \(see --help\)\n$/],
    [['--origin'], /^hamelin-ws: --origin needs a value/],
    [['--binary', '--max-message'], /^hamelin-ws: --max-message needs a value/],
    [['--port', '0', '--log-format'], /^hamelin-ws: --log-format needs a value/],
    // After CMD it is the command's own argument.
    [['--port', '0', 'no-such-command-hamelin', '--dir'], /^hamelin-ws: command not found/],
  ];
  for (const [args, re] of cases) {
    const r = run(...args);
    assert.notEqual(r.status, 0, args.join(' '));
    if (!/command not found/.test(re.source)) assert.equal(r.status, 2, `usage errors exit 2: ${args.join(' ')}`);
    assert.match(r.stderr, re, args.join(' '));
    assert.equal(r.stderr.split('\n').filter(Boolean).length, 1, `one line for ${args.join(' ')}: ${r.stderr}`);
  }
});
