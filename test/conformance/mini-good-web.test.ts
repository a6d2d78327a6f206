/**
 * The mini daemon without breaks passes every check of the ws binding (http: mini-good-http.test.ts): the broken
 * fixtures fail for their break, not for being small.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expectFailures, listed, miniDaemon, miniOpts, suitePool, type MiniBinding } from '../helpers/conformance.js';

const pool = suitePool(2);
const run = (binding: MiniBinding) => pool([binding, '--jobs', '3', '--slow', '2', ...miniOpts(binding)], miniDaemon(binding));
const runs = { ws: run('ws') };

test('the correct mini daemon passes every ws check, WS-06 WS-12 WS-14 WS-17 WS-18 included (--opt binary, origin, ping-interval, dir)', async () => {
  const r = await runs.ws;
  expectFailures(r, []);
  assert.deepEqual(r.ids('skip'), [], r.explain());
  assert.deepEqual(r.ids('pass'), listed('ws').filter((id) => id !== 'CORE-17'), r.explain());
});
