/**
 * hamelin-http's front door (FD-03 to FD-18), with a real daemon on loopback and real HTTP: the
 * refusals (403, 429 + Retry-After, 401 + WWW-Authenticate) start no process, the forwarded header
 * of a trusted proxy names the client, an authenticated child gets H-AUTH-USER, and the
 * credential reaches neither the log nor the child's environment.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { request } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon, stopAll } from '../helpers/daemon.js';
import { caAndClient, childCount, childEnvironments, htpasswd, opensslFingerprint, reportingChild, tokenFile } from '../helpers/front-door.js';
import { makeCert } from '../helpers/certs.js';
import { tempDir } from '../helpers/temp-dir.js';

const dir = tempDir('hamelin-fd-http-');
after(async () => {
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
});
let n = 0;
const counter = (): string => join(dir, `count-${++n}`);

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request from `from` (a loopback source address), its answer in full. */
export function get(port: number, path: string, headers: Record<string, string> = {}, from = '127.0.0.1'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers, localAddress: from, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const PASSWORD = 'correct-horse-secret-staple';
const TOKEN = 'tok_9f8e7d6c5b4a39281706f5e4d3c2b1a0';
const basic = (user: string, pw: string): string => `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;

test('FD-03 FD-07 hamelin-http: a denied client gets 403 and starts nothing', async () => {
  const count = counter();
  const d = await startDaemon('http', ['--port', '0', '--deny', '127.0.0.2', 'sh', '-c', reportingChild(count)]);
  const r = await get(d.port, '/', {}, '127.0.0.2');
  assert.equal(r.status, 403);
  assert.equal(r.body, 'your address is not allowed\n');
  await d.waitLog(/ refused client=127\.0\.0\.2:\d+ reason=denied http_status=403/);
  assert.equal(childCount(count), 0);
  assert.equal((await get(d.port, '/')).status, 200);
  assert.equal(childCount(count), 1);
});

test('FD-05 FD-07 hamelin-http: over --rate a source gets 429 with Retry-After and starts nothing', async () => {
  const count = counter();
  const d = await startDaemon('http', ['--port', '0', '--rate', '1/m', '--rate-burst', '1', 'sh', '-c', reportingChild(count)]);
  assert.equal((await get(d.port, '/', {}, '127.0.0.2')).status, 200);
  const r = await get(d.port, '/', {}, '127.0.0.2');
  assert.equal(r.status, 429);
  assert.ok(Number(r.headers['retry-after']) >= 1, String(r.headers['retry-after']));
  await d.waitLog(/ refused client=127\.0\.0\.2:\d+ reason=rate http_status=429/);
  assert.equal(childCount(count), 1);
});

test('FD-08 FD-14 hamelin-http: X-Forwarded-For from a --trusted-proxy names the client; from anyone else it is ignored', async () => {
  const count = counter();
  const d = await startDaemon('http', ['--port', '0', '--trusted-proxy', '127.0.0.1', '--forwarded-header', 'x-forwarded-for', '--deny', '203.0.113.66', 'sh', '-c', reportingChild(count)]);
  const viaProxy = await get(d.port, '/', { 'X-Forwarded-For': '10.9.9.9, 198.51.100.23' });
  assert.match(viaProxy.body, /^addr=198\.51\.100\.23 port= /);
  const fromClient = await get(d.port, '/', { 'X-Forwarded-For': '198.51.100.23' }, '127.0.0.2');
  assert.match(fromClient.body, /^addr=127\.0\.0\.2 /);
  // --deny applies to the client the header names.
  assert.equal((await get(d.port, '/', { 'X-Forwarded-For': '203.0.113.66' })).status, 403);
  await d.waitLog(/ refused client=203\.0\.113\.66 reason=denied/);
  assert.equal(childCount(count), 2);
});

test('FD-15 FD-18 hamelin-http: --auth-basic: 401 with WWW-Authenticate and no process, then H-AUTH-USER; the password in no log line and no environment', async () => {
  const count = counter();
  const users = htpasswd(dir, 'alice', PASSWORD);
  const d = await startDaemon('http', ['--port', '0', '--console', '--auth-basic', users, 'sh', '-c', reportingChild(count)]);
  const none = await get(d.port, '/');
  assert.equal(none.status, 401);
  assert.deepEqual(none.headers['www-authenticate'], 'Basic realm="hamelin-http", charset="UTF-8"');
  const wrong = await get(d.port, '/', { Authorization: basic('alice', 'nope') });
  assert.equal(wrong.status, 401);
  await d.waitLog(/ refused client=127\.0\.0\.1:\d+ reason=auth-bad-password http_status=401/);
  assert.equal(childCount(count), 0);
  // The console page is behind the same check: a browser prompts.
  assert.equal((await get(d.port, '/', { Accept: 'text/html' })).status, 401);
  const page = await get(d.port, '/', { Accept: 'text/html', Authorization: basic('alice', PASSWORD) });
  assert.equal(page.status, 200);
  assert.match(page.body, /<html/i);
  const ok = await get(d.port, '/', { Authorization: basic('alice', PASSWORD) });
  assert.equal(ok.status, 200);
  // auth= is empty: Authorization is withheld (HTTP-09); nor is the password anywhere in the env.
  assert.match(ok.body, /user=alice .*auth=\n$/s);
  const env = childEnvironments(count);
  assert.match(env, /^H_AUTH_USER=alice$/m);
  assert.ok(!env.includes(PASSWORD) && !env.includes(basic('alice', PASSWORD).slice(6)), 'the credential is in no child environment');
  assert.equal(childCount(count), 1);
  assert.ok(!d.stderr().includes(PASSWORD), 'the password is in no log line');
  assert.ok(!d.stderr().includes(basic('alice', PASSWORD).slice(6)), 'nor its base64');
});

test('FD-16 FD-18 hamelin-http: --auth-bearer: a bad token gets 401 invalid_token; a good one runs with its user; the token is never logged', async () => {
  const count = counter();
  const d = await startDaemon('http', ['--port', '0', '--auth-bearer', tokenFile(dir, TOKEN, 'robot'), 'sh', '-c', reportingChild(count)]);
  const bad = await get(d.port, '/', { Authorization: 'Bearer AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' });
  assert.equal(bad.status, 401);
  assert.equal(bad.headers['www-authenticate'], 'Bearer realm="hamelin-http", error="invalid_token"');
  await d.waitLog(/ refused client=\S+ reason=auth-bad-token http_status=401/);
  const ok = await get(d.port, '/', { Authorization: `Bearer ${TOKEN}` });
  assert.match(ok.body, /user=robot .*auth=\n$/s);
  assert.ok(!childEnvironments(count).includes(TOKEN), 'the token is in no child environment');
  assert.equal(childCount(count), 1);
  assert.ok(!d.stderr().includes(TOKEN));
});

test('FD-20 hamelin-http: --tls-ca gives the child H-TLS-CLIENT-SUBJECT and -SHA256; a client without a certificate starts nothing', async () => {
  const count = counter();
  const server = makeCert(dir, 'http-server');
  const c = caAndClient(dir, 'httpca', 'dave', '/O=Example/CN=dave');
  const d = await startDaemon('http', ['--port', '0', '--tls-cert', server.cert, '--tls-key', server.key, '--tls-ca', c.ca, 'sh', '-c', reportingChild(count)]);
  const fetch = (withCert: boolean): Promise<string> =>
    new Promise((resolve) => {
      const req = httpsRequest({ host: '127.0.0.1', port: d.port, path: '/', rejectUnauthorized: false, agent: false, ...(withCert ? { cert: readFileSync(c.cert), key: readFileSync(c.key) } : {}) }, (res) => {
        let b = '';
        res.setEncoding('utf8').on('data', (x: string) => (b += x));
        res.on('end', () => resolve(b));
        res.on('error', () => resolve(b));
      });
      req.on('error', (e) => resolve(`error: ${e.message}`));
      req.end();
    });
  assert.match(await fetch(true), new RegExp(`subject=CN=dave,O=Example sha=${opensslFingerprint(c.cert)} `));
  assert.match(await fetch(false), /^error: /);
  await d.waitLog(/ tls-error client=127\.0\.0\.1:\d+ error=\S+/);
  assert.equal(childCount(count), 1);
});
