/**
 * Run a real hamelin daemon for a test: port 0, wait for its `listening` log line, keep
 * its stderr, and stop it (and every process group it left) when the test ends.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { bin } from './paths.js';
import { alive, eventually } from './poll.js';

export interface Running {
  proc: ChildProcess;
  /** The bound TCP port, read from the listening log line (0 for unix sockets). */
  port: number;
  /** Everything the daemon wrote to stderr so far (child stderr and log lines). */
  stderr(): string;
  /** The same, as raw bytes. */
  stderrBytes(): Buffer;
  stdout(): string;
  /** Wait until stderr matches. */
  waitLog(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** SIGTERM the daemon and wait for it to exit; returns its exit status. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Wait for this log line instead of `listening` (for daemons that do not listen). */
  ready?: RegExp | null;
  timeoutMs?: number;
}

const live = new Set<Running>();

export async function startDaemon(pkg: string, args: string[], opts: StartOptions = {}): Promise<Running> {
  const proc = spawn(process.execPath, [bin(pkg), ...args], {
    env: opts.env ?? process.env,
    cwd: opts.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  let out = '';
  const errChunks: Buffer[] = [];
  proc.stderr!.on('data', (d: Buffer) => {
    errChunks.push(d);
    err += d.toString('latin1');
  });
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const errEnded = new Promise<void>((resolve) => proc.stderr!.once('close', () => resolve()));
  // 'exit' can come before the last of the daemon's stderr has been read from its pipe: a test
  // that awaits the exit and then reads the log would race it. Wait for the pipe's end too, but
  // not for ever: a process the daemon left behind (a bug other tests look for) may hold it.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => {
      void Promise.race([errEnded, new Promise((r) => setTimeout(r, 2000).unref())]).then(() => resolve({ code, signal }));
    }),
  );
  const closed = new Promise<void>((resolve) => proc.once('close', () => resolve()));
  let done = false;
  void exited.then(() => (done = true));
  const running: Running = {
    proc,
    port: 0,
    stderr: () => Buffer.concat(errChunks).toString('utf8'),
    stderrBytes: () => Buffer.concat(errChunks),
    stdout: () => out,
    exited,
    waitLog: async (re, timeoutMs = 10_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const m = err.match(re);
        if (m) return m;
        if (done) throw new Error(`daemon exited before logging ${re}; stderr:\n${err}`);
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for log ${re}; stderr:\n${err}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    stop: async (signal = 'SIGTERM') => {
      if (!done) proc.kill(signal);
      const r = await exited;
      live.delete(running); // only now: a daemon that ignores the signal is still SIGKILLed by stopAll
      // Read what is left in the pipes, but a process the daemon left behind (a bug other
      // tests look for) may hold them open: it must not keep the test file running.
      await Promise.race([closed, new Promise((res) => setTimeout(res, 2000).unref())]);
      proc.stdout!.destroy();
      proc.stderr!.destroy();
      return r.code;
    },
  };
  live.add(running);
  const ready = opts.ready === undefined ? /listening(?: address=\S+)?(?: port=(\d+))?/ : opts.ready;
  if (ready) {
    const m = await running.waitLog(ready, opts.timeoutMs ?? 15_000);
    running.port = m[1] ? Number(m[1]) : 0;
  }
  return running;
}

/** Kill every daemon a test file started; call from `after()`. */
export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((d) => d.stop('SIGKILL')));
}

/** Wait until a pid is gone. */
export function gone(pid: number, what = `pid ${pid} to exit`, timeoutMs = 10_000): Promise<true> {
  return eventually(() => !alive(pid), what, timeoutMs);
}
