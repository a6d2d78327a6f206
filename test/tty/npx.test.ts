/**
 * The "done when": a new user, in examples/tty, runs exactly
 * `npx hamelin-tty --respawn ./menu.sh` in a terminal (npx finds the workspace's bin in the
 * repository's node_modules/.bin), uses the menu, quits, and gets a fresh session.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { onPty, stopAllPty, scratchDir } from '../helpers/pty.js';
import { ROOT } from '../helpers/paths.js';

after(stopAllPty);

test('TTY-12 TTY-18 TTY-10 README: `npx hamelin-tty --respawn ./menu.sh` in examples/tty serves the menu, its prompts, an answer, and a new session after quitting', async () => {
  const book = join(scratchDir(), 'book.txt');
  const t = await onPty(['npx', 'hamelin-tty', '--respawn', './menu.sh'], { cwd: join(ROOT, 'examples', 'tty'), env: { ...process.env, GUESTBOOK: book } });
  // The menu, and its prompt with nothing after it: the cursor waits on the prompt's line.
  const screen = await t.waitFor(/choice\? $/, 30_000);
  // npm draws its spinner (and erases it) before it runs the bin: the session starts after it.
  const menu = screen.slice(screen.indexOf('Hello'));
  assert.match(screen.slice(0, screen.indexOf('Hello')), /^[^\n]*$/, 'nothing but the spinner before the greeting');
  assert.match(menu, new RegExp(`^Hello, user of ${t.tty}\\. Session 1\\.\\r\\n\\r\\n  1\\) sign the guestbook .*\\r\\n.*\\r\\n  q\\) quit .*\\r\\nchoice\\? $`));
  t.type('1\r');
  await t.waitFor(/choice\? 1\r\nYour name\? $/);
  t.type('Alicx\x7fe\r');
  await t.waitFor(/Your name\? Alicx\x08 \x08e\r\nYour message \(one line\)\? $/);
  t.type('Hello from npx\r');
  await t.waitFor(/Thank you, Alice\.\r\n[^]*choice\? $/);
  assert.match(readFileSync(book, 'utf8'), /^\d{4}-\d\d-\d\d \d\d:\d\d \| Alice \| Hello from npx\n$/);
  t.type('2\r');
  await t.waitFor(/choice\? 2\r\nThe last 10 entries:\r\n\S+ \S+ \| Alice \| Hello from npx\r\n[^]*choice\? $/);
  const before = t.output().length;
  t.type('q\r');
  const after2 = await t.waitFor(/choice\? $/, 10_000, before);
  assert.match(after2, new RegExp(`^q\\r\\nBye\\.\\r\\nHello, user of ${t.tty}\\. Session 2\\.\\r\\n[^]*choice\\? $`));
});
