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

test('socat (fork EXEC): no H- variables but SOCAT_ ones, no --help, signals only the pid so the grandchild survives (CORE-08 CORE-11 CORE-13 CORE-15 CORE-26 CORE-27)', async () => {
  need('socat');
  const r = await peer('CORE-03,CORE-04,CORE-08,CORE-11,CORE-13,CORE-15,CORE-26,CORE-27,NET-04,NET-05', ['socat', 'TCP-LISTEN:{port},bind={host},reuseaddr,fork', 'EXEC:{command}']);
  assert.deepEqual(r.ids('fail'), ['CORE-08', 'CORE-11', 'CORE-13', 'CORE-15', 'CORE-26', 'CORE-27'], r.explain());
  assert.match(r.results.find((x) => x.id === 'CORE-26')!.evidence, /SOCAT_PEERADDR=/);
  assert.match(r.results.find((x) => x.id === 'CORE-13')!.evidence, /grandchild \d+: no signal/);
  assert.equal(r.code, 1);
});

test('tcpserver -RHl0: no H- variables but TCP ones, no --help, no signal on disconnect, RST loses output on unread input (CORE-08 CORE-13 CORE-26 CORE-27 NET-05 NET-07)', async () => {
  need('tcpserver');
  const r = await peer('CORE-03,CORE-04,CORE-08,CORE-12,CORE-13,CORE-26,CORE-27,NET-04,NET-05,NET-07', ['tcpserver', '-RHl0', '{host}', '{port}', '{command}']);
  assert.deepEqual(r.ids('fail'), ['CORE-08', 'CORE-13', 'CORE-26', 'CORE-27', 'NET-05', 'NET-07'], r.explain());
  assert.match(r.results.find((x) => x.id === 'CORE-26')!.evidence, /TCPREMOTEIP=/);
  assert.equal(r.code, 1);
});

test('ncat --exec: no H- variables but NCAT_ ones, --version on stderr, no signals, a half-closing client gets nothing back (CORE-08 CORE-13 CORE-26 CORE-27 NET-04 NET-05)', async () => {
  need('ncat');
  const r = await peer('CORE-03,CORE-08,CORE-13,CORE-26,CORE-27,NET-04,NET-05', ['ncat', '-lk', '{host}', '{port}', '--exec={command}']);
  assert.deepEqual(r.ids('fail'), ['CORE-08', 'CORE-13', 'CORE-26', 'CORE-27', 'NET-04', 'NET-05'], r.explain());
  assert.match(r.results.find((x) => x.id === 'CORE-26')!.evidence, /NCAT_REMOTE_ADDR=/);
  assert.equal(r.code, 1);
});

// Started at once: the ping check waits out websocketd's silence for the whole default interval.
const WD = ['websocketd', '--address={host}', '--port={port}', '{command}'];
const WD_OPTS = ['--opt', 'max-clients=--maxforks={n}', '--opt', 'tls=--ssl --sslcert={cert} --sslkey={key}'];
const WD_ONLY = ['CORE-03', 'CORE-05', 'CORE-08', 'CORE-13', 'CORE-15', 'CORE-23', 'CORE-26', 'CORE-27', ...Array.from({ length: 21 }, (_, i) => `WS-${String(i + 1).padStart(2, '0')}`).filter((id) => id !== 'WS-14')];
const websocketd = haveWebsocketd() ? runSuite(['ws', '--jobs', '3', '--slow', '2', ...WD_OPTS, '--only', WD_ONLY.join(',')], WD) : undefined;
// --slow 1: with --slow 2 the wait for a ping that never comes would be 72 s.
const websocketdPing = haveWebsocketd() ? runSuite(['ws', '--only', 'WS-14'], WD) : undefined;

function haveWebsocketd(): boolean {
  try {
    execFileSync('sh', ['-c', 'command -v websocketd'], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

test('websocketd: no H- variables, env cleared, SIGINT to the pid only, last line dropped, no close frame (CORE-05 CORE-08 CORE-13 CORE-15 CORE-23), CGI variables and usage on stderr (CORE-26 CORE-27), and its WS failures', async () => {
  need('websocketd');
  const r = await websocketd!;
  // What websocketd 0.4.1 does, by requirement (spec/bindings/ws.md, notes):
  // WS-01 it does not answer a subprotocol the client offers; WS-04 it strips the \r before a
  // newline; WS-05 it ignores a binary message in text mode (no 1003); WS-07 it sends invalid
  // UTF-8 as it is, so the client fails the connection; WS-08 no close frame when the child
  // exits (1006); WS-09 SIGINT first, not SIGTERM; WS-10 no 1009 for a message over 1 MiB;
  // WS-13 429 instead of 503 over --maxforks; WS-15, WS-16, WS-20 CGI-style variables, no H-
  // ones (H-TYPE unset over TLS too); WS-19 a plain GET gets 404 instead of 426; WS-21 it dies
  // of the SIGTERM instead of closing its sessions and exiting 0.
  const fails = ['CORE-05', 'CORE-08', 'CORE-13', 'CORE-15', 'CORE-23', 'CORE-26', 'CORE-27', 'WS-01', 'WS-04', 'WS-05', 'WS-07', 'WS-08', 'WS-09', 'WS-10', 'WS-13', 'WS-15', 'WS-16', 'WS-19', 'WS-20', 'WS-21'];
  assert.deepEqual(r.ids('fail'), fails.sort(), r.explain());
  // --binary, --origin and --dir cannot be asked of any daemon through the generic argv.
  assert.deepEqual(r.ids('skip'), ['WS-06', 'WS-12', 'WS-17', 'WS-18'], r.explain());
  assert.deepEqual(r.ids('pass'), ['CORE-03', 'WS-02', 'WS-03', 'WS-11'], r.explain());
  assert.match(r.results.find((x) => x.id === 'CORE-15')!.evidence, /no close frame/);
  assert.match(r.results.find((x) => x.id === 'WS-09')!.evidence, /saw SIGINT/);
  assert.match(r.results.find((x) => x.id === 'WS-13')!.evidence, /HTTP 429/);
  assert.equal(r.code, 1);
});

test('websocketd sends no pings by default (WS-14: every 30 s)', async () => {
  need('websocketd');
  const r = await websocketdPing!;
  assert.deepEqual(r.ids('fail'), ['WS-14'], r.explain());
  assert.match(r.results[0]!.evidence, /expected a ping within the default 30 s; saw none/);
});
