/**
 * The line grammar of `--hub addressed` (HUB-08, HUB-09). Every event is one line of words
 * separated by single spaces, so that `read -r event id rest` in sh and `line.split(' ', 2)` in
 * Python take it apart. To the child:
 *
 *   join ID H-NAME=VALUE ...    a client joined; its H- variables, values percent-encoded
 *   line ID TEXT                one line from the client, TEXT as it came (no newline)
 *   leave ID REASON             the client is gone: closed, reset, timeout, protocol,
 *                               write-error, slow, closed-by-child, shutdown
 *
 * From the child:
 *
 *   TARGET TEXT                 TEXT to the clients TARGET names: an ID, IDs joined by commas,
 *                               `*` for every client, or `!ID` for every client but that one
 *   close ID [REASON]           end that client, with REASON where its transport carries one
 */

import { hNames } from './env.js';

/** Bytes a VALUE may not hold as they are: controls, space, `%` and DEL. */
const UNSAFE = /[\x00-\x20%\x7f]/g;

/** Percent-encode what would break a word: `%20` for a space, `%25` for `%`. */
export function encodeValue(v: string): string {
  return v.replace(UNSAFE, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

export function joinEvent(id: number, vars: Record<string, string>): Buffer {
  let line = `join ${id}`;
  // The names a per-client child would see in its environment (CORE-11): front-ends key header
  // variables by the header's own lower-case name (`HEADER-user-agent`), and env.ts upper-cases
  // them; a join must say `H-HEADER-USER-AGENT` as the environment does (WS-16, HTTP-08).
  for (const [k, v] of Object.entries(vars)) line += ` ${hNames(k)[0]}=${encodeValue(v)}`;
  return Buffer.from(`${line}\n`);
}

export function lineEvent(id: number, text: Buffer): Buffer {
  const head = `line ${id} `;
  const out = Buffer.allocUnsafe(head.length + text.length + 1);
  out.write(head, 0, 'latin1');
  text.copy(out, head.length);
  out[out.length - 1] = 10;
  return out;
}

export function leaveEvent(id: number, reason: string): Buffer {
  return Buffer.from(`leave ${id} ${reason}\n`);
}

export type Targets = { kind: 'some'; ids: number[] } | { kind: 'all' } | { kind: 'all-but'; id: number };

export type ChildLine =
  | { kind: 'send'; to: Targets; text: Buffer }
  | { kind: 'close'; id: number; reason: string }
  | { kind: 'bad'; why: string };

const ID = /^[1-9][0-9]{0,15}$/;

/** One line the child wrote, without its newline. */
export function parseChildLine(line: Buffer): ChildLine {
  const sp = line.indexOf(32);
  const word = (sp < 0 ? line : line.subarray(0, sp)).toString('latin1');
  if (word === 'close') {
    const rest = sp < 0 ? '' : line.subarray(sp + 1).toString('utf8');
    const sp2 = rest.indexOf(' ');
    const id = sp2 < 0 ? rest : rest.slice(0, sp2);
    if (!ID.test(id)) return { kind: 'bad', why: 'close without a client id' };
    return { kind: 'close', id: Number(id), reason: sp2 < 0 ? '' : rest.slice(sp2 + 1) };
  }
  if (sp < 0) return { kind: 'bad', why: 'no space after the target' };
  const text = line.subarray(sp + 1);
  if (word === '*') return { kind: 'send', to: { kind: 'all' }, text };
  if (word.startsWith('!')) {
    const id = word.slice(1);
    return ID.test(id) ? { kind: 'send', to: { kind: 'all-but', id: Number(id) }, text } : { kind: 'bad', why: 'not a client id after !' };
  }
  const ids = word.split(',');
  if (ids.length > 64 || !ids.every((i) => ID.test(i))) return { kind: 'bad', why: 'the target is not *, !ID, or client ids joined by commas' };
  return { kind: 'send', to: { kind: 'some', ids: ids.map(Number) }, text };
}
