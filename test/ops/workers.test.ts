/**
 * --workers N (OPS-12 .. OPS-16): one daemon on node:cluster workers. Real daemons on loopback;
 * which worker served a client is read from /proc (the child's parent chain up to the primary).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:net';
import { execa } from 'execa';
import { startDaemon, stopAll, gone, type Running } from '../helpers/daemon.js';
import { dial, type Client } from '../helpers/tcp.js';
import { alive, eventually } from '../helpers/poll.js';
import { httpRequest } from '../helpers/http-get.js';
import { bin } from '../helpers/paths.js';
import { ppid, startedPids, workerOf } from '../helpers/procs.js';
import { tempDir } from '../helpers/temp-dir.js';

after(stopAll);


/** Start `hamelin-net --workers 2`, wait until both workers serve; returns their pids. */
async function twoWorkers(args: string[], script: string): Promise<{ d: Running; workers: number[] }> {
  const d = await startDaemon('net', ['--workers', '2', ...args, '127.0.0.1', '0', 'sh', '-c', script]);
  const m = await d.waitLog(/ workers workers=2 pids=(\d+),(\d+)/);
  return { d, workers: [Number(m[1]), Number(m[2])] };
}

/** Clients that each read the child's `pid=N` line first. */
async function sessions(port: number, n: number): Promise<{ clients: Client[]; pids: number[] }> {
  const clients: Client[] = [];
  const pids: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = await dial(port);
    const line = await c.waitFor(/pid=(\d+)\n/);
    clients.push(c);
    pids.push(Number(/pid=(\d+)/.exec(line)![1]));
  }
  return { clients, pids };
}

const refusedConnection = (port: number): Promise<string> =>
  new Promise((resolve) => {
    const c = connect({ port, host: '127.0.0.1' });
    c.on('connect', () => {
      c.destroy();
      resolve('connected');
    });
    c.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
  });

const SCRIPT = 'echo "pid=$$"; read x; echo "done $x"';

test('OPS-12 --workers 2: clients are served by two worker processes, each with its own spawn helper; the primary runs none', async () => {
  const { d, workers } = await twoWorkers([], SCRIPT);
  const primary = d.proc.pid!;
  assert.equal(new Set(workers).size, 2);
  for (const w of workers) assert.equal(ppid(w), primary, `worker ${w} is a child of the primary`);
  const { clients, pids } = await sessions(d.port, 6);
  const servedBy = pids.map((p) => workerOf(p, primary));
  assert.deepEqual(new Set(servedBy), new Set(workers), `sessions spread over both workers: ${servedBy.join(' ')}`);
  // Each worker started its children through a helper of its own, never the primary.
  for (const p of pids) assert.notEqual(ppid(p), primary);
  // OPS-13: SIGHUP reaches every worker; nothing ends and the daemon still serves.
  d.proc.kill('SIGHUP');
  await eventually(() => (d.stderr().match(/ signal signal=SIGHUP/g) ?? []).length === 3, 'the primary and both workers to take SIGHUP');
  for (const p of pids) assert.ok(alive(p), `session ${p} lives on`);
  for (const [i, c] of clients.entries()) {
    c.socket.end(`${i}\n`);
    assert.match((await c.closed).toString(), new RegExp(`done ${i}\\n$`));
  }
  assert.equal(await d.stop(), 0);
});

test('OPS-13 CORE-22 --workers 2: SIGTERM to the primary ends every session, worker and helper, then exit 0', async () => {
  const { d, workers } = await twoWorkers([], 'echo "pid=$$"; exec sleep 600');
  const { clients, pids } = await sessions(d.port, 4);
  const helpers = [...new Set(pids.map((p) => ppid(p)))];
  d.proc.kill('SIGTERM');
  assert.deepEqual(await d.exited, { code: 0, signal: null });
  for (const c of clients) await c.closed;
  for (const p of [...pids, ...workers, ...helpers]) await gone(p);
  for (const p of pids) assert.equal(alive(-p), false, `group ${p} is gone`);
  assert.equal((d.stderr().match(/ stopping why=SIGTERM/g) ?? []).length, 3, 'the primary and each worker say it');
});

test('OPS-13 OPS-15 --workers 2: SIGUSR2 drains every worker, live sessions run to their end, /healthz says 503, exit 0 after the last', async () => {
  const { d, workers } = await twoWorkers(['--admin', '127.0.0.1:0'], SCRIPT);
  const admin = Number((await d.waitLog(/ admin address=\S+ port=(\d+)/))[1]);
  const { clients, pids } = await sessions(d.port, 4);
  assert.equal(new Set(pids.map((p) => workerOf(p, d.proc.pid!))).size, 2);
  // /metrics adds up the workers' counters (prom-client's AggregatorRegistry).
  const metrics = (await httpRequest(`http://127.0.0.1:${admin}/metrics`)).body;
  assert.match(metrics, /^hamelin_sessions_active\{service="sh",frontend="net"\} 4$/m);
  assert.match(metrics, /^hamelin_max_clients\{service="sh",frontend="net"\} 1024$/m, 'the workers share --max-clients (OPS-14)');
  assert.match(metrics, /^hamelin_state\{state="accepting"\} 1$/m);
  d.proc.kill('SIGUSR2');
  const drains = await eventually(() => {
    const all = [...d.stderr().matchAll(/ draining why=SIGUSR2 sessions=(\d+) /g)];
    return all.length === 2 ? all.map((x) => Number(x[1])) : undefined;
  }, 'both workers to drain');
  assert.equal(drains[0]! + drains[1]!, 4);
  assert.equal((await httpRequest(`http://127.0.0.1:${admin}/healthz`)).status, 503);
  await eventually(async () => (await refusedConnection(d.port)) === 'ECONNREFUSED', 'the shared listener to close');
  for (const [i, c] of clients.entries()) {
    assert.equal(d.proc.exitCode, null, 'the daemon waits for its live sessions');
    c.socket.end(`${i}\n`);
    assert.equal((await c.closed).toString(), `pid=${pids[i]}\ndone ${i}\n`);
  }
  assert.deepEqual(await d.exited, { code: 0, signal: null });
  for (const w of workers) await gone(w);
  assert.doesNotMatch(d.stderr(), /ended_by=shutdown|terminate |worker-exit/);
});

test('OPS-14 --workers 2: a killed worker is logged and replaced, its sessions do not outlive it, the daemon still serves', async () => {
  const { d, workers } = await twoWorkers([], SCRIPT);
  const primary = d.proc.pid!;
  const { pids } = await sessions(d.port, 4);
  const victim = workers[0]!;
  const victimSessions = pids.filter((p) => workerOf(p, primary) === victim);
  assert.ok(victimSessions.length > 0);
  process.kill(victim, 'SIGKILL');
  const m = await d.waitLog(new RegExp(` warn worker-exit worker=(\\d) pid=${victim} signal=SIGKILL in_ms=\\d+`));
  const fresh = Number((await d.waitLog(new RegExp(` worker-start worker=${m[1]} pid=(?!${victim}\\b)(\\d+)`)))[1]);
  assert.notEqual(fresh, victim);
  assert.equal(ppid(fresh), primary);
  // CORE-29: the dead worker's spawn helper ends its children's groups.
  for (const p of victimSessions) await gone(p, `session ${p} of the killed worker to end`);
  // Both the survivor and the new worker serve.
  const after = await sessions(d.port, 4);
  assert.deepEqual(new Set(after.pids.map((p) => workerOf(p, primary))), new Set([workers[1], fresh]));
  assert.equal(await d.stop(), 0);
  for (const p of [...startedPids(d.stderr()), fresh]) await gone(p);
});

test('OPS-12 --workers 0, x or 1.5 (flag or HAMELIN_WORKERS): one stderr line, exit 2, nothing listens', async () => {
  for (const [args, env] of [
    [['--workers', '0'], {}],
    [['--workers', 'x'], {}],
    [['--workers', '1.5'], {}],
    [[], { HAMELIN_WORKERS: 'x' }],
  ] as [string[], Record<string, string>][]) {
    const r = await execa(process.execPath, [bin('net'), ...args, '127.0.0.1', '0', 'cat'], { reject: false, env, timeout: 10_000 });
    assert.equal(r.exitCode, 2, `${args.join(' ')} ${JSON.stringify(env)}`);
    const lines = r.stderr.split('\n').filter(Boolean);
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, /^hamelin-net: (--workers|HAMELIN_WORKERS:) must be a whole number from 1 to 256, or auto \(given: "[^"]*"\)$/);
    assert.doesNotMatch(r.stderr, /listening/);
  }
  const irc = await execa(process.execPath, [bin('irc'), '--workers', '2', '--server', '127.0.0.1:1', '--nick', 'n', 'cat'], { reject: false, timeout: 10_000 });
  assert.equal(irc.exitCode, 2);
  assert.equal(irc.stderr, 'hamelin-irc: --workers is not offered by hamelin-irc: one bot is one connection to its server');
});

test('OPS-16 --workers 2 with systemd sockets (LISTEN_FDS) is refused before listening', async () => {
  // LISTEN_PID must be the daemon's own pid: a shell sets it, then execs the daemon.
  const r = await execa('sh', ['-c', `LISTEN_PID=$$ LISTEN_FDS=1 exec "${process.execPath}" "${bin('net')}" --workers 2 127.0.0.1 0 cat 3</dev/null`], { reject: false, timeout: 10_000 });
  assert.equal(r.exitCode, 2);
  assert.equal(r.stderr, 'hamelin-net: --workers above 1 cannot serve the sockets systemd passes (LISTEN_FDS): use --workers 1, or let hamelin bind');
});

test('OPS-12 hamelin-ws, hamelin-http and the hamelin command serve under --workers 2; a bad value in a hamelin file fails --check-config', async () => {
  const { WebSocket } = await import('ws');
  const ws = await startDaemon('ws', ['--workers', '2', '--port', '0', 'sh', '-c', 'echo "pid=$$"; read x']);
  const wsWorkers = (await ws.waitLog(/ workers workers=2 pids=(\d+),(\d+)/)).slice(1).map(Number);
  const sock = new WebSocket(`ws://127.0.0.1:${ws.port}/`);
  const msg = await new Promise<string>((r) => sock.on('message', (m) => r(String(m))));
  assert.ok(wsWorkers.includes(workerOf(Number(/pid=(\d+)/.exec(msg)![1]), ws.proc.pid!)), 'a ws worker ran it');
  sock.close();
  assert.equal(await ws.stop(), 0);

  const http = await startDaemon('http', ['--workers', '2', '--port', '0', 'sh', '-c', 'echo "pid=$$"; cat']);
  await http.waitLog(/ workers workers=2 pids=\d+,\d+/);
  assert.match((await httpRequest(`http://127.0.0.1:${http.port}/`)).body, /^pid=\d+\n$/);
  assert.equal(await http.stop(), 0);

  const hub = await startDaemon('hamelin', ['--workers', '2', '--net', '127.0.0.1:0', '--', 'sh', '-c', SCRIPT]);
  const [a, b] = (await hub.waitLog(/ workers workers=2 pids=(\d+),(\d+)/)).slice(1).map(Number);
  const { clients, pids } = await sessions(hub.port, 4);
  assert.deepEqual(new Set(pids.map((p) => workerOf(p, hub.proc.pid!))), new Set([a, b]));
  for (const c of clients) c.socket.end('x\n');
  assert.equal(await hub.stop(), 0);

  const dir = tempDir('hamelin-workers-');
  writeFileSync(join(dir, 'h.yaml'), 'workers: 0\nservices:\n  s:\n    command: [cat]\n    net: { listen: 127.0.0.1:0 }\n');
  const r = await execa(process.execPath, [bin('hamelin'), '--check-config', join(dir, 'h.yaml')], { reject: false, timeout: 10_000 });
  assert.equal(r.exitCode, 2);
  assert.equal(r.stderr, `hamelin: ${join(dir, 'h.yaml')}:1: workers: must be a whole number from 1 to 256, or auto (given: "0")`);
});

test('OPS-07 OPS-13 --workers 2: the agent in the primary weighs the room left in all workers together', async () => {
  const { d } = await twoWorkers(['--agent', '127.0.0.1:0', '--max-clients', '4'], SCRIPT);
  const agent = Number((await d.waitLog(/ agent address=\S+ port=(\d+)/))[1]);
  const ask = async (): Promise<string> => (await dial(agent)).closed.then((b) => b.toString());
  assert.equal(await ask(), 'ready up 100%\n');
  // Each worker's share is 2; one session on each leaves half the room.
  const { clients, pids } = await sessions(d.port, 2);
  assert.equal(new Set(pids.map((p) => workerOf(p, d.proc.pid!))).size, 2);
  await eventually(async () => (await ask()) === 'ready up 50%\n', 'the agent to say 50%');
  for (const c of clients) c.socket.end('x\n');
  await eventually(async () => (await ask()) === 'ready up 100%\n', 'the agent to say 100% again');
  assert.equal(await d.stop(), 0);
});
