/**
 * OPS-17: under --workers, a hamelin-http interactive session's requests (POST, poll, end,
 * DELETE) reach it whichever worker cluster hands the connection to. Every request here is a
 * connection of its own, so round-robin sends about half of them to the other worker.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'node:http';
import { startDaemon, stopAll } from '../helpers/daemon.js';
import { eventually } from '../helpers/poll.js';
import { workerOf } from '../helpers/procs.js';

after(stopAll);

interface Answer {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/** One request on a connection of its own (no keep-alive: the next one may go elsewhere). */
function once(port: number, method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, agent: false, headers }, (res) => {
      let b = '';
      res.setEncoding('utf8').on('data', (d: string) => (b += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: b, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}


/** Poll until the session's output holds `pattern`; returns everything read. */
async function pollFor(port: number, id: string, pattern: RegExp): Promise<string> {
  let seen = '';
  await eventually(async () => {
    const r = await once(port, 'GET', `/.hamelin/session/${id}`);
    assert.equal(r.status, 200, `poll: ${r.status} ${r.body}`);
    seen += r.body;
    return pattern.test(seen);
  }, `${pattern} from session ${id.slice(0, 4)}… (so far ${JSON.stringify(seen)})`);
  return seen;
}

const SCRIPT = 'echo "pid=$$"; while read l; do echo "got $l"; done; echo bye';

test('OPS-17 hamelin-http --workers 2: POSTs, polls, end and DELETE reach their long-poll session whichever worker takes the connection', async () => {
  const d = await startDaemon('http', ['--workers', '2', '--poll-timeout', '1', '--port', '0', 'sh', '-c', SCRIPT]);
  const workers = (await d.waitLog(/ workers workers=2 pids=(\d+),(\d+)/)).slice(1).map(Number);
  const primary = d.proc.pid!;

  // The private directory of the workers' peer sockets: the daemon user's alone.
  const environ = readFileSync(`/proc/${workers[0]}/environ`, 'latin1').split('\0');
  const dir = environ.find((e) => e.startsWith('HAMELIN_WORKER_DIR='))!.slice('HAMELIN_WORKER_DIR='.length);
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  await eventually(() => readdirSync(dir).length === 2, 'a peer socket per worker');
  for (const f of readdirSync(dir)) assert.equal(statSync(join(dir, f)).mode & 0o777, 0o600, f);

  const ids: string[] = [];
  const owners: number[] = [];
  for (let i = 0; i < 6; i++) {
    const r = await once(d.port, 'POST', '/.hamelin/poll');
    assert.equal(r.status, 200);
    const id = r.body.trim();
    assert.match(id, /^[A-Za-z0-9_-]{24}$/);
    assert.equal(r.headers['hamelin-session'], id);
    ids.push(id);
  }
  // Opened one after another, the sessions alternate between the workers.
  for (const id of ids) owners.push(workerOf(Number(/pid=(\d+)/.exec(await pollFor(d.port, id, /pid=\d+\n/))![1]), primary));
  assert.deepEqual(new Set(owners), new Set(workers), `sessions on both workers: ${owners.join(' ')}`);

  // Three rounds of POST then poll on new connections: each line comes back from its own session.
  for (let round = 0; round < 3; round++) {
    // Two POSTs in a row on new connections: round-robin gives them to different workers.
    for (const [i, id] of ids.entries()) {
      for (const half of ['a', 'b']) {
        const p = await once(d.port, 'POST', `/.hamelin/session/${id}`, `s${i} r${round}${half}\n`);
        assert.equal(p.status, 204, `POST ${i}/${round}${half}: ${p.status} ${p.body}`);
      }
    }
    for (const [i, id] of ids.entries()) await pollFor(d.port, id, new RegExp(`got s${i} r${round}a\ngot s${i} r${round}b\n`));
  }
  // End of input for the first three, DELETE for the rest; both reach the right process.
  for (const id of ids.slice(0, 3)) {
    assert.equal((await once(d.port, 'POST', `/.hamelin/session/${id}/end`)).status, 204);
    await pollFor(d.port, id, /bye\n/);
  }
  for (const id of ids.slice(3)) {
    const r = await once(d.port, 'DELETE', `/.hamelin/session/${id}`);
    assert.equal(r.status, 204);
    assert.equal(r.headers['hamelin-exit'], 'SIGTERM', 'the script died of the DELETE');
  }
  // An id that no worker holds is unknown on either.
  for (let i = 0; i < 4; i++) assert.equal((await once(d.port, 'POST', `/.hamelin/session/${'A'.repeat(23)}${'AB'[i % 2]}`, 'x\n')).status, 404);

  assert.equal(await d.stop(), 0);
  assert.ok(!existsSync(dir), 'the primary removes the peer directory');
});

test('OPS-17 hamelin-http --workers 2: an SSE session takes POSTs through either worker, in order', async () => {
  const d = await startDaemon('http', ['--workers', '2', '--port', '0', 'sh', '-c', SCRIPT]);
  await d.waitLog(/ workers workers=2 pids=\d+,\d+/);
  const events: string[] = [];
  let id = '';
  const stream = request({ host: '127.0.0.1', port: d.port, path: '/', agent: false, headers: { Accept: 'text/event-stream' } }, (res) => {
    id = String(res.headers['hamelin-session']);
    res.setEncoding('utf8').on('data', (c: string) => events.push(c));
  });
  stream.end();
  await eventually(() => id.length === 24 && /data: pid=\d+/.test(events.join('')), 'the SSE session and its first line');
  for (let i = 0; i < 8; i++) assert.equal((await once(d.port, 'POST', `/.hamelin/session/${id}`, `line ${i}\n`)).status, 204);
  await eventually(() => /data: got line 7\n/.test(events.join('')), 'the eighth echo');
  const got = [...events.join('').matchAll(/data: got line (\d)\n/g)].map((m) => Number(m[1]));
  assert.deepEqual(got, [0, 1, 2, 3, 4, 5, 6, 7], 'every POST, once, in order');
  assert.equal((await once(d.port, 'POST', `/.hamelin/session/${id}/end`)).status, 204);
  await eventually(() => /event: exit\n/.test(events.join('')), 'the exit event');
  assert.equal(await d.stop(), 0);
});

test('OPS-17 OPS-10 hamelin-http --workers 2 --user nobody: the workers, as nobody, still reach each other', { skip: process.getuid?.() !== 0 && process.env.CI !== 'true' ? 'needs root (CI runs as root)' : false }, async () => {
  const d = await startDaemon('http', ['--workers', '2', '--user', 'nobody', '--port', '0', 'sh', '-c', 'echo "user=$(id -un)"; while read l; do echo "got $l"; done']);
  await d.waitLog(/ workers workers=2 pids=\d+,\d+/);
  const ids: string[] = [];
  for (let i = 0; i < 2; i++) ids.push((await once(d.port, 'POST', '/.hamelin/poll')).body.trim());
  for (const [i, id] of ids.entries()) {
    await pollFor(d.port, id, /user=nobody\n/);
    for (const half of ['a', 'b']) assert.equal((await once(d.port, 'POST', `/.hamelin/session/${id}`, `${i}${half}\n`)).status, 204);
    await pollFor(d.port, id, new RegExp(`got ${i}a\\ngot ${i}b\\n`));
  }
  assert.equal(await d.stop(), 0);
});
