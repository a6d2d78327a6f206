/**
 * hamelin-conformance against hamelin-irc on the checks that use the suite's scripted IRC server:
 * every line through the flood bucket, PONGs included (IRC-21), and registration at the end of
 * the welcome (IRC-23). Apart from hamelin-irc.test.ts, so that each file stays well inside the
 * runner's per-file timeout.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bin } from '../helpers/paths.js';
import { runSuite } from '../helpers/conformance.js';

const HAMELIN_IRC = [process.execPath, bin('irc'), '--server', '{server}', '--nick', '{nick}', '--channel', '{channel}', '{command}'];

test('IRC-21, IRC-23: hamelin-irc passes against the scripted server (every line paced, PONG and JOIN included; registered at 376 or 422, at most 10 s after 001)', async () => {
  const r = await runSuite(['irc', '--hamelin', '--jobs', '2', '--slow', '2', '--only', 'IRC-21,IRC-23'], HAMELIN_IRC);
  assert.deepEqual(r.ids('fail'), [], r.explain());
  assert.deepEqual(r.ids('pass'), ['IRC-21', 'IRC-23'], r.explain());
  assert.equal(r.code, 0, r.explain());
});
