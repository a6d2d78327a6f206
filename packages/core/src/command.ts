/**
 * Startup check of the served command (CORE-18): an unknown or non-executable command is
 * reported once, before the daemon listens, instead of once per client.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

/** A problem found before listening. `status` is the daemon's exit status: 2 for a bad
 * command line or command, 1 when the system refuses (busy port, unreadable file). */
export class StartupError extends Error {
  constructor(
    message: string,
    readonly status: 1 | 2 = 2,
  ) {
    super(message);
  }
}

export interface ResolvedCommand {
  /** What to execute. */
  file: string;
  /** argv[0] as given, passed to the child untouched. */
  argv0: string;
  args: string[];
}

export function resolveCommand(argv: string[], cwd: string = process.cwd(), pathVar = process.env.PATH ?? ''): ResolvedCommand {
  const [cmd, ...args] = argv;
  if (cmd === undefined || cmd === '') throw new StartupError('missing command: give the program to run for each client');
  const candidates = cmd.includes('/')
    ? [isAbsolute(cmd) ? cmd : resolve(cwd, cmd)]
    : pathVar.split(delimiter).filter(Boolean).map((dir) => join(isAbsolute(dir) ? dir : resolve(cwd, dir), cmd));
  let sawNonExecutable: string | undefined;
  for (const file of candidates) {
    let isFile = false;
    try {
      isFile = statSync(file).isFile();
    } catch {
      continue;
    }
    if (!isFile) {
      sawNonExecutable ??= file;
      continue;
    }
    try {
      accessSync(file, constants.X_OK);
      return { file, argv0: cmd, args };
    } catch {
      sawNonExecutable ??= file;
    }
  }
  if (sawNonExecutable) throw new StartupError(`command not executable: ${sawNonExecutable}`);
  throw new StartupError(cmd.includes('/') ? `command not found: ${cmd}` : `command not found in PATH: ${cmd}`);
}
