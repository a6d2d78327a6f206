/**
 * hamelin-conformance against the peers installed here on the net binding (socat, tcpserver;
 * ncat in peers-ncat.test.ts), every check: the failing set of each is pinned exactly, as measured with this suite
 * (the evidence of the telling ones is asserted too). A missing binary fails the test loudly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { need, PEERS_FAIL, suitePool } from '../helpers/conformance.js';

const pool = suitePool(2);
const peer = (daemon: string[]) => pool(['net', '--jobs', '3', '--slow', '2'], daemon);
const runs = {
  socat: peer(['socat', 'TCP-LISTEN:{port},bind={host},reuseaddr,fork', 'EXEC:{command}']),
  tcpserver: peer(['tcpserver', '-RHl0', '{host}', '{port}', '{command}']),
};
for (const r of Object.values(runs)) r.catch(() => undefined);


test('socat (fork EXEC): splits EXEC at spaces (CORE-02), needs TCP6-LISTEN for ::1 (NET-01), signals only the pid, dies of SIGTERM (CORE-22) and resets unread input (NET-07)', async () => {
  need('socat');
  const r = await runs.socat;
  assert.deepEqual(r.ids('fail'), [...PEERS_FAIL, 'CORE-02', 'NET-01'].sort(), r.explain());
  assert.match(r.results.find((x) => x.id === 'CORE-26')!.evidence, /SOCAT_PEERADDR=/);
  assert.match(r.results.find((x) => x.id === 'CORE-22')!.evidence, /saw status 143/);
  assert.match(r.results.find((x) => x.id === 'NET-01')!.evidence, /bind=::1/);
  assert.equal(r.code, 1);
});

test('tcpserver -RHl0: no signal on a reset or a failed write (NET-05, NET-06, the child gets SIGPIPE), no ENOENT in its log (CORE-19), IPv4 only (NET-01)', async () => {
  need('tcpserver');
  const r = await runs.tcpserver;
  assert.deepEqual(r.ids('fail'), [...PEERS_FAIL, 'CORE-19', 'NET-01', 'NET-05', 'NET-06'].sort(), r.explain());
  assert.match(r.results.find((x) => x.id === 'CORE-26')!.evidence, /TCPREMOTEIP=/);
  assert.match(r.results.find((x) => x.id === 'CORE-19')!.evidence, /unable to run/);
  assert.equal(r.code, 1);
});
