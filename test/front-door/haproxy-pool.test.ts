/**
 * OPS-18 behind a real HAProxy (Debian `haproxy`) in front of THREE hamelin-net instances, with the
 * backend the README's "Running in production" shows: `send-proxy-v2`, an `option httpchk` on each
 * instance's admin `/healthz` and an `agent-check` on its `--agent` port. The checks start no child
 * (every child appends to its instance's count file), the client's address (127.0.0.2; HAProxy
 * connects from 127.0.0.1) reaches H-REMOTE-ADDR, and draining one instance while 30 sessions run
 * cuts none of them while new clients go to the other two.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { startDaemon, stopAll, type Running } from '../helpers/daemon.js';
import { childCount, dialFrom, exchangeFrom, type SourcedClient } from '../helpers/front-door.js';
import { httpRequest } from '../helpers/http-get.js';
import { eventually } from '../helpers/poll.js';
import { freePort, startHaproxy, type Proxy } from '../helpers/proxies.js';
import { tempDir } from '../helpers/temp-dir.js';

const SESSIONS = 100;
const LATER = 12;
const dir = tempDir('hamelin-fd-haproxy-pool-');
const proxies: Proxy[] = [];
after(async () => {
  await Promise.all(proxies.map((p) => p.stop()));
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
});

interface Instance {
  name: string;
  daemon: Running;
  admin: number;
  agent: number;
  count: string;
}

async function startInstance(name: string): Promise<Instance> {
  const count = join(dir, `${name}-count`);
  const script = `echo x >> ${count}; echo "inst=${name} addr=$H_REMOTE_ADDR"; read x; echo "done $x"`;
  const daemon = await startDaemon('net', ['--proxy-protocol', '--trusted-proxy', '127.0.0.1', '--admin', '127.0.0.1:0', '--agent', '127.0.0.1:0', '127.0.0.1', '0', 'sh', '-c', script]);
  const admin = Number((await daemon.waitLog(/ admin address=\S+ port=(\d+)/))[1]);
  const agent = Number((await daemon.waitLog(/ agent address=\S+ port=(\d+)/))[1]);
  return { name, daemon, admin, agent, count };
}

/** The README's HAProxy config, but for the ports, the stats socket and the short check intervals. */
function readmeHaproxy(front: number, sock: string, pool: Instance[]): string {
  return [
    'global',
    '  maxconn 256',
    `  stats socket ${sock} mode 600 level admin`,
    'defaults',
    '  mode tcp',
    '  timeout connect 5s',
    '  timeout client 1h',
    '  timeout server 1h',
    'frontend hamelin_net',
    `  bind 127.0.0.1:${front}`,
    '  default_backend hamelin_net',
    'backend hamelin_net',
    '  balance leastconn',
    // weight 100: the agent's `ready up N%` scales the weight, and 99% of the default weight 1 is 0.
  '  option httpchk GET /healthz',
    '  http-check expect status 200',
    ...pool.map(
      (i) =>
        `  server ${i.name} 127.0.0.1:${i.daemon.port} send-proxy-v2 weight 100 check port ${i.admin} inter 200ms rise 1 fall 1 agent-check agent-port ${i.agent} agent-inter 200ms`,
    ),
    '',
  ].join('\n');
}

/** HAProxy's own view of each server: `show stat` on its stats socket, by server name. */
function serverStats(sock: string): Promise<Map<string, Record<string, string>>> {
  return new Promise((resolve, reject) => {
    const c = connect({ path: sock });
    let out = '';
    c.setEncoding('utf8').on('data', (d: string) => (out += d));
    c.on('error', reject);
    c.on('end', () => {
      const [head, ...rows] = out.trim().split('\n');
      const names = head!.replace(/^# /, '').split(',');
      const byName = new Map<string, Record<string, string>>();
      for (const row of rows) {
        const f = row.split(',');
        const rec = Object.fromEntries(names.map((n, k) => [n, f[k] ?? '']));
        if (rec.pxname === 'hamelin_net' && rec.svname !== 'BACKEND') byName.set(rec.svname!, rec);
      }
      resolve(byName);
    });
    c.end('show stat\n');
  });
}

/** A session through HAProxy from 127.0.0.2, once its first line (which instance, which address) is in. */
async function openSession(front: number): Promise<{ c: SourcedClient; first: string }> {
  const c = await dialFrom(front, '127.0.0.2');
  const first = await eventually(() => /^.*\n/.exec(c.received().toString())?.[0], `the first line of a session; got ${JSON.stringify(c.received().toString())}`, 15_000);
  return { c, first };
}

test(`OPS-18 FD-10 three hamelin-net behind HAProxy: checks spawn nothing, the client address arrives, a drain during ${SESSIONS} sessions cuts none`, async () => {
  const pool = [await startInstance('a'), await startInstance('b'), await startInstance('c')];
  const front = await freePort();
  const sock = join(dir, 'haproxy.sock');
  const haproxy = startHaproxy(dir, readmeHaproxy(front, sock, pool));
  proxies.push(haproxy);
  // Both checks have answered for every server: the HTTP check on /healthz and the agent.
  await eventually(
    async () => {
      const s = await serverStats(sock);
      return pool.every((i) => s.get(i.name)?.status === 'UP' && s.get(i.name)?.check_status === 'L7OK' && s.get(i.name)?.agent_status === 'L7OK');
    },
    `every server UP with both checks passed\n${haproxy.output()}`,
    15_000,
    100,
  );
  for (const i of pool) assert.equal(childCount(i.count), 0, `a health check started a child on ${i.name}`);

  const sessions: { c: SourcedClient; first: string }[] = [];
  // HAProxy's view and every log go with a failure: weights and check results explain most of them.
  const why = async (e: Error): Promise<never> => {
    const stats = [...(await serverStats(sock)).values()].map((r) => `${r.svname} ${r.status} weight=${r.weight} check=${r.check_desc} agent=${r.agent_desc}`);
    throw new Error(`${e.message}\n${stats.join('\n')}\n${pool.map((i) => i.daemon.stderr()).join('\n')}\n${haproxy.output()}`);
  };
  for (let n = 0; n < SESSIONS; n++) sessions.push(await openSession(front).catch(why));
  for (const s of sessions) assert.match(s.first, /^inst=[abc] addr=127\.0\.0\.2\n$/);
  const on = (name: string): number => sessions.filter((s) => s.first.startsWith(`inst=${name} `)).length;
  assert.ok(pool.every((i) => on(i.name) > 0), `sessions spread over a, b and c: ${pool.map((i) => on(i.name))}`);

  const [drained] = pool;
  assert.equal((await httpRequest(`http://127.0.0.1:${drained!.admin}/drain`, 'POST')).status, 202);
  await eventually(async () => (await serverStats(sock)).get(drained!.name)?.status.match(/^(DRAIN|DOWN|NOLB)/), `HAProxy to take ${drained!.name} out`, 15_000, 50);

  // New clients go to the other two, and complete.
  for (let n = 0; n < LATER; n++) {
    const out = (await exchangeFrom(front, '127.0.0.2', `later${n}\n`)).toString();
    assert.match(out, new RegExp(`^inst=[bc] addr=127\\.0\\.0\\.2\\ndone later${n}\\n$`), `${out}\n${haproxy.output()}`);
  }

  // Every session opened before the drain, on a drained instance or not, ends with its full output.
  const outs = await Promise.all(
    sessions.map(async (s, n) => {
      s.c.socket.end(`bye${n}\n`);
      return (await s.c.closed).toString();
    }),
  );
  outs.forEach((out, n) => assert.equal(out, `${sessions[n]!.first}done bye${n}\n`));
  // The drained instance exits 0 once its last session has ended (OPS-05).
  assert.deepEqual(await drained!.daemon.exited, { code: 0, signal: null });
  assert.equal(childCount(drained!.count), on(drained!.name));
  assert.equal(pool.reduce((sum, i) => sum + childCount(i.count), 0), SESSIONS + LATER, 'children = sessions: no check spawned one');
});
