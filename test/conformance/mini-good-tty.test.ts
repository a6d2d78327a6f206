/**
 * The mini daemon on a terminal (--tty), without breaks, passes every check of the tty binding:
 * once without --respawn (TTY-12 skipped) and once with it (TTY-12; TTY-13 skipped).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expectFailures, listed, MINI, miniOpts, runSuite } from '../helpers/conformance.js';

const argv = (respawn: boolean): string[] => [process.execPath, MINI, '--tty', ...(respawn ? ['--respawn'] : []), '{options}', '--log-file', '{log}', '{command}'];
const once = runSuite(['tty', '--jobs', '3', '--slow', '2', ...miniOpts('tty')], argv(false));
const again = runSuite(['tty', '--jobs', '2', '--slow', '2', '--only', 'TTY-12,TTY-13'], argv(true));
for (const r of [once, again]) r.catch(() => undefined);

test('the correct mini daemon passes every tty check (TTY-12 needs --respawn), TTY-04 with --wait and --banner', async () => {
  const r = await once;
  expectFailures(r, []);
  assert.deepEqual(r.ids('skip'), ['TTY-12'], r.explain());
  assert.deepEqual(r.ids('pass'), listed('tty').filter((id) => id !== 'TTY-12'), r.explain());
});

test('with --respawn it passes TTY-12, and TTY-13 (one session, then exit) is skipped', async () => {
  const r = await again;
  expectFailures(r, []);
  assert.deepEqual(r.ids('pass'), ['TTY-12'], r.explain());
  assert.deepEqual(r.ids('skip'), ['TTY-13'], r.explain());
});
