/**
 * The line discipline, set and restored with coreutils `stty -F DEVICE` (TTY-05, TTY-06).
 * No native module: the kernel's canonical mode does the line editing and echo, and its
 * output processing (ONLCR) turns each `\n` into `\r\n`.
 */
import { execFileSync } from 'node:child_process';
import { StartupError } from '@hamelin/core';

/**
 * Applied at every session start, so a child that changed the line (say `stty -echo` for a
 * password) cannot leave the next session without echo. Control characters (erase, kill,
 * eof, intr) are left as the terminal has them. Exported for the spec and the tests.
 */
export const SESSION_SETTINGS: readonly string[] = [
  // local modes: canonical input (line editing), echo, visual erase and kill, signals on ^C ^\ ^Z
  'icanon', 'echo', 'echoe', 'echok', '-echonl', 'isig', 'iexten',
  // input: Enter (CR) arrives as NL; no other translation; erase removes a whole UTF-8 character
  'icrnl', '-inlcr', '-igncr', 'iutf8',
  // output: each NL goes out as CR NL; nothing else is translated
  'opost', 'onlcr', '-ocrnl', '-onlret', '-onocr',
];

export const BAUDS = [
  50, 75, 110, 134, 150, 200, 300, 600, 1200, 1800, 2400, 4800, 9600, 19200, 38400, 57600, 115200,
  230400, 460800, 500000, 576000, 921600, 1000000, 1152000, 1500000, 2000000, 2500000, 3000000, 3500000, 4000000,
];

function stty(device: string, args: readonly string[]): string {
  return execFileSync('stty', ['-F', device, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 5000 }).trim();
}

function why(e: unknown): string {
  const err = e as NodeJS.ErrnoException & { stderr?: string };
  if (err.code === 'ENOENT') return 'stty not found in PATH (it is part of coreutils)';
  const msg = (err.stderr ?? '').trim().split('\n')[0];
  return msg || err.message.split('\n')[0]!;
}

/** The terminal's current settings, in `stty -g` form, to put back at the end. */
export function saveSettings(device: string): string {
  try {
    return stty(device, ['-g']);
  } catch (e) {
    throw new StartupError(`cannot read the settings of ${device}: ${why(e)}`, 1);
  }
}

/** Canonical mode with echo, CR/LF handling, and the speed when --baud is given. */
export function applySettings(device: string, baud: number | undefined): void {
  const args = [...SESSION_SETTINGS];
  if (baud !== undefined) args.push(String(baud));
  try {
    stty(device, args);
  } catch (e) {
    throw new StartupError(`cannot set the line discipline of ${device}: ${why(e)}`, 1);
  }
}

/** Best effort: the line may be gone already. */
export function restoreSettings(device: string, saved: string): boolean {
  try {
    stty(device, [saved]);
    return true;
  } catch {
    return false;
  }
}

export interface LineInfo {
  baud?: string;
  rows?: number;
  cols?: number;
}

/** Speed and window size, where the terminal knows them (a serial line has no size). */
export function lineInfo(device: string): LineInfo {
  const info: LineInfo = {};
  try {
    const speed = stty(device, ['speed']);
    if (/^\d+$/.test(speed)) info.baud = speed;
  } catch {
    /* unknown */
  }
  try {
    const m = /^(\d+) (\d+)$/.exec(stty(device, ['size']));
    if (m && Number(m[1]) > 0 && Number(m[2]) > 0) {
      info.rows = Number(m[1]);
      info.cols = Number(m[2]);
    }
  } catch {
    /* unknown */
  }
  return info;
}
