/**
 * TTY-09 on a --device line: the line's own hangup ends the session; a SIGHUP to the daemon,
 * which there comes from the terminal it was started from (an ssh login that ends), does not.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { onPty, stopAllPty, scratchDir, socatLine, trapped, SESSION, logEvents } from '../helpers/pty.js';
import { startDaemon, stopAll } from '../helpers/daemon.js';
import { eventually } from '../helpers/poll.js';
import { readFileSync } from 'node:fs';
import { bin } from '../helpers/paths.js';

after(async () => {
  await stopAllPty();
  await stopAll();
});

test('TTY-09 TTY-16 --device: the terminal the daemon was started from hangs up (SIGHUP), the user on the line keeps the session; the line hanging up ends it with SIGTERM', async () => {
  const dir = scratchDir();
  const line = await socatLine(dir);
  const log = join(dir, 'daemon.log');
  // The operator's terminal (an ssh session): the daemon is its session leader, so closing it
  // sends the daemon the kernel's SIGHUP.
  const operator = await onPty([process.execPath, bin('tty'), '--device', line.link, '--log-file', log, SESSION, dir]);
  const pid = Number((await line.waitFor(/ready pid=(\d+)/)).match(/ready pid=(\d+)/)![1]);
  operator.hangup();
  const readLog = (): string => readFileSync(log, 'utf8');
  await eventually(() => /info signal signal=SIGHUP\n/.test(readLog()), 'the daemon to log the SIGHUP');
  line.type('still here\r');
  await line.waitFor('got [still here]\r\n');
  assert.equal(line.shown().match(/ready pid=/g)?.length, 1, 'still the first session');
  assert.deepEqual(trapped(dir), []);
  // Now the line itself goes away.
  line.hangup();
  await eventually(() => trapped(dir).includes(pid), 'the child trap to see SIGTERM');
  assert.equal((await operator.exited).code, 143);
  assert.match(readLog(), /client-gone client=\S+ pid=\d+ reason=closed detail=hangup/);
  assert.deepEqual(logEvents(readLog(), ['start', 'signal', 'client-gone', 'terminate']), ['start', 'signal', 'client-gone', 'terminate']);
});

test('TTY-09 --device: kill -HUP of the daemon is ignored too; the session goes on', async () => {
  const dir = scratchDir();
  const line = await socatLine(dir);
  const d = await startDaemon('tty', ['--device', line.link, SESSION, dir]);
  await line.waitFor('ready pid=');
  d.proc.kill('SIGHUP');
  await d.waitLog(/info signal signal=SIGHUP\n/);
  line.type('after the signal\r');
  await line.waitFor('got [after the signal]\r\n');
  assert.deepEqual(trapped(dir), []);
  assert.equal(await d.stop('SIGTERM'), 0);
});
