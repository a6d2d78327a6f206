/**
 * The mini daemon as an IRC bot, without breaks, passes every check of the irc binding (on the
 * ngircd the suite runs): the broken fixtures fail for their break, not for being small.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expectFailures, listed, miniDaemon, miniOpts, runSuite } from '../helpers/conformance.js';

test('the correct mini bot passes every irc check', async () => {
  const r = await runSuite(['irc', '--jobs', '3', '--slow', '2', ...miniOpts('irc')], miniDaemon('irc'));
  expectFailures(r, []);
  assert.deepEqual(r.ids('skip'), [], r.explain());
  assert.deepEqual(r.ids('pass'), listed('irc'), r.explain());
});
