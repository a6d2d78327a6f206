/**
 * The hot-path spawn layer (CORE-01, CORE-02).
 *
 * Why not execa 9 (the design's process library), and why not even child_process.spawn on
 * the hot path: spawning is this daemon's bottleneck, and a spawn call made on the event loop
 * blocks every other session's relay while it runs. `bench/spawn-cost` (rows `spawn` of
 * `npm run bench`; bench/README.md) measures, on the 2-core CI machine, for /bin/true with
 * the same options (detached, stdin/stdout piped, stderr inherited):
 *
 *   layer                 spawn call p50 / p99     loop busy per spawn (exit and close included)
 *   execa 9               1.9-9.9 ms / 13-60 ms    4.4-13 ms
 *   child_process.spawn   1.3-5.8 ms / 7-52 ms     2.0-9.8 ms
 *   spawn server (here)   0.005-0.010 ms / 0.02 ms 0.54-0.83 ms
 *
 * (ranges over runs on a machine shared with other test runs; execa always adds about 1 ms
 * to child_process in the call, and more around it: promise plumbing, stream wrappers, its
 * own cleanup on exit, none of which the core uses: it frames lines itself with bounded
 * buffers and owns the process group's lifecycle.) child_process forks the whole Node process
 * and waits for the exec on the loop. So the hot path is the spawn server (spawn-server.ts):
 * a small C process, compiled with `cc` the first time it is needed, that vforks and execs
 * each child on the daemon's behalf; the daemon only exchanges a few bytes with it. On
 * connection churn through hamelin-net this gives 2-4x the conn/s (bench row `hamelin-cp`
 * is the same daemon with child_process). Where the server cannot run (not Linux, no `cc`,
 * HAMELIN_SPAWN=child_process in the daemon's environment), child_process.spawn is used:
 * same promises, slower.
 *
 * The child is a session and group leader (setsid), so the whole group can be signalled.
 * stderr is inherited: it reaches the daemon's stderr byte for byte with no relay in
 * between (CORE-12). stdin and stdout are AF_UNIX stream sockets in both layers (libuv
 * makes child_process's "pipes" with socketpair(2)).
 */
import { spawn as cpSpawn, type ChildProcessByStdio } from 'node:child_process';
import type { EventEmitter } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { SessionEnv } from './env.js';
import { SpawnServer } from './spawn-server.js';

/** What the session uses of a child, whichever layer started it. */
export interface Child extends EventEmitter {
  readonly pid?: number | undefined;
  readonly stdin: Writable;
  readonly stdout: Readable;
  /** True when the layer knows the child's process group was empty when the child was reaped,
   * so the session need not look (a kill(-pgid, 0) that fails costs a thrown error per session). */
  readonly groupEmptyAtExit?: boolean;
  once(event: 'exit' | 'close', listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
}

export interface SpawnRequest {
  /** The resolved executable path. */
  file: string;
  /** argv[0] exactly as the user gave it. */
  argv0: string;
  args: readonly string[];
  /** Exactly the child's environment: one object, or the daemon's shared part plus the
   * session's own (env.ts: SessionEnv). */
  env: NodeJS.ProcessEnv | SessionEnv;
  cwd?: string | undefined;
  /** The session's grace period, for the spawn server's cleanup should the daemon die. */
  killAfterMs?: number | undefined;
}

export type SpawnOutcome = { ok: true; child: Child } | { ok: false; code: string; message: string };

let server: Promise<SpawnServer | null> | undefined;
let serverFailures = 0;

function spawnServer(): Promise<SpawnServer | null> {
  if (process.env.HAMELIN_SPAWN === 'child_process') return Promise.resolve(null);
  server ??= SpawnServer.start().catch(() => null);
  return server;
}

/** Which layer the next spawn will use (for logs and the bench). */
export async function spawnLayer(): Promise<'spawn-server' | 'child_process'> {
  const s = await spawnServer();
  return s?.alive ? 'spawn-server' : 'child_process';
}

export async function spawnChild(req: SpawnRequest): Promise<SpawnOutcome> {
  const s = await spawnServer();
  if (s) {
    const outcome = await s.spawn(req);
    if (outcome.ok !== 'unavailable') return outcome;
    if (!s.alive && ++serverFailures <= 3) server = undefined; // start a new one next time
  }
  return spawnWithChildProcess(req);
}

function spawnWithChildProcess(req: SpawnRequest): Promise<SpawnOutcome> {
  let child: ChildProcessByStdio<Writable, Readable, null>;
  try {
    child = cpSpawn(req.file, req.args as string[], {
      argv0: req.argv0,
      env: req.env instanceof SessionEnv ? req.env.toObject() : req.env,
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
