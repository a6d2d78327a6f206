/**
 * hamelin-conformance against hamelin's own daemon on the http binding: every check passes.
 * One binding per file, so that each file stays well inside the runner's per-file timeout.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bin } from '../helpers/paths.js';
import { runOwn, CORE, CGI_STATIC, range, listed, WITHOUT_CGI_STATIC } from '../helpers/conformance.js';

test('CORE-01..CORE-27 HTTP-02..HTTP-11 and the rest the suite lists: hamelin-http passes every check of the http binding', async () => {
  // --cgi and --static (HTTP-37..41) are checked in hamelin-cgi-static.test.ts.
  const r = await runOwn('http', [process.execPath, bin('http'), '--host', '{host}', '--port', '{port}', '{command}'], WITHOUT_CGI_STATIC);
  const all = listed('http').filter((id) => !CGI_STATIC.includes(id));
  for (const id of [...CORE, ...range('HTTP', 2, 11)]) assert.ok(all.includes(id), `the suite has a check ${id} for http`);
  assert.deepEqual(r.ids('pass'), all, r.explain());
  assert.deepEqual(r.ids('skip'), CGI_STATIC, r.explain());
  assert.equal(r.results.length, all.length + CGI_STATIC.length, r.explain());
  assert.equal(r.code, 0, r.explain());
});
