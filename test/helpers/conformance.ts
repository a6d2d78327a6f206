/** Run hamelin-conformance as a user would (its CLI, a real daemon) and read its JSON report. */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bin } from './paths.js';

export interface SuiteResult {
  id: string;
  level: string;
  status: 'pass' | 'fail' | 'skip' | 'info';
  evidence: string;
}

export interface SuiteRun {
  code: number | null;
  stdout: string;
  stderr: string;
  results: SuiteResult[];
  ids(status: SuiteResult['status']): string[];
  /** One line per non-passing check, for assertion messages. */
  explain(): string;
}

export async function runSuite(args: string[], daemon: string[], opts: { env?: NodeJS.ProcessEnv } = {}): Promise<SuiteRun> {
  const dir = mkdtempSync(join(tmpdir(), 'hc-test-'));
  const json = join(dir, 'report.json');
  const child = spawn(process.execPath, [bin('conformance'), ...args, '--json', json, '--', ...daemon], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: opts.env ?? process.env,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  let results: SuiteResult[] = [];
  try {
    results = (JSON.parse(readFileSync(json, 'utf8')) as { results: SuiteResult[] }).results;
  } catch {
    /* no report: the assertion on code/stdout says why */
  }
  rmSync(dir, { recursive: true, force: true });
  return {
    code,
    stdout,
    stderr,
    results,
    ids: (status) => results.filter((r) => r.status === status).map((r) => r.id).sort(),
    explain: () =>
      results
        .filter((r) => r.status !== 'pass')
        .map((r) => `${r.id} ${r.status}: ${r.evidence}`)
        .join('\n') + `\n--- stdout:\n${stdout}\n--- stderr:\n${stderr}`,
  };
}

/** At most `n` suite runs at once in this test file: each runs several checks in parallel. */
export function suitePool(n: number): (args: string[], daemon: string[]) => Promise<SuiteRun> {
  let running = 0;
  const queue: (() => void)[] = [];
  return (args, daemon) =>
    new Promise<SuiteRun>((resolve, reject) => {
      const go = (): void => {
        running++;
        runSuite(args, daemon)
          .then(resolve, reject)
          .finally(() => {
            running--;
            queue.shift()?.();
          });
      };
      if (running < n) go();
      else queue.push(go);
    });
}
