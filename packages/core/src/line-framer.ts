/**
 * Line buffering for one direction of a session (CORE-03, CORE-05, CORE-06).
 *
 * Bytes are held until a newline arrives and then released in line-aligned blocks:
 * one block may hold many lines, so a fast producer costs one write per read, not one
 * per line. A partial line that grows to `maxLine` bytes is released as a piece without
 * waiting for its newline, so memory stays bounded and nothing is dropped. The bytes are
 * never altered: only the moment they are released is.
 *
 * The held partial line is one buffer of our own, grown by doubling, never a list of the
 * reads it came in (CORE-32): a client trickling one byte per TCP segment made every read its
 * own Buffer, about 100 bytes of memory for each byte held (8 sessions x 256 KiB took the
 * daemon's RSS up by 208 MiB). Copying the tail of a read also lets that read's buffer go.
 */
/**
 * What a released block is: `lines`, one or more whole lines, each with its newline; `piece`,
 * `maxLine` bytes of a longer line that the next release continues (CORE-06); `rest`, the
 * bytes after the last newline when the stream ends or a partial line is passed on early
 * (CORE-05; a terminal's prompt).
 */
export type Release = 'lines' | 'piece' | 'rest';
export type Emit = (block: Buffer, kind: Release) => void;

/** The first capacity of a held partial line; it doubles from here as the line grows. */
const FIRST_CAPACITY = 256;

export class LineFramer {
  /** The held partial line is `held[0, heldLen)`; released blocks never alias it. */
  private held: Buffer | undefined;
  private heldLen = 0;
  /** True once any line of this stream has gone out in pieces. */
  oversized = false;

  constructor(
    private readonly maxLine: number,
    private readonly emit: Emit,
    private readonly onFirstOversize: () => void = () => {},
  ) {}

  push(chunk: Buffer): void {
    const nl = chunk.lastIndexOf(10);
    if (nl >= 0) {
      const head = nl === chunk.length - 1 ? chunk : chunk.subarray(0, nl + 1);
      const block = this.heldLen === 0 ? head : Buffer.concat([this.held!.subarray(0, this.heldLen), head], this.heldLen + head.length);
      this.drop();
      if (nl < chunk.length - 1) this.hold(chunk.subarray(nl + 1));
      this.emit(block, 'lines');
    } else {
      this.hold(chunk);
    }
    while (this.heldLen >= this.maxLine) this.releasePiece();
  }

  /** End of stream: a last line without a newline is still delivered (CORE-05). */
  flush(): void {
    if (this.heldLen === 0) return;
    const rest = this.take(this.heldLen);
    this.emit(rest, 'rest');
  }

  get buffered(): number {
    return this.heldLen;
  }

  /** Bytes of memory the held line occupies (its buffer's capacity): at most twice what it
   * holds, or one read past `maxLine`. */
  get capacity(): number {
    return this.held?.length ?? 0;
  }

  private hold(buf: Buffer): void {
    if (buf.length === 0) return;
    const need = this.heldLen + buf.length;
    if (!this.held || need > this.held.length) {
      // allocUnsafeSlow: a pooled slice would keep a shared 8 KiB slab alive for as long as
      // a partial line waits for its newline.
      const grown = Buffer.allocUnsafeSlow(Math.max(need, FIRST_CAPACITY, Math.min(2 * (this.held?.length ?? 0), this.maxLine)));
      if (this.held) this.held.copy(grown, 0, 0, this.heldLen);
      this.held = grown;
    }
    buf.copy(this.held, this.heldLen);
    this.heldLen = need;
  }

  /** The first `n` held bytes as a block of their own; what is left stays held. */
  private take(n: number): Buffer {
    const held = this.held!;
    const rest = this.heldLen - n;
    if (rest === 0) {
      this.drop();
      return held.subarray(0, n);
    }
    // The block leaves with the old buffer (a transport may keep it until written); the rest
    // moves to a new one.
    this.held = undefined;
    this.heldLen = 0;
    this.hold(held.subarray(n, n + rest));
    return held.subarray(0, n);
  }

  private drop(): void {
    this.held = undefined;
    this.heldLen = 0;
  }

  private releasePiece(): void {
    const piece = this.take(this.maxLine);
    if (!this.oversized) {
      this.oversized = true;
      this.onFirstOversize();
    }
    this.emit(piece, 'piece');
  }
}

/** Split a line-aligned block into its lines, without their newlines (message framing). */
export function* linesOf(block: Buffer): Generator<Buffer> {
  let start = 0;
  for (;;) {
    const nl = block.indexOf(10, start);
    if (nl < 0) break;
    yield block.subarray(start, nl);
    start = nl + 1;
  }
  if (start < block.length) yield block.subarray(start);
}
