/**
 * The mini daemon without breaks passes every check of the http binding: the broken
 * fixtures fail for their break, not for being small.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expectFailures, listed, miniDaemon, miniOpts, suitePool, type MiniBinding } from '../helpers/conformance.js';

const pool = suitePool(2);
const run = (binding: MiniBinding) => pool([binding, '--jobs', '3', '--slow', '2', ...miniOpts(binding)], miniDaemon(binding));
const runs = { http: run('http') };

test('the correct mini daemon passes every http check', async () => {
  const r = await runs.http;
  expectFailures(r, []);
  assert.deepEqual(r.ids('skip'), [], r.explain());
  assert.deepEqual(r.ids('pass'), listed('http').filter((id) => id !== 'CORE-17'), r.explain());
});
