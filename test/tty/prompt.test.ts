/** TTY-18: a prompt without a newline is on the screen while the child waits for the answer. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { ttyDaemon, stopAllPty } from '../helpers/pty.js';

after(stopAllPty);

test('TTY-18 TTY-07 a prompt without a newline shows before anything is typed; the answer follows it on the same line', async () => {
  const d = await ttyDaemon(['sh', '-c', `printf 'Name? '; read n; echo "hi $n"`]);
  // Nothing has been typed: only a partial flush can have put the prompt on the screen.
  const before = await d.waitFor('Name? ');
  assert.equal(before, 'Name? ');
  d.type('Ann\r');
  await d.waitFor('hi Ann\r\n');
  assert.equal(d.text(), 'Name? Ann\r\nhi Ann\r\n');
  assert.equal((await d.exited).code, 0);
});
