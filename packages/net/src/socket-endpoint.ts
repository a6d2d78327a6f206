/**
 * A stream socket (TCP, TLS, unix) as a hamelin client endpoint.
 *
 * TCP's close is two-sided, and the spec gives each side its meaning (NET-04 .. NET-06):
 * a FIN from the client is the end of the child's input, not the end of the session, so
 * `sort` still answers `cat file | nc host port`; a reset, a failed write or a close
 * that ends our ability to deliver output means the client is gone.
 */
import type { Socket } from 'node:net';
import type { ClientEndpoint, EndpointEvents, ExitInfo, Framing } from '@hamelin/core';

/** How long a finished session keeps reading (and dropping) client bytes before it
 * destroys the socket. Closing with unread input makes the kernel send RST, which can
 * destroy output the client has not read yet (NET-07). */
const LINGER_MS = 2000;

export class SocketEndpoint implements ClientEndpoint {
  private finished = false;
  /** How the client went away before start(), while the process was being spawned. */
  private early: { reason: 'reset' | 'write-error' | 'closed'; detail?: string } | undefined;

  constructor(
    private readonly socket: Socket,
    readonly label: string,
    /** `stream`, or `raw` with --raw (CORE-33). */
    readonly framing: Extract<Framing, 'stream' | 'raw'> = 'stream',
  ) {
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.early ??= { reason: err.code === 'ECONNRESET' ? 'reset' : 'write-error', detail: err.code ?? err.message };
    });
    socket.on('close', () => {
      this.early ??= { reason: 'closed' };
    });
  }

  start(events: EndpointEvents): void {
    const s = this.socket;
    if (this.early) {
      events.gone(this.early.reason, this.early.detail);
      return;
    }
    s.on('data', (chunk: Buffer) => {
      if (!this.finished) events.input(chunk);
    });
    s.on('end', () => {
      if (!this.finished) events.inputEnd();
    });
    s.on('drain', () => events.drain());
    s.on('error', (err: NodeJS.ErrnoException) => {
      if (this.finished) return;
      const reset = err.code === 'ECONNRESET';
      events.gone(reset ? 'reset' : 'write-error', err.code ?? err.message);
    });
    s.on('close', () => {
      if (!this.finished) events.gone('closed');
    });
    // A FIN that came with no byte while the process was being spawned has already been read,
    // and its 'end' emitted to no one: the child's stdin must still end (NET-04).
    if (s.readableEnded) queueMicrotask(() => {
      if (!this.finished) events.inputEnd();
    });
  }

  write(chunk: Buffer): boolean {
    if (this.socket.destroyed || !this.socket.writable) return true;
    return this.socket.write(chunk);
  }

  pauseInput(): void {
    this.socket.pause();
  }

  resumeInput(): void {
    this.socket.resume();
  }

  finish(_exit: ExitInfo): void {
    this.finished = true;
    const s = this.socket;
    if (s.destroyed) return;
    s.end();
    s.resume();
    const timer = setTimeout(() => s.destroy(), LINGER_MS);
    timer.unref();
    s.once('close', () => clearTimeout(timer));
  }
}
