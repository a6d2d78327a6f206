/**
 * One session on the terminal, as a hamelin client endpoint ('stream' framing).
 * Typed lines are the child's stdin; ^D at the start of a line is its EOF (a half-close,
 * as with TCP), and a child still running a grace period later is ended (TTY-08).
 * A hangup means the user is gone (TTY-09).
 */
import type { ClientEndpoint, EndpointEvents, ExitInfo } from '@hamelin/core';
import type { TtyLine } from './line.js';

/**
 * TTY-18: a partial output line is shown once the child has been quiet this long. 50 ms is
 * well under the ~100 ms at which a person notices a delay, and far longer than the gaps
 * between the writes a script makes while it prints one line, so lines still go out whole
 * (and a slow serial line is not fed a byte at a time) while a prompt shows at once.
 */
export const PROMPT_FLUSH_MS = 50;

export interface TtyEndpointOptions {
  /** Input read before the session began (the first line, with --wait). */
  first?: Buffer[];
  /** After ^D, how long the child may run on before the core ends the session (--kill-after):
   * the user at the line is done, and a child that ignores its EOF must not hold the line
   * (and, with --respawn, the next user) for ever (TTY-08). */
  eofGraceMs: number;
}

export class TtyEndpoint implements ClientEndpoint {
  readonly framing = 'stream' as const;
  readonly partialFlushMs = PROMPT_FLUSH_MS;
  readonly endAfterInputEndMs: number;
  readonly label: string;
  /** Resolves once the session has finished and all its output reached the terminal. */
  readonly ended: Promise<ExitInfo>;
  private resolveEnded!: (e: ExitInfo) => void;
  private events: EndpointEvents | undefined;
  private finished = false;

  constructor(
    private readonly line: TtyLine,
    private readonly opts: TtyEndpointOptions,
  ) {
    this.label = line.path;
    this.endAfterInputEndMs = opts.eofGraceMs;
    this.ended = new Promise((r) => (this.resolveEnded = r));
  }

  start(events: EndpointEvents): void {
    this.events = events;
    for (const chunk of this.opts.first ?? []) events.input(chunk);
    this.line.attach({
      // After ^D the line is still read, so a hangup is still seen; the core drops what is
      // typed then, as it drops bytes after a TCP FIN.
      data: (chunk) => {
        if (!this.finished) events.input(chunk);
      },
      eof: () => {
        if (!this.finished) events.inputEnd();
      },
      hangup: (detail) => {
        if (!this.finished) events.gone('closed', detail);
      },
      drain: () => {
        if (!this.finished) events.drain();
      },
    });
    if (!this.finished) this.line.want(true);
  }

  /** SIGHUP to the daemon serving its own terminal: the user is gone, as if the line had dropped. */
  hangup(detail: string): void {
    if (this.events && !this.finished) this.events.gone('closed', detail);
  }

  write(chunk: Buffer): boolean {
    return this.line.write(chunk);
  }

  pauseInput(): void {
    this.line.want(false);
  }

  resumeInput(): void {
    if (!this.finished) this.line.want(true);
  }

  finish(exit: ExitInfo): void {
    if (this.finished) return;
    this.finished = true;
    this.line.attach(undefined);
    void this.line.flushed().then(() => this.resolveEnded(exit));
  }
}
