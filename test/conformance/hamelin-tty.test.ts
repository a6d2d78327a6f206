/**
 * hamelin-conformance against hamelin's own daemon on the tty binding: every check passes.
 * One binding per file, so that each file stays well inside the runner's per-file timeout.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bin } from '../helpers/paths.js';
import { runOwn } from '../helpers/conformance.js';

test('TTY-01..TTY-18: hamelin-tty passes every check of the tty binding (on a pseudo-terminal the suite runs it on)', async () => {
  const r = await runOwn('tty', [process.execPath, bin('tty'), '--log-file', '{log}', '{command}']);
  assert.deepEqual(r.ids('fail'), [], r.explain());
  // TTY-12 is respawning: this argv does not, so it is skipped (TTY-13 is the one without).
  assert.deepEqual(r.ids('skip'), ['TTY-12'], r.explain());
  assert.deepEqual(r.ids('pass'), ['TTY-01', 'TTY-02', 'TTY-03', 'TTY-04', 'TTY-05', 'TTY-06', 'TTY-07', 'TTY-08', 'TTY-09', 'TTY-10', 'TTY-11', 'TTY-13', 'TTY-14', 'TTY-15', 'TTY-16', 'TTY-17', 'TTY-18'], r.explain());
  assert.equal(r.code, 0, r.explain());
});
