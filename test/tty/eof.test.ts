/**
 * TTY-08: ^D at the start of a line is EOF on the child's stdin; a child still running when
 * the grace period (--kill-after) has passed after it is ended with SIGTERM to its group.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ttyDaemon, stopAllPty, scratchDir, trapped, logEvents } from '../helpers/pty.js';
import { eventually } from '../helpers/poll.js';

after(stopAllPty);

/** Echoes lines until EOF, says so, then ignores its stdin for ever; its TERM trap says goodbye. */
const IGNORES_EOF = `trap 'echo TERM >> "$1/signals.$$"; echo "bye from the trap"; exit 143' TERM
echo "ready pid=$$"
cat
echo "input ended"
sleep 1000 & wait`;

test('TTY-08 TTY-12 CORE-14 ^D, then a child that does not exit: SIGTERM after the grace period, its last words shown, then the next session', async () => {
  const dir = scratchDir();
  const d = await ttyDaemon(['--kill-after', '1', '--respawn', '--banner', '*** next ***', 'sh', '-c', IGNORES_EOF, 'sh', dir]);
  const pid = Number((await d.waitFor(/ready pid=(\d+)\r\n/)).match(/ready pid=(\d+)/)![1]);
  d.type('typed\r');
  await d.waitFor('typed\r\ntyped\r\n');
  const eofAt = Date.now();
  d.type('\x04');
  await d.waitFor('input ended\r\n');
  const termAt = await eventually(() => trapped(dir).includes(pid) && Date.now(), 'the child trap to see SIGTERM', 10_000, 10);
  // Not before the grace: the child may still have been finishing its work.
  assert.ok(termAt - eofAt >= 900, `SIGTERM ${termAt - eofAt} ms after ^D, before the 1 s grace`);
  assert.equal(readFileSync(join(dir, `signals.${pid}`), 'utf8'), 'TERM\n');
  // The user is still at the line: what the child writes on its way out reaches it, and only
  // then does the next session begin.
  await d.waitFor(/input ended\r\nbye from the trap\r\n\*\*\* next \*\*\*\r\nready pid=\d+\r\n/);
  await d.waitLog(/warn exit client=\S+ pid=\d+ status=143 ended_by=eof-timeout/);
  assert.match(d.log(), new RegExp(`info terminate client=\\S+ pid=${pid} reason=eof-timeout`));
  assert.doesNotMatch(d.log(), /client-gone/);
  assert.deepEqual(logEvents(d.log(), ['start', 'terminate', 'exit']).slice(0, 3), ['start', 'terminate', 'exit']);
});

test('TTY-08 TTY-13 ^D, then a child that exits within the grace: no signal, the daemon exits with its status', async () => {
  const dir = scratchDir();
  const d = await ttyDaemon(['--kill-after', '1', 'sh', '-c', `trap 'echo TERM >> "$1/signals.$$"' TERM; cat; echo done; exit 3`, 'sh', dir]);
  await d.waitLog(/info start /);
  d.type('\x04');
  await d.waitFor('done\r\n');
  assert.equal((await d.exited).code, 3);
  assert.deepEqual(trapped(dir), []);
  assert.doesNotMatch(d.log(), /terminate/);
});
