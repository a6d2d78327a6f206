/**
 * hamelin-conformance against hamelin's own daemon on the net binding: every check passes.
 * One binding per file, so that each file stays well inside the runner's per-file timeout.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bin } from '../helpers/paths.js';
import { runOwn, ALL_NET } from '../helpers/conformance.js';

test('CORE-01..CORE-27 NET-01..NET-07 NET-09: hamelin-net passes every check of the net binding', async () => {
  const r = await runOwn('net', [process.execPath, bin('net'), '{host}', '{port}', '{command}']);
  // CORE-39 (--unbuffer) is the net binding's alone among the connection bindings.
  const all = [...ALL_NET, 'CORE-39'].sort();
  assert.deepEqual(r.ids('pass'), all, r.explain());
  assert.equal(r.code, 0, r.explain());
  assert.match(r.stdout, new RegExp(`\\n${all.length} passed, 0 failed, 0 skipped\\n$`));
});
