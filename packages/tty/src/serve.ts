/**
 * The hamelin-tty loop: one session at a time on one terminal, like getty. Open the line,
 * set its discipline, (banner), (wait for a first line), run a session, and then either end
 * with the child's status or, with --respawn, start over. Respawning and the line's settings
 * are this front-end's business; a session's life (signals, output, its end) is the core's.
 */
import { constants as osConstants } from 'node:os';
import { SPEC_VERSION, StartupError, type Daemon, type ExitInfo, type HVars, type ServeHandle } from '@hamelin/core';
import { TtyEndpoint } from './endpoint.js';
import { waitForLine } from './first-line.js';
import { TtyLine } from './line.js';
import type { TtyConfig } from './options.js';
import { RespawnGuard } from './respawn-guard.js';
import { applySettings, lineInfo, restoreSettings, saveSettings } from './stty.js';

/** What serve() takes: the line and its settings (whose terminal it is matters only to the
 * composer: signals, and the newline after ^C, are cli.ts's). */
export type TtyServeOptions = TtyConfig;

/** serve()'s handle, with what only a terminal has. */
export interface TtyHandle extends ServeHandle {
  /** The status a daemon of this one line exits with (TTY-13) once the line is served no more of
   * its own accord: a session ended without --respawn, or the line is gone for good. It never
   * settles after halt(), a drain or close(). */
  readonly ended: Promise<number>;
  /** A signal: no new session, the line's own settings back at once; the sessions end through
   * the core's shutdown. */
  halt(): void;
  /** Back from ^Z: apply the session settings again (TTY-05). */
  reapply(): void;
  /** The user hung up (SIGHUP on the daemon's own terminal): end the session as a hangup; false
   * when none runs. */
  hangup(): boolean;
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

/**
 * Serve one terminal: open it, keep its settings to put back, and run sessions on it one after
 * another in the background. Signals and the process's exit are the composer's (cli.ts, the
 * hamelin command); the handle says when serving ended of its own accord.
 */
export async function serve(daemon: Daemon, opts: TtyServeOptions): Promise<TtyHandle> {
  const log = daemon.log;
  let line: TtyLine;
  try {
    line = TtyLine.open(opts.path);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new StartupError(err.code === 'ENOTTY' ? err.message : `cannot open ${opts.path}: ${err.code ?? err.message}`, err.code === 'ENOTTY' ? 2 : 1);
  }
  // The descriptor is open before stty runs: closing stty's own descriptor must never be
  // the last close of a pty's slave, which the other side would see as a hangup.
  const saved = saveSettings(opts.path);
  applySettings(opts.path, opts.baud);
  let current: TtyEndpoint | undefined;
  let stopping = false;
  let draining = false;
  let restored = false;
  const restore = (): void => {
    if (restored) return;
    restored = true;
    restoreSettings(opts.path, saved);
  };
  process.on('exit', restore);
  let resolveEnded!: (status: number) => void;
  const ended = new Promise<number>((r) => (resolveEnded = r));

  /** Serving this line is over: its settings back, the descriptor closed. */
  const finish = (status?: number, event?: string, detail?: string): void => {
    if (event) log.warn(event, { client: opts.path, detail, status });
    restore();
    line.close();
    if (status !== undefined) resolveEnded(status);
  };
  const over = (): boolean => stopping || draining;

  const run = async (): Promise<void> => {
    const guard = new RespawnGuard(log, opts.path);
    let n = 0;
    for (;;) {
      if (stopping) return;
      if (draining) return finish();
      if (line.gone !== undefined) {
        // The line hung up. A serial line can be opened again for the next caller; a pty
        // whose other side has closed cannot.
        const why = line.gone;
        line.close();
        if (!opts.respawn) return finish(1, 'line-gone', why);
        try {
          line = TtyLine.open(opts.path);
          if (!(await line.probe())) throw new Error('hung up');
          log.info('reopened', { client: opts.path });
        } catch (e) {
          return finish(1, 'line-gone', `${why}; reopen: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
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
      if (over()) continue;
      await guard.admit();
      if (over()) continue;

      n += 1;
      const endpoint = new TtyEndpoint(line, { first: early, eofGraceMs: daemon.config.limits.killAfterMs });
      current = endpoint;
      const session = await daemon.accept(endpoint, ttyVars(opts.path, n));
      if (!session) return;
      const result = await session.done;
      const exit = await endpoint.ended;
      current = undefined;
      if (stopping) return; // a signal: the composer exits once every session is done
      if (!opts.respawn) return finish(exitStatus(exit));
      if (result.endedBy === 'client-closed') await line.probe(); // a SIGHUP alone leaves the line usable
    }
  };

  log.notice('listening', { address: opts.path, respawn: opts.respawn, wait: opts.wait });
  // HUB-03 --hub-eager is the composer's, as for every front-end (ProcessControl.ready in the
  // hamelin command, after --user drops privileges; cli.ts here).
  void run();

  const halt = (): void => {
    stopping = true;
    restore();
  };
  let closed: Promise<void> | undefined;
  return {
    daemon,
    port: 0,
    ended,
    halt,
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
    // A drain (OPS-05): the session on the line goes on; none starts after it.
    stopAccepting: () => {
      draining = true;
      return Promise.resolve();
    },
    close: () =>
      (closed ??= (async () => {
        halt();
        await daemon.shutdown();
        line.close();
      })()),
  };
}
