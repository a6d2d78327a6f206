/** Drain (OPS-05): SIGUSR2 or POST /drain; no session is cut, exit 0 after the last one. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { startDaemon, stopAll } from '../helpers/daemon.js';
import { dial } from '../helpers/tcp.js';
import { eventually } from '../helpers/poll.js';
import { httpRequest } from '../helpers/http-get.js';

after(stopAll);

const refusedConnection = (port: number): Promise<string> =>
  new Promise((resolve) => {
    const c = connect({ port, host: '127.0.0.1' });
    c.on('connect', () => {
      c.destroy();
      resolve('connected');
    });
    c.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
  });

test('OPS-05 SIGUSR2 drains 20 live sessions: none is cut, new clients are not accepted, exit 0 after the last', async () => {
  const d = await startDaemon('net', ['--admin', '127.0.0.1:0', '127.0.0.1', '0', 'sh', '-c', 'echo ready; read x; echo "done $x"']);
  const admin = Number((await d.waitLog(/ admin address=\S+ port=(\d+)/))[1]);
  const clients = await Promise.all(Array.from({ length: 20 }, () => dial(d.port)));
  await Promise.all(clients.map((c) => c.waitFor('ready\n')));
  d.proc.kill('SIGUSR2');
  await d.waitLog(/ draining why=SIGUSR2 sessions=20/);
  assert.equal((await httpRequest(`http://127.0.0.1:${admin}/healthz`)).status, 503);
  assert.equal(await refusedConnection(d.port), 'ECONNREFUSED');
  // Each session runs to its own end, one after another; the daemon waits for the last.
  for (const [i, c] of clients.entries()) {
    c.socket.end(`${i}\n`);
    assert.equal((await c.closed).toString(), `ready\ndone ${i}\n`);
    if (i < clients.length - 1) assert.equal(d.proc.exitCode, null, `the daemon still runs with ${clients.length - 1 - i} sessions left`);
  }
  assert.deepEqual(await d.exited, { code: 0, signal: null });
  assert.equal((d.stderr().match(/ end client=\S+ pid=\d+ status=0 ended_by=exit /g) ?? []).length, 20);
  assert.doesNotMatch(d.stderr(), /terminate|ended_by=shutdown/);
});

test('OPS-05 --drain-timeout: sessions still live after it are shut down as on SIGTERM (CORE-22), exit 0', async () => {
  const d = await startDaemon('net', ['--drain-timeout', '0.5', '127.0.0.1', '0', 'sh', '-c', 'echo ready; exec sleep 600']);
  const c = await dial(d.port);
  await c.waitFor('ready\n');
  d.proc.kill('SIGUSR2');
  await d.waitLog(/ drain-timeout after_ms=500 sessions=1/);
  await c.closed;
  assert.deepEqual(await d.exited, { code: 0, signal: null });
  await d.waitLog(/terminate client=\S+ pid=\d+ reason=shutdown/);
});

test('OPS-05 a drain on hamelin-ws and hamelin-http: the listener closes, the live session ends on its own, exit 0', async () => {
  for (const pkg of ['ws', 'http']) {
    const d = await startDaemon(pkg, ['--port', '0', 'sh', '-c', 'sleep 0.5; echo bye']);
    // One live session: a WebSocket or a streamed HTTP answer.
    let done: Promise<string>;
    if (pkg === 'ws') {
      const { WebSocket } = await import('ws');
      const ws = new WebSocket(`ws://127.0.0.1:${d.port}/`);
      done = new Promise((r) => ws.on('message', (m) => r(String(m))));
    } else {
      done = httpRequest(`http://127.0.0.1:${d.port}/`).then((r) => r.body.trim());
    }
    await d.waitLog(/ start client=/);
    d.proc.kill('SIGUSR2');
    await d.waitLog(/ draining why=SIGUSR2 sessions=1/);
    await eventually(async () => (await refusedConnection(d.port)) === 'ECONNREFUSED', `${pkg} to stop accepting`);
    assert.equal(await done, 'bye');
    assert.deepEqual(await d.exited, { code: 0, signal: null }, `hamelin-${pkg} exit`);
    assert.doesNotMatch(d.stderr(), /ended_by=shutdown/);
  }
});
