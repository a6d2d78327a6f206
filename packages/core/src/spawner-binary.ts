/**
 * Which spawn helper binary to run (CORE-28): the prebuilt static one for this CPU
 * (prebuilt/hamelin-spawner-linux-x64 or -arm64, built by spawner/build.sh and shipped in the
 * package), else one compiled with `cc` from the shipped spawner/hamelin-spawner.c and cached per
 * user. Whether a binary works is decided by starting it (spawn-server.ts: it must answer its
 * ready line), not here.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants as fsConstants, mkdirSync, readFileSync, renameSync, unlinkSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CORE_ROOT } from './package-root.js';

export type HelperKind = 'prebuilt' | 'compiled';

export const SPAWNER_SOURCE = join(CORE_ROOT, 'spawner', 'hamelin-spawner.c');

/** The prebuilt helper for this process's CPU, when the package has one. */
export function prebuiltHelper(arch: string = process.arch): string | null {
  if (process.platform !== 'linux') return null;
  const bin = join(CORE_ROOT, 'prebuilt', `hamelin-spawner-linux-${arch}`);
  try {
    accessSync(bin, fsConstants.X_OK);
    return bin;
  } catch {
    return null;
  }
}

/** musl and glibc builds of one source must never share a cached binary. */
function libc(): string {
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  return header?.glibcVersionRuntime ? 'glibc' : 'musl';
}

/** The per-user cache: $XDG_CACHE_HOME/hamelin, or ~/.cache/hamelin. */
export function cacheDir(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'hamelin');
}

/** The helper compiled from the shipped source (once per user, source version, CPU and libc);
 * null without the source or a working `cc`. */
export async function compiledHelper(): Promise<string | null> {
  if (process.platform !== 'linux') return null;
  let source: Buffer;
  try {
    source = readFileSync(SPAWNER_SOURCE);
  } catch {
    return null;
  }
  const key = createHash('sha256').update(source).update(`\0${process.arch}\0${libc()}`).digest('hex').slice(0, 16);
  const dir = cacheDir();
  const out = join(dir, `hamelin-spawner-${key}`);
  try {
    accessSync(out, fsConstants.X_OK);
    return out;
  } catch {
    /* not built yet */
  }
  const tmp = `${out}.${process.pid}.tmp`;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // No -Werror here: a warning from an unknown compiler must not cost the user the helper.
    await new Promise<void>((resolve, reject) =>
      execFile(process.env.CC || 'cc', ['-O2', '-o', tmp, SPAWNER_SOURCE], (err) => (err ? reject(err) : resolve())),
    );
    renameSync(tmp, out); // atomic: daemons compiling at once all end with a whole file
    return out;
  } catch {
    try {
      unlinkSync(tmp);
    } catch {
      /* never written */
    }
    return null;
  }
}
