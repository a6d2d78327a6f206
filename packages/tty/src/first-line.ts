/**
 * --wait (TTY-04): the first line typed (or part of one, before a ^D) begins the session and
 * is its first input. A ^D on an empty line is ignored: there is nobody's input to end yet.
 */
import type { TtyLine } from './line.js';

/** Null when the line hung up while waiting. */
export function waitForLine(line: TtyLine): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const done = (v: Buffer | null): void => {
      line.attach(undefined);
      resolve(v);
    };
    line.attach({ data: (c) => done(c), eof: () => {}, hangup: () => done(null), drain: () => {} });
    if (line.gone === undefined) line.want(true);
  });
}
