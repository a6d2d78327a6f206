/**
 * Line buffering for one direction of a session (CORE-03, CORE-05, CORE-06).
 *
 * Bytes are held until a newline arrives and then released in line-aligned blocks:
 * one block may hold many lines, so a fast producer costs one write per read, not one
 * per line. A partial line that grows to `maxLine` bytes is released as a piece without
 * waiting for its newline, so memory stays bounded and nothing is dropped. The bytes are
 * never altered: only the moment they are released is.
 */
/**
 * What a released block is: `lines`, one or more whole lines, each with its newline; `piece`,
 * `maxLine` bytes of a longer line that the next release continues (CORE-06); `rest`, the
 * bytes after the last newline when the stream ends or a partial line is passed on early
 * (CORE-05; a terminal's prompt).
 */
export type Release = 'lines' | 'piece' | 'rest';
export type Emit = (block: Buffer, kind: Release) => void;

export class LineFramer {
  private pending: Buffer[] = [];
  private pendingLen = 0;
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
      const block = this.pendingLen === 0 ? head : Buffer.concat([...this.pending, head], this.pendingLen + head.length);
      this.pending = [];
      this.pendingLen = 0;
      if (nl < chunk.length - 1) this.hold(chunk.subarray(nl + 1));
      this.emit(block, 'lines');
    } else {
      this.hold(chunk);
    }
    while (this.pendingLen >= this.maxLine) this.releasePiece();
  }

  /** End of stream: a last line without a newline is still delivered (CORE-05). */
  flush(): void {
    if (this.pendingLen === 0) return;
    const rest = Buffer.concat(this.pending, this.pendingLen);
    this.pending = [];
    this.pendingLen = 0;
    this.emit(rest, 'rest');
  }

  get buffered(): number {
    return this.pendingLen;
  }

  private hold(buf: Buffer): void {
    if (buf.length === 0) return;
    this.pending.push(buf);
    this.pendingLen += buf.length;
  }

  private releasePiece(): void {
    const all = Buffer.concat(this.pending, this.pendingLen);
    const piece = all.subarray(0, this.maxLine);
    const rest = all.subarray(this.maxLine);
    this.pending = rest.length ? [rest] : [];
    this.pendingLen = rest.length;
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
