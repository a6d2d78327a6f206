/**
 * The terminal binding (spec/bindings/tty.md). The suite runs the daemon on a new
 * pseudo-terminal as its own terminal, through ptyrun.py (Python's standard library only: no
 * native module), so keystrokes go to ptyrun's stdin and the screen comes back on its stdout.
 * One session at a time, beginning when the daemon starts: the daemon is "ready" once its first
 * probe session has started. Placeholders: {log} (a log file: the log must not go to the
 * terminal it serves) and {command}.
 */
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../package-root.js';
import { readProbes } from '../probe-report.js';
import type { Binding, Conn } from '../types.js';

const SPEC = '0.2';
export const PTYRUN = join(PACKAGE_ROOT, 'ptyrun.py');
/** The terminal the daemon gets: a size and a TERM of our choosing, so TTY-11 can tell that the
 * daemon passes on what its terminal has rather than defaults of its own. */
export const PTY = { rows: 30, cols: 100, term: 'vt220' };

export const tty: Binding = {
  name: 'tty',
  summary: 'a terminal: the daemon serves the pseudo-terminal it runs on, spec/bindings/tty.md',
  placeholders: [['{command}']],
  transport: 'unix',
  framing: 'stream',
  sessionOnConnect: false,
  stdinPipe: true,
  async allocate(dir) {
    return { host: '', port: 0, path: '', tls: false, extra: { log: join(dir, 'daemon.log'), dir } };
  },
  wrap: (argv) => ['python3', PTYRUN, '--rows', String(PTY.rows), '--cols', String(PTY.cols), '--term', PTY.term, '--', ...argv],
  listening: (addr) => readProbes(addr.extra!.dir!).some((p) => !p.isGrandchild),
  dial(): Promise<Conn> {
    return Promise.reject(new Error('the tty binding has one terminal per daemon run: see checks/tty.ts'));
  },
  hType: () => `TTY-${SPEC}-LOCAL`,
  hClient: () => '',
};
