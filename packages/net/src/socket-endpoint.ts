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

/** How long a finished session keeps reading (and dropping) client bytes after its FIN before it
 * destroys the socket. Closing with unread input makes the kernel send RST, which can destroy
 * output the client has not read yet (NET-07). */
const LINGER_MS = 2000;
/** How long a client may take none of the output still queued here before the FIN, before the
 * daemon gives up on it (NET-07). Long, because progress shows only in coarse steps: the kernel
 * takes more of a full send buffer only once a third of it is free, a megabyte on loopback. */
const STALL_MS = 30_000;

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
    // The FIN leaves only once the client has taken what is still queued here, and destroying
    // the socket before that drops the queue's tail (a slow link's last lines, a hub's "closed:
    // too slow"). So the linger counts from the FIN; before it, a client is given up only when
    // it takes nothing for STALL_MS. What is queued is bounded, so a trickle ends too.
    let queued = s.writableLength;
    const stalled = (): void => {
      if (s.writableLength > 0 && s.writableLength < queued) {
        queued = s.writableLength;
        timer = setTimeout(stalled, STALL_MS).unref();
      } else s.destroy();
    };
    let timer = setTimeout(stalled, STALL_MS).unref();
    s.once('finish', () => {
      clearTimeout(timer);
      timer = setTimeout(() => s.destroy(), LINGER_MS).unref();
    });
    s.once('close', () => clearTimeout(timer));
  }
}
