/**
 * The daemon's side of the watchdog (watchdog-main.ts): with the child_process spawn layer
 * nothing outlives a SIGKILLed daemon to end its sessions' groups, so a small process is started
 * that does (CORE-22, CORE-29). The daemon tells it each group as it starts and ends; the pipe
 * closing when the daemon dies is its signal.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import { CORE_ROOT } from './package-root.js';

export class Watchdog {
  private constructor(private readonly proc: ChildProcess) {
    proc.stdin!.on('error', () => {});
  }

  /** Start the watchdog and wait for its ready line; null when it cannot run. */
  static async start(): Promise<Watchdog | null> {
    const main = join(CORE_ROOT, 'dist', 'watchdog-main.js');
    let proc: ChildProcess;
    try {
      // A small heap: it holds one number per live session.
      proc = spawn(process.execPath, ['--max-old-space-size=16', main], { stdio: ['pipe', 'pipe', 'inherit'] });
    } catch {
      return null;
    }
    const ok = await new Promise<boolean>((resolve) => {
      proc.stdout!.once('data', (d: Buffer) => resolve(d.toString('latin1').startsWith('R')));
      proc.once('error', () => resolve(false));
      proc.once('exit', () => resolve(false));
    });
    if (!ok) {
      proc.kill('SIGKILL');
      return null;
    }
    // It must not keep an idle daemon alive.
    proc.unref();
    (proc.stdin as Socket).unref();
    (proc.stdout as Socket).unref();
    return new Watchdog(proc);
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  get alive(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  add(pgid: number, graceMs: number): void {
    this.proc.stdin!.write(`+${pgid} ${Math.round(graceMs)}\n`);
  }

  remove(pgid: number): void {
    this.proc.stdin!.write(`-${pgid}\n`);
  }

  /** The daemon is shutting down: the watchdog ends whatever is still listed, then exits. */
  stop(): Promise<void> {
    if (!this.alive) return Promise.resolve();
    const exited = new Promise<void>((resolve) => this.proc.once('exit', () => resolve()));
    this.proc.stdin!.end();
    return exited;
  }
}
