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
  net: ['hamelin.md'],
  unix: ['hamelin.md'],
  ws: ['hamelin.md', 'bindings/ws.md'],
  http: ['hamelin.md', 'bindings/http.md'],
  irc: ['bindings/irc.md'],
  tty: ['bindings/tty.md'],
};

/** The MUSTs without a fixture yet, and why. */
const GAPS: Record<string, Record<string, string>> = {
  net: {},
  unix: {
    'NET-01': 'the unix half of NET-01 is listening at unix:PATH at all: a daemon that does not is refused up front (the suite cannot start it)',
  },
  ws: Object.fromEntries(
    ['WS-22', 'WS-23', 'WS-24', 'WS-25', 'WS-26'].map((id) => [id, 'new in this batch (origin refused by default, header bytes, handshake deadline and limit): hamelin tests it in test/ws/hardening.test.ts; no suite check yet']),
  ),
  http: Object.fromEntries([
    ...['HTTP-01', 'HTTP-22', 'HTTP-23', 'HTTP-24', 'HTTP-25', 'HTTP-26', 'HTTP-27', 'HTTP-28', 'HTTP-29', 'HTTP-31'].map((id) => [
      id,
      'the suite has no check for it yet (startup and TLS, long-poll sessions, --dir)',
    ]),
    ...['HTTP-34', 'HTTP-35', 'HTTP-36'].map((id) => [id, 'new in this batch (origin refused by default, --origin values, header bytes): hamelin tests it in test/http/hardening.test.ts; no suite check yet']),
  ]),
  irc: Object.fromEntries(
    ['IRC-01', 'IRC-02', 'IRC-03', 'IRC-04', 'IRC-05', 'IRC-06', 'IRC-07', 'IRC-08', 'IRC-09', 'IRC-10', 'IRC-11', 'IRC-12', 'IRC-13', 'IRC-14', 'IRC-15', 'IRC-16', 'IRC-17', 'IRC-18', 'IRC-19', 'IRC-21', 'IRC-22', 'IRC-23'].map((id) => [id, 'the mini daemon is no IRC bot yet']),
  ),
  tty: Object.fromEntries(
    ['TTY-01', 'TTY-02', 'TTY-03', 'TTY-04', 'TTY-05', 'TTY-06', 'TTY-07', 'TTY-08', 'TTY-09', 'TTY-10', 'TTY-11', 'TTY-12', 'TTY-13', 'TTY-14', 'TTY-15', 'TTY-16', 'TTY-18'].map((id) => [id, 'the mini daemon serves no terminal yet']),
  ),
};

function specMusts(file: string): string[] {
  const text = readFileSync(resolve(ROOT, 'spec', file), 'utf8');
  return [...text.matchAll(/\*\*([A-Z]+-\d+) \(MUST\)/g)].map((m) => m[1]!);
}

/** The MUSTs a binding must keep: the core ones its checks apply to, and its own. */
function mustsOf(binding: string): string[] {
  const checks = listed(binding);
  const own = binding === 'net' || binding === 'unix' ? 'NET' : binding.toUpperCase();
  const all = SPEC[binding]!.flatMap(specMusts);
  // NET-05 (a reset) is TCP's, NET-08 (socket files) unix's: the suite's list says which.
  const applies = (id: string): boolean => (id.startsWith(`${own}-`) && (own !== 'NET' || checks.includes(id))) || (id.startsWith('CORE-') && checks.includes(id));
  return [...new Set(all.filter(applies))].sort();
}

const breaks = miniBreaks();

for (const binding of Object.keys(SPEC)) {
  test(`every MUST of the ${binding} binding has a broken fixture, or is a listed gap with its reason`, () => {
    const covered = new Set(breaks.filter((b) => b.bindings.includes(binding)).map((b) => b.id));
    const uncovered = mustsOf(binding).filter((id) => !covered.has(id));
    assert.deepEqual(uncovered, Object.keys(GAPS[binding]!).sort(), `MUSTs of ${binding} without a fixture`);
  });
}

test("README's table names, for each MUST with a fixture, its checks and its fixtures (break=ID per binding)", () => {
  const readme = readFileSync(resolve(ROOT, 'packages/conformance/README.md'), 'utf8');
  const rows = new Map<string, string>();
  for (const m of readme.matchAll(/^\| ([A-Z]+-\d+) \| ([^|]*) \| ([^|]*) \|$/gm)) rows.set(m[1]!, m[3]!.trim());
  for (const b of breaks) {
    const row = rows.get(b.id);
    assert.ok(row !== undefined, `README has no row for ${b.id}`);
    for (const binding of b.bindings) assert.match(row, new RegExp(`\\b${binding}\\b`), `README's row for ${b.id} names the ${binding} fixture`);
  }
  for (const id of rows.keys()) assert.ok(breaks.some((b) => b.id === id), `README names a fixture for ${id}, which the mini daemon lacks`);
});
