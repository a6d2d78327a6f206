/** The line builder and splitter of hamelin-irc, checked exhaustively on generated input. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildLine, heldAtCut, splitUtf8, WireError } from '@hamelin/irc';

test('IRC-12 buildLine removes CR, LF and NUL from every field and refuses a target that is not one word', () => {
  assert.equal(buildLine('PRIVMSG', ['#c\r\n'], 'a\rb\nc\0d'), 'PRIVMSG #c :abcd');
  assert.throws(() => buildLine('PRIVMSG', ['#c PRIVMSG #d'], 'x'), WireError);
  assert.throws(() => buildLine('PRIVMSG', [':evil'], 'x'), WireError);
  assert.throws(() => buildLine('PRIVMSG', ['\r\n'], 'x'), WireError);
  assert.throws(() => buildLine('PRIVMSG', ['#c'], 'x'.repeat(600)), WireError);
});

test('IRC-12 buildLine removes \\x01 from the text, so no line the bot builds is CTCP', () => {
  assert.equal(buildLine('PRIVMSG', ['#c'], '\x01ACTION waves\x01'), 'PRIVMSG #c :ACTION waves');
  assert.equal(buildLine('PRIVMSG', ['#c'], 'a \x01VERSION\x01 b'), 'PRIVMSG #c :a VERSION b');
});

test('IRC-07 CORE-06 heldAtCut: a --max-line cut passes on its trailing spaces, or else its last grapheme cluster', () => {
  const held = (t: string): string => t.slice(t.length - heldAtCut(t));
  assert.equal(held('abc   '), '   ', 'spaces the server would strip from the end');
  assert.equal(held('abc e'), ' e', 'the last cluster, and the space before it');
  assert.equal(held('abcde'), 'e', 'e may continue with U+0301 in the next piece');
  assert.equal(held('ab👩‍👩‍👧'), '👩‍👩‍👧', 'a whole cluster');
  assert.equal(held('a\u0301'), 'a\u0301');
  assert.equal(heldAtCut(' '.repeat(300)), 0, 'never more than 256: what is held stays bounded');
});

test('IRC-13 splitUtf8: pieces within budget, valid UTF-8, never ending in a space, joined back exactly', () => {
  const alphabet = ['a', ' ', 'é', '€', '😀', 'e\u0301', '👩‍👩‍👧', '\u0003', '中'];
  let seed = 42;
  const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  for (let round = 0; round < 300; round++) {
    let s = '';
    const len = 1 + rnd(900);
    for (let i = 0; i < len; i++) s += alphabet[rnd(alphabet.length)];
    const budget = 16 + rnd(400);
    const pieces = splitUtf8(s, budget);
    assert.equal(pieces.join(''), s);
    for (const [i, p] of pieces.entries()) {
      assert.ok(Buffer.byteLength(p) <= budget, `piece of ${Buffer.byteLength(p)} > ${budget}`);
      assert.ok(p.length > 0);
      assert.equal(Buffer.from(p, 'utf8').toString('utf8'), p, 'no lone surrogate');
      // A break just before that space would have kept at least half a piece: it must have been taken.
      if (i < pieces.length - 1) assert.ok(!(p.endsWith(' ') && (Buffer.byteLength(p) - 1) * 2 >= budget), `piece ends with a space: ${JSON.stringify(p)}`);
    }
  }
});
