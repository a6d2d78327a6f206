#!/usr/bin/env node
/** hamelin-tty [options] CMD [ARGS...]: serve a command to the user at a terminal, like getty. */
import { readlinkSync, fstatSync, writeSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { isatty } from 'node:tty';
import { createDaemon, die, parseCli, refuseWorkers, StartupError } from '@hamelin/core';
import { cliSpec } from './cli-spec.js';
import { checkBaud, devicePath, type TtyOptions } from './options.js';
import { installProcessHooks } from './process-hooks.js';
import { serve } from './serve.js';

const NAME = 'hamelin-tty';

const { options, command } = parseCli<TtyOptions>(cliSpec);

/** The real path of the terminal on a descriptor, e.g. /dev/pts/3. */
function ttyPath(fd: number): string {
  try {
    const p = readlinkSync(`/proc/self/fd/${fd}`);
    if (p.startsWith('/')) return p;
  } catch {
    /* not Linux: ask tty(1) */
  }
  return execFileSync('tty', [], { stdio: [fd, 'pipe', 'ignore'], encoding: 'utf8' }).trim();
}

function sameDevice(a: number, b: number): boolean {
  try {
    return fstatSync(a).rdev === fstatSync(b).rdev;
  } catch {
    return false;
  }
}

try {
  checkBaud(options.baud);
  const own = options.device === undefined;
  let path: string;
  if (options.device !== undefined) path = devicePath(options.device);
  else {
    if (!isatty(0)) throw new StartupError('stdin is not a terminal: run it in a terminal, or serve a device with --device PATH');
    if (!isatty(1) || !sameDevice(0, 1)) throw new StartupError('stdout is not the terminal on stdin: the served terminal must be both');
    path = ttyPath(0);
    // The log must never land in the user's session (TTY-15).
    if (!options.logFile && isatty(2) && sameDevice(0, 2)) options.logFile = '/dev/null';
  }
  // TERM is passed on even with --env-clear (TTY-11).
  if (options.term !== undefined) process.env.TERM = options.term;
  if (!options.passEnv.includes('TERM')) options.passEnv.push('TERM');

  // One terminal, one session at a time, and the daemon's lifecycle is the line's: no admin
  // endpoint or drain here (spec/operations.md).
  for (const o of ['admin', 'agent', 'user', 'group'] as const) if (options[o] !== undefined) throw new StartupError(`--${o} is not offered by ${NAME}`);
  refuseWorkers(NAME, options.workers, 'one terminal is one line, served by one process');
  const daemon = createDaemon(NAME, options, command);
  const handle = await serve(daemon, { path, baud: options.baud, wait: options.wait, respawn: options.respawn, banner: options.banner });
  installProcessHooks({ path, own, log: daemon.log, reapply: handle.reapply, hangup: handle.hangup });
  // HUB-03 --hub-eager: the shared process starts now, not with the first session (with --wait,
  // the first line typed).
  daemon.startEagerHub();
  // ^\ on the served terminal stops the daemon like ^C (TTY-14).
  daemon.exitOnSignals(() => {
    handle.halt();
    // After the echoed ^C, the shell's prompt begins on a line of its own.
    if (own) {
      try {
        writeSync(1, '\n');
      } catch {
        /* hung up */
      }
    }
  }, ['SIGINT', 'SIGTERM', 'SIGQUIT']);
  const status = await handle.ended;
  // Not process.exit alone: a hub's process would be ended by the helper's orphan SIGTERM.
  await daemon.finish();
  daemon.log.close();
  process.exit(status);
} catch (e) {
  if (e instanceof StartupError) die(NAME, e.message, e.status);
  throw e;
}
