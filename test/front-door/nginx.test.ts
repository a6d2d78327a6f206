/**
 * FD-08 and FD-14 behind a real nginx (Debian `nginx-light`) as the reverse proxy: it sets
 * X-Forwarded-For for hamelin-http and proxies a WebSocket upgrade to hamelin-ws. The client
 * connects from 127.0.0.2, nginx from 127.0.0.1: the child sees the client's address.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { startDaemon, stopAll } from '../helpers/daemon.js';
import { childCount, reportingChild } from '../helpers/front-door.js';
import { freePort, listening, startNginx, type Proxy } from '../helpers/proxies.js';
import { tempDir } from '../helpers/temp-dir.js';

const dir = tempDir('hamelin-fd-nginx-');
const proxies: Proxy[] = [];
after(async () => {
  await Promise.all(proxies.map((p) => p.stop()));
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
});

test('FD-08 FD-14 hamelin-http and hamelin-ws behind nginx: X-Forwarded-For and a proxied upgrade carry the real client', async () => {
  const httpCount = join(dir, 'http-count');
  const wsCount = join(dir, 'ws-count');
  const trust = ['--trusted-proxy', '127.0.0.1', '--forwarded-header', 'x-forwarded-for'];
  const http = await startDaemon('http', ['--port', '0', ...trust, 'sh', '-c', reportingChild(httpCount)]);
  const ws = await startDaemon('ws', ['--port', '0', ...trust, 'sh', '-c', reportingChild(wsCount)]);
  const front = await freePort();
  const nginx = startNginx(
    dir,
    `  server {
    listen 127.0.0.1:${front};
    location /ws/ {
      proxy_pass http://127.0.0.1:${ws.port}/;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection "upgrade";
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_read_timeout 1h;
    }
    location / {
      proxy_pass http://127.0.0.1:${http.port};
      proxy_http_version 1.1;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_buffering off;
    }
  }`,
  );
  proxies.push(nginx);
  await listening(front, 'nginx');

  const body = await new Promise<string>((resolve, reject) => {
    // The client's own X-Forwarded-For is kept by nginx on the left, and must not be believed.
    const req = request({ host: '127.0.0.1', port: front, path: '/', localAddress: '127.0.0.2', agent: false, headers: { 'X-Forwarded-For': '203.0.113.1' } }, (res) => {
      let b = '';
      res.setEncoding('utf8').on('data', (d: string) => (b += d));
      res.on('end', () => resolve(b));
    });
    req.on('error', reject);
    req.end();
  });
  assert.match(body, /^addr=127\.0\.0\.2 port= /, `${body}\n${nginx.output()}`);
  await http.waitLog(/ start client=127\.0\.0\.2 pid=\d+/);

  const line = await new Promise<string>((resolve, reject) => {
    const c = new WebSocket(`ws://127.0.0.1:${front}/ws/`, { localAddress: '127.0.0.2' });
    c.on('message', (m) => {
      resolve(m.toString());
      c.close();
    });
    c.on('unexpected-response', (_q, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    c.on('error', reject);
  });
  assert.match(line, /^addr=127\.0\.0\.2 port= /, line);
  await ws.waitLog(/ start client=127\.0\.0\.2 pid=\d+/);
  assert.equal(childCount(httpCount), 1);
  assert.equal(childCount(wsCount), 1);
});
