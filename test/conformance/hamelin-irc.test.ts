/**
 * hamelin-conformance against hamelin's own daemon on the irc binding: every check passes.
 * One binding per file, so that each file stays well inside the runner's per-file timeout; IRC-21
 * and IRC-23, against the suite's scripted server, are in hamelin-irc-wire.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bin } from '../helpers/paths.js';
import { listed, runSuite } from '../helpers/conformance.js';

const WIRE = ['IRC-21', 'IRC-23'];
const HAMELIN_IRC = [process.execPath, bin('irc'), '--server', '{server}', '--nick', '{nick}', '--channel', '{channel}', '{command}'];

test('IRC-01..IRC-19, IRC-22: hamelin-irc passes every check of the irc binding on a real ngircd the suite runs', async () => {
  const ids = listed('irc').filter((id) => !WIRE.includes(id));
  const r = await runSuite(['irc', '--hamelin', '--jobs', '3', '--slow', '2', '--only', ids.join(',')], HAMELIN_IRC);
  assert.deepEqual(r.ids('fail'), [], r.explain());
  assert.deepEqual(r.ids('pass'), ['IRC-01', 'IRC-02', 'IRC-03', 'IRC-04', 'IRC-05', 'IRC-06', 'IRC-07', 'IRC-08', 'IRC-09', 'IRC-10', 'IRC-11', 'IRC-12', 'IRC-13', 'IRC-14', 'IRC-15', 'IRC-16', 'IRC-17', 'IRC-18', 'IRC-19', 'IRC-22'], r.explain());
  assert.equal(r.code, 0, r.explain());
});
