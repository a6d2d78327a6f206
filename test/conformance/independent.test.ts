/**
 * hamelin-conformance against daemons that are not hamelin's: their_daemon.py, a small
 * independent Python implementation run as the example, and a bare command on a
 * terminal with no daemon at all. Each fails exactly the requirements it does not meet.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixture } from '../helpers/paths.js';
import { expectFailures, suitePool } from '../helpers/conformance.js';

const limited = suitePool(2);

const runs = {
  bareTty: limited(['tty', '--jobs', '3', '--slow', '2'], ['{command}']),
  python: limited(
    ['net', '--jobs', '3', '--slow', '2', '--only', 'CORE-01,CORE-02,CORE-03,CORE-04,CORE-05,CORE-06,CORE-07,CORE-08,CORE-11,CORE-12,CORE-13,CORE-15,CORE-16,CORE-18,CORE-19,CORE-23,NET-03,NET-04,NET-05,NET-06,NET-07'],
    ['python3', fixture('conformance/their_daemon.py'), '{host}', '{port}', '{command}'],
  ),
};

test('python3 their_daemon.py (the issue\'s example): passes the data, environment and signal checks; fails CORE-15 CORE-16 CORE-18 CORE-19', async () => {
  const r = await runs.python;
  expectFailures(r, ['CORE-15', 'CORE-16', 'CORE-18', 'CORE-19']);
  assert.match(r.results.find((x) => x.id === 'CORE-15')!.evidence, /grandchild \d+: no signal/);
  assert.match(r.results.find((x) => x.id === 'CORE-18')!.evidence, /bad port: exactly one line on stderr; saw exit 1; stderr "Traceback/);
});

test('TTY-03 TTY-05 TTY-08 TTY-09 TTY-10 TTY-11 TTY-14 TTY-16: the bare command on a terminal, no daemon at all, fails what only a daemon does', async () => {
  const r = await runs.bareTty;
  // No terminal check (03), no line settings (05), no SIGTERM after ^D's grace (08), SIGHUP
  // rather than SIGTERM on hangup (09) and SIGINT on ^C (14), no H- variables (10, 11), no log (16).
  expectFailures(r, ['TTY-03', 'TTY-05', 'TTY-08', 'TTY-09', 'TTY-10', 'TTY-11', 'TTY-14', 'TTY-16']);
  assert.match(r.results.find((x) => x.id === 'TTY-09')!.evidence, /saw child: SIGHUP/);
  assert.match(r.results.find((x) => x.id === 'TTY-14')!.evidence, /saw SIGINT/);
});
