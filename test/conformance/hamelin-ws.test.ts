/**
 * hamelin-conformance against hamelin's own daemon on the ws binding. One binding per file, so
 * that each file stays well inside the runner's per-file timeout.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bin } from '../helpers/paths.js';
import { runOwn, CORE, range, listed } from '../helpers/conformance.js';

test('CORE-01..CORE-27 WS-01..WS-27: hamelin-ws passes every check of the ws binding (--binary, --origin, --dir, --ping-interval, --header-timeout, --max-handshakes and --static included)', async () => {
  const r = await runOwn('ws', [process.execPath, bin('ws'), '--host', '{host}', '--port', '{port}', '{command}']);
  const all = listed('ws');
  // Every WS requirement has a check, and every CORE one runs on this binding.
  assert.deepEqual(all, [...CORE, ...range('WS', 1, 27)].sort());
  assert.deepEqual(r.ids('skip'), [], r.explain());
  assert.deepEqual(r.ids('fail'), [], r.explain());
  assert.deepEqual(r.ids('pass'), all, r.explain());
  assert.equal(r.code, 0, r.explain());
});
