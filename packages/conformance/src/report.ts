/** The report: a table for people, a JSON file for machines, and the exit status. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from './package-root.js';
import { PROBE_ARGV } from './probe-binary.js';
import type { Config, Result } from './runner.js';

export interface Summary {
  passed: number;
  failed: number;
  skipped: number;
  info: number;
  /** True when every MUST that ran passed: the exit status is 0. */
  ok: boolean;
}

export function summarize(results: Result[]): Summary {
  const count = (s: Result['status']): number => results.filter((r) => r.status === s).length;
  return {
    passed: count('pass'),
    failed: count('fail'),
    skipped: count('skip'),
    info: count('info'),
    ok: !results.some((r) => r.level === 'MUST' && r.status === 'fail'),
  };
}

const MARK: Record<Result['status'], string> = { pass: 'pass', fail: 'FAIL', skip: 'skip', info: 'info' };

export function table(results: Result[]): string {
  const s = summarize(results);
  const rows = results.map((r) => {
    const follows = r.followsFrom ? `(follows from ${r.followsFrom}) ` : '';
    const text = follows + r.evidence;
    return `${r.id.padEnd(9)} ${r.level.padEnd(6)} ${MARK[r.status].padEnd(4)}  ${r.title}${text ? `\n${' '.repeat(23)}${text}` : ''}`;
  });
  const lines = [`${'ID'.padEnd(9)} ${'LEVEL'.padEnd(6)} ${'RES'.padEnd(4)}  CHECK / EVIDENCE`, ...rows, ''];
  const failedMust = results.filter((r) => r.level === 'MUST' && r.status === 'fail').map((r) => r.id);
  const failedOther = results.filter((r) => r.level !== 'MUST' && r.status === 'fail').map((r) => r.id);
  if (failedMust.length) lines.push(`MUST failed: ${failedMust.join(' ')}`);
  if (failedOther.length) lines.push(`SHOULD/MAY failed: ${failedOther.join(' ')}`);
  const roots = new Map<string, number>();
  for (const r of results) if (r.followsFrom) roots.set(r.followsFrom, (roots.get(r.followsFrom) ?? 0) + 1);
  if (roots.size) {
    const list = [...roots].sort((a, b) => b[1] - a[1]).map(([id, n]) => `${id} (${n} other failure${n === 1 ? ' follows' : 's follow'} from it)`);
    lines.push(`Likely root cause${roots.size === 1 ? '' : 's'}: ${list.join(', ')}`);
  }
  const skipped = results.filter((r) => r.status === 'skip');
  if (skipped.length) lines.push(`Skipped: ${skipped.map((r) => r.id).join(' ')} (the reason is under each)`);
  if (s.info) lines.push(`${s.info} informational: ${results.filter((r) => r.status === 'info').map((r) => r.id).join(' ')}`);
  lines.push(`${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped`);
  return lines.join('\n') + '\n';
}

/** The suite's own version (its package.json). */
export const VERSION: string = (
  JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }
).version;

/** When the run began and ended (ISO 8601, UTC). */
export interface RunTimes {
  started: string;
  finished: string;
}

export function writeJson(file: string, config: Config, results: Result[], times: RunTimes): void {
  const report = {
    suite: 'hamelin-conformance',
    version: VERSION,
    spec: '0.2',
    node: process.version,
    /** The probe the daemon ran for each session: the C one, or node with probe.js (probe-binary.ts). */
    probe: PROBE_ARGV,
    ...times,
    binding: config.binding.name,
    /** The daemon's argv as given, with its placeholders; each result's `daemons` has the argv each run got. */
    daemon: config.daemon,
    options: config.opts,
    strict: config.strict,
    summary: summarize(results),
    results,
  };
  writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
}
