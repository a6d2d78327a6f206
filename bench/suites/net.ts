/**
 * hamelin-net against tcpserver, socat and ncat, each serving `cat` on loopback, one at a
 * time, started and stopped here. See bench/README.md for what each row means.
 */
import { join } from 'node:path';
import type { BenchRow, Suite } from '../types.js';
import { log, ROOT, runLoad, sleep, startDaemon, treeMemory, waitChildrenGone, which, type RunningDaemon } from '../lib.js';

const QUICK = process.env.BENCH_QUICK === '1';
const CHURN_S = QUICK ? 1 : 3;
const LATENCY_COUNT = QUICK ? 500 : 2000;
const THROUGHPUT_MB = QUICK ? 50 : 200;
const IDLE = QUICK ? 200 : 1000;

interface Contender {
  name: string;
  /** program that must be on PATH */
  needs: string;
  argv(port: number): string[];
  env?: NodeJS.ProcessEnv;
  /** only the churn rows (what the spawn layer changes), to keep the run short */
  churnOnly?: boolean;
}

const HAMELIN_NET = join(ROOT, 'packages', 'net', 'dist', 'cli.js');

/** `--quiet`: peers log nothing per connection, so hamelin leaves out its info lines too. */
export const hamelin: Contender = {
  name: 'hamelin',
  needs: 'node',
  argv: (p) => [process.execPath, HAMELIN_NET, '--quiet', '--max-clients', '2000', '127.0.0.1', String(p), 'cat'],
};

export const peers: Contender[] = [
  // hamelin itself with its old spawn layer, to show what the spawn server buys.
  { name: 'hamelin-cp', needs: 'node', argv: hamelin.argv, env: { ...process.env, HAMELIN_SPAWN: 'child_process' }, churnOnly: true },
  // -R -H -l0: no ident and no DNS lookups (with them tcpserver drops to ~9 conn/s); -c: its
  // default of 40 concurrent children would queue the idle-connections run.
  { name: 'tcpserver', needs: 'tcpserver', argv: (p) => ['tcpserver', '-RHl0', '-c', '2000', '127.0.0.1', String(p), 'cat'] },
  { name: 'socat', needs: 'socat', argv: (p) => ['socat', `TCP-LISTEN:${p},bind=127.0.0.1,fork,reuseaddr`, 'EXEC:cat'] },
  // -m: ncat's default limit is 100 connections at once.
  { name: 'ncat', needs: 'ncat', argv: (p) => ['ncat', '-l', '127.0.0.1', String(p), '--keep-open', '-m', '2000', '--exec', '/bin/cat'] },
];

type Figures = Record<string, number | null>;

async function measure(c: Contender): Promise<Figures> {
  const f: Figures = {};
  let d: RunningDaemon;
  try {
    d = await startDaemon(c.name, c.argv, c.env);
  } catch (e) {
    log(`${c.name}: ${(e as Error).message}`);
    return f;
  }
  const step = async (what: string, fn: () => Promise<void>): Promise<void> => {
    try {
      await fn();
    } catch (e) {
      log(`${c.name} ${what} failed: ${(e as Error).message.split('\n')[0]} ${d.stderrTail().slice(-300)}`);
    }
  };
  try {
    log(`${c.name}: churn`);
    await runLoad(['churn', '127.0.0.1', d.port, 1, 0.5]); // warm-up
    await step('churn c=1', async () => {
      const r = await runLoad(['churn', '127.0.0.1', d.port, 1, CHURN_S]);
      f['churn1'] = r.per_s!;
      f['churn1_p50'] = r.p50_ms!;
      if (r.errors) log(`${c.name} churn c=1: ${r.errors} failed connections`);
    });
    await step('churn c=8', async () => {
      const r = await runLoad(['churn', '127.0.0.1', d.port, 8, CHURN_S]);
      f['churn8'] = r.per_s!;
      if (r.errors) log(`${c.name} churn c=8: ${r.errors} failed connections`);
    });
    if (c.churnOnly) return f;
    await waitChildrenGone(d.proc.pid!);
    log(`${c.name}: latency, throughput`);
    await step('latency', async () => {
      const r = await runLoad(['latency', '127.0.0.1', d.port, LATENCY_COUNT]);
      f['lat_p50'] = r.p50_ms!;
      f['lat_p99'] = r.p99_ms!;
    });
    await step('throughput', async () => {
      const r = await runLoad(['throughput', '127.0.0.1', d.port, THROUGHPUT_MB]).catch((e: { stdout?: string }) => {
        if (e.stdout) return JSON.parse(e.stdout) as Record<string, number>;
        throw e;
      });
      if (r.received !== r.bytes) throw new Error(`stalled: received ${r.received} of ${r.bytes} bytes`);
      f['mbps'] = r.mb_per_s!;
    });
    await waitChildrenGone(d.proc.pid!);
    log(`${c.name}: ${IDLE} idle connections`);
    await step('idle', async () => {
      f['idle_pss'] = await idleMemory(d);
    });
  } finally {
    await waitChildrenGone(d.proc.pid!);
    await d.stop();
  }
  return f;
}

/** Hold IDLE connections open (each answered once, so its child runs), then measure. */
async function idleMemory(d: RunningDaemon): Promise<number> {
  const { loadgen } = await import('../lib.js');
  const { spawn } = await import('node:child_process');
  const bin = await loadgen();
  const p = spawn(bin, ['idle', '127.0.0.1', String(d.port), String(IDLE)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    p.stdout.setEncoding('utf8').on('data', (s: string) => {
      out += s;
      if (out.includes('\n')) resolve(out);
    });
    p.once('exit', () => reject(new Error(`idle client exited: ${out}`)));
  });
  const r = JSON.parse(line) as { answered: number };
  try {
    if (r.answered !== IDLE) throw new Error(`only ${r.answered} of ${IDLE} connections answered`);
    await sleep(500); // let allocations settle
    const m = treeMemory(d.proc.pid!);
    log(`${d.name}: ${IDLE} idle: PSS ${m.pssMiB.toFixed(1)} MiB, RSS sum ${m.rssMiB.toFixed(1)} MiB, ${m.processes} processes (cat excluded)`);
    return m.pssMiB;
  } finally {
    p.stdin.end();
    await new Promise((res) => p.once('close', res));
  }
}

const suite: Suite = async () => {
  const contenders = [hamelin, ...peers.filter((p) => which(p.needs) !== null)];
  for (const p of peers) if (!which(p.needs)) log(`${p.name} is not installed: its column stays empty`);
  const figures = new Map<string, Figures>();
  for (const c of contenders) figures.set(c.name, await measure(c));
  const row = (key: string, metric: string, unit: string, higherIsBetter: boolean, note?: string): BenchRow => ({
    group: 'net',
    metric,
    unit,
    higherIsBetter,
    hamelin: figures.get('hamelin')?.[key] ?? null,
    peers: Object.fromEntries(peers.map((p) => [p.name, figures.get(p.name)?.[key] ?? null])),
    ...(note ? { note } : {}),
  });
  return [
    row('churn1', 'churn c=1', 'conn/s', true, 'connect, one line, read its echo, close; 1 client'),
    row('churn8', 'churn c=8', 'conn/s', true, 'the same with 8 clients at once'),
    row('churn1_p50', 'churn c=1 p50', 'ms', false, 'one whole connection at c=1'),
    row('lat_p50', 'echo p50', 'ms', false, `round trip of one line on an open connection (${LATENCY_COUNT})`),
    row('lat_p99', 'echo p99', 'ms', false),
    row('mbps', 'throughput', 'MB/s', true, `${THROUGHPUT_MB} MB of 100-byte lines through one connection and back`),
    row('idle_pss', `${IDLE} idle conns`, 'MiB', false, 'PSS of the daemon process tree, cat processes excluded'),
  ];
};

export default suite;
