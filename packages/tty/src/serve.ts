/**
 * The hamelin-tty loop: one session at a time on one terminal, like getty. Open the line,
 * set its discipline, (banner), (wait for a first line), run a session, and then either exit
 * with the child's status or, with --respawn, start over. Respawning and the line's settings
 * are this front-end's business; a session's life (signals, output, its end) is the core's.
 */
import { writeSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { SPEC_VERSION, type Daemon, type ExitInfo, type HVars } from '@hamelin/core';
import { TtyEndpoint } from './endpoint.js';
import { waitForLine } from './first-line.js';
import { TtyLine } from './line.js';
import { installProcessHooks } from './process-hooks.js';
import { RespawnGuard } from './respawn-guard.js';
import { applySettings, lineInfo, restoreSettings } from './stty.js';

export interface TtyServeOptions {
  /** The device's real path (also H-CLIENT). */
  path: string;
  /** Its settings before we touched them (`stty -g`), put back on exit. */
  saved: string;
  baud?: number | undefined;
  wait: boolean;
  respawn: boolean;
  banner?: string | undefined;
  /** Serving the daemon's own terminal (stdout is the line). */
  own?: boolean;
}

/** Why the core ended a session whose child outlived the grace after ^D (TTY-08). */

/** The daemon's exit status for a session's end, as a shell would report it (TTY-13). */
export function exitStatus(exit: ExitInfo): number {
  if (exit.code !== null) return exit.code;
  // A hub ended this terminal's membership (^D, or the process closed it): an orderly end.
  if (exit.closed !== undefined) return 0;
  if (exit.signal) return 128 + (osConstants.signals[exit.signal] ?? 0);
  if (exit.spawnError) return exit.spawnError.code === 'ENOENT' ? 127 : exit.spawnError.code === 'EACCES' ? 126 : 1;
  return 1;
}

export function ttyVars(path: string, session: number): HVars {
  const vars: HVars = { TYPE: `TTY-${SPEC_VERSION}-LOCAL`, CLIENT: path, 'TTY-SESSION': String(session) };
  const info = lineInfo(path);
  if (info.baud) vars['TTY-BAUD'] = info.baud;
  if (info.rows && info.cols) {
    vars['TTY-ROWS'] = String(info.rows);
    vars['TTY-COLS'] = String(info.cols);
  }
  return vars;
}

export async function serveTty(daemon: Daemon, first: TtyLine, opts: TtyServeOptions): Promise<never> {
  const log = daemon.log;
  let line = first;
  let current: TtyEndpoint | undefined;
  let stopping = false;
  let restored = false;
  const restore = (): void => {
    if (restored) return;
    restored = true;
    restoreSettings(opts.path, opts.saved);
  };
  installProcessHooks({
    path: opts.path,
    own: opts.own === true,
    log,
    restore,
    reapply: () => {
      if (stopping || line.gone !== undefined) return;
      try {
        applySettings(opts.path, opts.baud);
      } catch {
        /* the line is checked at the next session */
      }
    },
    hangup: () => {
      current?.hangup('SIGHUP');
      return current !== undefined;
    },
  });
  // ^\ on the served terminal stops the daemon like ^C (TTY-14).
  daemon.exitOnSignals(() => {
    stopping = true;
    restore();
    // After the echoed ^C, the shell's prompt begins on a line of its own.
    if (opts.own) {
      try {
        writeSync(1, '\n');
      } catch {
        /* hung up */
      }
    }
  }, ['SIGINT', 'SIGTERM', 'SIGQUIT']);

  const finish = (status: number, event?: string, detail?: string): never => {
    if (event) log.warn(event, { client: opts.path, detail, status });
    restore();
    line.close();
    log.close();
    process.exit(status);
  };
  const idle = (): Promise<never> => new Promise(() => {}); // exitOnSignals ends the process

  log.notice('listening', { address: opts.path, respawn: opts.respawn, wait: opts.wait });
  // HUB-03 --hub-eager: the shared process starts now, not with the first session (with --wait,
  // the first line typed). The other daemons do it through ProcessControl.ready.
  daemon.startEagerHub();
  const guard = new RespawnGuard(log, opts.path);
  let n = 0;
  for (;;) {
    if (stopping) return idle();
    if (line.gone !== undefined) {
      // The line hung up. A serial line can be opened again for the next caller; a pty
      // whose other side has closed cannot.
      const why = line.gone;
      line.close();
      if (!opts.respawn) finish(1, 'line-gone', why);
      try {
        line = TtyLine.open(opts.path);
        if (!(await line.probe())) throw new Error('hung up');
        log.info('reopened', { client: opts.path });
      } catch (e) {
        finish(1, 'line-gone', `${why}; reopen: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
    }
    try {
      applySettings(opts.path, opts.baud);
    } catch (e) {
      if (!(await line.probe())) continue; // gone: handled at the top of the loop
      log.warn('stty-failed', { client: opts.path, error: (e as Error).message });
    }
    if (opts.banner !== undefined) line.write(Buffer.from(opts.banner.endsWith('\n') ? opts.banner : `${opts.banner}\n`));

    const early: Buffer[] = [];
    if (opts.wait) {
      log.info('waiting', { client: opts.path, session: n + 1 });
      const firstLine = await waitForLine(line);
      if (firstLine === null) continue;
      early.push(firstLine);
    }
    if (stopping) return idle();
    await guard.admit();
    if (stopping) return idle();

    n += 1;
    const endpoint = new TtyEndpoint(line, { first: early, eofGraceMs: daemon.config.limits.killAfterMs });
    current = endpoint;
    const session = await daemon.accept(endpoint, ttyVars(opts.path, n));
    if (!session) return idle();
    const result = await session.done;
    const exit = await endpoint.ended;
    current = undefined;
    if (stopping) return idle(); // SIGINT/SIGTERM: the core exits 0 once every session is done
    if (!opts.respawn) finish(exitStatus(exit));
    if (result.endedBy === 'client-closed') await line.probe(); // a SIGHUP alone leaves the line usable
  }
}
