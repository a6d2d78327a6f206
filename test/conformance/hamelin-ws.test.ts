/**
 * hamelin-conformance against hamelin's own daemon on the ws binding: every check passes.
 * One binding per file, so that each file stays well inside the runner's per-file timeout.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bin } from '../helpers/paths.js';
import { runOwn, CORE, range, listed } from '../helpers/conformance.js';

/** Need a daemon option no generic argv can carry (--binary, --origin, --dir): skipped by the
 * suite on every implementation, with that reason; test/ws covers them. */
const WS_SKIPPED = ['WS-06', 'WS-12', 'WS-17', 'WS-18'];

test('CORE-01..CORE-27 WS-01..WS-21: hamelin-ws passes every check of the ws binding; only the four that need --binary, --origin or --dir are skipped', async () => {
  const r = await runOwn('ws', [process.execPath, bin('ws'), '--host', '{host}', '--port', '{port}', '{command}']);
  const all = listed('ws');
  // Every WS requirement has a check, and every CORE one runs on this binding.
  assert.deepEqual(all, [...CORE, ...range('WS', 1, 21)].sort());
  assert.deepEqual(r.ids('skip'), WS_SKIPPED, r.explain());
  assert.deepEqual(r.ids('pass'), all.filter((id) => !WS_SKIPPED.includes(id)), r.explain());
  assert.equal(r.results.length, all.length, r.explain());
  assert.equal(r.code, 0, r.explain());
});
