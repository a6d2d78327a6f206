/**
 * hamelin-conformance against the peers installed here (socat, tcpserver, ncat): the suite
 * reports their known faults; websocketd on the ws binding (../shared/notes/peers.md). Subsets keep this file fast; within
 * each subset the failing set is exact. A missing binary fails the test loudly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { runSuite, type SuiteRun } from '../helpers/conformance.js';

function need(binary: string): void {
  try {
    execFileSync('sh', ['-c', `command -v ${binary}`], { stdio: 'pipe' });
  } catch {
    assert.fail(`${binary} is not installed: .ci/run installs it (apt-get); this test cannot run without it`);
  }
}

const peer = (only: string, daemon: string[]): Promise<SuiteRun> => runSuite(['net', '--jobs', '3', '--slow', '2', '--only', only], daemon);

test('socat (fork EXEC): no H- variables, signals only the pid so the grandchild survives (CORE-08 CORE-11 CORE-13 CORE-15)', async () => {
  need('socat');
  const r = await peer('CORE-03,CORE-04,CORE-08,CORE-11,CORE-13,CORE-15,NET-04,NET-05', ['socat', 'TCP-LISTEN:{port},bind={host},reuseaddr,fork', 'EXEC:{command}']);
  assert.deepEqual(r.ids('fail'), ['CORE-08', 'CORE-11', 'CORE-13', 'CORE-15'], r.explain());
  assert.match(r.results.find((x) => x.id === 'CORE-13')!.evidence, /grandchild \d+: no signal/);
  assert.equal(r.code, 1);
});

test('tcpserver -RHl0: no H- variables, no signal on disconnect, RST loses output on unread input (CORE-08 CORE-13 NET-05 NET-07)', async () => {
  need('tcpserver');
  const r = await peer('CORE-03,CORE-04,CORE-08,CORE-12,CORE-13,NET-04,NET-05,NET-07', ['tcpserver', '-RHl0', '{host}', '{port}', '{command}']);
  assert.deepEqual(r.ids('fail'), ['CORE-08', 'CORE-13', 'NET-05', 'NET-07'], r.explain());
  assert.equal(r.code, 1);
});

test('ncat --exec: no H- variables, no signals, a half-closing client gets nothing back (CORE-08 CORE-13 NET-04 NET-05)', async () => {
  need('ncat');
  const r = await peer('CORE-03,CORE-08,CORE-13,NET-04,NET-05', ['ncat', '-lk', '{host}', '{port}', '--exec={command}']);
  assert.deepEqual(r.ids('fail'), ['CORE-08', 'CORE-13', 'NET-04', 'NET-05'], r.explain());
  assert.equal(r.code, 1);
});

test('websocketd: no H- variables, env cleared, SIGINT to the pid only, last line dropped, no close frame (CORE-05 CORE-08 CORE-13 CORE-15 CORE-23)', async () => {
  need('websocketd');
  const r = await runSuite(['ws', '--jobs', '3', '--slow', '2', '--only', 'CORE-03,CORE-05,CORE-08,CORE-13,CORE-15,CORE-23'], ['websocketd', '--address={host}', '--port={port}', '{command}']);
  assert.deepEqual(r.ids('fail'), ['CORE-05', 'CORE-08', 'CORE-13', 'CORE-15', 'CORE-23'], r.explain());
  assert.match(r.results.find((x) => x.id === 'CORE-15')!.evidence, /no close frame/);
  assert.equal(r.code, 1);
});
