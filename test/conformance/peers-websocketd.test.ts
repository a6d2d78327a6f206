/**
 * hamelin-conformance against websocketd on the ws binding, every check, without and with the
 * options websocketd has (--maxforks, --ssl, --binary, --dir, --origin): the failing sets are
 * pinned exactly, as measured with this suite. A missing binary fails the test loudly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { need, runSuite, listed, suitePool } from '../helpers/conformance.js';

const WD = ['websocketd', '--address={host}', '--port={port}', '{command}'];
const WD_OPTS = ['max-clients=--maxforks={n}', 'tls=--ssl --sslcert={cert} --sslkey={key}', 'binary=--binary', 'dir=--dir={dir}', 'origin=--origin={value}'].flatMap((o) => ['--opt', o]);
// WS-14 waits out the default 30 s ping interval (websocketd has no option for it): on its own, at --slow 1.
const ALL = listed('ws').filter((id) => id !== 'WS-14').join(',');
const pool = suitePool(2);
const plain = pool(['ws', '--jobs', '3', '--slow', '2', '--only', ALL], WD);
const withOpts = pool(['ws', '--jobs', '3', '--slow', '2', ...WD_OPTS, '--only', ALL], WD);
const ping = runSuite(['ws', '--only', 'WS-14'], WD);
for (const r of [plain, withOpts, ping]) r.catch(() => undefined);

/**
 * What websocketd 0.4.1 does, by requirement: it drops a final line without newline and strips
 * CR (CORE-04, CORE-05, WS-04), passes stderr through its log on stdout (CORE-12), signals only
 * the pid, SIGINT first (CORE-13, CORE-14, WS-09), sends no close frame (CORE-15, WS-08), accepts
 * a missing command (CORE-18), logs no ENOENT (CORE-19), dies of SIGTERM (CORE-22, WS-21), clears
 * the environment (CORE-23), sets CGI variables, no H- ones (CORE-08..11, CORE-26, WS-15, WS-16),
 * prints its usage on stderr (CORE-27); takes no subprotocol (WS-01), ignores a binary message
 * (WS-05), sends invalid UTF-8 (WS-07), no 1009 (WS-10), answers a plain GET 404 (WS-19);
 * accepts every Origin by default (WS-22), sets no H-CLIENT or H-HEADER- variables (WS-24), holds
 * a half-sent handshake for ever (WS-25) and any number of them (WS-26).
 */
const PLAIN = ['CORE-04', 'CORE-05', 'CORE-08', 'CORE-09', 'CORE-10', 'CORE-11', 'CORE-12', 'CORE-13', 'CORE-14', 'CORE-15', 'CORE-16', 'CORE-18', 'CORE-19', 'CORE-22', 'CORE-23', 'CORE-26', 'CORE-27', 'WS-01', 'WS-04', 'WS-05', 'WS-07', 'WS-08', 'WS-09', 'WS-10', 'WS-15', 'WS-16', 'WS-19', 'WS-21', 'WS-22', 'WS-24', 'WS-25', 'WS-26'];

test('websocketd without options: its failures; what needs an option is skipped with the reason', async () => {
  need('websocketd');
  const r = await plain;
  assert.deepEqual(r.ids('fail'), PLAIN, r.explain());
  assert.deepEqual(r.ids('skip'), ['CORE-20', 'CORE-21', 'CORE-25', 'WS-06', 'WS-12', 'WS-13', 'WS-17', 'WS-18', 'WS-20', 'WS-23', 'WS-27'], r.explain());
  assert.match(r.results.find((x) => x.id === 'CORE-15')!.evidence, /no close frame/);
  assert.match(r.results.find((x) => x.id === 'WS-09')!.evidence, /saw SIGINT/);
  assert.equal(r.code, 1);
});

test('websocketd with --maxforks, --ssl, --binary, --dir, --origin: also 429 over --maxforks (WS-13), no H-TYPE over TLS (WS-20), a newline after binary input (WS-06), its own --dir rules (WS-17, WS-18), an Origin port ignored (WS-12, WS-23)', async () => {
  need('websocketd');
  const r = await withOpts;
  assert.deepEqual(r.ids('fail'), [...PLAIN, 'WS-06', 'WS-12', 'WS-13', 'WS-17', 'WS-18', 'WS-20', 'WS-23'].sort(), r.explain());
  assert.match(r.results.find((x) => x.id === 'WS-13')!.evidence, /HTTP 429/);
  assert.match(r.results.find((x) => x.id === 'WS-12')!.evidence, /403 for Origin http:\/\/allowed\.example:8080; saw HTTP 101/);
  assert.equal(r.code, 1);
});

test('websocketd sends no pings by default (WS-14: every 30 s)', async () => {
  need('websocketd');
  const r = await ping;
  assert.deepEqual(r.ids('fail'), ['WS-14'], r.explain());
  assert.match(r.results[0]!.evidence, /expected a ping within the default 30 s; saw none/);
});
