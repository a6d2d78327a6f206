/** TTY-16: the daemon's log events, in the order they happen. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ttyDaemon, stopAllPty, scratchDir, SESSION, logEvents } from '../helpers/pty.js';

after(stopAllPty);

const EVENTS = ['listening', 'waiting', 'start', 'end', 'exit', 'stty-failed', 'hangup'];

test('TTY-16 TTY-04 TTY-05 log events: listening, waiting, start, end per session, stty-failed when the line cannot be set, hangup', async () => {
  const dir = scratchDir();
  // An stty that fails while `fail` exists: the daemon's own PATH finds it first.
  const fakeBin = join(dir, 'bin');
  mkdirSync(fakeBin);
  const realStty = execFileSync('sh', ['-c', 'command -v stty'], { encoding: 'utf8' }).trim();
  const flag = join(dir, 'fail');
  writeFileSync(join(fakeBin, 'stty'), `#!/bin/sh\n[ -e '${flag}' ] && { echo 'stty: made to fail' >&2; exit 1; }\nexec '${realStty}' "$@"\n`);
  chmodSync(join(fakeBin, 'stty'), 0o755);
  const d = await ttyDaemon(['--respawn', '--wait', SESSION, dir], { env: { ...process.env, PATH: `${fakeBin}:${process.env.PATH}` } });
  assert.match(d.log(), new RegExp(`info listening address=${d.tty} respawn=true wait=true\\n`));
  await d.waitLog(/info waiting client=\S+ session=1\n/);
  d.type('one\r');
  await d.waitFor('got [one]\r\n');
  writeFileSync(flag, '');
  d.type('exit 0\r');
  await d.waitLog(/warn stty-failed client=\S+ error="cannot set the line discipline of \S+: stty: made to fail"/);
  await d.waitLog(/info waiting client=\S+ session=2\n/);
  rmSync(flag); // so the settings are put back at the end
  // A SIGHUP while no session runs is logged, and the daemon waits on.
  process.kill(d.pid, 'SIGHUP');
  await d.waitLog(/info hangup client=\S+ signal=SIGHUP had_session=false/);
  d.type('two\r');
  await d.waitFor('got [two]\r\n');
  d.type('exit 4\r');
  await d.waitLog(/warn exit client=\S+ pid=\d+ status=4 ended_by=exit/);
  // The next session's `waiting` follows the exit; asserting at the exit line raced with it (a CI run).
  await d.waitLog(/info waiting client=\S+ session=3\n/);
  assert.deepEqual(logEvents(d.log(), EVENTS), ['listening', 'waiting', 'start', 'end', 'stty-failed', 'waiting', 'hangup', 'start', 'exit', 'waiting']);
});
