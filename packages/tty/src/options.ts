/**
 * hamelin-tty's options as what serve() takes, checked the same way for its command line and for
 * a `tty:` key of the hamelin command (OPS-03). Errors name the flag, so the hamelin command can
 * point at the key.
 */
import { realpathSync } from 'node:fs';
import { StartupError } from '@hamelin/core';
import { BAUDS } from './stty.js';

export interface TtyOptions {
  device?: string | undefined;
  baud?: number | undefined;
  wait: boolean;
  respawn: boolean;
  banner?: string | undefined;
  term?: string | undefined;
}

/** A terminal to serve: a device's real path (the daemon's own terminal is the CLI's choice). */
export interface TtyConfig {
  path: string;
  baud: number | undefined;
  wait: boolean;
  respawn: boolean;
  banner: string | undefined;
}

export function checkBaud(baud: number | undefined): void {
  if (baud !== undefined && !BAUDS.includes(baud)) throw new StartupError(`--baud must be a standard line speed such as 9600 or 115200, not ${baud}`);
}

/** The real path of `--device` (a link such as /dev/serial/by-id/... names its device). */
export function devicePath(device: string): string {
  if (!device) throw new StartupError('--device needs a path');
  try {
    return realpathSync(device);
  } catch (e) {
    throw new StartupError(`cannot open ${device}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 1);
  }
}

/** For a --device line (the hamelin command serves devices only). */
export function normalizeTty(o: TtyOptions): TtyConfig {
  checkBaud(o.baud);
  if (o.device === undefined) throw new StartupError('--device is needed: a terminal device to serve');
  let path: string;
  try {
    path = devicePath(o.device);
  } catch (e) {
    // Name the flag, so that a config file's error points at its key.
    throw new StartupError((e as Error).message.replace(/^cannot open /, 'cannot open --device '), (e as StartupError).status);
  }
  return { path, baud: o.baud, wait: o.wait, respawn: o.respawn, banner: o.banner };
}
