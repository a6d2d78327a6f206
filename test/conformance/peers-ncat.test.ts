/**
 * hamelin-conformance against ncat --exec on the net binding, every check: its failing set is
 * pinned exactly, as measured with this suite. A missing binary fails the test loudly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { need, PEERS_FAIL, runSuite } from '../helpers/conformance.js';

const run = runSuite(['net', '--jobs', '3', '--slow', '2'], ['ncat', '-lk', '{host}', '{port}', '--exec={command}']);
run.catch(() => undefined);

test("ncat --exec: a relay deadlock on a long line (CORE-06), runs --exec through its own word splitting (CORE-02), answers a half-close with nothing (NET-04)", async () => {
  need('ncat');
  const r = await run;
  assert.deepEqual(r.ids('fail'), [...PEERS_FAIL, 'CORE-02', 'CORE-06', 'NET-04', 'NET-05', 'NET-06'].sort(), r.explain());
  assert.match(r.results.find((x) => x.id === 'CORE-26')!.evidence, /NCAT_REMOTE_ADDR=/);
  // ncat's relay writes the child's stdin with a blocking write and reads the child's stdout
  // only between writes: once the echo fills the stdout pipe, both wait in write(2) for good.
  assert.match(r.results.find((x) => x.id === 'CORE-06')!.evidence, /a relay deadlock/);
  assert.equal(r.code, 1);
});
