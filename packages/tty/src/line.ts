/**
 * The served terminal, read and written through libuv's own TTY handles (node:tty), so no
 * native module is needed and nothing ever blocks a thread that exit would have to join.
 *
 * Output goes through one writer handle for the daemon's lifetime. Input is read by a
 * reader handle on a descriptor of its own, opened afresh for each stretch of input: in
 * canonical mode a read of 0 bytes (^D at the start of a line) ends a Node stream for good,
 * so after each ^D the next stretch gets a new reader.
 *
 * A read of 0 bytes is either ^D at the start of a line or a hung-up line (Linux returns
 * EOF, not EIO, from a hung-up terminal). A zero-length write tells them apart: it succeeds
 * on a live terminal and fails with EIO once the line has hung up (TTY-09).
 *
 * A reader exists only while someone wants input (a session not applying backpressure, or
 * --wait waiting for its first line): what is typed while nobody reads stays in the
 * kernel's line buffer, which is the terminal's own flow control.
 */
import { closeSync, constants, openSync, write } from 'node:fs';
import { isatty, ReadStream } from 'node:tty';

export interface LineSink {
  /** Bytes typed: in canonical mode, one line (with its `\n`) or a part of one. */
  data(chunk: Buffer): void;
  /** ^D at the start of a line. */
  eof(): void;
  /** The line is gone (hangup, EIO, device removed). Final. */
  hangup(detail: string): void;
  /** Output that was held back may continue. */
  drain(): void;
}

type Held = { kind: 'data'; chunk: Buffer } | { kind: 'eof' };

const EMPTY = Buffer.alloc(0);
/** O_NONBLOCK: opening a serial line must not wait for carrier on the event loop. */
const OPEN_FLAGS = constants.O_NOCTTY | constants.O_NONBLOCK;

function errCode(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err.code ?? err.message;
}

export class TtyLine {
  private sink: LineSink | undefined;
  private held: Held[] = [];
  private wanted = false;
  private reader: ReadStream | undefined;
  private probing = false;
  private goneDetail: string | undefined;
  private goneReported = false;
  private readonly writer: ReadStream;
  private closed = false;

  private constructor(
    /** The device's real path, e.g. /dev/pts/3. */
    readonly path: string,
    private readonly fd: number,
  ) {
    // A tty.ReadStream is a duplex socket on a TTY handle; unlike tty.WriteStream it does
    // not switch the handle to blocking writes, so a slow or stopped (^S) terminal gives
    // backpressure instead of stalling the event loop. It is never read from.
    this.writer = new ReadStream(fd, { allowHalfOpen: true });
    this.writer.on('error', (err: NodeJS.ErrnoException) => this.lost(err.code === 'EIO' ? 'hangup' : errCode(err)));
    this.writer.on('drain', () => this.sink?.drain());
  }

  /** Open a terminal device for reading and writing. */
  static open(path: string): TtyLine {
    const fd = openSync(path, constants.O_RDWR | OPEN_FLAGS);
    if (!isatty(fd)) {
      closeSync(fd);
      throw Object.assign(new Error(`${path} is not a terminal`), { code: 'ENOTTY' });
    }
    return new TtyLine(path, fd);
  }

  get gone(): string | undefined {
    return this.goneDetail;
  }

  /** Route line events to `sink` (a session, or the --wait waiter); undefined to detach,
   * which also stops reading. */
  attach(sink: LineSink | undefined): void {
    this.sink = sink;
    this.want(false);
    if (!sink) {
      this.dropReader();
      return;
    }
    // Input read just as the previous reader was detached goes to the new one; a ^D does not:
    // it ended the input of the session it was typed in, and must not end the next one's.
    const held = this.held.filter((h): h is Held & { kind: 'data' } => h.kind === 'data');
    this.held = [];
    for (const h of held) {
      if (this.sink !== sink) return;
      sink.data(h.chunk);
    }
    if (this.goneDetail !== undefined && this.sink === sink) this.reportGone();
  }

  /** Start or stop reading (stop = backpressure: the kernel holds what is typed). */
  want(on: boolean): void {
    this.wanted = on && this.sink !== undefined && this.goneDetail === undefined;
    if (!this.wanted) {
      this.reader?.pause();
      return;
    }
    if (this.probing) return; // a new reader follows the probe
    if (!this.reader) this.openReader();
    this.reader?.resume();
  }

  private openReader(): void {
    let fd: number;
    try {
      fd = openSync(this.path, constants.O_RDONLY | OPEN_FLAGS);
    } catch (e) {
      return this.lost(errCode(e)); // ENOENT, EIO: the device went away
    }
    const r = new ReadStream(fd);
    this.reader = r;
    r.on('data', (chunk: Buffer) => this.emit({ kind: 'data', chunk }));
    r.on('error', (err: NodeJS.ErrnoException) => {
      if (this.reader === r) this.reader = undefined;
      r.destroy();
      this.lost(err.code === 'EIO' ? 'hangup' : errCode(err));
    });
    r.on('end', () => {
      // EOF: ^D at the start of a line, or a hung-up line? A zero-length write decides.
      if (this.reader === r) this.reader = undefined;
      r.destroy();
      this.probing = true;
      void this.probe().then((alive) => {
        this.probing = false;
        if (!alive) return;
        this.emit({ kind: 'eof' });
        if (this.wanted) this.want(true);
      });
    });
  }

  private dropReader(): void {
    const r = this.reader;
    this.reader = undefined;
    r?.destroy();
  }

  private emit(h: Held): void {
    if (!this.sink) {
      this.held.push(h);
      return;
    }
    if (h.kind === 'data') this.sink.data(h.chunk);
    else this.sink.eof();
  }

  /** Is the line still there? A zero-length write fails with EIO on a hung-up line. */
  probe(): Promise<boolean> {
    if (this.goneDetail !== undefined || this.closed) return Promise.resolve(false);
    return new Promise((resolve) =>
      write(this.fd, EMPTY, 0, 0, null, (err) => {
        if (err) this.lost(err.code === 'EIO' ? 'hangup' : errCode(err));
        resolve(!err);
      }),
    );
  }

  /** Queue output. False when the writer's buffer is full: wait for `drain`. */
  write(chunk: Buffer): boolean {
    if (this.goneDetail !== undefined || this.closed) return true;
    return this.writer.write(chunk);
  }

  /** Resolves when every queued byte has been handed to the terminal (or the line is gone). */
  flushed(): Promise<void> {
    if (this.goneDetail !== undefined || this.closed || this.writer.writableLength === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.goneDetail !== undefined || this.writer.writableLength === 0) {
          this.writer.off('drain', check);
          this.writer.off('error', check);
          resolve();
        }
      };
      this.writer.on('drain', check);
      this.writer.on('error', check);
      // 'drain' only fires after write() returned false: write an empty chunk to be told.
      this.writer.write(EMPTY, () => check());
    });
  }

  private lost(detail: string): void {
    if (this.goneDetail !== undefined) return;
    this.goneDetail = detail;
    this.wanted = false;
    this.dropReader();
    if (this.sink) this.reportGone();
  }

  private reportGone(): void {
    if (this.goneReported) return;
    this.goneReported = true;
    this.sink!.hangup(this.goneDetail!);
  }

  /** Close both descriptors (the writer's closes the line's own). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.dropReader();
    this.writer.destroy();
  }
}
