/**
 * hamelin-conformance against hamelin's own daemon on the irc binding: every check passes.
 * One binding per file, so that each file stays well inside the runner's per-file timeout.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bin } from '../helpers/paths.js';
import { runOwn } from '../helpers/conformance.js';

test('IRC-03..IRC-14: hamelin-irc passes every check of the irc binding (on a real ngircd the suite runs)', async () => {
  const r = await runOwn('irc', [process.execPath, bin('irc'), '--server', '{server}', '--nick', '{nick}', '--channel', '{channel}', '{command}']);
  assert.deepEqual(r.ids('fail'), [], r.explain());
  assert.deepEqual(r.ids('pass'), ['IRC-03', 'IRC-04', 'IRC-05', 'IRC-07', 'IRC-08', 'IRC-10', 'IRC-11', 'IRC-12', 'IRC-14'], r.explain());
  assert.equal(r.code, 0, r.explain());
});
