/**
 * hamelin-ws against websocketd, both serving `cat` on loopback, driven by the same C client,
 * loadgen.c (ws-churn, ws-latency, ws-pipelined, ws-idle), for every row: a Node client would
 * take CPU from the daemon on the same 2 cores and be part of what is measured. One daemon at
 * a time, started and stopped here.
 *
 * Rows: connection churn at concurrency 1 and 8, and the daemon's CPU per connection, warm and
 * in a fresh daemon's first seconds; echo latency p50/p99 on an open connection; pipelined
 * throughput in messages per second; how many of 10 bursts of 10,000 pipelined messages
 * complete within 10 s; the daemon's memory with 1,000 idle connections (RSS of the daemon's
 * process tree, `cat` excluded), fresh and after the rows above; memory at scale (`scale`:
 * up to 10,000 idle connections and children, as many as the fd limit allows); and how long a
 * daemon takes to start, with the CPU it spends doing so (`start`).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { BenchRow, Suite } from '../types.js';
import { daemonCpuMs, holdLoad, log, processTree, ROOT, runLoad, sleep, startDaemon, treeMemory, waitChildrenGone, which, type RunningDaemon } from '../lib.js';

/** What `npm run bench -- ws:PART,...` can pick; each row below belongs to one. */
export const parts = ['churn', 'echo', 'pipelined', 'bursts', 'idle', 'fresh', 'scale', 'start'] as const;
type Part = (typeof parts)[number];

const QUICK = process.env.BENCH_QUICK === '1';
const CHURN_S = QUICK ? 1 : 3;
/** Churn before the measured churn rows, after the cold one (see measureOne). */
const WARM_S = QUICK ? 2 : 10;
const LATENCY_COUNT = QUICK ? 500 : 2000;
/** Echo runs per daemon: the rows give their median, and the spread (max - min) beside it. */
const LATENCY_RUNS = QUICK ? 3 : 5;
/** What the daemons run: its CPU is not the daemon's. */
const SCRIPT_COMMS = new Set(['cat']);
const PIPELINE = 20_000;
/** A second, larger pipelined run, reported in the log: websocketd stalls on it here. */
const PIPELINE_BIG = QUICK ? 0 : 100_000;
const BURSTS = 10;
const BURST_SIZE = 10_000;
const BURST_LIMIT_MS = 10_000;
const IDLE = QUICK ? 200 : 1000;
/** Starts per daemon for the `start` rows, which give their medians. */
const START_RUNS = QUICK ? 3 : 9;
/**
 * The memory-at-scale row: this many idle connections, so as many children, on a fresh daemon.
 * Its fd limit: the client's socket and two stdio ones per session in hamelin-ws, the client's
 * socket and three pipes per child in websocketd, and room for the rest. Where the hard limit is
 * lower and cannot be raised (no CAP_SYS_RESOURCE: this machine's 20,000, even for root), the
 * row holds as many as fit both daemons, and its name says how many.
 */
const SCALE_WANTED = QUICK ? 2000 : 10_000;
const nofileFor = (n: number): number => n * 4 + 1024;
/** `hard`: the hard limit that could not be raised, when `n` is below SCALE_WANTED. */
function scaleCount(): { n: number; nofile: number; hard?: number } {
  const want = nofileFor(SCALE_WANTED);
  const raised = spawnSync('/bin/sh', ['-c', `ulimit -Hn ${want} 2>/dev/null || [ "$(ulimit -Hn)" = unlimited ] || [ "$(ulimit -Hn)" -ge ${want} ]`]).status === 0;
  if (raised) return { n: SCALE_WANTED, nofile: want };
  const hard = Number(spawnSync('/bin/sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).stdout.trim());
  const n = Math.floor((hard - 1024) / 4 / 100) * 100;
  return { n, nofile: nofileFor(n), hard };
}
const { n: SCALE, nofile: SCALE_NOFILE, hard: HARD_NOFILE } = scaleCount();

interface Contender {
  name: string;
  needs: string;
  argv(port: number): string[];
  /** The same daemon with its connection limit above SCALE. */
  scaleArgv(port: number): string[];
}

/** The bin users run (npx hamelin-ws): it starts node with the daemon's V8 options. */
const HAMELIN_WS = join(ROOT, 'packages', 'ws', 'bin', 'hamelin-ws.js');

const hamelin: Contender = {
  name: 'hamelin',
  needs: 'node',
  argv: (p) => [HAMELIN_WS, '--quiet', '--max-clients', '2000', '--host', '127.0.0.1', '--port', String(p), 'cat'],
  scaleArgv: (p) => [HAMELIN_WS, '--quiet', '--max-clients', String(SCALE + 100), '--host', '127.0.0.1', '--port', String(p), 'cat'],
};

// --loglevel error: no access line per connection, as hamelin --quiet. --maxforks: its
// default of 1024 would refuse part of the idle run (the readiness probe holds none).
const websocketd: Contender = {
  name: 'websocketd',
  needs: 'websocketd',
  argv: (p) => ['websocketd', '--address', '127.0.0.1', '--port', String(p), '--loglevel', 'error', '--maxforks', '2000', 'cat'],
  scaleArgv: (p) => ['websocketd', '--address', '127.0.0.1', '--port', String(p), '--loglevel', 'error', '--maxforks', String(SCALE + 100), 'cat'],
};

type Figures = Record<string, number | null>;

/** Connect, one message, its echo, the closing handshake: loadgen.c's ws-churn, the same C
 * client as the net rows, so that a Node client does not take the daemon's CPU. */
async function churn(port: number, concurrency: number, seconds: number, pid?: number): Promise<{ perS: number; p50: number; errors: number; cpuUs: number | null }> {
  const cpu0 = pid === undefined ? 0 : daemonCpuMs(pid, SCRIPT_COMMS);
  const r = await runLoad(['ws-churn', '127.0.0.1', port, concurrency, seconds]);
  const n = r.connections ?? 0;
  const cpuUs = pid === undefined || n === 0 ? null : Math.round(((daemonCpuMs(pid, SCRIPT_COMMS) - cpu0) * 1000) / n);
  return { perS: r.per_s!, p50: r.p50_ms!, errors: r.errors!, cpuUs };
}

/** Round trips of one message on an open connection (loadgen.c's ws-latency). */
async function latency(port: number, count: number): Promise<{ p50: number; p99: number }> {
  const r = await runLoad(['ws-latency', '127.0.0.1', port, count]);
  return { p50: r.p50_ms!, p99: r.p99_ms! };
}

/** Send `n` messages at once on a fresh connection (loadgen.c's ws-pipelined: a writer thread
 * sends while the main one counts echoes); resolve with the ms until all came back, or null
 * when they did not within `limitMs`. */
async function pipelined(name: string, port: number, n: number, limitMs: number): Promise<number | null> {
  const r = await runLoad(['ws-pipelined', '127.0.0.1', port, n, limitMs], limitMs + 30_000);
  if (r.complete && r.bytes_received !== r.bytes_expected) {
    log(`${name}: ${n} pipelined: ${r.bytes_received} payload bytes came back for ${r.bytes_expected} sent`);
  }
  if (!r.complete) log(`${name}: ${n} pipelined: ${r.received} of ${n} echoes within ${limitMs / 1000} s`);
  return r.complete ? r.elapsed_ms! : null;
}

/** RSS sum of the daemon's tree before and with `n` idle connections, held by loadgen.c's
 * ws-idle (one epoll set, each connection answered once so its child runs). */
async function idleMemory(d: RunningDaemon, n: number): Promise<{ before: number; after: number }> {
  const before = treeMemory(d.proc.pid!).rssMiB;
  const held = await holdLoad(['ws-idle', '127.0.0.1', d.port, n]);
  let m: ReturnType<typeof treeMemory> | undefined;
  try {
    if (held.first.answered !== n) throw new Error(`only ${held.first.answered} of ${n} connections answered (${held.first.failed} failed)`);
    log(`${d.name}: ${n} connections open and answered in ${held.first.setup_ms} ms`);
    await sleep(500); // let allocations settle
    m = treeMemory(d.proc.pid!);
  } finally {
    const { last } = await held.release();
    // a connection the daemon dropped while held would make the figure a lower one
    if (m && last.dropped) throw new Error(`${last.dropped} of ${n} idle connections were dropped by the daemon while held`);
    if (m) log(`${d.name}: ${n} idle: RSS sum ${m.rssMiB.toFixed(1)} MiB, PSS ${m.pssMiB.toFixed(1)} MiB, ${m.processes} processes (cat excluded); released: ${JSON.stringify(last)}`);
  }
  return { before, after: m!.rssMiB };
}

async function measure(c: Contender, want: (p: Part) => boolean): Promise<Figures> {
  const f: Figures = {};
  if ((['churn', 'echo', 'pipelined', 'bursts', 'idle'] as const).some(want)) await measureOne(c, want, f);
  if (want('fresh')) await measureFresh(c, f);
  if (want('scale')) {
    await measureScale(c.name, c.scaleArgv, SCALE, SCALE_NOFILE, 'scale', f);
    if (c === hamelin) await measureScaleWorkers(f);
  }
  if (want('start')) await measureStart(c, f);
  return f;
}

/** The rows measured one after the other on one daemon, in this order. */
async function measureOne(c: Contender, want: (p: Part) => boolean, f: Figures): Promise<void> {
  let d: RunningDaemon;
  try {
    d = await startDaemon(c.name, c.argv);
  } catch (e) {
    log(`${c.name}: ${(e as Error).message}`);
    return;
  }
  const step = async (what: string, fn: () => Promise<void>): Promise<void> => {
    try {
      await fn();
    } catch (e) {
      log(`${c.name} ${what} failed: ${(e as Error).message.split('\n')[0]} ${d.stderrTail().slice(-300)}`);
    }
  };
  try {
    if (want('churn')) {
      log(`${c.name}: churn`);
      // A daemon's first seconds of churn are not its steady state: V8 is still compiling
      // hamelin's per-connection path (15% of the daemon's CPU in a perf profile of them), and a
      // long-lived daemon pays that once. So the first CHURN_S s are measured apart (the `cold`
      // row), then WARM_S s unmeasured, for websocketd alike, then the rows below.
      await step('churn c=8, cold', async () => {
        const r = await churn(d.port, 8, CHURN_S, d.proc.pid!);
        f['cpu8_cold'] = r.cpuUs;
        log(`${c.name}: churn c=8 on the fresh daemon ${r.perS} conn/s, daemon CPU ${r.cpuUs} us per connection`);
      });
      await churn(d.port, 8, WARM_S).catch(() => undefined);
      await step('churn c=1', async () => {
        const r = await churn(d.port, 1, CHURN_S);
        f['churn1'] = r.perS;
        f['churn1_p50'] = r.p50;
        if (r.errors) log(`${c.name} churn c=1: ${r.errors} failed connections`);
      });
      await step('churn c=8', async () => {
        const r = await churn(d.port, 8, CHURN_S, d.proc.pid!);
        f['churn8'] = r.perS;
        f['cpu8'] = r.cpuUs;
        log(`${c.name}: churn c=8 ${r.perS} conn/s, daemon CPU ${r.cpuUs} us per connection`);
        if (r.errors) log(`${c.name} churn c=8: ${r.errors} failed connections`);
      });
      await waitChildrenGone(d.proc.pid!);
    }
    if (want('echo')) {
      log(`${c.name}: latency`);
      await step('latency', async () => {
        // First pass reported apart: a cold JIT on hamelin's side (see suites/net.ts).
        f['lat_p99_first'] = (await latency(d.port, LATENCY_COUNT)).p99;
        // The echo rows swing with the machine's load: the median of several runs, and how far
        // apart the runs were.
        const runs: { p50: number; p99: number }[] = [];
        for (let i = 0; i < LATENCY_RUNS; i++) runs.push(await latency(d.port, LATENCY_COUNT));
        for (const k of ['p50', 'p99'] as const) {
          const v = runs.map((r) => r[k]).sort((a, b) => a - b);
          f[`lat_${k}`] = v[Math.floor(v.length / 2)]!;
          f[`lat_${k}_spread`] = Number((v[v.length - 1]! - v[0]!).toFixed(3));
          log(`${c.name}: echo ${k} over ${LATENCY_RUNS} runs: ${v.join(', ')} ms`);
        }
      });
    }
    if (want('pipelined')) {
      log(`${c.name}: pipelined`);
      await step('pipelined', async () => {
        // Best of 3 completed runs: one connection's figure is at the mercy of the scheduler on
        // 2 cores. A run whose echoes do not all come back within 15 s counts as failed.
        let best: number | null = null;
        let failed = 0;
        for (let i = 0; i < 3; i++) {
          const ms = await pipelined(c.name, d.port, PIPELINE, 15_000);
          if (ms === null) failed++;
          else best = Math.max(best ?? 0, PIPELINE / (ms / 1000));
        }
        f['pipelined'] = best;
        if (failed) log(`${c.name}: ${failed} of 3 runs of ${PIPELINE} pipelined messages did not complete within 15 s`);
        if (PIPELINE_BIG) {
          const ms = await pipelined(c.name, d.port, PIPELINE_BIG, 15_000);
          log(`${c.name}: ${PIPELINE_BIG} pipelined: ${ms === null ? 'did not complete within 15 s' : `${Math.round(PIPELINE_BIG / (ms / 1000))} msg/s`}`);
        }
      });
    }
    if (want('bursts')) {
      log(`${c.name}: bursts`);
      await step('bursts', async () => {
        let ok = 0;
        for (let i = 0; i < BURSTS; i++) if ((await pipelined(c.name, d.port, BURST_SIZE, BURST_LIMIT_MS)) !== null) ok++;
        f['bursts'] = ok;
        log(`${c.name}: ${ok} of ${BURSTS} bursts of ${BURST_SIZE} completed within ${BURST_LIMIT_MS / 1000} s`);
      });
    }
    if (want('idle')) {
      await waitChildrenGone(d.proc.pid!);
      log(`${c.name}: ${IDLE} idle connections`);
      await step('idle', async () => {
        f['idle_rss'] = (await idleMemory(d, IDLE)).after;
      });
    }
  } finally {
    await waitChildrenGone(d.proc.pid!);
    await d.stop();
  }
}

/** The same idle run on a daemon that has served nothing yet: its baseline, and what each idle
 * connection adds to it. After the load above, a daemon's heap has grown and part of it stays,
 * so the `idle` row is the higher figure for a garbage-collected daemon. */
async function measureFresh(c: Contender, f: Figures): Promise<void> {
  try {
    const fresh = await startDaemon(c.name, c.argv);
    try {
      log(`${c.name}: ${IDLE} idle connections on a fresh daemon`);
      const m = await idleMemory(fresh, IDLE);
      f['fresh_base'] = m.before;
      f['fresh_per_conn'] = ((m.after - m.before) * 1024) / IDLE;
    } finally {
      await waitChildrenGone(fresh.proc.pid!);
      await fresh.stop();
    }
  } catch (e) {
    log(`${c.name} fresh idle failed: ${(e as Error).message.split('\n')[0]}`);
  }
}

/**
 * `n` idle connections on a fresh daemon, each answered once so its child runs: the RSS sum of
 * the daemon's tree (cat left out) with them, what each added, and how fast they opened (50 at
 * a time), as `${key}_rss`, `${key}_per_conn`, `${key}_open`. The children are counted, so a
 * daemon that quietly refused some cannot pass.
 */
async function measureScale(name: string, argv: (port: number) => string[], n: number, nofile: number, key: string, f: Figures): Promise<void> {
  let d: RunningDaemon;
  try {
    d = await startDaemon(name, argv, undefined, nofile);
  } catch (e) {
    log(`${name} scale: ${(e as Error).message.split('\n')[0]}`);
    return;
  }
  try {
    log(`${name}: ${n} idle connections on a fresh daemon (fd limit ${nofile}${n < SCALE_WANTED ? `: the hard limit allows no more, so not ${SCALE_WANTED}` : ''})`);
    const before = treeMemory(d.proc.pid!).rssMiB;
    const held = await holdLoad(['ws-idle', '127.0.0.1', d.port, n]);
    try {
      const { answered, failed, setup_ms: setupMs } = held.first;
      if (answered !== n) throw new Error(`only ${answered} of ${n} connections answered (${failed} failed) ${d.stderrTail().slice(-300)}`);
      await sleep(1000); // let allocations settle
      const m = treeMemory(d.proc.pid!);
      const children = processTree(d.proc.pid!).filter((p) => p.comm === 'cat').length;
      if (children !== n) throw new Error(`${children} cat processes for ${n} connections`);
      f[`${key}_rss`] = m.rssMiB;
      f[`${key}_per_conn`] = ((m.rssMiB - before) * 1024) / n;
      f[`${key}_open`] = n / (setupMs! / 1000);
      log(`${name}: ${n} idle: RSS sum ${m.rssMiB.toFixed(1)} MiB (fresh ${before.toFixed(1)}), PSS ${m.pssMiB.toFixed(1)} MiB, ${m.processes} processes besides ${children} cat, opened in ${setupMs} ms`);
    } finally {
      const { last } = await held.release();
      log(`${name}: released: ${JSON.stringify(last)}`);
      if (last.dropped) f[`${key}_rss`] = f[`${key}_per_conn`] = null;
    }
  } catch (e) {
    log(`${name} scale failed: ${(e as Error).message.split('\n')[0]}`);
  } finally {
    if (!(await waitChildrenGone(d.proc.pid!, 120_000))) log(`${name}: children still running 120 s after the scale run`);
    await d.stop();
  }
}

/**
 * Where the hard limit holds a single daemon under SCALE_WANTED, hamelin-ws can still serve
 * them all: each `--workers` worker is a process with a descriptor table of its own, so two
 * hold 5,000 sessions each at 3 descriptors a session (the primary hands each connection on
 * and keeps none). websocketd is one process with 4 descriptors a connection: 40,000 for
 * 10,000, twice this machine's limit, so its cell stays empty.
 */
const SCALE_WORKERS = 2;
async function measureScaleWorkers(f: Figures): Promise<void> {
  const hard = HARD_NOFILE;
  if (hard === undefined) return; // one daemon holds SCALE_WANTED: the rows above are the figure
  const perWorker = Math.ceil(SCALE_WANTED / SCALE_WORKERS);
  if (perWorker * 3 + 1024 > hard) {
    log(`hamelin --workers ${SCALE_WORKERS} scale: ${perWorker} sessions a worker need more than the hard limit ${hard}`);
    return;
  }
  // --max-clients is divided among the workers (OPS-14); the primary's round robin is not
  // exactly even, so each worker's share has room above its half.
  const argv = (p: number): string[] => [HAMELIN_WS, '--quiet', '--workers', String(SCALE_WORKERS), '--max-clients', String(Math.floor((hard - 1024) / 3) * SCALE_WORKERS), '--host', '127.0.0.1', '--port', String(p), 'cat'];
  await measureScale(`hamelin --workers ${SCALE_WORKERS}`, argv, SCALE_WANTED, hard, 'scale_w', f);
}

const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;

/**
 * START_RUNS starts of the daemon, each until it accepts a connection (polled every 20 ms, the
 * same for both): the wall time, and the CPU its own processes had spent by then (10 ms ticks).
 * What every `npx hamelin-ws`, restart and --workers worker costs before its first client.
 */
async function measureStart(c: Contender, f: Figures): Promise<void> {
  const wall: number[] = [];
  const cpu: number[] = [];
  try {
    for (let i = 0; i < START_RUNS; i++) {
      const t0 = performance.now();
      const d = await startDaemon(c.name, c.argv);
      wall.push(performance.now() - t0);
      cpu.push(daemonCpuMs(d.proc.pid!, SCRIPT_COMMS));
      await d.stop();
    }
    f['start_ms'] = median(wall);
    f['start_cpu'] = median(cpu);
    log(`${c.name}: ${START_RUNS} starts: ${wall.map((w) => w.toFixed(0)).join(', ')} ms; CPU ${cpu.join(', ')} ms`);
  } catch (e) {
    log(`${c.name} start failed: ${(e as Error).message.split('\n')[0]}`);
  }
}

const suite: Suite = async (picked) => {
  const want = (p: Part): boolean => picked === null || picked.has(p);
  const peers = [websocketd];
  const contenders = [hamelin, ...peers.filter((p) => which(p.needs) !== null)];
  for (const p of peers) if (!which(p.needs)) log(`${p.name} is not installed: its column stays empty`);
  const figures = new Map<string, Figures>();
  for (const c of contenders) figures.set(c.name, await measure(c, want));
  const row = (part: Part, key: string, metric: string, unit: string, higherIsBetter: boolean, note?: string): BenchRow & { part: Part } => ({
    part,
    group: 'ws',
    metric,
    unit,
    higherIsBetter,
    hamelin: figures.get('hamelin')?.[key] ?? null,
    peers: Object.fromEntries(peers.map((p) => [p.name, figures.get(p.name)?.[key] ?? null])),
    ...(note ? { note } : {}),
  });
  const rows = [
    row('churn', 'churn1', 'churn c=1', 'conn/s', true, 'connect, one message, read its echo, closing handshake; 1 client (loadgen.c)'),
    row('churn', 'churn8', 'churn c=8', 'conn/s', true, 'the same with 8 clients at once'),
    row('churn', 'churn1_p50', 'churn c=1 p50', 'ms', false, 'one whole connection at c=1'),
    row('churn', 'cpu8', 'churn c=8, daemon CPU per connection', 'µs', false, "the daemon's own processes (utime+stime), not cat"),
    row('churn', 'cpu8_cold', `the same, first ${CHURN_S} s of a fresh daemon`, 'µs', false, `before ${WARM_S} s of churn that the row above comes after (V8 still compiling)`),
    row('echo', 'lat_p50', 'echo p50', 'ms', false, `round trip of one message on an open connection (${LATENCY_COUNT}), median of ${LATENCY_RUNS} runs`),
    row('echo', 'lat_p50_spread', 'echo p50, spread of the runs', 'ms', false, 'max - min of those runs'),
    row('echo', 'lat_p99', 'echo p99', 'ms', false, `median of ${LATENCY_RUNS} runs`),
    row('echo', 'lat_p99_spread', 'echo p99, spread of the runs', 'ms', false),
    row('echo', 'lat_p99_first', 'echo p99, first pass', 'ms', false, 'the same on the connection before, the first of the daemon (cold JIT)'),
    row('pipelined', 'pipelined', 'pipelined', 'msg/s', true, `${PIPELINE} messages sent at once on one connection, until the last echo (best of 3)`),
    row('bursts', 'bursts', `bursts of ${BURST_SIZE / 1000}k`, `of ${BURSTS}`, true, `bursts of ${BURST_SIZE} pipelined messages whose echoes all arrive within ${BURST_LIMIT_MS / 1000} s`),
    row('idle', 'idle_rss', `${IDLE} idle conns`, 'MiB', false, 'RSS sum of the daemon process tree, cat processes excluded, after the rows above'),
    row('fresh', 'fresh_base', 'fresh daemon, no client', 'MiB', false, 'RSS sum of a daemon that has served nothing yet'),
    row('fresh', 'fresh_per_conn', 'each idle conn adds', 'KiB', false, `RSS growth of that daemon with ${IDLE} idle connections, per connection`),
    row('scale', 'scale_rss', `${SCALE} idle conns, fresh daemon`, 'MiB', false, `RSS sum of the daemon's tree, cat excluded, with ${SCALE} connections and children`),
    row('scale', 'scale_per_conn', `each of ${SCALE} adds`, 'KiB', false, 'RSS growth per connection over the fresh daemon'),
    row('scale', 'scale_open', `opening ${SCALE}`, 'conn/s', true, 'how fast they were opened, 50 at a time, each answered once'),
    ...(HARD_NOFILE !== undefined
      ? [
          row('scale', 'scale_w_rss', `${SCALE_WANTED} idle conns, --workers ${SCALE_WORKERS}`, 'MiB', false, `the same for hamelin-ws with ${SCALE_WANTED} connections and children over ${SCALE_WORKERS} workers, a descriptor table each; websocketd would need ${SCALE_WANTED * 4} descriptors in its one process`),
          row('scale', 'scale_w_per_conn', `each of ${SCALE_WANTED} adds, --workers ${SCALE_WORKERS}`, 'KiB', false, 'RSS growth per connection over the fresh daemon (primary and workers)'),
          row('scale', 'scale_w_open', `opening ${SCALE_WANTED}, --workers ${SCALE_WORKERS}`, 'conn/s', true, 'how fast they were opened, 50 at a time, each answered once'),
        ]
      : []),
    row('start', 'start_ms', 'start, until it accepts a connection', 'ms', false, `from spawn, median of ${START_RUNS} starts`),
    row('start', 'start_cpu', 'start, CPU spent by then', 'ms', false, "the daemon's own processes (utime+stime), median of the same starts"),
  ];
  // the rows of the parts measured, without the part tag
  return rows.filter((r) => want(r.part)).map(({ part: _part, ...r }) => r);
};

export default suite;
