/**
 * The --trigger prefix (IRC-03, IRC-04, IRC-22). A trigger that ends in a letter, digit or `_`
 * is a word: `!quote` takes `!quote` and `!quote knuth`, not `!quotes`, which is another
 * command. A trigger that ends in anything else is a prefix: `!` takes `!quote`, and `calc:`
 * takes `calc:2+2`.
 */

const WORD_END = /[\p{L}\p{N}_]$/u;
const WORD_START = /^[\p{L}\p{N}_\p{M}]/u;

/** The text after the trigger and the spaces that follow it, or null when `msg` does not start with it. */
export function afterTrigger(msg: string, trigger: string): string | null {
  if (!msg.startsWith(trigger)) return null;
  const rest = msg.slice(trigger.length);
  // A combining mark continues the letter before it: `!quoté` is not `!quote`.
  if (WORD_END.test(trigger) && WORD_START.test(rest)) return null;
  return rest.replace(/^ +/, '');
}
