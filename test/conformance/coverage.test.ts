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
  irc: ['bindings/irc.md', 'hub.md'],
  tty: ['bindings/tty.md', 'hub.md'],
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

/**
 * The HUB MUSTs the suite runs no check for on a binding whose hub it checks (so no fixture is
 * due), and why. Each binding's hub MUST is a check, or here: a MUST added to spec/hub.md fails
 * below until it is one or the other.
 */
const HUB_NOT_RUN: Record<string, Record<string, string>> = {
  irc: {
    'HUB-05': "an IRC message is one line by the protocol, and the server cuts it at 512 bytes: two nicks' lines cannot interleave in transit",
    'HUB-06': "an IRC message is at most 512 bytes (the protocol): a line over a --max-line set below that is not run yet; the cut is the core's, checked on net, unix, ws and http",
    'HUB-10': "every line to every client, in order, is HUB-17's once-per-channel check on irc",
    'HUB-18': "--hub-room service joins a channel to the service's room across front-ends: it needs a second front-end beside the bot, which the suite's irc binding does not start (test/ops/hamelin-irc checks it)",
    'HUB-11': "the bot has one connection to the server and its flood pacing, not a client's socket: a nick cannot be a slow reader",
    'HUB-12': "a nick's lines come through the server's flood control at a few a second: they cannot fill a process's stdin in a check's time",
    'HUB-13': '--replay is said to the channel once when its own client joins: not run yet',
    'HUB-14': "the bot's shutdown (SIGTERM to the process, its last lines said) waits out flood pacing: not run yet",
    'HUB-15': "as HUB-11: no client of the bot's reads slowly; the channel's queue is --queue messages (IRC-15)",
  },
  // One terminal is one client: what needs two clients or a second client's view has no tty check.
  tty: {
    'HUB-18': "irc's: a terminal is one client, in no room but the service's",
    'HUB-01': 'one terminal per daemon: a room of one client shows no sharing (the other bindings check it)',
    'HUB-05': 'one client: no second line to mix with',
    'HUB-06': "one client: no other client's line to land inside a long one; the cut is the core's, checked on net, unix, ws and http",
    'HUB-09': "the addressed grammar's targets need several clients; close ID on tty: not run yet",
    'HUB-10': "one client: every line to every client is the terminal's own output (TTY checks)",
    'HUB-11': 'the daemon writes to its own terminal, which the suite reads at once: no slow reader to make',
    'HUB-12': "the terminal's input queue is the kernel's, 4 KiB in canonical mode: no bound of the daemon's to measure",
    'HUB-13': '--replay needs a client that joins after lines were said: one terminal joins once',
    'HUB-15': 'as HUB-11: no slow client on a terminal',
    'HUB-17': "irc's: a medium several clients share",
  },
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

for (const binding of Object.keys(HUB_NOT_RUN)) {
  test(`every HUB MUST is a check on the ${binding} binding, or listed as not run there with its reason`, () => {
    const checks = listed(binding, ['--opt', 'hub-broadcast=--hub broadcast']);
    const musts = specMusts('hub.md');
    const notRun = Object.keys(HUB_NOT_RUN[binding]!);
    assert.deepEqual(musts.filter((id) => !checks.includes(id)).sort(), notRun.sort(), `HUB MUSTs with no check on ${binding}`);
  });
}
