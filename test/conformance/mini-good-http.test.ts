/**
 * The mini daemon without breaks passes every check of the http binding: the broken
 * fixtures fail for their break, not for being small.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CGI_STATIC, expectFailures, listed, miniDaemon, miniOpts, suitePool, WITHOUT_CGI_STATIC, type MiniBinding } from '../helpers/conformance.js';

const pool = suitePool(2);
// --cgi and --static (HTTP-37..41) run in mini-good-cgi-static.test.ts: this file is near its timeout.
const run = (binding: MiniBinding) => pool([binding, '--jobs', '3', '--slow', '2', ...miniOpts(binding), ...WITHOUT_CGI_STATIC], miniDaemon(binding));
const runs = { http: run('http') };

test('the correct mini daemon passes every http check', async () => {
  const r = await runs.http;
  expectFailures(r, []);
  assert.deepEqual(r.ids('skip'), CGI_STATIC, r.explain());
  assert.deepEqual(r.ids('pass'), listed('http').filter((id) => id !== 'CORE-17' && !CGI_STATIC.includes(id)), r.explain());
});
