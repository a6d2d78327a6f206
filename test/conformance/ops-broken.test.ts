/**
 * The OPS checks fail what breaks OPS-04 or OPS-05, naming the right id: a real hamelin-net
 * behind test/fixtures/conformance/ops-wrapper.mjs, broken one way per run. Its `pass` mode
 * shows the wrapper alone breaks nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bin, fixture } from '../helpers/paths.js';
import { suitePool } from '../helpers/conformance.js';

const pool = suitePool(2);
const wrapped = (mode: string) =>
  pool(['net', '--hamelin', '--slow', '2', '--only', 'OPS-04,OPS-05'], [process.execPath, fixture('conformance/ops-wrapper.mjs'), mode, '{admin}', '--', process.execPath, bin('net'), '--admin', '127.0.0.1:0', '{host}', '{port}', '{command}']);

const CASES: [mode: string, fails: string[], evidence: RegExp, how: string][] = [
  ['pass', [], /2 passed, 0 failed/, 'passes on everything (the wrapper itself breaks nothing)'],
  ['healthz-200', ['OPS-04'], /saw 200 "ok\\n", 200 "ok\\n", 200 "ok\\n"/, 'answers /healthz 200 while draining'],
  ['cuts-sessions', ['OPS-05'], /expected session A still echoes after POST \/drain \(202\)/, 'shuts down (cutting live sessions) on a drain'],
  ['exit-1', ['OPS-05'], /expected exit status 0 within 5 s of the last session ending; saw exit 1/, 'exits 1 after a drain'],
  ['leaves-process', ['OPS-05'], /expected no process of the daemon left once it exited; saw still running: \d+/, 'leaves a process behind when it exits'],
];

const runs = CASES.map(([mode]) => wrapped(mode));
for (const r of runs) r.catch(() => undefined);

CASES.forEach(([mode, fails, evidence, how], i) => {
  test(`${fails.join(' ') || 'OPS-04 OPS-05'}: the suite ${fails.length ? 'fails' : 'passes'} a daemon that ${how} (ops-wrapper ${mode})`, async () => {
    const r = await runs[i]!;
    assert.deepEqual(r.ids('fail'), fails, r.explain());
    assert.equal(r.code, fails.length ? 1 : 0, r.explain());
    assert.match(r.stdout, evidence, r.explain());
  });
});
