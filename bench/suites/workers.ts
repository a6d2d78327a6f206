/**
 * `--workers 2` beside `--workers 1` (OPS-12): connection churn on hamelin-net, hamelin-ws and
 * hamelin-http, each serving `cat`, driven by loadgen.c (churn, ws-churn, http-churn: one line
 * in, its echo back, close). For each daemon both configurations run at once and take turns,
 * round by round, so load from elsewhere on the machine falls on both alike; the row's
 * `hamelin` figure is `--workers 2` and its one peer `--workers 1`, so the ratio is what the
 * second worker adds. The log has each process's CPU per connection at c=8 (the primary, which
 * accepts every connection and hands it to a worker, and each worker), the figures that say
 * where a second worker's time goes on this machine. bench/README.md says how to read them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchRow, Suite } from '../types.js';
import { log, processTree, ROOT, runLoad, sleep, startDaemon, waitChildrenGone, type RunningDaemon } from '../lib.js';

const QUICK = process.env.BENCH_QUICK === '1';
const CHURN_S = QUICK ? 1 : 3;
const ROUNDS = 3;
const WORKERS = [1, 2] as const;

/** The bins users run: each starts node with the daemon's V8 options. */
const bin = (pkg: string): string => join(ROOT, 'packages', pkg, 'bin', `hamelin-${pkg}.js`);

interface Kind {
  /** the daemon, as the rows name it */
  name: 'net' | 'ws' | 'http';
  /** loadgen.c's churn mode for its protocol */
  mode: 'churn' | 'ws-churn' | 'http-churn';
  argv(port: number, workers: number): string[];
}

// --quiet and --max-clients 2000 as in the net and ws suites, so that `--workers 1` here is the
// configuration of their rows.
const KINDS: Kind[] = [
  { name: 'net', mode: 'churn', argv: (p, w) => [bin('net'), '--quiet', '--max-clients', '2000', '--workers', String(w), '127.0.0.1', String(p), 'cat'] },
  { name: 'ws', mode: 'ws-churn', argv: (p, w) => [bin('ws'), '--quiet', '--max-clients', '2000', '--workers', String(w), '--host', '127.0.0.1', '--port', String(p), 'cat'] },
  { name: 'http', mode: 'http-churn', argv: (p, w) => [bin('http'), '--quiet', '--max-clients', '2000', '--workers', String(w), '--host', '127.0.0.1', '--port', String(p), 'cat'] },
];

type Figures = Record<string, number | null>;

interface Live {
  workers: number;
  d: RunningDaemon;
  f: Figures;
}

/** utime + stime of one process, in ms (USER_HZ is 100 on Linux). */
function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return 0;
  }
}

/** The daemon's own processes, `cat` excluded: the primary, the workers, the spawn servers (one
 * per worker; their CPU is added up under one label). */
function ownProcesses(pid: number): { pid: number; label: string }[] {
  const tree = processTree(pid).filter((p) => p.comm !== 'cat');
  const workers = tree.filter((p) => p.ppid === pid && p.comm === 'node').map((p) => p.pid);
  return tree.map((p) => ({
    pid: p.pid,
    label: p.pid === pid ? (workers.length ? 'primary' : 'daemon') : workers.includes(p.pid) ? `worker ${workers.indexOf(p.pid) + 1}` : p.comm.startsWith('hamelin-spawn') ? 'spawn servers' : p.comm,
  }));
}

/**
 * Warm up until every worker has served: the primary starts the first worker alone and the
 * others once it serves (OPS-12), and the port accepts as soon as the first one listens, so a
 * round that started at once would give every connection to the first. A worker has served
 * when a `cat` was seen under it (its spawn server's child) while a warm-up churn runs.
 */
async function warmUp(kind: Kind, l: Live): Promise<void> {
  const pid = l.d.proc.pid!;
  const deadline = Date.now() + 15_000;
  const served = new Set<number>();
  for (;;) {
    const load = runLoad([kind.mode, '127.0.0.1', l.d.port, 2, 0.5]).catch(() => undefined);
    let running = true;
    void load.then(() => (running = false));
    while (running) {
      const tree = processTree(pid);
      const parent = new Map(tree.map((p) => [p.pid, p.ppid]));
      for (const cat of tree.filter((p) => p.comm === 'cat')) {
        // climb to the primary's direct child: the worker that started this cat
        let at = cat.pid;
        while (parent.has(at) && parent.get(at) !== pid) at = parent.get(at)!;
        if (parent.get(at) === pid) served.add(at);
      }
      await sleep(10);
    }
    await load;
    if (l.workers === 1 || served.size >= l.workers) return;
    if (Date.now() > deadline) throw new Error(`--workers ${l.workers}: only ${served.size} served within 15 s`);
  }
}

/**
 * Churn in rounds, as suites/net.ts does it: each configuration runs CHURN_S/ROUNDS seconds in
 * turn, ROUNDS times. conn/s = all connections over all their time; p50 = median of the rounds'
 * medians. At c=8 the CPU each of the daemon's processes spent is logged per connection.
 */
async function churn(kind: Kind, live: Live[], conc: number, key: string): Promise<void> {
  const acc = new Map(live.map((l) => [l, { n: 0, ms: 0, p50: [] as number[], errors: 0, cpu: new Map<string, number>() }]));
  for (let r = 0; r < ROUNDS; r++) {
    for (const l of live) {
      try {
        const procs = ownProcesses(l.d.proc.pid!);
        const before = procs.map((p) => cpuMs(p.pid));
        const x = await runLoad([kind.mode, '127.0.0.1', l.d.port, conc, CHURN_S / ROUNDS]);
        const a = acc.get(l)!;
        procs.forEach((p, i) => a.cpu.set(p.label, (a.cpu.get(p.label) ?? 0) + cpuMs(p.pid) - before[i]!));
        a.n += x.connections!;
        a.ms += x.elapsed_ms!;
        a.p50.push(x.p50_ms!);
        a.errors += x.errors!;
      } catch (e) {
        log(`${kind.name} --workers ${l.workers} churn c=${conc} failed: ${(e as Error).message.split('\n')[0]} ${l.d.stderrTail().slice(-300)}`);
      }
    }
  }
  for (const [l, a] of acc) {
    if (a.ms === 0 || a.n === 0) continue;
    l.f[key] = (a.n * 1000) / a.ms;
    a.p50.sort((x, y) => x - y);
    l.f[`${key}_p50`] = a.p50[Math.floor(a.p50.length / 2)]!;
    if (a.errors) log(`${kind.name} --workers ${l.workers} churn c=${conc}: ${a.errors} failed connections`);
    const cpu = [...a.cpu].map(([label, ms]) => `${label} ${((ms * 1000) / a.n).toFixed(0)}`).join(', ');
    log(`${kind.name} --workers ${l.workers} churn c=${conc}: ${l.f[key]!.toFixed(0)} conn/s; CPU per connection, µs (10 ms ticks): ${cpu}`);
  }
}

async function measure(kind: Kind): Promise<Map<number, Figures>> {
  const live: Live[] = [];
  try {
    for (const workers of WORKERS) {
      try {
        const l: Live = { workers, d: await startDaemon(`hamelin-${kind.name} --workers ${workers}`, (p) => kind.argv(p, workers)), f: {} };
        live.push(l);
        await warmUp(kind, l);
      } catch (e) {
        log(`${kind.name} --workers ${workers}: ${(e as Error).message}`);
      }
    }
    log(`${kind.name}: warmed up; churn, ${ROUNDS} rounds, --workers ${live.map((l) => l.workers).join(' and ')}`);
    await churn(kind, live, 1, 'churn1');
    await churn(kind, live, 8, 'churn8');
  } finally {
    for (const l of live) {
      await waitChildrenGone(l.d.proc.pid!, 5000);
      await l.d.stop();
    }
    log(`${kind.name}: stopped`);
  }
  return new Map(live.map((l) => [l.workers, l.f]));
}

const suite: Suite = async () => {
  const rows: BenchRow[] = [];
  for (const kind of KINDS) {
    const figures = await measure(kind);
    const row = (key: string, metric: string, unit: string, higherIsBetter: boolean, note?: string): BenchRow => ({
      group: 'workers',
      metric: `${kind.name} ${metric}`,
      unit,
      higherIsBetter,
      hamelin: figures.get(2)?.[key] ?? null,
      peers: { '--workers 1': figures.get(1)?.[key] ?? null },
      ...(note ? { note } : {}),
    });
    rows.push(
      row('churn1', 'churn c=1, --workers 2', 'conn/s', true, `loadgen ${kind.mode}, 1 client; beside the same daemon with --workers 1, in turns`),
      row('churn8', 'churn c=8, --workers 2', 'conn/s', true, 'the same with 8 clients at once'),
      row('churn8_p50', 'churn c=8 p50, --workers 2', 'ms', false, 'one whole connection at c=8'),
    );
  }
  return rows;
};

export default suite;
