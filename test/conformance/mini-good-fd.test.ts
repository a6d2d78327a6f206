/**
 * The mini daemon without breaks passes every front-door check (FD-07, FD-10..FD-14, FD-18) on
 * net, ws and http with the FD options given: the broken fixtures (broken-fd-*.test.ts) fail for
 * their break, not for being small. Without the options the checks are not run at all.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expectFailures, listed, miniDaemon, miniFdOpts, miniOpts, suitePool, type MiniBinding } from '../helpers/conformance.js';

const FD = ['FD-07', 'FD-10', 'FD-11', 'FD-12', 'FD-13', 'FD-14'];
const pool = suitePool(2);
const run = (binding: MiniBinding) => pool([binding, '--jobs', '3', '--slow', '2', ...miniOpts(binding), ...miniFdOpts(binding), '--only', (binding === 'net' ? FD : [...FD, 'FD-18']).join(',')], miniDaemon(binding));
const runs = { net: run('net'), ws: run('ws'), http: run('http') };
for (const r of Object.values(runs)) r.catch(() => undefined);

for (const binding of ['net', 'ws', 'http'] as const) {
  test(`FD-07 FD-10..FD-14${binding === 'net' ? '' : ' FD-18'}: the correct mini daemon passes every front-door check of the ${binding} binding`, async () => {
    const r = await runs[binding];
    expectFailures(r, []);
    assert.deepEqual(r.ids('skip'), [], r.explain());
    assert.deepEqual(r.ids('pass'), binding === 'net' ? FD : [...FD, 'FD-18'], r.explain());
    // The check the suite lists with an FD option given is every one that ran.
    assert.deepEqual(listed(binding, miniFdOpts(binding)).filter((id) => id.startsWith('FD-')), r.ids('pass'));
  });
}
