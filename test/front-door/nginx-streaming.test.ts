/**
 * FD-22 behind a real nginx (Debian `nginx-light`) with the config the README's "Running in
 * production" shows: a line the script writes reaches the real `curl -N` through nginx while the
 * script still runs, for a streamed answer and for an SSE stream, and a WebSocket upgrade passes.
 * The script prints a line, then blocks on a fifo that the test writes only once curl has shown it.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { WebSocket } from 'ws';
import { startDaemon, stopAll } from '../helpers/daemon.js';
import { eventually } from '../helpers/poll.js';
import { freePort, listening, startNginx, type Proxy } from '../helpers/proxies.js';
import { requireTool } from '../helpers/tools.js';
import { tempDir } from '../helpers/temp-dir.js';

const dir = tempDir('hamelin-fd-nginx-stream-');
const proxies: Proxy[] = [];
after(async () => {
  await Promise.all(proxies.map((p) => p.stop()));
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
});

/** The README's nginx `http { }` body, word for word but for the ports. */
function readmeNginx(front: number, http: number, ws: number): string {
  return `  map $http_upgrade $connection_upgrade {
    default upgrade;
    ''      close;
  }
  server {
    listen 127.0.0.1:${front};
    location /ws/ {
      proxy_pass http://127.0.0.1:${ws}/;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_read_timeout 1h;
    }
    location / {
      proxy_pass http://127.0.0.1:${http};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_buffering off;
      proxy_request_buffering off;
      proxy_read_timeout 1h;
    }
  }`;
}

/** Runs `curl -N` with `args`; resolves once its output matches `first` while curl still runs,
 * then opens `fifo` for the script and returns everything curl printed by the time it exits. */
async function streamThrough(url: string, headers: string[], first: RegExp, fifo: string): Promise<string> {
  const curl = requireTool('curl', 'curl');
  const proc = execa(curl, ['-sS', '-N', '--max-time', '30', ...headers.flatMap((h) => ['-H', h]), url], { reject: false, stdin: 'ignore' });
  let out = '';
  proc.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  await eventually(() => first.test(out) || proc.exitCode !== null, `curl to show ${first}`, 15_000);
  assert.equal(proc.exitCode, null, `curl ended before the script did: ${out}`);
  assert.doesNotMatch(out, /second/);
  writeFileSync(fifo, 'go\n');
  const r = await proc;
  assert.equal(r.exitCode, 0, `curl: ${r.stderr}`);
  return out;
}

test('FD-22 behind nginx with the README config: curl -N sees a streamed line and an SSE event before the script ends', async () => {
  // One fifo serves both requests in turn: each script blocks on it until the test has seen its line.
  const fifo = join(dir, 'go.fifo');
  execFileSync('mkfifo', [fifo]);
  const http = await startDaemon('http', ['--port', '0', '--heartbeat', '0', 'sh', '-c', `echo first; read x < ${fifo}; echo second`]);
  const ws = await startDaemon('ws', ['--port', '0', 'sh', '-c', 'read x; echo "got $x"']);
  const front = await freePort();
  const nginx = startNginx(dir, readmeNginx(front, http.port, ws.port));
  proxies.push(nginx);
  await listening(front, 'nginx');

  const body = await streamThrough(`http://127.0.0.1:${front}/`, [], /^first\n/, fifo);
  assert.equal(body, 'first\nsecond\n', nginx.output());

  const stream = await streamThrough(`http://127.0.0.1:${front}/`, ['Accept: text/event-stream'], /data: first\n\n/, fifo);
  assert.match(stream, /data: first\n\n[^]*data: second\n\n/, stream);

  const echoed = await new Promise<string>((resolve, reject) => {
    const c = new WebSocket(`ws://127.0.0.1:${front}/ws/`);
    c.on('open', () => c.send('hello'));
    c.on('message', (m) => {
      resolve(m.toString());
      c.close();
    });
    c.on('unexpected-response', (_q, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    c.on('error', reject);
  });
  assert.equal(echoed.trim(), 'got hello');
});
