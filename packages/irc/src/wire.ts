/**
 * Building IRC lines safely (IRC-12 .. IRC-14).
 *
 * irc-framework only strips CR/LF from `say()` text; targets, `action()`, `join()`,
 * `raw()` go out as given, and NUL passes everywhere. Every line hamelin-irc sends is
 * built here, field by field, so no byte of script output or of a server-supplied name
 * can end a line early or add a parameter.
 */

/** The bytes that end or corrupt an IRC line. */
const UNSAFE = /[\r\n\0]/g;
/** In message text also \x01, the CTCP delimiter: a script that echoes what users type must not
 * be made to send CTCP requests (ACTION, DCC, VERSION...). Clients find CTCP anywhere in a
 * message, not only at its start, so every \x01 goes. */
const UNSAFE_TEXT = /[\r\n\0\x01]/g;

/** IRC's limit, CR LF included. */
export const MAX_LINE = 512;
/** What is left for the line itself once CR LF is counted. */
export const MAX_BODY = MAX_LINE - 2;

export class WireError extends Error {}

/** Remove CR, LF and NUL. */
export function clean(s: string): string {
  return s.replace(UNSAFE, '');
}

/** Remove CR, LF, NUL and \x01: for message text, which the bot never sends as CTCP. */
export function cleanText(s: string): string {
  return s.replace(UNSAFE_TEXT, '');
}

/** A middle parameter (target, channel, nick): cleaned, non-empty, no space, no leading ':'. */
export function middle(s: string): string {
  const c = clean(s);
  if (c === '' || c.includes(' ') || c.startsWith(':')) throw new WireError(`unsafe parameter ${JSON.stringify(c)}`);
  return c;
}

/**
 * `COMMAND p1 p2 :trailing`, every field cleaned (the trailing one of \x01 too). Throws when a middle parameter is not
 * a single word or the line would exceed 510 bytes: such a line is never sent.
 */
export function buildLine(command: string, params: string[], trailing?: string): string {
  const parts = [middle(command), ...params.map(middle)];
  if (trailing !== undefined) parts.push(`:${cleanText(trailing)}`);
  const line = parts.join(' ');
  if (Buffer.byteLength(line) > MAX_BODY) throw new WireError(`line of ${Buffer.byteLength(line)} bytes`);
  return line;
}

/** Worst-case length of `nick!user@host` when we do not know better: USERLEN 10 plus `~`, HOSTLEN 63. */
export function assumedMaskLength(nickLen: number): number {
  return nickLen + 1 + 11 + 1 + 63;
}

/**
 * Bytes of text that fit in one PRIVMSG once the server relays it as
 * `:MASK PRIVMSG TARGET :TEXT\r\n` (IRC-13).
 */
export function textBudget(maskLength: number, target: string): number {
  const overhead = 1 + maskLength + 1 + 'PRIVMSG '.length + Buffer.byteLength(target) + 2;
  return MAX_BODY - overhead;
}

let segmenter: Intl.Segmenter | undefined;

/**
 * Split text into pieces of at most `maxBytes` UTF-8 bytes each, only between grapheme
 * clusters (so never inside a UTF-8 sequence), preferring to break just before a space in
 * the second half of a piece: servers strip trailing spaces from a message, but keep
 * leading ones. `pieces.join('') === text` always: nothing is added or lost.
 */
export function splitUtf8(text: string, maxBytes: number): string[] {
  if (maxBytes < 4) throw new RangeError('maxBytes must be at least 4');
  if (Buffer.byteLength(text) <= maxBytes) return [text];
  segmenter ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  const units: string[] = [];
  for (const { segment } of segmenter.segment(text)) {
    if (Buffer.byteLength(segment) <= maxBytes) units.push(segment);
    else units.push(...Array.from(segment)); // a pathological cluster: fall back to code points
  }
  const pieces: string[] = [];
  let cur: string[] = [];
  let curBytes = 0;
  for (const u of units) {
    const b = Buffer.byteLength(u);
    if (curBytes + b > maxBytes) {
      // Break before the last space if that keeps at least half a piece.
      let cut = cur.length;
      let bytes = curBytes;
      for (let i = cur.length - 1, acc = curBytes; i > 0; i--) {
        acc -= Buffer.byteLength(cur[i]!);
        if (acc * 2 < maxBytes) break;
        if (cur[i] === ' ') {
          // Before the whole run of spaces, so that no piece ends with one.
          while (i > 1 && cur[i - 1] === ' ' && (acc - 1) * 2 >= maxBytes) {
            i--;
            acc -= 1;
          }
          cut = i;
          bytes = acc;
          break;
        }
      }
      pieces.push(cur.slice(0, cut).join(''));
      cur = cur.slice(cut);
      curBytes -= bytes;
    }
    cur.push(u);
    curBytes += b;
  }
  if (cur.length) pieces.push(cur.join(''));
  return pieces;
}

/** Longest tail `heldAtCut` moves on to the next piece: beyond it, a cut stays where it is. */
const MAX_CARRY = 256;

/**
 * How much of the end of a piece cut at --max-line (UTF-16 units) to hold back for the next
 * piece: a run of spaces, which the server would strip from the end of the message, or
 * else the last grapheme cluster, which the next bytes may continue (e + U+0301). Nothing
 * when that tail is longer than MAX_CARRY, so that what is held stays bounded.
 */
export function heldAtCut(text: string): number {
  const spacesAtEnd = (t: string): number => t.length - t.replace(/ +$/, '').length;
  let n = spacesAtEnd(text);
  if (n === 0) {
    segmenter ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' });
    let last = '';
    for (const { segment } of segmenter.segment(text.slice(-MAX_CARRY))) last = segment;
    // With the spaces before it, or holding back the cluster would leave them at the end.
    n = last.length + spacesAtEnd(text.slice(0, text.length - last.length));
  }
  return n <= MAX_CARRY ? n : 0;
}

/** Parse `HOST`, `HOST:PORT`, `[V6]` or `[V6]:PORT`. */
export function parseServer(spec: string, tls: boolean): { host: string; port: number } {
  const dflt = tls ? 6697 : 6667;
  let host = spec;
  let port = '';
  const v6 = /^\[([^\]]+)\](?::(.*))?$/.exec(spec);
  if (v6) {
    host = v6[1]!;
    port = v6[2] ?? '';
  } else if ((spec.match(/:/g) ?? []).length === 1) {
    [host, port] = spec.split(':') as [string, string];
  }
  if (!host) throw new WireError('--server needs a host');
  if (port === '') return { host, port: dflt };
  if (!/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535) throw new WireError(`bad port ${JSON.stringify(port)} in --server`);
  return { host, port: Number(port) };
}

/** RFC 2812 nickname characters (first may not be a digit or '-'). */
export function validNick(nick: string): boolean {
  return /^[A-Za-z[\]\\`_^{|}][A-Za-z0-9[\]\\`_^{|}-]*$/.test(nick);
}

/** A channel name as RFC 2812 allows: a prefix, then no space, comma, BEL, CR, LF or NUL. */
export function validChannel(name: string): boolean {
  return /^[#&+!][^\s,\x07\0]{1,49}$/.test(name);
}
