/**
 * The JSON Schema of a hamelin config file (OPS-01), made from the same option tables that
 * check the file, so it cannot say something else. `hamelin.schema.json` is this, committed
 * (a test keeps the two equal).
 */
import { MAX_SECONDS, optionRule } from '@hamelin/core';
import type { Options } from 'yargs';
import { FRONT_ENDS, frontEndOptions, listens, processOptions, REQUIRED, serviceOptions } from './model.js';

type Schema = Record<string, unknown>;

function property(o: Options): Schema {
  const description = typeof o.describe === 'string' ? o.describe : undefined;
  let s: Schema;
  if (o.choices) s = { enum: o.choices as unknown[] };
  else if (o.array || (o.type === 'string' && o.requiresArg)) s = { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] };
  else if (o.type === 'number') {
    const rule = optionRule(o);
    s =
      rule?.kind === 'integer' ? { type: 'integer', minimum: rule.min, maximum: rule.max }
      : rule?.kind === 'seconds' ? { type: 'number', minimum: rule.min, maximum: MAX_SECONDS }
      : { type: 'number' };
  }
  else if (o.type === 'boolean') s = { type: 'boolean' };
  else if (optionRule(o)?.kind === 'count-or-auto') {
    const rule = optionRule(o) as { min: number; max: number };
    s = { anyOf: [{ type: 'integer', minimum: rule.min, maximum: rule.max }, { const: 'auto' }] };
  }
  else s = { type: ['string', 'number'] };
  return { ...(description ? { description } : {}), ...s, ...(o.default !== undefined && !(Array.isArray(o.default) && o.default.length === 0) ? { default: o.default } : {}) };
}

const properties = (table: Record<string, Options>): Schema => Object.fromEntries(Object.entries(table).map(([k, o]) => [k, property(o)]));

const listen = { type: 'string', description: 'HOST:PORT, [V6]:PORT or unix:PATH', pattern: '^(unix:.+|(\\[[^\\]]+\\]|[^:]+):\\d+)$' };

export function configSchema(): Schema {
  const frontEnd = (kind: (typeof FRONT_ENDS)[number]): Schema => ({
    type: 'object',
    description: `served by hamelin-${kind}; the keys are its flags`,
    additionalProperties: false,
    properties: { ...(listens(kind) ? { listen } : {}), ...properties(frontEndOptions[kind]) },
    ...(REQUIRED[kind] ? { required: REQUIRED[kind] } : {}),
  });
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'hamelin config file',
    description: 'Keys are the flags of the same name (spec/operations.md, OPS-01). Flags, then HAMELIN_* variables, win over the file.',
    type: 'object',
    additionalProperties: false,
    required: ['services'],
    properties: {
      ...properties(processOptions),
      services: {
        type: 'object',
        minProperties: 1,
        propertyNames: { pattern: '^[A-Za-z0-9_.-]+$' },
        additionalProperties: {
          type: 'object',
          additionalProperties: false,
          oneOf: [{ required: ['command'] }, { required: ['dir'] }],
          anyOf: FRONT_ENDS.map((k) => ({ required: [k] })),
          properties: {
            command: { type: 'array', items: { type: 'string' }, minItems: 1, description: 'the command and its arguments, untouched' },
            dir: { type: 'string', description: 'serve the executables in DIR by URL path (ws, http)' },
            ...properties(serviceOptions),
            ...Object.fromEntries(FRONT_ENDS.map((k) => [k, frontEnd(k)])),
          },
        },
      },
    },
  };
}
