/**
 * hamelin-conformance's --cgi and --static checks (HTTP-37..HTTP-41) against hamelin-http, with
 * --hamelin's spellings (--cgi, --static DIR, and --dir for the precedence). hamelin-ws's WS-27
 * runs in hamelin-ws.test.ts, hamelin-net's CORE-39 in hamelin-net.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bin } from '../helpers/paths.js';
import { CGI_STATIC, runOwn } from '../helpers/conformance.js';

test('HTTP-37..HTTP-41: hamelin-http passes the --cgi and --static checks', async () => {
  const r = await runOwn('http', [process.execPath, bin('http'), '--host', '{host}', '--port', '{port}', '{command}'], ['--only', CGI_STATIC.join(',')]);
  assert.deepEqual(r.ids('pass'), CGI_STATIC, r.explain());
  assert.equal(r.code, 0, r.explain());
});
