/**
 * Whether a chunk of exactly --max-line bytes that the core wrote is a piece of a longer line
 * (CORE-06), to be continued by the next write, or a whole line of that length.
 *
 * ClientEndpoint.write does not say; until the core passes a flag, this reads it from how the
 * core hands output over: a whole line is a view into the core's block of lines and is
 * followed there by its newline, while a piece never is (the core cuts only a line that has
 * no newline in what it holds). When the byte after is a newline the answer is "whole" even
 * for a piece whose buffer happens to continue with one: then nothing is held back, as if the
 * line had ended there, which costs at most the niceties of heldAtCut. The max-line test in
 * test/irc/sessions.test.ts fails if the core stops handing lines over this way.
 */
export function continues(chunk: Buffer): boolean {
  const end = chunk.byteOffset + chunk.length;
  if (end >= chunk.buffer.byteLength) return true;
  return new Uint8Array(chunk.buffer, end, 1)[0] !== 0x0a;
}
