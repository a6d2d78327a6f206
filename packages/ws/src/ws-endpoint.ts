/**
 * One WebSocket connection as a hamelin client endpoint (WS-03 .. WS-11).
 *
 * Text mode (`message` framing): one text message in is one line to the child, one line of
 * output is one text message. Binary mode (`--binary`, `raw` framing, CORE-33): raw bytes both
 * ways, every message's payload goes to stdin at once as it is, each read of the child's
 * stdout goes out at once as one binary message.
 */
import { isUtf8 } from 'node:buffer';
import type { WebSocket } from 'ws';
import type { ClientEndpoint, EndpointEvents, ExitInfo } from '@hamelin/core';
import { closeFor } from './close-code.js';

/** Output bytes handed to `ws` but not yet written to the socket: above HIGH, `write`
 * returns false; `drain` once it is back under LOW. */
const HIGH = 256 * 1024;
const LOW = 64 * 1024;
/** Input held while the child is being spawned; past this the socket is paused. */
const EARLY_MAX = 64 * 1024;

const noop = (): void => {};

export interface WsEndpointOptions {
  binary: boolean;
}

export class WsEndpoint implements ClientEndpoint {
  readonly framing: 'message' | 'raw';
  private events: EndpointEvents | undefined;
  private finished = false;
  private closed = false;
  private queued = 0;
  private wantDrain = false;
  /** Set by the ping sweep; cleared by a pong. */
  awaitingPong = false;

  constructor(
    private readonly ws: WebSocket,
    readonly label: string,
    private readonly opts: WsEndpointOptions,
  ) {
    this.framing = opts.binary ? 'raw' : 'message';
    // Until start(), errors must not crash the daemon.
    ws.on('error', noop);
    ws.on('pong', () => (this.awaitingPong = false));
    ws.once('close', () => (this.closed = true));
    // The socket keeps being read while the child is spawned, and what arrives is held here,
    // so that the client's first message is already in hand when the child exists instead of
    // waiting for one more turn of the event loop (it is on the critical path of every short
    // session). Past EARLY_MAX the socket is paused: a client cannot make the daemon hold more.
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (this.events) return this.message(data, isBinary);
      this.early.push([data, isBinary]);
      this.earlyBytes += data.length;
      if (this.earlyBytes > EARLY_MAX && !this.earlyPaused) {
        this.earlyPaused = true;
        ws.pause();
      }
    });
  }

  private early: [Buffer, boolean][] = [];
  private earlyBytes = 0;
  private earlyPaused = false;

  private message(data: Buffer, isBinary: boolean): void {
    if (this.finished) return;
    if (isBinary && !this.opts.binary) {
      // WS-06: a text-mode session refuses binary data.
      this.ws.close(1003, 'binary messages not accepted (see --binary)');
      this.gone('protocol', 'binary message');
      return;
    }
    this.events!.input(data);
  }

  start(events: EndpointEvents): void {
    this.events = events;
    const ws = this.ws;
    const early = this.early;
    this.early = [];
    for (const [data, isBinary] of early) this.message(data, isBinary);
    ws.on('error', (err: Error & { code?: string }) => {
      // ws closes the connection itself (1009 for --max-message, 1002/1007 for protocol errors).
      this.gone('protocol', err.code ?? err.message);
    });
    ws.on('close', (code: number) => {
      this.gone(code === 1006 ? 'reset' : 'closed', String(code));
    });
    if (this.closed) this.gone('reset', 'closed before start');
    // An early message the child's stdin did not take at once paused input (pauseInput):
    // that pause stands.
    else if (this.earlyPaused && !this.inputPaused) ws.resume();
  }

  private gone(reason: 'closed' | 'reset' | 'protocol' | 'timeout' | 'write-error', detail: string): void {
    if (this.finished || !this.events) return;
    const ev = this.events;
    this.finished = true;
    ev.gone(reason, detail);
  }

  write(chunk: Buffer): boolean {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return true;
    let payload = chunk;
    // WS-07: a text message must be UTF-8; invalid sequences become U+FFFD.
    if (!this.opts.binary && !isUtf8(chunk)) payload = Buffer.from(chunk.toString('utf8'));
    const len = payload.length;
    this.queued += len;
    this.cork();
    this.ws.send(payload, { binary: this.opts.binary }, (err) => {
      this.queued -= len;
      if (err) return;
      if (this.wantDrain && this.queued <= LOW) {
        this.wantDrain = false;
        this.events?.drain();
      }
    });
    if (this.queued > HIGH) {
      this.wantDrain = true;
      return false;
    }
    return true;
  }

  /** Lines of one stdout read arrive as a synchronous run of writes: hold the socket corked
   * until the run ends, so they leave in one writev instead of one syscall per message. */
  private corked = false;
  private cork(): void {
    if (this.corked) return;
    const sock = (this.ws as unknown as { _socket?: import('node:net').Socket })._socket;
    if (!sock || sock.destroyed) return;
    this.corked = true;
    sock.cork();
    process.nextTick(() => {
      this.corked = false;
      sock.uncork();
    });
  }

  private inputPaused = false;

  pauseInput(): void {
    this.inputPaused = true;
    if (!this.closed) this.ws.pause();
  }

  resumeInput(): void {
    this.inputPaused = false;
    if (!this.closed) this.ws.resume();
  }

  /** Ping sweep (WS-14): a peer that did not answer the last ping is dropped. While input is
   * paused its pong cannot be read, so it is not held against it; the ping still goes out, and
   * a peer that has left answers it with a reset that fails the next write. */
  ping(): void {
    if (this.closed) return;
    if (this.awaitingPong && !this.inputPaused) {
      this.ws.terminate();
      this.gone('timeout', 'no pong');
      return;
    }
    this.awaitingPong = true;
    try {
      this.ws.ping();
    } catch {
      /* closing */
    }
  }

  finish(exit: ExitInfo): void {
    this.finished = true;
    if (this.closed || this.ws.readyState !== this.ws.OPEN) {
      if (this.ws.readyState === this.ws.CONNECTING) this.ws.terminate();
      return;
    }
    // WS-08: the close frame goes after every queued message and carries the exit status.
    const { code, reason } = closeFor(exit);
    this.ws.resume(); // read the client's close frame even if input was paused
    this.ws.close(code, reason);
  }

  /** Shutdown helper: true once the TCP connection is gone. */
  get isClosed(): boolean {
    return this.closed;
  }

  onClose(cb: () => void): void {
    if (this.closed) cb();
    else this.ws.once('close', cb);
  }
}
