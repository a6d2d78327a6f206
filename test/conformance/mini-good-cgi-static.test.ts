/**
 * The mini daemon without breaks passes HTTP-37..HTTP-41 (--cgi, --static, with --dir for the
 * precedence): a file of its own, as mini-good-http.test.ts is near the per-file timeout.
 */
import { test } from 'node:test';
import { CGI_STATIC, expectFailures, miniDaemon, miniOpts, runSuite } from '../helpers/conformance.js';
import assert from 'node:assert/strict';

test('HTTP-37..HTTP-41: the correct mini daemon passes the --cgi and --static checks', async () => {
  const r = await runSuite(['http', '--jobs', '3', '--slow', '2', ...miniOpts('http'), '--only', CGI_STATIC.join(',')], miniDaemon('http'));
  expectFailures(r, []);
  assert.deepEqual(r.ids('pass'), CGI_STATIC, r.explain());
});
