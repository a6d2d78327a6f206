/**
 * Issue 17's flake hunt: run the whole hamelin-conformance suite against hamelin's own daemons
 * several times in a row per binding, exactly as test/conformance/hamelin-*.test.ts run it, and
 * report every check that ever failed, with its evidence. Not part of `npm test` (it takes
 * minutes per run); run it after changing a check or a daemon's timing:
 *
 *   node test/dist/soak/conformance-repeat.js [--runs 10] [ws http net unix tty irc]
 *
 * Exits 1 if any run of any binding had a failing check.
 */
import { parseArgs } from 'node:util';
import { bin } from '../helpers/paths.js';
import { runSuite, type SuiteRun } from '../helpers/conformance.js';

const DAEMONS: Record<string, string[]> = {
  net: [process.execPath, bin('net'), '{host}', '{port}', '{command}'],
  unix: [process.execPath, bin('net'), 'unix:{path}', '{command}'],
  ws: [process.execPath, bin('ws'), '--host', '{host}', '--port', '{port}', '{command}'],
  http: [process.execPath, bin('http'), '--host', '{host}', '--port', '{port}', '{command}'],
  tty: [process.execPath, bin('tty'), '--log-file', '{log}', '{command}'],
  irc: [process.execPath, bin('irc'), '--server', '{server}', '--nick', '{nick}', '--channel', '{channel}', '{command}'],
};

const { values, positionals } = parseArgs({ options: { runs: { type: 'string', default: '10' } }, allowPositionals: true });
const runs = Number(values.runs);
const bindings = positionals.length ? positionals : ['ws', 'http'];
for (const b of bindings) if (!DAEMONS[b]) throw new Error(`no such binding ${b}: one of ${Object.keys(DAEMONS).join(', ')}`);

interface Tally {
  seconds: number[];
  checks: number;
  failures: { run: number; id: string; evidence: string }[];
}
const tallies = new Map<string, Tally>();
for (const binding of bindings) {
  const t: Tally = { seconds: [], checks: 0, failures: [] };
  tallies.set(binding, t);
  for (let run = 1; run <= runs; run++) {
    const started = Date.now();
    const r: SuiteRun = await runSuite([binding, '--hamelin', '--jobs', '3', '--slow', '2'], DAEMONS[binding]!);
    const s = (Date.now() - started) / 1000;
    t.seconds.push(s);
    t.checks = r.results.length;
    const failed = r.results.filter((x) => x.status === 'fail');
    for (const f of failed) t.failures.push({ run, id: f.id, evidence: f.evidence });
    if (r.results.length === 0) t.failures.push({ run, id: '(no report)', evidence: `exit ${r.code}: ${r.stderr.slice(0, 300)}` });
    const summary = /\n(\d+ passed, \d+ failed, \d+ skipped)\n$/.exec(r.stdout)?.[1] ?? `exit ${r.code}`;
    console.log(`${binding} run ${run}/${runs}: ${summary} in ${s.toFixed(1)} s${failed.length ? `: ${failed.map((f) => f.id).join(', ')}` : ''}`);
  }
}

console.log('\nbinding  runs  checks  failed runs  time per run (min / median / max, s)');
let bad = false;
for (const [binding, t] of tallies) {
  const sorted = [...t.seconds].sort((a, b) => a - b);
  const failedRuns = new Set(t.failures.map((f) => f.run)).size;
  bad ||= failedRuns > 0;
  console.log(
    `${binding.padEnd(8)} ${String(runs).padStart(4)}  ${String(t.checks).padStart(6)}  ${String(failedRuns).padStart(11)}  ` +
      `${sorted[0]!.toFixed(1)} / ${sorted[Math.floor(sorted.length / 2)]!.toFixed(1)} / ${sorted[sorted.length - 1]!.toFixed(1)}`,
  );
  for (const f of t.failures) console.log(`  run ${f.run} ${f.id}: ${f.evidence}`);
}
process.exit(bad ? 1 : 0);
