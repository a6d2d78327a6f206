/**
 * One session on the terminal, as a hamelin client endpoint ('stream' framing).
 * Typed lines are the child's stdin; ^D at the start of a line is its EOF (a half-close,
 * as with TCP): output continues until the child exits. A hangup means the user is gone.
 */
import type { ClientEndpoint, EndpointEvents, ExitInfo } from '@hamelin/core';
import type { TtyLine } from './line.js';

export class TtyEndpoint implements ClientEndpoint {
  readonly framing = 'stream' as const;
  readonly label: string;
  /** Resolves once the session has finished and all its output reached the terminal. */
  readonly ended: Promise<ExitInfo>;
  private resolveEnded!: (e: ExitInfo) => void;
  private events: EndpointEvents | undefined;
  private inputEnded = false;
  private finished = false;

  constructor(
    private readonly line: TtyLine,
    /** Input read before the session began (the first line, with --wait). */
    private readonly first: Buffer[] = [],
  ) {
    this.label = line.path;
    this.ended = new Promise((r) => (this.resolveEnded = r));
  }

  start(events: EndpointEvents): void {
    this.events = events;
    for (const chunk of this.first) events.input(chunk);
    this.line.attach({
      data: (chunk) => {
        // After ^D the child's stdin is closed: later lines are read (so a hangup is still
        // seen) and dropped, as bytes after a TCP FIN would be.
        if (!this.finished && !this.inputEnded) events.input(chunk);
      },
      eof: () => {
        if (this.finished || this.inputEnded) return;
        this.inputEnded = true;
        events.inputEnd();
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

  /** SIGHUP to the daemon: the user is gone, as if the line had dropped. */
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
