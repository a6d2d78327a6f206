/**
 * hamelin-net against tcpserver, socat and ncat, each serving `cat` on loopback, one at a
 * time, started and stopped here. See bench/README.md for what each row means.
 */
import { join } from 'node:path';
import type { BenchRow, Suite } from '../types.js';
import { log, ROOT, runLoad, sleep, startDaemon, treeMemory, waitChildrenGone, which, type RunningDaemon } from '../lib.js';

const QUICK = process.env.BENCH_QUICK === '1';
const CHURN_S = QUICK ? 1 : 3;
const WARM_S = QUICK ? 1 : 10;
const LATENCY_COUNT = QUICK ? 500 : 2000;
const THROUGHPUT_MB = QUICK ? 50 : 200;
const IDLE = QUICK ? 200 : 1000;

interface Contender {
  name: string;
  /** program that must be on PATH */
  needs: string;
  argv(port: number): string[];
  /** Added to the bench's DAEMON_ENV. */
  env?: Record<string, string>;
  /** only the churn rows (what the spawn layer changes), to keep the run short */
  churnOnly?: boolean;
}

/** The bin users run (npx hamelin-net): it starts node with the daemon's V8 options. */
const HAMELIN_NET = join(ROOT, 'packages', 'net', 'bin', 'hamelin-net.js');

/** `--quiet`: peers log nothing per connection, so hamelin leaves out its info lines too. */
export const hamelin: Contender = {
  name: 'hamelin',
  needs: 'node',
  argv: (p) => [HAMELIN_NET, '--quiet', '--max-clients', '2000', '127.0.0.1', String(p), 'cat'],
};

export const peers: Contender[] = [
  // hamelin itself with its old spawn layer, to show what the spawn server buys.
  { name: 'hamelin-cp', needs: 'node', argv: hamelin.argv, env: { HAMELIN_SPAWN: 'child_process' }, churnOnly: true },
  // hamelin with --unbuffer (CORE-39): what a pseudo-terminal and its relay cost a session.
  { name: 'hamelin-unbuffer', needs: 'node', argv: (p) => [HAMELIN_NET, '--unbuffer', ...hamelin.argv(p).slice(1)], churnOnly: true },
  // -R -H -l0: no ident and no DNS lookups (with them tcpserver drops to ~9 conn/s); -c: its
  // default of 40 concurrent children would queue the idle-connections run.
  { name: 'tcpserver', needs: 'tcpserver', argv: (p) => ['tcpserver', '-RHl0', '-c', '2000', '127.0.0.1', String(p), 'cat'] },
  { name: 'socat', needs: 'socat', argv: (p) => ['socat', `TCP-LISTEN:${p},bind=127.0.0.1,fork,reuseaddr`, 'EXEC:cat'] },
  // -m: ncat's default limit is 100 connections at once.
  { name: 'ncat', needs: 'ncat', argv: (p) => ['ncat', '-l', '127.0.0.1', String(p), '--keep-open', '-m', '2000', '--exec', '/bin/cat'] },
];

type Figures = Record<string, number | null>;

interface Live {
  c: Contender;
  d: RunningDaemon;
  f: Figures;
}

const ROUNDS = 3;

async function attempt(l: Live, what: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    log(`${l.c.name} ${what} failed: ${(e as Error).message.split('\n')[0]} ${l.d.stderrTail().slice(-300)}`);
  }
}

/**
 * Churn in rounds: every contender runs CHURN_S/ROUNDS seconds in turn, ROUNDS times, so
 * load from elsewhere on the machine falls on all of them alike. conn/s = all connections
 * over all their time; p50 = the median of the rounds' medians.
 */
async function churn(live: Live[], conc: number, key: string): Promise<void> {
  const acc = new Map(live.map((l) => [l, { n: 0, ms: 0, p50: [] as number[], errors: 0 }]));
  for (let r = 0; r < ROUNDS; r++) {
    for (const l of live) {
      await attempt(l, `churn c=${conc}`, async () => {
        const x = await runLoad(['churn', '127.0.0.1', l.d.port, conc, CHURN_S / ROUNDS]);
        const a = acc.get(l)!;
        a.n += x.connections!;
        a.ms += x.elapsed_ms!;
        a.p50.push(x.p50_ms!);
        a.errors += x.errors!;
      });
    }
  }
  for (const [l, a] of acc) {
    if (a.ms === 0) continue;
    l.f[key] = (a.n * 1000) / a.ms;
    a.p50.sort((x, y) => x - y);
    l.f[`${key}_p50`] = a.p50[Math.floor(a.p50.length / 2)]!;
    if (a.errors) log(`${l.c.name} churn c=${conc}: ${a.errors} failed connections`);
  }
}

async function measureAll(contenders: Contender[]): Promise<Map<string, Figures>> {
  const live: Live[] = [];
  for (const c of contenders) {
    try {
      live.push({ c, d: await startDaemon(c.name, c.argv, c.env), f: {} });
    } catch (e) {
      log(`${c.name}: ${(e as Error).message}`);
    }
  }
  try {
    log(`churn, ${ROUNDS} rounds: ${live.map((l) => l.c.name).join(', ')}`);
    // WARM_S s of churn each first, unmeasured: the rows are a long-lived daemon's, not those of
    // one whose per-connection path V8 is still compiling (suites/ws.ts measures that apart).
    for (const l of live) await attempt(l, 'warm-up', async () => void (await runLoad(['churn', '127.0.0.1', l.d.port, 8, WARM_S])));
    await churn(live, 1, 'churn1');
    await churn(live, 8, 'churn8');
    const full = live.filter((l) => !l.c.churnOnly);
    for (const l of live) if (l.c.churnOnly) await stop(l);
    log('echo latency, throughput');
    for (const l of full) {
      await waitChildrenGone(l.d.proc.pid!);
      await attempt(l, 'latency', async () => {
        // The first pass on a daemon is also reported: hamelin's per-line path is still being
        // compiled by V8 then (here its p99 was 0.9-1.3 ms on the first pass, 0.12-0.17 ms on
        // the next). The p50/p99 rows are the second pass, the steady state of a long-lived daemon.
        const first = await runLoad(['latency', '127.0.0.1', l.d.port, LATENCY_COUNT]);
        l.f['lat_p99_first'] = first.p99_ms!;
        const r = await runLoad(['latency', '127.0.0.1', l.d.port, LATENCY_COUNT]);
        l.f['lat_p50'] = r.p50_ms!;
        l.f['lat_p99'] = r.p99_ms!;
      });
    }
    // two rounds of half the bytes each, best of the two (a run is short: one hiccup elsewhere
    // on the machine would otherwise decide it)
    const stalled = new Set<Live>();
    for (let r = 0; r < 2; r++) {
      for (const l of full) {
        if (stalled.has(l)) continue;
        stalled.add(l); // until it completes
        await attempt(l, 'throughput', async () => {
          const x = await runLoad(['throughput', '127.0.0.1', l.d.port, THROUGHPUT_MB / 2]).catch((e: { stdout?: string }) => {
            if (e.stdout) return JSON.parse(e.stdout) as Record<string, number>;
            throw e;
          });
          if (x.received !== x.bytes) throw new Error(`stalled: received ${x.received} of ${x.bytes} bytes`);
          l.f['mbps'] = Math.max(l.f['mbps'] ?? 0, x.mb_per_s!);
          stalled.delete(l);
        });
      }
    }
    for (const l of full) {
      await waitChildrenGone(l.d.proc.pid!);
      log(`${l.c.name}: ${IDLE} idle connections`);
      await attempt(l, 'idle', async () => {
        l.f['idle_pss'] = (await idleMemory(l.d)).after;
      });
      await stop(l);
    }
    // The same on a daemon that has served nothing: its baseline and what each idle connection
    // adds. After the throughput row a garbage-collected daemon keeps part of the heap it grew
    // (here hamelin's 1000-idle PSS was 40 MiB in one run and 71 in the next), so the row
    // above depends on what came before it; these two do not.
    for (const l of full) {
      await attempt(l, 'fresh idle', async () => {
        const d = await startDaemon(l.c.name, l.c.argv, l.c.env);
        try {
          log(`${l.c.name}: ${IDLE} idle connections on a fresh daemon`);
          const m = await idleMemory(d);
          l.f['fresh_base'] = m.before;
          l.f['fresh_per_conn'] = Math.max(0, ((m.after - m.before) * 1024) / IDLE); // tcpserver's own process grows by nothing (noise can be below 0)
        } finally {
          await waitChildrenGone(d.proc.pid!, 5000);
          await d.stop();
        }
      });
    }
  } finally {
    for (const l of live) await stop(l);
  }
  return new Map(live.map((l) => [l.c.name, l.f]));
}

const stopped = new WeakSet<Live>();
async function stop(l: Live): Promise<void> {
  if (stopped.has(l)) return;
  stopped.add(l);
  await waitChildrenGone(l.d.proc.pid!, 5000);
  await l.d.stop();
}

/** Hold IDLE connections open (each answered once, so its child runs), then measure. */
async function idleMemory(d: RunningDaemon): Promise<{ before: number; after: number }> {
  const before = treeMemory(d.proc.pid!).pssMiB;
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
    return { before, after: m.pssMiB };
  } finally {
    p.stdin.end();
    await new Promise((res) => p.once('close', res));
  }
}

const suite: Suite = async () => {
  const contenders = [hamelin, ...peers.filter((p) => which(p.needs) !== null)];
  for (const p of peers) if (!which(p.needs)) log(`${p.name} is not installed: its column stays empty`);
  const figures = await measureAll(contenders);
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
    row('churn8_p50', 'churn c=8 p50', 'ms', false),
    row('lat_p50', 'echo p50', 'ms', false, `round trip of one line on an open connection (${LATENCY_COUNT})`),
    row('lat_p99', 'echo p99', 'ms', false),
    row('lat_p99_first', 'echo p99, first pass', 'ms', false, 'the same on the connection before, the first of the daemon (cold JIT)'),
    row('mbps', 'throughput', 'MB/s', true, `${THROUGHPUT_MB} MB of 100-byte lines through one connection and back`),
    row('idle_pss', `${IDLE} idle conns`, 'MiB', false, "PSS of the daemon process tree, cat processes excluded, after the rows above (hamelin's node shares its text pages with the bench's own node: its RSS sum, in the log, is the upper bound)"),
    row('fresh_base', 'fresh daemon, no client', 'MiB', false, 'PSS of a daemon that has served nothing yet'),
    row('fresh_per_conn', 'each idle conn adds', 'KiB', false, `PSS growth of that daemon with ${IDLE} idle connections, per connection (a forking peer's is its process)`),
  ];
};

export default suite;
