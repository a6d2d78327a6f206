/** Every requirement of spec/bindings/ws.md is named by at least one test here. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../helpers/paths.js';

test('WS-01..WS-21: every WS requirement of the spec has a test in test/ws whose name carries its id', () => {
  const spec = readFileSync(join(ROOT, 'spec', 'bindings', 'ws.md'), 'utf8');
  const required = [...spec.matchAll(/^\*\*(WS-\d+) \((?:MUST|SHOULD|MAY)\)\*\*/gm)].map((m) => m[1]!);
  assert.ok(required.length >= 21, `the spec's requirements were found (${required.length})`);
  const dir = join(ROOT, 'test', 'ws');
  const names = readdirSync(dir)
    .filter((f) => f.endsWith('.test.ts'))
    .flatMap((f) => [...readFileSync(join(dir, f), 'utf8').matchAll(/^test\(\s*(['`])(.*?)\1/gms)].map((m) => m[2]!));
  const named = new Set(names.flatMap((n) => n.match(/WS-\d+/g) ?? []));
  assert.deepEqual(required.filter((id) => !named.has(id)), [], 'requirements no test names');
});
