#!/usr/bin/env node
/** hamelin-tty [options] CMD [ARGS...]: serve a command to the user at a terminal, like getty. */
import { readlinkSync, fstatSync, realpathSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { isatty } from 'node:tty';
import { createDaemon, die, parseCli, refuseWorkers, StartupError } from '@hamelin/core';
import { cliSpec } from './cli-spec.js';
import { TtyLine } from './line.js';
import { serveTty } from './serve.js';
import { applySettings, BAUDS, saveSettings } from './stty.js';

const NAME = 'hamelin-tty';

interface TtyOptions {
  device?: string;
  baud?: number;
  wait: boolean;
  respawn: boolean;
  banner?: string;
  term?: string;
}

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
  if (options.baud !== undefined && !BAUDS.includes(options.baud)) {
    throw new StartupError(`--baud must be a standard line speed such as 9600 or 115200, not ${options.baud}`);
  }
  let path: string;
  if (options.device !== undefined) {
    if (!options.device) throw new StartupError('--device needs a path');
    try {
      path = realpathSync(options.device);
    } catch (e) {
      throw new StartupError(`cannot open ${options.device}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 1);
    }
  } else {
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
  let line: TtyLine;
  try {
    line = TtyLine.open(path);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new StartupError(err.code === 'ENOTTY' ? err.message : `cannot open ${path}: ${err.code ?? err.message}`, err.code === 'ENOTTY' ? 2 : 1);
  }
  // The descriptor is open before stty runs: closing stty's own descriptor must never be
  // the last close of a pty's slave, which the other side would see as a hangup.
  const saved = saveSettings(path);
  applySettings(path, options.baud);
  await serveTty(daemon, line, { path, saved, baud: options.baud, wait: options.wait, respawn: options.respawn, banner: options.banner, own: options.device === undefined });
} catch (e) {
  if (e instanceof StartupError) die(NAME, e.message, e.status);
  throw e;
}
