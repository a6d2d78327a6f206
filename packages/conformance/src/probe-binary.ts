/**
 * Which probe the daemons under test run: the prebuilt C one for this machine
 * (prebuilt/hamelin-probe-linux-ARCH, from probe/hamelin-probe.c), else probe.ts with this node.
 * Both record the same events (probe.ts says what they are); the C one starts in about a
 * millisecond against Node's 150 ms of CPU, and a suite run starts thousands.
 * HAMELIN_PROBE=node chooses the Node one (to compare the two, or where the binary misbehaves).
 */
import { spawnSync } from 'node:child_process';
import { readlinkSync, realpathSync } from 'node:fs';
import { basename, join } from 'node:path';
import { PACKAGE_ROOT } from './package-root.js';
import { argvOf } from './proc.js';

export const PROBE_JS = join(PACKAGE_ROOT, 'dist', 'probe.js');

/** The C probe's path when it runs here: it answers no arguments with its usage and exit 64. */
function prebuilt(): string | undefined {
  if (process.env.HAMELIN_PROBE === 'node' || process.platform !== 'linux') return undefined;
  const file = join(PACKAGE_ROOT, 'prebuilt', `hamelin-probe-linux-${process.arch}`);
  try {
    return spawnSync(file, [], { stdio: 'ignore', timeout: 5000 }).status === 64 ? realpathSync(file) : undefined;
  } catch {
    return undefined;
  }
}

export const PROBE_BIN = prebuilt();

/** A probe's argv up to its report directory. */
export const PROBE_ARGV: readonly string[] = PROBE_BIN ? [PROBE_BIN] : [process.execPath, PROBE_JS];

/** The probe's command with its report directory, mode and extra arguments. */
export function probeArgv(dir: string, mode: string, extra: readonly string[] = []): string[] {
  return [...PROBE_ARGV, dir, mode, ...extra];
}

/**
 * A probe process's report directory and mode, by its command line (`argv`, from /proc), or
 * undefined for any other process. A C probe is known by its executable, or, where /proc does not
 * show that (another user's process), by its name: a daemon may give it any argv[0] (a symlink,
 * a --dir script's path after its `#!` line), but keeps the directory and mode after it.
 */
export function probeOf(pid: number, argv: string[] = argvOf(pid)): { dir: string; mode: string } | undefined {
  if (argv[1] === PROBE_JS) return { dir: argv[2] ?? '', mode: argv[3] ?? '' };
  if (!PROBE_BIN || argv.length < 2) return undefined;
  let exe: string | undefined;
  try {
    exe = readlinkSync(`/proc/${pid}/exe`);
  } catch {
    exe = undefined;
  }
  const named = argv[0] === PROBE_BIN || basename(argv[0] ?? '').startsWith('hamelin-probe');
  if (exe === PROBE_BIN || (exe === undefined && named)) return { dir: argv[1]!, mode: argv[2] ?? '' };
  return undefined;
}
