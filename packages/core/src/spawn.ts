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
 * and waits for the exec on the loop. So the hot path is the spawn helper (spawn-server.ts):
 * a small static C program (spawner/hamelin-spawner.c) that vforks and execs each child on
 * the daemon's behalf; the daemon only exchanges a few bytes with it. On connection churn
 * through hamelin-net this gives 2-4x the conn/s (bench row `hamelin-cp` is the same daemon
 * with child_process).
 *
 * Which helper (CORE-28), first that starts and answers its ready line: the prebuilt one for
 * process.arch (linux-x64, linux-arm64: shipped, so no compiler is needed), else one compiled
 * from the shipped .c with `cc` and cached per user (keyed by source, CPU and libc), else
 * child_process.spawn (also with HAMELIN_SPAWN=child_process): same promises, slower, and the
 * daemon says so in one warning line after `listening ... spawn=LAYER`.
 *
 * The helper is also what keeps CORE-29 when the daemon dies: it outlives it and ends every
 * group (as a child subreaper, detached grandchildren too). child_process has nothing that
 * outlives the daemon, so that layer starts a watchdog process (watchdog.ts) told of each group.
 * If the helper dies (CORE-30), its sessions go on (their stdio is the daemon's), their exits
 * are watched from /proc, and a new helper is started, up to MAX_RESTARTS a minute; every
 * death, restart and change of layer is logged. A request the helper does not answer within
 * SPAWN_DEADLINE_MS fails (ETIMEDOUT) and the helper is replaced: a stopped helper must not
 * make clients wait forever.
 *
 * The child is a session and group leader (setsid), so the whole group can be signalled.
 * stderr is inherited: it reaches the daemon's stderr byte for byte with no relay in
 * between (CORE-12). stdin and stdout are AF_UNIX stream sockets in both layers (libuv
 * makes child_process's "pipes" with socketpair(2)); a client that sends nothing (noInput: an
 * HTTP request without a body) gives the child /dev/null as stdin instead, one socket fewer.
 * With --unbuffer (CORE-39) stdout is instead a pseudo-terminal that the helper opens and relays
 * to that socket (its main loop moves the bytes, so no process is added per session); Node
 * cannot open one, so the child_process layer refuses.
 */
import { spawn as cpSpawn, type ChildProcessByStdio } from 'node:child_process';
import type { EventEmitter } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { SessionEnv } from './env.js';
import type { Logger } from './log.js';
import { removeStaleSpawnDirs } from './spawn-dirs.js';
import { SpawnServer, type HelperDeath, type HelperLaunch } from './spawn-server.js';
import { compiledHelper, prebuiltHelper, type HelperKind } from './spawner-binary.js';
import { Watchdog } from './watchdog.js';

/** What the session uses of a child, whichever layer started it. */
export interface Child extends EventEmitter {
  readonly pid?: number | undefined;
  /** null when the request asked for no input (`noInput`): stdin is /dev/null. */
  readonly stdin: Writable | null;
  readonly stdout: Readable;
  /** True when the layer knows the child's process group was empty when the child was reaped,
   * so the session need not look (a kill(-pgid, 0) that fails costs a thrown error per session). */
  readonly groupEmptyAtExit?: boolean;
  /** Call back once the child's process group is empty, when the layer is told so (the spawn
   * helper's `G`); returns a cancel. Without it, process-group.ts's shared poll is used. */
  whenGroupEmpty?(cb: () => void): () => void;
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
  /** --unbuffer (CORE-39): the child's stdout is a pseudo-terminal (spawn helper only). */
  unbuffered?: boolean | undefined;
  /** The child's stdin is /dev/null: the client sends nothing (ClientEndpoint.noInput). */
  noInput?: boolean | undefined;
}

export type SpawnOutcome = { ok: true; child: Child } | { ok: false; code: string; message: string };

/** The layer in use: the prebuilt helper, one compiled here, or child_process with its watchdog. */
export type SpawnLayer = HelperKind | 'child_process';

/** A helper that dies this often within RESTART_WINDOW_MS is given up for child_process. */
const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 60_000;

interface Layer {
  kind: SpawnLayer;
  server: SpawnServer | null;
  launch: HelperLaunch | null;
  watchdog: Watchdog | null;
  /** why this is not the prebuilt helper, for the startup warning */
  why?: string;
}

let layer: Promise<Layer> | undefined;
let log: Logger | undefined;
const deaths: number[] = [];
/** Groups of children whose helper died, until their session is over: the current guard (the
 * next helper, or the watchdog) is told of them, so a daemon death still ends them (CORE-30). */
const adopted = new Map<number, number>();

/** Where the spawn layer logs (the daemon's log); the last daemon made in a process wins. */
export function useSpawnLog(logger: Logger): void {
  log = logger;
}

/** HAMELIN_SPAWN=child_process is read at each spawn (tests switch it within one process). */
let forced: Promise<Layer> | undefined;

function layerOf(): Promise<Layer> {
  if (process.env.HAMELIN_SPAWN === 'child_process') return (forced ??= childProcessLayer('HAMELIN_SPAWN=child_process'));
  layer ??= chooseLayer();
  return layer;
}

/** The first layer that works, in order: prebuilt, compiled, child_process (CORE-28). */
async function chooseLayer(): Promise<Layer> {
  removeStaleSpawnDirs();
  if (process.platform !== 'linux') return childProcessLayer(`no spawn helper on ${process.platform}`);
  const prebuilt = prebuiltHelper();
  let why = prebuilt ? `the prebuilt helper for ${process.arch} did not start` : `no prebuilt helper for linux-${process.arch}`;
  if (prebuilt) {
    const server = await SpawnServer.start({ file: prebuilt });
    if (server) return helperLayer({ kind: 'prebuilt', server, launch: { file: prebuilt }, watchdog: null });
  }
  const compiled = await compiledHelper();
  if (compiled) {
    const server = await SpawnServer.start({ file: compiled });
    if (server) return helperLayer({ kind: 'compiled', server, launch: { file: compiled }, watchdog: null, why });
    why += '; the compiled one did not start';
  } else why += '; none could be compiled (cc)';
  return childProcessLayer(why);
}

function helperLayer(l: Layer): Layer {
  l.server!.onDeath = (d) => {
    layer = replaceHelper(l, d);
  };
  return l;
}

async function childProcessLayer(why: string): Promise<Layer> {
  const watchdog = await Watchdog.start();
  return {
    kind: 'child_process',
    server: null,
    launch: null,
    watchdog,
    why: watchdog ? why : `${why}; and no watchdog: a SIGKILLed daemon will leave its sessions running`,
  };
}

/**
 * The helper died (CORE-30). Its children's sessions go on (ServerChild.orphan watches them);
 * a new helper is started and told of their groups. After MAX_RESTARTS deaths within a minute
 * the layer becomes child_process, and that is logged too: never a silent switch.
 */
async function replaceHelper(l: Layer, d: HelperDeath): Promise<Layer> {
  log?.error('spawn-helper-died', {
    pid: d.pid,
    status: d.code ?? undefined,
    signal: d.signal ?? undefined,
    reason: d.reason,
    sessions: d.orphans.length,
  });
  for (const child of d.orphans) {
    adopted.set(child.pid, child.graceMs);
    child.once('close', () => {
      adopted.delete(child.pid);
      void layerOf().then((cur) => {
        cur.server?.forget(child.pid);
        cur.watchdog?.remove(child.pid);
      });
    });
  }
  const now = Date.now();
  deaths.push(now);
  while (deaths[0]! < now - RESTART_WINDOW_MS) deaths.shift();
  let next: Layer | null = null;
  if (deaths.length <= MAX_RESTARTS && l.launch) {
    const server = await SpawnServer.start(l.launch);
    if (server) {
      next = helperLayer({ ...l, server });
      log?.warn('spawn-helper-restarted', { pid: server.pid, layer: l.kind, restarts: deaths.length });
    }
  }
  if (!next) {
    const why = deaths.length > MAX_RESTARTS ? `the spawn helper died ${deaths.length} times in a minute` : 'the spawn helper could not be restarted';
    next = await childProcessLayer(why);
    log?.warn('spawn-layer-changed', { from: l.kind, to: next.kind, reason: next.why });
  }
  for (const [pgid, grace] of adopted) {
    next.server?.adopt(pgid, grace);
    next.watchdog?.add(pgid, grace);
  }
  return next;
}

/** Which layer the next spawn will use (for the `listening` line, logs and the bench). */
export async function spawnLayer(): Promise<SpawnLayer> {
  return (await layerOf()).kind;
}

/** The one-line reason the layer is not the prebuilt helper, or undefined when it is. */
export async function spawnLayerWarning(): Promise<string | undefined> {
  const l = await layerOf();
  return l.kind === 'prebuilt' ? undefined : l.why;
}

/** At daemon shutdown, after every session: the helper (or the watchdog) ends whatever the
 * sessions left outside their groups, within their grace period, and exits (CORE-28). */
export async function stopSpawnLayer(): Promise<void> {
  const all = await Promise.all([layer, forced]);
  layer = forced = undefined; // a later daemon in this process starts afresh
  await Promise.all(all.map((l) => Promise.all([l?.server?.stop(), l?.watchdog?.stop()])));
}

export async function spawnChild(req: SpawnRequest): Promise<SpawnOutcome> {
  const l = await layerOf();
  if (l.server) {
    const outcome = await l.server.spawn(req);
    if (outcome.ok !== 'unavailable') return outcome;
    // The helper died under this request: the layer that replaces it takes it.
    if (!l.server.alive && (await layerOf()) !== l) return spawnChild(req);
  }
  // Node cannot open a pseudo-terminal: only the helper can give a child one.
  if (req.unbuffered) return { ok: false, code: 'ENOTSUP', message: `--unbuffer needs the spawn helper, and this daemon uses ${l.kind} (${l.why ?? 'HAMELIN_SPAWN'})` };
  const outcome = await spawnWithChildProcess(req);
  if (outcome.ok && outcome.child.pid !== undefined) {
    const wd = (await layerOf()).watchdog;
    const pid = outcome.child.pid;
    wd?.add(pid, req.killAfterMs ?? 5000);
    // Forgotten once the session's child is closed: a later reuse of the pid must not be hit.
    outcome.child.once('close', () => wd?.remove(pid));
  }
  return outcome;
}

function spawnWithChildProcess(req: SpawnRequest): Promise<SpawnOutcome> {
  let child: ChildProcessByStdio<Writable | null, Readable, null>;
  try {
    child = cpSpawn(req.file, req.args as string[], {
      argv0: req.argv0,
      env: req.env instanceof SessionEnv ? req.env.toObject() : req.env,
      cwd: req.cwd,
      stdio: [req.noInput ? 'ignore' : 'pipe', 'pipe', 'inherit'],
      detached: true,
      windowsHide: true,
    }) as ChildProcessByStdio<Writable | null, Readable, null>;
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
