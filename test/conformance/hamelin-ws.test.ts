/**
 * hamelin-conformance against hamelin's own daemon on the ws binding. One binding per file, so
 * that each file stays well inside the runner's per-file timeout.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bin } from '../helpers/paths.js';
import { runOwn, CORE, range, listed } from '../helpers/conformance.js';

/**
 * hamelin-ws --binary holds input until a 0x0A byte arrives (issue 10, item 9): WS-06 sends
 * bytes without one and sees the child read nothing. Remove it from here when that is fixed.
 */
const KNOWN = ['WS-06'];

test('CORE-01..CORE-27 WS-01..WS-21: hamelin-ws passes every check of the ws binding (--binary, --origin, --dir and --ping-interval included) but the known WS-06', async () => {
  const r = await runOwn('ws', [process.execPath, bin('ws'), '--host', '{host}', '--port', '{port}', '{command}']);
  const all = listed('ws');
  // Every WS requirement has a check, and every CORE one runs on this binding.
  assert.deepEqual(all, [...CORE, ...range('WS', 1, 21)].sort());
  assert.deepEqual(r.ids('skip'), [], r.explain());
  assert.deepEqual(r.ids('fail'), KNOWN, r.explain());
  assert.deepEqual(r.ids('pass'), all.filter((id) => !KNOWN.includes(id)), r.explain());
  assert.match(r.results.find((x) => x.id === 'WS-06')!.evidence, /nothing appended\); saw 0 bytes/);
  assert.equal(r.code, 1, r.explain());
});
