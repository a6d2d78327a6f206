/**
 * Every MUST of every binding has a broken fixture (a `break=ID` of the mini daemon), and a row
 * in packages/conformance/README.md's table "requirement -> checks -> fixtures". A MUST added to
 * the spec without a fixture fails here, as does a fixture the table does not name. The MUSTs
 * without a fixture yet are listed below, each with the reason; the list must shrink, never grow.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ROOT } from '../helpers/paths.js';
import { listed, miniBreaks } from '../helpers/conformance.js';

const SPEC: Record<string, string[]> = {
  net: ['hamelin.md', 'front-door.md', 'hub.md'],
  unix: ['hamelin.md', 'hub.md'],
  ws: ['hamelin.md', 'bindings/ws.md', 'front-door.md', 'hub.md'],
  http: ['hamelin.md', 'bindings/http.md', 'front-door.md', 'hub.md'],
  irc: ['bindings/irc.md'],
  tty: ['bindings/tty.md'],
};

/** The MUSTs without a fixture yet, and why. */
const GAPS: Record<string, Record<string, string>> = {
  net: {},
  unix: {},
  ws: {},
  http: {},
  irc: {},
  tty: {},
};

function specMusts(file: string): string[] {
  const text = readFileSync(resolve(ROOT, 'spec', file), 'utf8');
  return [...text.matchAll(/\*\*([A-Z]+-\d+) \(MUST\)/g)].map((m) => m[1]!);
}

/** The MUSTs a binding must keep: the core ones its checks apply to, its own, and the front-door
 * (FD-) and hub (HUB-) ones the suite checks on it (opt-in checks, listed with their option given). */
function mustsOf(binding: string): string[] {
  const checks = listed(binding, ['--opt', 'deny=--deny {value}', '--opt', 'hub-broadcast=--hub broadcast']);
  const own = binding === 'net' || binding === 'unix' ? 'NET' : binding.toUpperCase();
  const all = SPEC[binding]!.flatMap(specMusts);
  // NET-05 (a reset) is TCP's, NET-08 (socket files) unix's: the suite's list says which.
  const applies = (id: string): boolean => (id.startsWith(`${own}-`) && (own !== 'NET' || checks.includes(id))) || ((id.startsWith('CORE-') || id.startsWith('FD-') || id.startsWith('HUB-')) && checks.includes(id));
  return [...new Set(all.filter(applies))].sort();
}

const breaks = miniBreaks();

for (const binding of Object.keys(SPEC)) {
  test(`every MUST of the ${binding} binding has a broken fixture, or is a listed gap with its reason`, () => {
    const covered = new Set(breaks.filter((b) => b.bindings.includes(binding)).map((b) => b.req));
    const uncovered = mustsOf(binding).filter((id) => !covered.has(id));
    assert.deepEqual(uncovered, Object.keys(GAPS[binding]!).sort(), `MUSTs of ${binding} without a fixture`);
  });
}

test("README's table names, for each MUST with a fixture, its checks and its fixtures (break=ID per binding)", () => {
  const readme = readFileSync(resolve(ROOT, 'packages/conformance/README.md'), 'utf8');
  const rows = new Map<string, string>();
  for (const m of readme.matchAll(/^\| ([A-Z]+-\d+) \| ([^|]*) \| ([^|]*) \|$/gm)) rows.set(m[1]!, m[3]!.trim());
  for (const b of breaks) {
    const row = rows.get(b.req);
    assert.ok(row !== undefined, `README has no row for ${b.req}`);
    assert.ok(row.includes(`\`break=${b.id}\``), `README's row for ${b.req} names break=${b.id}`);
    for (const binding of b.bindings) assert.match(row, new RegExp(`\\b${binding}\\b`), `README's row for ${b.req} names the ${binding} fixture`);
  }
  for (const id of rows.keys()) assert.ok(breaks.some((b) => b.req === id), `README names a fixture for ${id}, which the mini daemon lacks`);
});
