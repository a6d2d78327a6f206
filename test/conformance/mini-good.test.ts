/**
 * The mini daemon without breaks passes every check of the net and unix bindings it is
 * given the options for: the broken fixtures fail for their break, not for being small
 * (ws: mini-good-web.test.ts, http: mini-good-http.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expectFailures, listed, miniDaemon, miniOpts, suitePool, type MiniBinding } from '../helpers/conformance.js';

const pool = suitePool(2);
const run = (binding: MiniBinding) => pool([binding, '--jobs', '3', '--slow', '2', ...miniOpts(binding)], miniDaemon(binding));
const runs = { net: run('net'), unix: run('unix') };

test('the correct mini daemon passes every net check; NET-09 (TLS, which it lacks) is skipped with the reason, CORE-17 is information', async () => {
  const r = await runs.net;
  expectFailures(r, []);
  assert.deepEqual(r.ids('skip'), ['NET-09'], r.explain());
  assert.deepEqual(r.ids('info'), ['CORE-17'], r.explain());
  assert.match(r.results.find((x) => x.id === 'NET-09')!.evidence, /--opt tls=/);
});

test('the correct mini daemon passes every unix check', async () => {
  const r = await runs.unix;
  expectFailures(r, []);
  assert.deepEqual(r.ids('skip'), [], r.explain());
  assert.deepEqual(r.ids('pass'), listed('unix').filter((id) => id !== 'CORE-17'), r.explain());
});

