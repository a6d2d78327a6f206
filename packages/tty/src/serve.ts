/**
 * The hamelin-tty loop: one session at a time on one terminal, like getty. Open the line,
 * set its discipline, (banner), (wait for a first line), run a session, and then either exit
 * with the child's status or, with --respawn, start over.
 */
import { closeSync, writeSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { SPEC_VERSION, type Daemon, type ExitInfo, type HVars } from '@hamelin/core';
import { TtyEndpoint } from './endpoint.js';
import { TtyLine } from './line.js';
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

/** Respawn guard: this many session starts within WINDOW_MS pause the loop for PAUSE_MS. */
const BURST = 10;
const WINDOW_MS = 10_000;
const PAUSE_MS = 5_000;

/** The daemon's exit status for a session's end, as a shell would report it (TTY-13). */
export function exitStatus(exit: ExitInfo): number {
  if (exit.code !== null) return exit.code;
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
  process.on('exit', () => {
    restore();
    releaseHungUpStdio();
  });
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
  });
  // ^\ (SIGQUIT) on the served terminal stops the daemon like ^C, never leaving orphans.
  process.on('SIGQUIT', () => process.kill(process.pid, 'SIGTERM'));
  // Back from ^Z (a shell's `fg`): the shell may have changed the line meanwhile.
  process.on('SIGCONT', () => {
    if (!stopping && line.gone === undefined) {
      try {
        applySettings(opts.path, opts.baud);
      } catch {
        /* the line is checked at the next session */
      }
    }
  });
  // SIGHUP: the line dropped (or an operator hung the user up): end the session at once.
  process.on('SIGHUP', () => {
    log.info('hangup', { client: opts.path, signal: 'SIGHUP', session: current !== undefined });
    current?.hangup('SIGHUP');
  });

  const finish = (status: number, event?: string, detail?: string): never => {
    if (event) log.warn(event, { client: opts.path, detail, status });
    restore();
    line.close();
    log.close();
    process.exit(status);
  };
  const idle = (): Promise<never> => new Promise(() => {}); // exitOnSignals ends the process

  log.notice('listening', { address: opts.path, respawn: opts.respawn, wait: opts.wait });
  const starts: number[] = [];
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
      const firstLine = await waitForLine(line);
      if (firstLine === null) continue;
      early.push(firstLine);
    }
    if (stopping) return idle();

    // Respawn guard: a command that fails at once must not spin the CPU and flood the line.
    const now = Date.now();
    starts.push(now);
    if (starts.length > BURST) starts.shift();
    if (starts.length === BURST && now - starts[0]! < WINDOW_MS) {
      log.warn('respawn-too-fast', { client: opts.path, sessions: BURST, within_ms: now - starts[0]!, pause_ms: PAUSE_MS });
      await new Promise((r) => setTimeout(r, PAUSE_MS));
      starts.length = 0;
      if (stopping) return idle();
    }

    n += 1;
    const endpoint = new TtyEndpoint(line, early);
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

/** --wait: the first line typed (or part of one, before a ^D) starts the session. A ^D on
 * an empty line is ignored. Null when the line hung up. */
function waitForLine(line: TtyLine): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const done = (v: Buffer | null): void => {
      line.attach(undefined);
      resolve(v);
    };
    line.attach({ data: (c) => done(c), eof: () => {}, hangup: () => done(null), drain: () => {} });
    if (line.gone === undefined) line.want(true);
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
