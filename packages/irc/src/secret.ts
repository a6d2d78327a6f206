/**
 * Secrets come from a file or an environment variable, never from argv: the command line
 * of every process is visible to every user in `ps` (IRC-02).
 */
import { readFileSync } from 'node:fs';
import { StartupError } from '@hamelin/core';

/** The first line of FILE, or the value of $VAR; undefined when neither is given. */
export function readSecret(what: string, file: string | undefined, envVar: string | undefined): string | undefined {
  if (file !== undefined && envVar !== undefined) throw new StartupError(`${what}: give a file or an environment variable, not both`);
  let value: string;
  if (file !== undefined) {
    try {
      value = readFileSync(file, 'utf8').split(/\r?\n/)[0]!;
    } catch (e) {
      throw new StartupError(`${what}: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  } else if (envVar !== undefined) {
    const v = process.env[envVar];
    if (v === undefined) throw new StartupError(`${what}: environment variable ${envVar} is not set`);
    value = v;
  } else {
    return undefined;
  }
  if (value === '') throw new StartupError(`${what} is empty`);
  if (/[\r\n\0]/.test(value)) throw new StartupError(`${what} contains CR, LF or NUL`);
  return value;
}
