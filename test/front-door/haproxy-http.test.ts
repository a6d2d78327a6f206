/**
 * OPS-19 behind a real HAProxy (Debian `haproxy`) in `mode http`, with the backends the README's
 * "Running in production" shows: hamelin-http interactive sessions stay on the instance that
 * opened them (a stick table on the `Hamelin-Session` answer header, matched on the id in the
 * path) across THREE instances under `balance roundrobin`, and a hamelin-ws connection outlives
 * `timeout client`/`timeout server` because `timeout tunnel` governs it once upgraded.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { request } from 'node:http';
import { WebSocket } from 'ws';
import { startDaemon, stopAll, type Running } from '../helpers/daemon.js';
import { eventually } from '../helpers/poll.js';
import { freePort, listening, startHaproxy, type Proxy } from '../helpers/proxies.js';
import { tempDir } from '../helpers/temp-dir.js';

const dir = tempDir('hamelin-fd-haproxy-http-');
const proxies: Proxy[] = [];
after(async () => {
  await Promise.all(proxies.map((p) => p.stop()));
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
});

/** The README's HAProxy backends, but for the ports and the short client/server timeouts that
 * show `timeout tunnel` at work. */
function readmeHaproxy(front: number, http: Running[], ws: Running): string {
  return [
    'defaults',
    '  mode http',
    '  timeout connect 5s',
    '  timeout client 500ms',
    '  timeout server 500ms',
    '  timeout tunnel 1h',
    'frontend hamelin_in',
    `  bind 127.0.0.1:${front}`,
    '  use_backend hamelin_ws if { hdr(upgrade) -i websocket }',
    '  default_backend hamelin_http',
    'backend hamelin_http',
    '  balance roundrobin',
    // An SSE stream is a long answer, not a tunnel: it idles between events, and 500 ms of
    // `timeout server` cut it (and so ended its session) whenever a loaded machine was slow.
    '  timeout server 1h',
    '  option forwardfor',
    '  stick-table type string len 32 size 100k expire 1h',
    '  stick store-response res.hdr(Hamelin-Session)',
    '  stick match path,field(4,/) if { path_beg /.hamelin/session/ }',
    ...http.map((d, k) => `  server http${k} 127.0.0.1:${d.port}`),
    'backend hamelin_ws',
    '  option forwardfor',
    `  server ws 127.0.0.1:${ws.port}`,
    '',
  ].join('\n');
}

function call(port: number, method: string, path: string, body = ''): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, agent: false, localAddress: '127.0.0.2' }, (res) => {
      let b = '';
      res.setEncoding('utf8').on('data', (d: string) => (b += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: b, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Three hamelin-http instances and one hamelin-ws behind one HAProxy, shared by both tests. */
const pool = (async () => {
  const trust = ['--trusted-proxy', '127.0.0.1', '--forwarded-header', 'x-forwarded-for'];
  const http = await Promise.all(
    ['a', 'b', 'c'].map((name) => startDaemon('http', ['--port', '0', ...trust, 'sh', '-c', `echo "inst=${name} addr=$H_REMOTE_ADDR"; while read x; do echo "${name} got $x"; done`])),
  );
  const ws = await startDaemon('ws', ['--port', '0', ...trust, 'sh', '-c', 'while read x; do echo "got $x from $H_REMOTE_ADDR"; done']);
  const front = await freePort();
  const haproxy = startHaproxy(dir, readmeHaproxy(front, http, ws));
  proxies.push(haproxy);
  await listening(front, 'haproxy');
  return { front, haproxy };
})();

test('OPS-19 three hamelin-http behind HAProxy with a stick table on Hamelin-Session: every POST and poll reaches its own session', async () => {
  const { front, haproxy } = await pool;

  // Three sessions, one per instance under roundrobin; each gets five POSTs, which roundrobin
  // alone would spread over all three instances (two in three to an instance that has no such id).
  const seen = new Set<string>();
  for (let s = 0; s < 3; s++) {
    const open = await call(front, 'POST', '/.hamelin/poll');
    assert.equal(open.status, 200, `${open.body}\n${haproxy.output()}`);
    const id = open.body.trim();
    assert.equal(open.headers['hamelin-session'], id);
    for (let n = 0; n < 5; n++) {
      const r = await call(front, 'POST', `/.hamelin/session/${id}`, `m${n}\n`);
      assert.equal(r.status, 204, `POST ${n} of session ${s}: ${r.status} ${r.body}`);
    }
    let out = '';
    await eventually(async () => {
      const p = await call(front, 'GET', `/.hamelin/session/${id}`);
      assert.ok(p.status === 200 || p.status === 204, `poll: ${p.status} ${p.body}`);
      out += p.body;
      return /got m4\n/.test(out);
    }, `the output of session ${s}`);
    const inst = /^inst=([abc]) addr=127\.0\.0\.2\n/.exec(out)?.[1];
    assert.ok(inst, out);
    assert.equal(out, `inst=${inst} addr=127.0.0.2\n${[0, 1, 2, 3, 4].map((n) => `${inst} got m${n}\n`).join('')}`);
    seen.add(inst);
    assert.equal((await call(front, 'DELETE', `/.hamelin/session/${id}`)).status, 204);
  }
  assert.equal(seen.size, 3, `the sessions were spread over the instances: ${[...seen]}`);
});

/** An SSE session through HAProxy from 127.0.0.2: its id (from the first event) and everything
 * the stream has carried so far. */
function openSse(port: number): Promise<{ id: string; header: unknown; text(): string; close(): void }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent: false, localAddress: '127.0.0.2', headers: { Accept: 'text/event-stream' } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => {
        text += d;
        const id = /event: session\ndata: ([A-Za-z0-9_-]{24})\n/.exec(text)?.[1];
        if (id) resolve({ id, header: res.headers['hamelin-session'], text: () => text, close: () => req.destroy() });
      });
      res.on('end', () => reject(new Error(`the stream ended without a session event: ${res.statusCode} ${text}`)));
    });
    req.on('error', reject);
    req.end();
  });
}

test('OPS-19 HTTP-18 SSE sessions through HAProxy: the Hamelin-Session header sticks every POST to its own stream', async () => {
  const { front } = await pool;
  const seen = new Set<string>();
  for (let s = 0; s < 3; s++) {
    const sse = await openSse(front);
    assert.equal(sse.header, sse.id);
    for (let n = 0; n < 5; n++) {
      const r = await call(front, 'POST', `/.hamelin/session/${sse.id}`, `e${n}\n`);
      assert.equal(r.status, 204, `POST ${n} of SSE session ${s}: ${r.status} ${r.body}`);
    }
    await eventually(() => /got e4\n/.test(sse.text()), `the events of SSE session ${s}: ${sse.text()}`);
    const inst = /data: inst=([abc]) addr=127\.0\.0\.2\n/.exec(sse.text())?.[1];
    assert.ok(inst, sse.text());
    const got = [...sse.text().matchAll(/data: (\w got e\d)\n/g)].map((m) => m[1]);
    assert.deepEqual(got, [0, 1, 2, 3, 4].map((n) => `${inst} got e${n}`));
    seen.add(inst);
    sse.close();
  }
  assert.equal(seen.size, 3, `the sessions were spread over the instances: ${[...seen]}`);
});

test('OPS-19 hamelin-ws behind HAProxy: an upgraded connection idle longer than timeout client/server lives on (timeout tunnel)', async () => {
  const { front, haproxy } = await pool;
  const c = new WebSocket(`ws://127.0.0.1:${front}/`, { localAddress: '127.0.0.2' });
  const messages: string[] = [];
  let closed = false;
  c.on('message', (m) => messages.push(m.toString()));
  c.on('close', () => (closed = true));
  await new Promise((resolve, reject) => {
    c.once('open', resolve);
    c.once('error', reject);
  });
  c.send('one');
  await eventually(() => messages.length >= 1, 'the first answer');
  assert.deepEqual(messages.map((m) => m.trim()), ['got one from 127.0.0.2']);
  // The point of the test is an idle spell: three times `timeout client` with no byte either way.
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(closed, false, `HAProxy closed the idle WebSocket\n${haproxy.output()}`);
  c.send('two');
  await eventually(() => messages.length >= 2 || closed, 'the second answer');
  assert.deepEqual(messages.map((m) => m.trim()), ['got one from 127.0.0.2', 'got two from 127.0.0.2']);
  c.close();
});
