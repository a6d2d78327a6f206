/**
 * hamelin-conformance against small daemons that are wrong on purpose
 * (test/fixtures/conformance/mini-daemon.mjs): the correct one passes every check it can be
 * asked for, and each flag that breaks one promise fails exactly the requirements it breaks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixture } from '../helpers/paths.js';
import { expectFailures, suitePool, type SuiteRun } from '../helpers/conformance.js';

const mini = (...flags: string[]): string[] => [process.execPath, fixture('conformance/mini-daemon.mjs'), ...flags, '{options}', '{host}', '{port}', '{command}'];
const KILL_AFTER = ['--opt', 'kill-after=--kill-after {n}'];

const limited = suitePool(2);
const suite = (only: string | null, flags: string[]): Promise<SuiteRun> =>
  limited(['net', '--jobs', '3', '--slow', '2', ...KILL_AFTER, ...(only ? ['--only', only] : [])], mini(...flags));

const runs = {
  good: suite(null, []),
  ignore: suite('CORE-03,CORE-13,CORE-14,CORE-15,NET-04,NET-05,NET-06', ['--ignore-disconnect']),
  shell: suite('CORE-01,CORE-02,CORE-08,CORE-13,CORE-23', ['--shell']),
  nohvars: suite('CORE-04,CORE-08,CORE-09,CORE-10,CORE-11,CORE-23,NET-02,NET-03', ['--no-hvars']),
  pidonly: suite('CORE-13,CORE-14,CORE-15,CORE-22,NET-05', ['--pid-only']),
  nolinger: suite('CORE-05,CORE-15,NET-07', ['--no-linger']),
};

test('a correct independent daemon passes every check it offers the options for; the rest are skipped with the reason', async () => {
  const r = await runs.good;
  expectFailures(r, []);
  assert.deepEqual(r.ids('skip'), ['CORE-20', 'CORE-21', 'CORE-25', 'NET-09'], r.explain());
  assert.deepEqual(r.ids('info'), ['CORE-17', 'CORE-24'], r.explain());
  assert.match(r.results.find((x) => x.id === 'CORE-20')!.evidence, /--opt max-clients=/);
});

test('CORE-13 CORE-14 NET-05 NET-06: a daemon that ignores disconnects fails exactly those', async () => {
  expectFailures(await runs.ignore, ['CORE-13', 'CORE-14', 'NET-05', 'NET-06']);
});

test('CORE-02: a daemon that runs the command through a shell fails exactly argv', async () => {
  const r = await runs.shell;
  expectFailures(r, ['CORE-02']);
  assert.match(r.results.find((x) => x.id === 'CORE-02')!.evidence, /expected the arguments .*; saw/);
});

test('CORE-08..CORE-11 NET-02 NET-03: a daemon that sets no H- variables fails exactly those', async () => {
  expectFailures(await runs.nohvars, ['CORE-08', 'CORE-09', 'CORE-10', 'CORE-11', 'NET-02', 'NET-03']);
});

test('CORE-13 CORE-14 CORE-15 CORE-22: a daemon that signals only the pid, not the group, fails exactly those', async () => {
  const r = await runs.pidonly;
  expectFailures(r, ['CORE-13', 'CORE-14', 'CORE-15', 'CORE-22']);
  assert.match(r.results.find((x) => x.id === 'CORE-13')!.evidence, /grandchild \d+: no signal/);
});

test('NET-07: a daemon that closes without draining unread input (RST) fails exactly that', async () => {
  expectFailures(await runs.nolinger, ['NET-07']);
});
