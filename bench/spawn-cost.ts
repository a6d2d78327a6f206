/**
 * How long one spawn keeps the event loop busy, for each way hamelin could start a child:
 * `child_process.spawn`, execa 9, and hamelin's own `spawnChild` (packages/core/src/spawn.ts).
 *
 * Same request for each: /bin/true, stdin and stdout piped, stderr inherited, detached (setsid),
 * an explicit environment. Children are started one after the other; each is awaited to its
 * exit before the next. Two figures per layer:
 *  - `call`: the synchronous part of the spawn call (performance.now() around it): the loop
 *    can run nothing else meanwhile (for child_process this includes fork and the wait for exec);
 *  - `busy`: event-loop active time per spawn, from `performance.eventLoopUtilization()`,
 *    over the whole run (spawn, pipe setup, exit and close handling): what each spawn costs
 *    the other sessions.
 *
 * Run alone: `node bench/dist/spawn-cost.js` (after `npx tsc -b`).
 */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { spawnChild } from '@hamelin/core';
import type { BenchRow } from './types.js';

const N = process.env.BENCH_QUICK === '1' ? 100 : 300;
const WARMUP = 20;
const FILE = '/bin/true';
const ENV = { ...process.env };

type Layer = {
  name: string;
  /** Start one child; returns the synchronous call time and a promise of its close. */
  once(): { callMs: number; closed: Promise<unknown> };
};

const layers: Layer[] = [
  {
    name: 'child_process',
    once() {
      const t0 = performance.now();
      const c = spawn(FILE, [], { argv0: 'true', env: ENV, stdio: ['pipe', 'pipe', 'inherit'], detached: true });
      const callMs = performance.now() - t0;
      c.stdout.resume();
      c.stdin.end();
      return { callMs, closed: new Promise((r) => c.once('close', r)) };
    },
  },
  {
    name: 'execa',
    once() {
      const t0 = performance.now();
      const c = execa(FILE, [], {
        argv0: 'true',
        env: ENV,
        extendEnv: false,
        stdio: ['pipe', 'pipe', 'inherit'],
        detached: true,
        buffer: false,
        reject: false,
        cleanup: false,
        stripFinalNewline: false,
      });
      const callMs = performance.now() - t0;
      c.stdout.resume();
      c.stdin.end();
      return { callMs, closed: Promise.resolve(c) };
    },
  },
  {
    name: 'hamelin',
    once() {
      const t0 = performance.now();
      const p = spawnChild({ file: FILE, argv0: 'true', args: [], env: ENV });
      const callMs = performance.now() - t0;
      const closed = p.then((o) => {
        if (!o.ok) throw new Error(`spawnChild: ${o.code} ${o.message}`);
        o.child.stdout.resume();
        o.child.stdin!.end();
        return new Promise<void>((r) => o.child.once('close', () => r()));
      });
      return { callMs, closed };
    },
  },
];

export interface SpawnCost {
  layer: string;
  callP50: number;
  callP99: number;
  busyMs: number;
  perSecond: number;
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.round(p * (sorted.length - 1)))]!;
}

/** Spawns of one layer, `n` of them one after the other; adds to `acc`. */
async function batch(layer: Layer, n: number, acc: { calls: number[]; active: number; wall: number }): Promise<void> {
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const { callMs, closed } = layer.once();
    acc.calls.push(callMs);
    await closed;
  }
  acc.wall += performance.now() - t0;
  acc.active += performance.eventLoopUtilization(elu0).active;
}

/** The layers take turns in rounds, so a burst of load elsewhere on the machine does not
 * land on one layer only. */
export async function spawnCosts(): Promise<SpawnCost[]> {
  const acc = layers.map(() => ({ calls: [] as number[], active: 0, wall: 0 }));
  for (const l of layers) for (let i = 0; i < WARMUP; i++) await l.once().closed;
  const rounds = 6;
  for (let r = 0; r < rounds; r++) for (const [i, l] of layers.entries()) await batch(l, Math.ceil(N / rounds), acc[i]!);
  return layers.map((l, i) => {
    const a = acc[i]!;
    a.calls.sort((x, y) => x - y);
    return {
      layer: l.name,
      callP50: pct(a.calls, 0.5),
      callP99: pct(a.calls, 0.99),
      busyMs: a.active / a.calls.length,
      perSecond: (a.calls.length * 1000) / a.wall,
    };
  });
}

/** The rows of `npm run bench`: hamelin's spawnChild against the two libraries. */
export async function spawnCostRows(): Promise<BenchRow[]> {
  const costs = await spawnCosts();
  const by = (name: string): SpawnCost => costs.find((c) => c.layer === name)!;
  const row = (metric: string, unit: string, higher: boolean, key: keyof Omit<SpawnCost, 'layer'>, note?: string): BenchRow => ({
    group: 'spawn',
    metric,
    unit,
    higherIsBetter: higher,
    hamelin: by('hamelin')[key],
    peers: { child_process: by('child_process')[key], execa: by('execa')[key] },
    ...(note ? { note } : {}),
  });
  return [
    row('spawn call p50', 'ms', false, 'callP50', `synchronous part of one spawn of ${FILE}, detached, pipes, stderr inherited`),
    row('spawn call p99', 'ms', false, 'callP99'),
    row('loop busy/spawn', 'ms', false, 'busyMs', 'event-loop active time per spawn, exit and close included'),
    row('serial spawns', '/s', true, 'perSecond', 'spawn, wait for close, next'),
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const c of await spawnCosts()) {
    console.log(
      `${c.layer.padEnd(14)} call p50 ${c.callP50.toFixed(3)} ms  p99 ${c.callP99.toFixed(3)} ms  busy/spawn ${c.busyMs.toFixed(3)} ms  ${c.perSecond.toFixed(0)} spawns/s`,
    );
  }
  process.exit(0);
}
