/** The admin endpoint and the agent check (OPS-04, OPS-06, OPS-07), with the real promtool and prometheus. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:net';
import { startDaemon, stopAll, type Running } from '../helpers/daemon.js';
import { roundTrip } from '../helpers/tcp.js';
import { eventually } from '../helpers/poll.js';
import { httpRequest } from '../helpers/http-get.js';
import { requireTool } from '../helpers/tools.js';
import { tempDir } from '../helpers/temp-dir.js';

after(stopAll);
const tmp = tempDir('hamelin-ops-admin-');
/** Prometheus's own web port, from the ops range (the admin endpoint itself takes port 0). */
const PROMETHEUS_PORT = 23710;

export async function adminPort(d: Running): Promise<number> {
  return Number((await d.waitLog(/ admin address=\S+ port=(\d+)/))[1]);
}

function agentSays(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let s = '';
    const c = connect({ port, host: '127.0.0.1' });
    c.setEncoding('utf8').on('data', (d: string) => (s += d));
    c.on('end', () => resolve(s));
    c.on('error', reject);
  });
}

test('OPS-06 /metrics counts sessions by service, front-end and end, and promtool check metrics accepts it', async () => {
  const promtool = requireTool('promtool', 'prometheus');
  const d = await startDaemon('net', ['--admin', '127.0.0.1:0', '--max-line', '8', '127.0.0.1', '0', 'sh', '-c', 'read x; echo "$x"; exit 3']);
  const admin = await adminPort(d);
  // No newline before the end: the daemon holds more than --max-line and passes it in pieces.
  for (let i = 0; i < 3; i++) assert.equal((await roundTrip(d.port, 'a-line-longer-than-eight')).toString(), 'a-line-longer-than-eight\n');
  const body = await eventually(async () => {
    const r = await httpRequest(`http://127.0.0.1:${admin}/metrics`);
    return /hamelin_sessions_ended_total\{service="sh",frontend="net",reason="exit"\} 3/.test(r.body) ? r.body : undefined;
  }, 'three ended sessions in /metrics');
  assert.match(body, /hamelin_sessions_started_total\{service="sh",frontend="net"\} 3/);
  assert.match(body, /hamelin_exits_total\{service="sh",frontend="net",class="error"\} 3/);
  assert.match(body, /hamelin_long_lines_total\{service="sh",frontend="net",direction="in"\} 3/);
  assert.match(body, /hamelin_client_bytes_in_total\{service="sh",frontend="net"\} 72/);
  assert.match(body, /hamelin_session_duration_seconds_count\{service="sh",frontend="net"\} 3/);
  assert.match(body, /hamelin_sessions_active\{service="sh",frontend="net"\} 0/);
  assert.match(body, /hamelin_spawn_layer\{layer="(prebuilt|compiled|child_process)"\} 1/);
  assert.match(body, /^process_resident_memory_bytes \d+/m);
  const check = spawnSync(promtool, ['check', 'metrics'], { input: body, encoding: 'utf8' });
  assert.equal(check.status, 0, `promtool check metrics: ${check.stdout}${check.stderr}`);
});

test('OPS-06 /metrics counts refusals by reason and spawn failures by errno', async () => {
  const script = join(tmp, 'gone.sh');
  writeFileSync(script, '#!/bin/sh\necho ok\n', { mode: 0o755 });
  const d = await startDaemon('net', ['--admin', '127.0.0.1:0', '--max-clients', '1', '127.0.0.1', '0', script]);
  const admin = await adminPort(d);
  spawnSync('chmod', ['-x', script]);
  assert.match((await roundTrip(d.port, '')).toString(), /cannot start .*EACCES/);
  const r = await eventually(async () => {
    const m = await httpRequest(`http://127.0.0.1:${admin}/metrics`);
    return m.body.includes('errno="EACCES"') ? m.body : undefined;
  }, 'a spawn failure in /metrics');
  assert.match(r, /hamelin_spawn_failures_total\{service="\S+",frontend="net",errno="EACCES"\} 1/);
  assert.match(r, /hamelin_exits_total\{service="\S+",frontend="net",class="spawn-failed"\} 1/);
  // A refusal: fill the one place with a session that waits.
  writeFileSync(script, '#!/bin/sh\necho in; read x\n');
  chmodSync(script, 0o755);
  const { dial } = await import('../helpers/tcp.js');
  const first = await dial(d.port);
  await first.waitFor('in\n');
  assert.match((await roundTrip(d.port, '')).toString(), /busy: too many clients/);
  const m = await httpRequest(`http://127.0.0.1:${admin}/metrics`);
  assert.match(m.body, /hamelin_refusals_total\{service="\S+",frontend="net",reason="max-clients"\} 1/);
  first.socket.end('x\n');
  await first.closed;
});

test('OPS-04 OPS-07 /healthz and the agent answer without spawning; after POST /drain: 503 and drain', async () => {
  const d = await startDaemon('net', ['--admin', '127.0.0.1:0', '--agent', '127.0.0.1:0', '--max-clients', '4', '127.0.0.1', '0', 'sh', '-c', 'echo spawned >&2; read x']);
  const admin = await adminPort(d);
  const agent = Number((await d.waitLog(/ agent address=\S+ port=(\d+)/))[1]);
  const h = await httpRequest(`http://127.0.0.1:${admin}/healthz`);
  assert.deepEqual([h.status, h.body], [200, 'ok\n']);
  assert.equal(await agentSays(agent), 'ready up 100%\n');
  assert.equal((await httpRequest(`http://127.0.0.1:${admin}/nothing`)).status, 404);
  assert.equal((await httpRequest(`http://127.0.0.1:${admin}/drain`)).status, 405);
  assert.doesNotMatch(d.stderr(), /spawned| start /, 'health checks spawned nothing');
  const { dial } = await import('../helpers/tcp.js');
  const c = await dial(d.port);
  await d.waitLog(/ start client=/);
  assert.equal(await agentSays(agent), 'ready up 75%\n');
  const dr = await httpRequest(`http://127.0.0.1:${admin}/drain`, 'POST');
  assert.equal(dr.status, 202);
  const h2 = await httpRequest(`http://127.0.0.1:${admin}/healthz`);
  assert.deepEqual([h2.status, h2.body], [503, 'draining\n']);
  assert.equal(await agentSays(agent), 'drain\n');
  c.socket.end('bye\n');
  await c.closed;
  assert.deepEqual(await d.exited, { code: 0, signal: null });
});

test('OPS-06 /metrics shows a session blocked on a client that does not read', async () => {
  const d = await startDaemon('net', ['--admin', '127.0.0.1:0', '127.0.0.1', '0', 'yes', 'a line of output that a client never reads']);
  const admin = await adminPort(d);
  const { dial } = await import('../helpers/tcp.js');
  const c = await dial(d.port);
  c.socket.pause();
  const blocked = /hamelin_sessions_blocked\{service="yes",frontend="net"\} (\d+)/;
  await eventually(async () => blocked.exec((await httpRequest(`http://127.0.0.1:${admin}/metrics`)).body)?.[1] === '1', 'one blocked session');
  c.socket.destroy();
  await eventually(async () => blocked.exec((await httpRequest(`http://127.0.0.1:${admin}/metrics`)).body)?.[1] === '0', 'no blocked session once the client is gone');
  assert.match((await httpRequest(`http://127.0.0.1:${admin}/metrics`)).body, /hamelin_backlog_lines\{service="yes",frontend="net"\} 0/);
});

test('OPS-06 a real prometheus scrapes the admin endpoint: up == 1, and the sessions counter after 10 sessions', async () => {
  const prometheus = requireTool('prometheus', 'prometheus');
  const d = await startDaemon('net', ['--admin', '127.0.0.1:0', '127.0.0.1', '0', 'cat']);
  const admin = await adminPort(d);
  const dir = mkdtempSync(join(tmp, 'prom-'));
  writeFileSync(
    join(dir, 'prometheus.yml'),
    `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: hamelin\n    static_configs:\n      - targets: ['127.0.0.1:${admin}']\n`,
  );
  const prom = spawn(prometheus, [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${PROMETHEUS_PORT}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let promLog = '';
  prom.stderr.setEncoding('utf8').on('data', (s: string) => (promLog = (promLog + s).slice(-4000)));
  const exited = new Promise((r) => prom.once('exit', r));
  try {
    const query = async (q: string): Promise<number | undefined> => {
      const r = await httpRequest(`http://127.0.0.1:${PROMETHEUS_PORT}/api/v1/query?query=${encodeURIComponent(q)}`);
      const data = JSON.parse(r.body) as { data: { result: { value: [number, string] }[] } };
      const v = data.data.result[0]?.value[1];
      return v === undefined ? undefined : Number(v);
    };
    await eventually(async () => (await query(`up{job="hamelin"}`)) === 1, `prometheus to report up == 1 (its log: ${promLog})`, 60_000, 250);
    for (let i = 0; i < 10; i++) assert.equal((await roundTrip(d.port, `x${i}\n`)).toString(), `x${i}\n`);
    const n = await eventually(async () => {
      const v = await query('sum(hamelin_sessions_started_total{job="hamelin",frontend="net"})');
      return v !== undefined && v >= 10 ? v : undefined;
    }, 'prometheus to see 10 started sessions', 60_000, 250);
    assert.equal(n, 10);
  } finally {
    prom.kill('SIGTERM');
    await exited;
  }
});
