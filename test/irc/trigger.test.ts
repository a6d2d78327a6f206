/** The --trigger rule (IRC-22): a trigger ending in a letter, digit or _ is a whole word. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { afterTrigger } from '@hamelin/irc';

test('IRC-22 a trigger that ends in a letter is a word: "!quote" takes "!quote" and "!quote WORD", not "!quotes"', () => {
  assert.equal(afterTrigger('!quote', '!quote'), '');
  assert.equal(afterTrigger('!quote   knuth', '!quote'), 'knuth');
  assert.equal(afterTrigger('!quote,knuth', '!quote'), ',knuth');
  assert.equal(afterTrigger('!quotes', '!quote'), null);
  assert.equal(afterTrigger('!quote2', '!quote'), null);
  assert.equal(afterTrigger('!quote_x', '!quote'), null);
  assert.equal(afterTrigger('!quoteé', '!quote'), null);
  assert.equal(afterTrigger('!quote\u0301', '!quote'), null, 'a combining mark continues the word');
  assert.equal(afterTrigger('!Quote', '!quote'), null, 'case is kept, as before');
  assert.equal(afterTrigger('!calc2', '!calc2'), '');
  assert.equal(afterTrigger('!calc22', '!calc2'), null);
});

test('IRC-22 a trigger that ends in anything else is a prefix: "!" takes "!quote", "calc:" takes "calc:2+2"', () => {
  assert.equal(afterTrigger('!quote knuth', '!'), 'quote knuth');
  assert.equal(afterTrigger('calc:2+2', 'calc:'), '2+2');
  assert.equal(afterTrigger('?? help', '??'), 'help');
  assert.equal(afterTrigger('quote', '!'), null);
});
