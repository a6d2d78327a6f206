/**
 * TTY-12: a command that ends at once must not spin the CPU and flood the line with
 * respawns. This many session starts within the window pause the loop once.
 */
import type { Logger } from '@hamelin/core';

export const BURST = 10;
export const WINDOW_MS = 10_000;
export const PAUSE_MS = 5_000;

export class RespawnGuard {
  private readonly starts: number[] = [];

  constructor(
    private readonly log: Logger,
    private readonly client: string,
  ) {}

  /** Called as each session is about to begin; resolves when it may. */
  async admit(): Promise<void> {
    const now = Date.now();
    this.starts.push(now);
    if (this.starts.length > BURST) this.starts.shift();
    if (this.starts.length < BURST || now - this.starts[0]! >= WINDOW_MS) return;
    this.log.warn('respawn-too-fast', { client: this.client, sessions: BURST, within_ms: now - this.starts[0]!, pause_ms: PAUSE_MS });
    this.starts.length = 0;
    await new Promise((r) => setTimeout(r, PAUSE_MS));
  }
}
