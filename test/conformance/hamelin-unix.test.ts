/**
 * hamelin-conformance against hamelin's own daemon on the unix binding: every check passes.
 * One binding per file, so that each file stays well inside the runner's per-file timeout.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bin } from '../helpers/paths.js';
import { runOwn, ALL_NET } from '../helpers/conformance.js';

test('CORE-01..CORE-27 NET-01..NET-04 NET-06..NET-08: hamelin-net passes every check of the unix binding', async () => {
  const r = await runOwn('unix', [process.execPath, bin('net'), 'unix:{path}', '{command}']);
  const want = ALL_NET.filter((id) => id !== 'NET-05' && id !== 'NET-09').concat('NET-08').sort();
  assert.deepEqual(r.ids('pass'), want, r.explain());
  assert.equal(r.code, 0, r.explain());
  assert.match(r.stdout, new RegExp(`\\n${want.length} passed, 0 failed, 0 skipped\\n$`));
});
