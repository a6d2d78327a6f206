/**
 * hamelin-ws's front door (FD-03 to FD-18), with a real daemon and a real WebSocket client on
 * loopback: every refusal comes before the upgrade (403, 429 + Retry-After, 401 +
 * WWW-Authenticate) and starts no process; an admitted child gets H-AUTH-USER.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { startDaemon, stopAll } from '../helpers/daemon.js';
import { childCount, childEnvironments, htpasswd, reportingChild } from '../helpers/front-door.js';
import { tempDir } from '../helpers/temp-dir.js';

const dir = tempDir('hamelin-fd-ws-');
after(async () => {
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
});
let n = 0;
const counter = (): string => join(dir, `count-${++n}`);

type Outcome = { refused: number; headers: Record<string, string | string[] | undefined> } | { line: string };

/** Open a WebSocket from `from`: the first message, or the refusal's status and headers. */
export function open(port: number, headers: Record<string, string> = {}, from = '127.0.0.1'): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { headers, localAddress: from });
    ws.on('unexpected-response', (_req, res) => {
      resolve({ refused: res.statusCode ?? 0, headers: res.headers });
      res.resume();
      ws.terminate();
    });
    ws.on('message', (m) => {
      resolve({ line: m.toString() });
      ws.close();
    });
    ws.on('error', (e) => reject(e));
  });
}

const PASSWORD = 'ws-secret-password-42';
const basic = (user: string, pw: string): string => `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;

test('FD-03 FD-04 FD-07 hamelin-ws: denied gets 403 and over --max-per-source 429 with Retry-After, before the upgrade, starting nothing', async () => {
  const count = counter();
  const d = await startDaemon('ws', ['--port', '0', '--deny', '127.0.0.2', '--max-per-source', '1', 'sh', '-c', reportingChild(count)]);
  const denied = await open(d.port, {}, '127.0.0.2');
  assert.deepEqual('refused' in denied && denied.refused, 403);
  await d.waitLog(/ refused client=127\.0\.0\.2:\d+ reason=denied http_status=403/);
  const held = new WebSocket(`ws://127.0.0.1:${d.port}/`, { localAddress: '127.0.0.3' });
  await new Promise((r) => held.once('message', r));
  const second = await open(d.port, {}, '127.0.0.3');
  assert.ok('refused' in second && second.refused === 429, JSON.stringify(second));
  assert.equal(second.headers['retry-after'], '1');
  await d.waitLog(/ refused client=127\.0\.0\.3:\d+ reason=per-source http_status=429/);
  assert.equal(childCount(count), 1);
  held.close();
});

test('FD-15 FD-18 hamelin-ws: --auth-basic: 401 with WWW-Authenticate before the upgrade, then H-AUTH-USER; the password never logged nor in the env', async () => {
  const count = counter();
  const d = await startDaemon('ws', ['--port', '0', '--auth-basic', htpasswd(dir, 'carol', PASSWORD), 'sh', '-c', reportingChild(count)]);
  const none = await open(d.port);
  assert.ok('refused' in none && none.refused === 401, JSON.stringify(none));
  assert.equal(none.headers['www-authenticate'], 'Basic realm="hamelin-ws", charset="UTF-8"');
  const wrong = await open(d.port, { Authorization: basic('carol', 'nope') });
  assert.ok('refused' in wrong && wrong.refused === 401);
  await d.waitLog(/ refused client=127\.0\.0\.1:\d+ reason=auth-bad-password http_status=401/);
  assert.equal(childCount(count), 0);
  const ok = await open(d.port, { Authorization: basic('carol', PASSWORD) });
  assert.ok('line' in ok && /user=carol .*auth=$/.test(ok.line), JSON.stringify(ok));
  assert.equal(childCount(count), 1);
  assert.ok(!d.stderr().includes(PASSWORD));
  assert.ok(!childEnvironments(count).includes(PASSWORD));
});
