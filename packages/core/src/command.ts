/**
 * Startup check of the served command (CORE-18): an unknown or non-executable command is
 * reported once, before the daemon listens, instead of once per client.
 */
import { accessSync, closeSync, constants, openSync, readSync, statSync } from 'node:fs';
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
      checkInterpreter(file, cwd, pathVar);
      return { file, argv0: cmd, args };
    } catch (e) {
      if (e instanceof StartupError) throw e;
      sawNonExecutable ??= file;
    }
  }
  if (sawNonExecutable) throw new StartupError(`command not executable: ${sawNonExecutable}`);
  throw new StartupError(cmd.includes('/') ? `command not found: ${cmd}` : `command not found in PATH: ${cmd}`);
}

/** `--cwd DIR` must be a directory the daemon can enter (CORE-36): otherwise every client would get
 * a spawn error that names the command, not the directory. */
export function checkCwd(dir: string): void {
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch (e) {
    throw new StartupError(`--cwd ${dir}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such directory' : ((e as NodeJS.ErrnoException).code ?? (e as Error).message)}`);
  }
  if (!isDir) throw new StartupError(`--cwd ${dir}: not a directory`);
  try {
    accessSync(dir, constants.X_OK);
  } catch {
    throw new StartupError(`--cwd ${dir}: permission denied`, 1);
  }
}

/**
 * A script's `#!` interpreter must exist and be executable (CORE-36), and so must the program
 * `#!/usr/bin/env NAME` names: the kernel reports a missing interpreter as ENOENT for the script
 * itself, once per client. A file without `#!` is left to the spawn layer.
 */
function checkInterpreter(file: string, cwd: string, pathVar: string): void {
  const head = Buffer.alloc(256);
  let n = 0;
  try {
    const fd = openSync(file, 'r');
    try {
      n = readSync(fd, head, 0, head.length, 0);
    } finally {
      closeSync(fd);
    }
  } catch {
    return; // executable but unreadable (mode 111): only the kernel can look
  }
  if (n < 2 || head[0] !== 0x23 || head[1] !== 0x21) return;
  const end = head.indexOf(10);
  const line = head.subarray(2, end < 0 || end > n ? n : end).toString('latin1').trim();
  const [interp, arg] = line.split(/[ \t]+/, 2);
  if (!interp) throw new StartupError(`${file}: empty #! line`);
  const runnable = (p: string): boolean => {
    try {
      accessSync(p, constants.X_OK);
      return statSync(p).isFile();
    } catch {
      return false;
    }
  };
  const interpPath = isAbsolute(interp) ? interp : resolve(cwd, interp);
  if (!runnable(interpPath)) throw new StartupError(`${file}: interpreter ${interp} (its #! line) not found or not executable`);
  // `#!/usr/bin/env NAME`: env looks NAME up in PATH when the child starts.
  if (interp.endsWith('/env') && arg && !arg.startsWith('-') && !arg.includes('=')) {
    const found = arg.includes('/') ? runnable(resolve(cwd, arg)) : pathVar.split(delimiter).filter(Boolean).some((d) => runnable(join(isAbsolute(d) ? d : resolve(cwd, d), arg)));
    if (!found) throw new StartupError(`${file}: ${arg} (named by its #! line) not found in PATH`);
  }
}
