/**
 * What the daemon process does on signals other than SIGINT/SIGTERM/SIGQUIT (which the core
 * handles, CORE-22) and at exit. Only terminal matters live here: sessions are ended through the core.
 */
import { closeSync, writeSync } from 'node:fs';
import type { Logger } from '@hamelin/core';

export interface ProcessHooks {
  path: string;
  /** Serving the daemon's own terminal (not --device). */
  own: boolean;
  log: Logger;
  /** Apply the session settings again (TTY-05), after a ^Z and `fg`. */
  reapply(): void;
  /** The user hung up: end the current session as a hangup; false when none runs. */
  hangup(): boolean;
}

export function installProcessHooks(h: ProcessHooks): void {
  // The line's settings are put back by serve()'s own exit hook (TTY-05).
  process.on('exit', releaseHungUpStdio);
  // Back from ^Z (a shell's `fg`): the shell may have changed the line meanwhile.
  process.on('SIGCONT', () => h.reapply());
  process.on('SIGHUP', () => {
    // TTY-09: on its own terminal a SIGHUP is that terminal hanging up (or an operator hanging
    // the user up). A --device line is nobody's controlling terminal, so a SIGHUP comes from
    // elsewhere, typically the shell the daemon was started from logging out: the user on the
    // line is still there, and the line's own hangup shows as EOF/EIO on the device.
    // The core logs the signal and reopens the log (CORE-34) either way.
    if (!h.own) return;
    h.log.info('hangup', { client: h.path, signal: 'SIGHUP', had_session: h.hangup() });
  });
}

/**
 * Node restores the terminal settings of stdio at exit and aborts (a failed CHECK in
 * ResetStdio) when that terminal has hung up. A hung-up descriptor is closed first; a
 * zero-length write finds them (EIO).
 */
function releaseHungUpStdio(): void {
  for (const fd of [0, 1, 2]) {
    try {
      writeSync(fd, Buffer.alloc(0));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EIO') {
        try {
          closeSync(fd);
        } catch {
          /* already closed */
        }
      }
    }
  }
}
