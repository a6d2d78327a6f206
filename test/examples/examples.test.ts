/**
 * The examples and README recipes do what they say, run as a user would run them: the commands are
 * read from the README and the examples' own comments, not copied here.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon, stopAll } from '../helpers/daemon.js';
import { ROOT } from '../helpers/paths.js';
import { eventually } from '../helpers/poll.js';
import { scratchDir, socatLine, stopAllPty } from '../helpers/pty.js';
import { dial } from '../helpers/tcp.js';
import { tempDir } from '../helpers/temp-dir.js';

const shells = new Set<ChildProcess>();
after(async () => {
  for (const p of shells) p.kill('SIGTERM');
  await stopAllPty();
  await stopAll();
});

test('CORE-05 examples/net/shout.sh answers a last line that has no newline, then says bye', async () => {
  const d = await startDaemon('net', ['127.0.0.1', '0', join(ROOT, 'examples/net/shout.sh')]);
  const c = await dial(d.port);
  c.socket.end('first\nlast line, no newline');
  const text = (await c.closed).toString();
  assert.match(text, /^hello 127\.0\.0\.1:\d+, you are talking to hamelin-net\/[\d.]+ over TCP-0\.2-INSECURE\nFIRST\nLAST LINE, NO NEWLINE\nbye\n$/);
});

test('NET-04 examples/net/guestbook.sh with `nc -N`, as its header says: the quote is kept, and the visitor thanked', async () => {
  const header = readFileSync(join(ROOT, 'examples/net/guestbook.sh'), 'utf8');
  assert.match(header, /nc -N 127\.0\.0\.1 8080/, 'the header tells the visitor to use nc -N');
  const book = join(tempDir('hamelin-guestbook-'), 'book.txt');
  const d = await startDaemon('net', ['127.0.0.1', '0', join(ROOT, 'examples/net/guestbook.sh'), book]);
  // OpenBSD nc (Debian's `nc`): without -N, the end of its input never reaches the server.
  const nc = spawn('nc', ['-N', '127.0.0.1', String(d.port)], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  nc.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  nc.stdin.end('To be, or not to be\n');
  const code = await new Promise<number | null>((resolve) => nc.on('close', resolve));
  assert.equal(code, 0);
  assert.match(out, /^Type your quote below\. Hit \^D when done\.\nThanks, \d+ lines in the book\.\n$/);
  assert.match(readFileSync(book, 'utf8'), /~~~~~~~ 127\.0\.0\.1:\d+\n\nTo be, or not to be\n/);
});

/** The serial-console recipe of packages/tty/README.md, as one shell command line. */
function serialRecipe(): string {
  const readme = readFileSync(join(ROOT, 'packages/tty/README.md'), 'utf8');
  const m = /^ {4}(hamelin-tty --device [^\n]*?(?:\\\n[^\n]*)*)$/m.exec(readme);
  assert.ok(m, 'the README has a `hamelin-tty --device` recipe');
  return m[1]!.replace(/\\\n\s*/g, '');
}

test('TTY-04 the README serial recipe (--wait --banner): Enter starts the session and the menu is shown once', async () => {
  const recipe = serialRecipe();
  assert.match(recipe, /--wait/);
  assert.match(recipe, /--banner/);
  const line = await socatLine(scratchDir());
  const command = `exec ${recipe.replace(/--device \S+/, `--device ${line.link}`)}`;
  const sh = spawn('sh', ['-c', command], { cwd: ROOT, env: { ...process.env, PATH: `${join(ROOT, 'node_modules/.bin')}:${process.env.PATH}`, GUESTBOOK: join(scratchDir(), 'book.txt') }, stdio: ['ignore', 'ignore', 'pipe'] });
  shells.add(sh);
  let log = '';
  sh.stderr.setEncoding('utf8').on('data', (s: string) => (log += s));
  await eventually(() => / waiting .*session=1/.test(log) || sh.exitCode !== null, 'the daemon to wait for the first line');
  assert.match(log, / waiting .*session=1/, log);
  // The banner crosses the pty after the log line is written: wait for it, do not read it at once.
  await line.waitFor('Press Enter to start.');
  line.type('\r');
  await line.waitFor('choice? ');
  // An answer, and the prompt after it: whatever the first Enter caused has been shown by then.
  line.type('3\r');
  const screen = await line.waitFor(/\d\d:\d\d:\d\d[^\n]*\r\n[\s\S]*choice\? $/);
  const beforeAnswer = screen.slice(screen.indexOf('Press Enter to start.'), screen.search(/\d\d:\d\d:\d\d/));
  assert.equal(beforeAnswer.match(/1\) sign the guestbook/g)?.length, 1, `one menu before the first answer: ${JSON.stringify(beforeAnswer)}`);
  assert.equal(beforeAnswer.match(/choice\? /g)?.length, 1, `one prompt before the first answer: ${JSON.stringify(beforeAnswer)}`);
});
