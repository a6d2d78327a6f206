/** The report: a table for people, a JSON file for machines, and the exit status. */
import { writeFileSync } from 'node:fs';
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
  const rows = results.map((r) => `${r.id.padEnd(9)} ${r.level.padEnd(6)} ${MARK[r.status].padEnd(4)}  ${r.title}${r.evidence ? `\n${' '.repeat(23)}${r.evidence}` : ''}`);
  const lines = [`${'ID'.padEnd(9)} ${'LEVEL'.padEnd(6)} ${'RES'.padEnd(4)}  CHECK / EVIDENCE`, ...rows, ''];
  const failedMust = results.filter((r) => r.level === 'MUST' && r.status === 'fail').map((r) => r.id);
  const failedOther = results.filter((r) => r.level !== 'MUST' && r.status === 'fail').map((r) => r.id);
  if (failedMust.length) lines.push(`MUST failed: ${failedMust.join(' ')}`);
  if (failedOther.length) lines.push(`SHOULD/MAY failed: ${failedOther.join(' ')}`);
  if (s.info) lines.push(`${s.info} informational: ${results.filter((r) => r.status === 'info').map((r) => r.id).join(' ')}`);
  lines.push(`${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped`);
  return lines.join('\n') + '\n';
}

export function writeJson(file: string, config: Config, results: Result[]): void {
  const report = {
    suite: 'hamelin-conformance',
    spec: '0.2',
    binding: config.binding.name,
    daemon: config.daemon,
    options: config.opts,
    summary: summarize(results),
    results,
  };
  writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
}
