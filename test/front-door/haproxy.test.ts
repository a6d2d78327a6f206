/**
 * FD-10 to FD-14 behind a real HAProxy (Debian `haproxy`): `send-proxy-v2` in front of hamelin-net
 * and `send-proxy` (v1) in front of hamelin-http. The client connects from 127.0.0.2, HAProxy from
 * 127.0.0.1: the child sees the client's address, not the proxy's.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { startDaemon, stopAll } from '../helpers/daemon.js';
import { childCount, exchangeFrom, reportingChild } from '../helpers/front-door.js';
import { freePort, listening, startHaproxy, type Proxy } from '../helpers/proxies.js';
import { tempDir } from '../helpers/temp-dir.js';

const dir = tempDir('hamelin-fd-haproxy-');
const proxies: Proxy[] = [];
after(async () => {
  await Promise.all(proxies.map((p) => p.stop()));
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
});

test('FD-10 FD-14 hamelin-net and hamelin-http behind HAProxy (send-proxy-v2, send-proxy): the child sees the real client', async () => {
  const netCount = join(dir, 'net-count');
  const httpCount = join(dir, 'http-count');
  const net = await startDaemon('net', ['--proxy-protocol', '--trusted-proxy', '127.0.0.1', '127.0.0.1', '0', 'sh', '-c', reportingChild(netCount)]);
  const http = await startDaemon('http', ['--port', '0', '--proxy-protocol', '--trusted-proxy', '127.0.0.1', 'sh', '-c', reportingChild(httpCount)]);
  const [netFront, httpFront] = [await freePort(), await freePort()];
  const haproxy = startHaproxy(
    dir,
    [
      'global',
      '  maxconn 64',
      'defaults',
      '  timeout connect 5s',
      '  timeout client 30s',
      '  timeout server 30s',
      'frontend net_in',
      '  mode tcp',
      `  bind 127.0.0.1:${netFront}`,
      '  default_backend net_out',
      'backend net_out',
      '  mode tcp',
      `  server hamelin 127.0.0.1:${net.port} send-proxy-v2`,
      'frontend http_in',
      '  mode http',
      `  bind 127.0.0.1:${httpFront}`,
      '  default_backend http_out',
      'backend http_out',
      '  mode http',
      `  server hamelin 127.0.0.1:${http.port} send-proxy`,
      '',
    ].join('\n'),
  );
  proxies.push(haproxy);
  // HAProxy binds every frontend before it serves any. Probe the HTTP one only: a probe of the TCP
  // frontend would be forwarded as a client and start a session.
  await listening(httpFront, 'haproxy');

  const viaNet = (await exchangeFrom(netFront, '127.0.0.2', 'hi\n')).toString();
  assert.match(viaNet, /^addr=127\.0\.0\.2 port=\d+ client=127\.0\.0\.2:\d+ /, `${viaNet}\n${haproxy.output()}`);
  await net.waitLog(/ start client=127\.0\.0\.2:\d+ pid=\d+/);

  const viaHttp = await new Promise<string>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: httpFront, path: '/', localAddress: '127.0.0.2', agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
  assert.match(viaHttp, /^addr=127\.0\.0\.2 port=\d+ /, `${viaHttp}\n${haproxy.output()}`);
  await http.waitLog(/ start client=127\.0\.0\.2:\d+ pid=\d+/);
  assert.equal(childCount(netCount), 1);
  assert.equal(childCount(httpCount), 1);
  // A client that bypasses HAProxy has no header and is refused (FD-10).
  assert.equal((await exchangeFrom(net.port, '127.0.0.1', 'hi\n')).length, 0);
  assert.equal(childCount(netCount), 1);
});
