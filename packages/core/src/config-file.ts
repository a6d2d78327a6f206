/**
 * Config files (OPS-01): YAML whose keys are the flags' names, checked against the same
 * option tables as the command line. Every problem is a ConfigError whose one line names the
 * file, the line and the key, so that a bad file stops the daemon before it listens (CORE-18).
 */
import { readFileSync } from 'node:fs';
import type { Options } from 'yargs';
import type { Document, LineCounter } from 'yaml';
import { StartupError } from './command.js';
import { breaksRule } from './option-rules.js';
import { coreRequire } from './package-root.js';

export class ConfigError extends StartupError {}

// yaml is loaded when a file is read, not when the daemon starts: most daemons read none (with
// the lazy admin of @hamelin/admin/start, about 5 MiB of a fresh daemon's RSS and 70 ms of its
// start: bench/README.md, issue 16). require, because the options are read synchronously; from
// core's directory, which is yaml's dependent wherever this code is bundled.
let yamlModule: typeof import('yaml') | undefined;
const yaml = (): typeof import('yaml') => (yamlModule ??= coreRequire('yaml') as typeof import('yaml'));

export type KeyPath = (string | number)[];

/** A parsed file that can say on which line a key is. */
export class ConfigFile {
  private constructor(
    readonly path: string,
    readonly data: Record<string, unknown>,
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  static read(path: string): ConfigFile {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new ConfigError(`cannot read config ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 1);
    }
    const { LineCounter, parseDocument } = yaml();
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
    const err = doc.errors[0];
    if (err) {
      const line = lines.linePos(err.pos[0]).line;
      throw new ConfigError(`${path}:${line}: ${err.message.split('\n')[0]}`);
    }
    const data = doc.toJS() ?? {};
    if (typeof data !== 'object' || Array.isArray(data)) throw new ConfigError(`${path}:1: the file must be a map of option names to values`);
    return new ConfigFile(path, data as Record<string, unknown>, doc, lines);
  }

  /** The line of a key (its name, not its value), or of the nearest enclosing one. */
  lineOf(path: KeyPath): number {
    const { isMap, isScalar } = yaml();
    for (let n = path.length; n > 0; n--) {
      const parent = n === 1 ? this.doc.contents : this.doc.getIn(path.slice(0, n - 1), true);
      if (isMap(parent)) {
        const pair = parent.items.find((p) => isScalar(p.key) && p.key.value === path[n - 1]);
        const range = pair && isScalar(pair.key) ? pair.key.range : undefined;
        if (range) return this.lines.linePos(range[0]).line;
      }
    }
    return 1;
  }

  /** `FILE:LINE: a.b.key: message` */
  error(path: KeyPath, message: string): ConfigError {
    return new ConfigError(`${this.path}:${this.lineOf(path)}: ${path.join('.')}: ${message}`);
  }
}

/**
 * Check one map of options against a yargs table (the same names, types, choices and rules
 * as the flags, CORE-35) and return it with camelCase names. Unknown keys are errors: a misspelt key must not
 * be ignored. `extra` are keys the caller handles itself (`command`, `net`...).
 */
export function checkConfigValues(
  values: Record<string, unknown>,
  table: Record<string, Options>,
  fail: (key: string, message: string) => Error,
  extra: readonly string[] = [],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(values)) {
    if (extra.includes(key)) continue;
    const o = table[key];
    if (!o) throw fail(key, `unknown key${suggest(key, [...Object.keys(table), ...extra])}`);
    out[camel(key)] = checkValue(v, o, (m) => fail(key, m));
  }
  return out;
}

function checkValue(v: unknown, o: Options, fail: (m: string) => Error): unknown {
  if (o.choices) {
    if (!(o.choices as unknown[]).includes(v)) throw fail(`must be one of ${(o.choices as unknown[]).join(', ')}`);
    return v;
  }
  // A repeatable option: a list, or one value.
  if (o.array || o.type === 'string' && o.requiresArg) {
    const items = Array.isArray(v) ? v : [v];
    for (const i of items) if (typeof i !== 'string' && typeof i !== 'number') throw fail('must be a string or a list of strings');
    return o.array ? items.map(String) : Array.isArray(v) ? items.map(String) : String(v);
  }
  switch (o.type) {
    case 'number': {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw fail('must be a number');
      const problem = breaksRule(o, v);
      if (problem) throw fail(problem);
      return v;
    }
    case 'boolean':
      if (typeof v !== 'boolean') throw fail('must be true or false');
      return v;
    case 'string': {
      if (typeof v !== 'string' && typeof v !== 'number') throw fail('must be a string');
      // A string option may have a rule too (--workers: a count or auto).
      const problem = breaksRule(o, String(v));
      if (problem) throw fail(problem);
      return String(v);
    }
    default:
      return v;
  }
}

/** Values from `HAMELIN_*` environment variables for the options of a table (OPS-02):
 * HAMELIN_MAX_CLIENTS=10 is --max-clients 10; a list is comma-separated. Other HAMELIN_*
 * names (HAMELIN_SPAWN) are not options and are left alone. */
export function optionsFromEnv(table: Record<string, Options>, env: NodeJS.ProcessEnv = process.env): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, o] of Object.entries(table)) {
    const raw = env[`HAMELIN_${key.toUpperCase().replace(/-/g, '_')}`];
    if (raw === undefined) continue;
    const fail = (m: string): Error => new StartupError(`HAMELIN_${key.toUpperCase().replace(/-/g, '_')}: ${m}`);
    let v: unknown = raw;
    if (o.type === 'number') v = raw.trim() === '' ? NaN : Number(raw);
    else if (o.type === 'boolean') v = raw === 'true' || raw === '1' ? true : raw === 'false' || raw === '0' ? false : raw;
    else if (o.array || o.requiresArg) v = raw.split(',').filter(Boolean);
    out[key] = checkValue(v, o, fail);
  }
  return out;
}

export function camel(s: string): string {
  return s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

function suggest(key: string, known: string[]): string {
  const near = known.find((k) => k.replace(/[-_]/g, '') === key.toLowerCase().replace(/[-_]/g, ''));
  return near ? ` (did you mean ${near}?)` : '';
}
