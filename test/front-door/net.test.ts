/**
 * hamelin-net's front door (FD-03 to FD-14, FD-20), with a real daemon on loopback: the PROXY
 * header names the client the child and the log see; a refused client gets its one line (or, for
 * a PROXY failure, nothing) and no process starts: every child counts itself in a file.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { startDaemon, stopAll } from '../helpers/daemon.js';
import { makeCert } from '../helpers/certs.js';
import { caAndClient, childCount, dialFrom, exchangeFrom, opensslFingerprint, reportingChild } from '../helpers/front-door.js';
import { eventually } from '../helpers/poll.js';
import { v2Tcp4 } from '../helpers/proxy-v2.js';
import { httpRequest } from '../helpers/http-get.js';
import { tempDir } from '../helpers/temp-dir.js';

const dir = tempDir('hamelin-fd-net-');
after(async () => {
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
});
let n = 0;
const counter = (): string => join(dir, `count-${++n}`);

test('FD-10 FD-13 FD-14 hamelin-net: a PROXY v1 or v2 header names the client in H-REMOTE-ADDR, H-REMOTE-PORT, H-CLIENT and the log', async () => {
  const count = counter();
  const d = await startDaemon('net', ['--proxy-protocol', '--trusted-proxy', '127.0.0.1', '127.0.0.1', '0', 'sh', '-c', reportingChild(count)]);
  const v1 = await exchangeFrom(d.port, '127.0.0.1', 'PROXY TCP4 203.0.113.9 192.0.2.1 5555 443\r\nhi\n');
  assert.match(v1.toString(), /^addr=203\.0\.113\.9 port=5555 client=203\.0\.113\.9:5555 /);
  const v2 = await exchangeFrom(d.port, '127.0.0.1', Buffer.concat([v2Tcp4('198.51.100.4', 4444), Buffer.from('hi\n')]));
  assert.match(v2.toString(), /^addr=198\.51\.100\.4 port=4444 client=198\.51\.100\.4:4444 /);
  await d.waitLog(/ start client=203\.0\.113\.9:5555 pid=\d+/);
  await d.waitLog(/ start client=198\.51\.100\.4:4444 pid=\d+/);
  assert.equal(childCount(count), 2);
});

test('FD-10 hamelin-net: without a header, or from an untrusted peer, the connection is closed without a byte and no process starts', async () => {
  const count = counter();
  const d = await startDaemon('net', ['--proxy-protocol', '--trusted-proxy', '127.0.0.1', '127.0.0.1', '0', 'sh', '-c', reportingChild(count)]);
  const plain = await exchangeFrom(d.port, '127.0.0.1', 'hello\n');
  assert.equal(plain.length, 0);
  await d.waitLog(/ refused client=127\.0\.0\.1:\d+ reason=proxy-not-proxy/);
  const untrusted = await exchangeFrom(d.port, '127.0.0.2', 'PROXY TCP4 203.0.113.9 192.0.2.1 5555 443\r\nhi\n');
  assert.equal(untrusted.length, 0);
  await d.waitLog(/ refused client=127\.0\.0\.2:\d+ reason=proxy-untrusted/);
  assert.equal(childCount(count), 0);
});

test('FD-03 FD-07 hamelin-net: --deny refuses with its one line and starts nothing; other clients are served', async () => {
  const count = counter();
  const d = await startDaemon('net', ['--deny', '127.0.0.2', '127.0.0.1', '0', 'sh', '-c', reportingChild(count)]);
  const denied = await exchangeFrom(d.port, '127.0.0.2', 'hi\n');
  assert.equal(denied.toString(), 'hamelin: refused: your address is not allowed\n');
  await d.waitLog(/ refused client=127\.0\.0\.2:\d+ reason=denied/);
  assert.equal(childCount(count), 0);
  const ok = await exchangeFrom(d.port, '127.0.0.1', 'hi\n');
  assert.match(ok.toString(), /^addr=127\.0\.0\.1 /);
  assert.equal(childCount(count), 1);
});

test('FD-04 FD-07 hamelin-net: --max-per-source refuses the next session from a source while N run, and admits it once one ends', async () => {
  const count = counter();
  const d = await startDaemon('net', ['--max-per-source', '1', '127.0.0.1', '0', 'sh', '-c', reportingChild(count)]);
  const first = await dialFrom(d.port, '127.0.0.2');
  await eventually(() => childCount(count) === 1, 'the first session to start');
  const second = await exchangeFrom(d.port, '127.0.0.2', 'hi\n');
  assert.equal(second.toString(), 'hamelin: refused: too many sessions from your address (limit 1)\n');
  await d.waitLog(/ refused client=127\.0\.0\.2:\d+ reason=per-source/);
  assert.equal(childCount(count), 1);
  // Another source is not limited by this one.
  const other = await exchangeFrom(d.port, '127.0.0.3', 'hi\n');
  assert.match(other.toString(), /^addr=127\.0\.0\.3 /);
  // The first ends (cat sees its EOF): the slot is released, and the source is served again.
  first.socket.end();
  await first.closed;
  const again = await eventually(async () => {
    const b = (await exchangeFrom(d.port, '127.0.0.2', 'hi\n')).toString();
    return b.startsWith('addr=127.0.0.2 ') ? b : undefined;
  }, 'the source to be admitted again');
  assert.match(again, /^addr=127\.0\.0\.2 /);
});

test('FD-05 FD-07 hamelin-net: --rate refuses a source over its bucket with the retry hint, and takes no token for a refusal', async () => {
  const count = counter();
  const d = await startDaemon('net', ['--rate', '1/m', '--rate-burst', '2', '127.0.0.1', '0', 'sh', '-c', reportingChild(count)]);
  for (let i = 0; i < 2; i++) assert.match((await exchangeFrom(d.port, '127.0.0.2', 'hi\n')).toString(), /^addr=127\.0\.0\.2 /);
  const refused = (await exchangeFrom(d.port, '127.0.0.2', 'hi\n')).toString();
  const m = /^hamelin: refused: too many new sessions from your address; retry in (\d+) s\n$/.exec(refused);
  assert.ok(m, refused);
  assert.ok(Number(m[1]) >= 1 && Number(m[1]) <= 60, `retry hint ${m[1]}`);
  await d.waitLog(/ refused client=127\.0\.0\.2:\d+ reason=rate/);
  assert.equal(childCount(count), 2);
  assert.match((await exchangeFrom(d.port, '127.0.0.3', 'hi\n')).toString(), /^addr=127\.0\.0\.3 /);
});

test('FD-20 hamelin-net: --tls-ca gives the child the certificate subject and SHA-256; a client without one starts nothing', async () => {
  const count = counter();
  const server = makeCert(dir, 'net-server');
  const c = caAndClient(dir, 'netca', 'alice', '/O=Example/CN=alice');
  const d = await startDaemon('net', ['--tls-cert', server.cert, '--tls-key', server.key, '--tls-ca', c.ca, '127.0.0.1', '0', 'sh', '-c', reportingChild(count)]);
  const talk = (withCert: boolean): Promise<string> =>
    new Promise((resolve) => {
      let out = '';
      const s = connect({ port: d.port, host: '127.0.0.1', rejectUnauthorized: false, ...(withCert ? { cert: readFileSync(c.cert), key: readFileSync(c.key) } : {}) }, () => s.end('hi\n'));
      s.setEncoding('utf8').on('data', (x: string) => (out += x));
      s.on('error', () => undefined);
      s.on('close', () => resolve(out));
    });
  const out = await talk(true);
  assert.match(out, new RegExp(`subject=CN=alice,O=Example sha=${opensslFingerprint(c.cert)} `));
  assert.equal(await talk(false), '');
  await d.waitLog(/ tls-error client=127\.0\.0\.1:\d+ error=\S+/);
  assert.equal(childCount(count), 1);
});

test('FD-07 hamelin-net: the admin metrics count the front door refusals by reason', async () => {
  const count = counter();
  const d = await startDaemon('net', ['--admin', '127.0.0.1:0', '--deny', '127.0.0.2', '--proxy-protocol', '--trusted-proxy', '127.0.0.1', '--trusted-proxy', '127.0.0.2', '127.0.0.1', '0', 'sh', '-c', reportingChild(count)]);
  const admin = Number((await d.waitLog(/ admin address=\S+ port=(\d+)/))[1]);
  assert.equal((await exchangeFrom(d.port, '127.0.0.1', 'hi\n')).length, 0);
  const denied = await exchangeFrom(d.port, '127.0.0.2', 'PROXY TCP4 127.0.0.2 192.0.2.1 5555 443\r\nhi\n');
  assert.equal(denied.toString(), 'hamelin: refused: your address is not allowed\n');
  const metrics = await eventually(async () => {
    const m = await httpRequest(`http://127.0.0.1:${admin}/metrics`);
    return m.body.includes('reason="denied"') ? m.body : undefined;
  }, 'the refusals in /metrics');
  assert.match(metrics, /hamelin_refusals_total\{service="\S+",frontend="net",reason="proxy-not-proxy"\} 1/);
  assert.match(metrics, /hamelin_refusals_total\{service="\S+",frontend="net",reason="denied"\} 1/);
  assert.equal(childCount(count), 0);
});

test('FD-21 hamelin-net: an address option with a unix socket is one stderr line and exit 2, before listening', async () => {
  const d = await startDaemon('net', ['--allow', '10.0.0.0/8', `unix:${join(dir, 'fd21.sock')}`, 'cat'], { ready: null });
  assert.equal((await d.exited).code, 2);
  await d.waitLog(/^hamelin-net: --allow judges a client's address, and a unix-socket client has none/);
  assert.equal(d.stderr().trim().split('\n').length, 1);
});
