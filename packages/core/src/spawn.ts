/**
 * The hot-path spawn layer (CORE-01, CORE-02).
 *
 * Why `child_process.spawn` and not execa 9: spawning is this daemon's bottleneck, and the
 * spawn call runs on the event loop that relays every other session's bytes. Measured on
 * the 2-core CI machine by `bench/spawn-cost` (figures in bench/README.md): execa's spawn
 * blocks the loop for longer than a bare `child_process.spawn`, and everything execa adds
 * (promise interface, output buffering, its own line splitting, cleanup on parent exit) is
 * either unused here or has to be switched off, because the core frames lines itself with
 * bounded buffers and owns the process group's lifecycle.
 *
 * The child is a session and group leader (`detached: true` is setsid(2) on POSIX), so the
 * whole group can be signalled. stderr is inherited: it reaches the daemon's stderr byte
 * for byte with no relay in between (CORE-14).
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';

export type Child = ChildProcessByStdio<Writable, Readable, null>;

export interface SpawnRequest {
  /** The resolved executable path. */
  file: string;
  /** argv[0] exactly as the user gave it. */
  argv0: string;
  args: readonly string[];
  env: NodeJS.ProcessEnv;
  cwd?: string | undefined;
}

export type SpawnOutcome = { ok: true; child: Child } | { ok: false; code: string; message: string };

export function spawnChild(req: SpawnRequest): Promise<SpawnOutcome> {
  let child: Child;
  try {
    child = spawn(req.file, req.args as string[], {
      argv0: req.argv0,
      env: req.env,
      cwd: req.cwd,
      stdio: ['pipe', 'pipe', 'inherit'],
      detached: true,
      windowsHide: true,
    });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return Promise.resolve({ ok: false, code: err.code ?? 'EUNKNOWN', message: err.message });
  }
  if (child.pid !== undefined) return Promise.resolve({ ok: true, child });
  // libuv reports exec failures (ENOENT, EACCES, EAGAIN, EMFILE) through a later 'error' event.
  return new Promise((resolve) => {
    child.once('error', (err: NodeJS.ErrnoException) =>
      resolve({ ok: false, code: err.code ?? 'EUNKNOWN', message: err.message }),
    );
  });
}
