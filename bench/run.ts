/**
 * `npm run bench`: every suite in bench/suites/ (net, ws, http, ...) plus the spawn-layer
 * rows, printed as one table and written to bench/results/latest.json.
 * BENCH_QUICK=1 shortens every run (for trying the bench, not for figures).
 * `npm run bench -- net spawn` (or BENCH_ONLY=net,spawn) runs only those groups (suite file
 * names; `spawn` is bench/spawn-cost; `workers` is the --workers 2 / --workers 1 churn rows), and
 * `npm run bench -- ws:pipelined,idle` only those parts of a group that has parts (select.ts).
 */
import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BENCH_DIR, loadgen, log, RESULTS_DIR, ROOT } from './lib.js';
import { parseSelection } from './select.js';
import { spawnCostRows } from './spawn-cost.js';
import type { BenchRow, Suite } from './types.js';

const suiteDir = join(BENCH_DIR, 'dist', 'suites');
const files = readdirSync(suiteDir)
  .filter((f) => f.endsWith('.js'))
  .sort((a, b) => (a === 'net.js' ? -1 : b === 'net.js' ? 1 : a.localeCompare(b)));
const suites = new Map<string, { run?: Suite; parts: readonly string[]; error?: Error }>();
for (const f of files) {
  try {
    const mod = (await import(pathToFileURL(join(suiteDir, f)).href)) as { default?: Suite; parts?: readonly string[] };
    suites.set(f.slice(0, -3), { run: mod.default, parts: mod.parts ?? [] });
  } catch (e) {
    suites.set(f.slice(0, -3), { parts: [], error: e as Error }); // reported as that suite's failure
  }
}
const groups = new Map<string, readonly string[]>([...[...suites].map(([g, s]) => [g, s.parts] as const), ['spawn', []]]);
let only: ReturnType<typeof parseSelection>;
try {
  only = parseSelection([process.env.BENCH_ONLY ?? '', ...process.argv.slice(2)], groups);
} catch (e) {
  process.stderr.write(`bench: ${(e as Error).message}\n`);
  process.exit(2);
}
const started = Date.now();
const loadBefore = loadavg()[0]!;
const rows: BenchRow[] = [];
const failures: string[] = [];

await loadgen();

for (const [name, s] of suites) {
  if (only && !only.has(name)) continue;
  const parts = only?.get(name) ?? null;
  log(`suite ${name}${parts ? ` (${[...parts].join(', ')})` : ''}`);
  const t0 = Date.now();
  try {
    if (s.error) throw s.error;
    if (typeof s.run !== 'function') throw new Error('no default-exported Suite');
    rows.push(...(await s.run(parts)));
  } catch (e) {
    failures.push(`${name}: ${(e as Error).message}`);
    log(`suite ${name} failed: ${(e as Error).stack ?? e}`);
  }
  log(`suite ${name} took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}
if (!only || only.has('spawn')) {
  log('spawn cost');
  try {
    rows.push(...(await spawnCostRows()));
  } catch (e) {
    failures.push(`spawn: ${(e as Error).message}`);
    log(`spawn cost failed: ${(e as Error).stack ?? e}`);
  }
}

const loadAfter = loadavg()[0]!;
const table = render(rows);
process.stdout.write(table);
process.stdout.write(
  `${cpus().length} CPUs, node ${process.version}, load average ${loadBefore.toFixed(1)} at start and ${loadAfter.toFixed(1)} at the end` +
    ` (anything else running on the machine lowers every figure; compare columns of one run, not runs).\n`,
);
for (const f of failures) process.stdout.write(`FAILED ${f}\n`);

let commit = '';
try {
  commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
} catch {
  /* not a git checkout */
}
mkdirSync(RESULTS_DIR, { recursive: true });
const json = {
  date: new Date().toISOString(),
  commit,
  node: process.version,
  cpus: cpus().length,
  cpu: cpus()[0]?.model ?? '',
  seconds: Math.round((Date.now() - started) / 1000),
  quick: process.env.BENCH_QUICK === '1',
  loadavg: { start: loadBefore, end: loadAfter },
  rows: rows.map((r) => ({ ...r, ratios: ratios(r) })),
  table,
  failures,
};
writeFileSync(join(RESULTS_DIR, 'latest.json'), JSON.stringify(json, null, 2) + '\n');
log(`wrote bench/results/latest.json (${json.seconds} s)`);
process.exit(failures.length ? 1 : 0);

function ratios(r: BenchRow): Record<string, number | null> {
  return Object.fromEntries(
    Object.entries(r.peers).map(([k, v]) => [k, r.hamelin !== null && v !== null && v !== 0 ? r.hamelin / v : null]),
  );
}

function fmt(v: number | null): string {
  if (v === null || !Number.isFinite(v)) return '-';
  const a = Math.abs(v);
  return a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : a >= 1 ? v.toFixed(2) : v.toFixed(3);
}

/**
 * One table. Peers differ from group to group (tcpserver for net, websocketd for ws), so
 * each row lists its own: cell `name figure (hamelin/peer)`.
 */
function render(all: BenchRow[]): string {
  const width = Math.max(0, ...all.map((r) => Object.keys(r.peers).length));
  const head = ['group', 'metric', 'unit', 'hamelin', ...Array.from({ length: width }, (_, i) => `peer ${i + 1} (hamelin/peer)`)];
  const body = all.map((r) => {
    const rs = ratios(r);
    const cells = Object.entries(r.peers).map(([p, v]) => `${p} ${fmt(v ?? null)} (${rs[p] == null ? '-' : fmtRatio(rs[p]!)})`);
    while (cells.length < width) cells.push('');
    return [r.group, r.metric, `${r.unit} ${r.higherIsBetter ? '↑' : '↓'}`, fmt(r.hamelin), ...cells];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]): string => '| ' + cells.map((c, i) => (i === 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ') + ' |\n';
  let out = line(head);
  out += '|' + widths.map((w, i) => (i === 3 ? '-'.repeat(w + 1) + ':' : '-'.repeat(w + 2))).join('|') + '|\n';
  for (const b of body) out += line(b);
  out += '↑ higher is better, ↓ lower is better; (x) = hamelin figure / peer figure.\n';
  return out;
}

function fmtRatio(x: number): string {
  return x >= 100 ? `${x.toFixed(0)}x` : x >= 0.01 ? `${x.toFixed(2)}x` : `${x.toFixed(4)}x`;
}
