/**
 * A script's output as IRC text (IRC-07): each line decoded as UTF-8 (an invalid byte becomes
 * U+FFFD), CR, LF, NUL and \x01 removed. A piece of an over-long line (CORE-06) may end inside a
 * UTF-8 sequence, a grapheme cluster or a run of spaces: that tail is held for the next piece.
 */
import { StringDecoder } from 'node:string_decoder';
import { cleanText, heldAtCut } from './wire.js';

export class OutputText {
  private readonly decoder = new StringDecoder('utf8');
  /** The end of the last --max-line piece, held for the next one (see heldAtCut). */
  private carry = '';

  /** The text of one line, or of one piece of a longer line (`piece`). */
  take(chunk: Buffer, piece: boolean): string {
    let text = this.carry + cleanText(piece ? this.decoder.write(chunk) : this.decoder.end(chunk));
    this.carry = '';
    if (piece) {
      const held = heldAtCut(text);
      this.carry = text.slice(text.length - held);
      text = text.slice(0, text.length - held);
    }
    return text;
  }

  /** The output is over: what was held of its last line. */
  end(): string {
    const text = this.carry + cleanText(this.decoder.end());
    this.carry = '';
    return text;
  }
}
