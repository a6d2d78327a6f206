/**
 * The rules every numeric option of every daemon is checked against at startup (CORE-35), in
 * one place. An option's table entry carries its rule (`seconds(...)`, `integer(...)`), so a
 * front-end's own options are checked the same way as the shared ones, by `parseCli`.
 *
 * Why durations need it: Node holds a timer of at most 2^31-1 ms (24.8 days) and fires a longer
 * one after 1 ms, so `--timeout 3000000` ended every session at once, `--kill-after` became an
 * immediate SIGKILL, and `--heartbeat` a busy loop. A positive value under 1 ms would round to
 * 0, which means "off" for most of them: also the opposite of what was asked.
 */
import type { Options } from 'yargs';

/** The longest duration option, in seconds: 2147483 s (24.8 days, Node's longest timer). */
export const MAX_SECONDS = 2147483;

export type Rule = { kind: 'seconds'; min: number } | { kind: 'integer'; min: number; max: number } | { kind: 'count-or-auto'; min: number; max: number };

// A symbol key: yargs ignores it, and object spread (`{ ...commonOptions['idle-timeout'], default: 600 }`)
// keeps it, so an option derived from a shared one keeps its rule.
const RULE = Symbol('hamelin.option-rule');

/** A duration option, given in seconds: a number from `min` to MAX_SECONDS, 0 or at least 1 ms. */
export function seconds(opt: Options, min = 0): Options {
  return { type: 'number', ...opt, [RULE]: { kind: 'seconds', min } } as Options;
}

/** A whole-number option from `min` to `max`. */
export function integer(opt: Options, min: number, max: number): Options {
  return { type: 'number', ...opt, [RULE]: { kind: 'integer', min, max } } as Options;
}

/** A whole number from `min` to `max`, or the word `auto` (--workers), given as a string. */
export function countOrAuto(opt: Options, min: number, max: number): Options {
  return { type: 'string', ...opt, [RULE]: { kind: 'count-or-auto', min, max } } as Options;
}

/** The rule of an option, if it has one: for a JSON Schema made from the same table (OPS-01). */
export function optionRule(opt: Options): Readonly<Rule> | undefined {
  return (opt as { [RULE]?: Rule })[RULE];
}

/** The first option of `table` whose parsed value breaks its rule, as the startup line (without
 * the daemon's name), or undefined. `parsed` is keyed by option name as in the table. */
export function checkOptions(table: Record<string, Options>, parsed: Record<string, unknown>): string | undefined {
  for (const [name, opt] of Object.entries(table)) {
    const v = parsed[name];
    if (v === undefined) continue;
    const problem = breaksRule(opt, v);
    if (problem) return `--${name} ${problem}`;
  }
  return undefined;
}

/** What is wrong with `v` under the rule of `opt` (`must be ...`), or undefined: the same words
 * for a flag, a HAMELIN_* variable and a config key (OPS-01). */
export function breaksRule(opt: Options, v: unknown): string | undefined {
  const rule = (opt as { [RULE]?: Rule })[RULE];
  if (!rule) return undefined;
  if (Array.isArray(v)) return 'is given more than once';
  const shown = typeof v === 'number' && Number.isNaN(v) ? 'given: not a number' : `given: ${JSON.stringify(v)}`;
  if (rule.kind === 'seconds') {
    const ok = typeof v === 'number' && Number.isFinite(v) && v >= rule.min && v <= MAX_SECONDS && (v === 0 || v >= 0.001);
    if (!ok) return `must be a number of seconds from ${rule.min} to ${MAX_SECONDS} (24.8 days), 0 or at least 0.001 (${shown})`;
  } else if (rule.kind === 'count-or-auto') {
    const text = String(v).trim();
    const n = /^\d+$/.test(text) ? Number(text) : NaN;
    if (text !== 'auto' && !(n >= rule.min && n <= rule.max)) return `must be a whole number from ${rule.min} to ${rule.max}, or auto (given: ${JSON.stringify(String(v))})`;
  } else {
    const ok = typeof v === 'number' && Number.isInteger(v) && v >= rule.min && v <= rule.max;
    if (!ok) return `must be a whole number from ${rule.min} to ${rule.max} (${shown})`;
  }
  return undefined;
}
