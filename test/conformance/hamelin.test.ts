/**
 * hamelin-conformance against hamelin's own daemon: every check passes, on both bindings.
 * Both runs start at once (they are independent daemons on their own ports and paths).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { bin } from '../helpers/paths.js';
import { suitePool } from '../helpers/conformance.js';

/** Two suites at a time, with doubled timeouts: this file is the heaviest of the area. */
const run = suitePool(2);

const net = run(['net', '--hamelin', '--jobs', '3', '--slow', '2'], [process.execPath, bin('net'), '{host}', '{port}', '{command}']);
const ws = run(['ws', '--hamelin', '--jobs', '3', '--slow', '2'], [process.execPath, bin('ws'), '--host', '{host}', '--port', '{port}', '{command}']);
const http = run(['http', '--hamelin', '--jobs', '3', '--slow', '2'], [process.execPath, bin('http'), '--host', '{host}', '--port', '{port}', '{command}']);
const irc = run(['irc', '--hamelin', '--jobs', '3', '--slow', '2'], [process.execPath, bin('irc'), '--server', '{server}', '--nick', '{nick}', '--channel', '{channel}', '{command}']);
const tty = run(['tty', '--hamelin', '--jobs', '3', '--slow', '2'], [process.execPath, bin('tty'), '--log-file', '{log}', '{command}']);
const unix = run(['unix', '--hamelin', '--jobs', '3', '--slow', '2'], [process.execPath, bin('net'), 'unix:{path}', '{command}']);

const ALL_NET = ['CORE-01', 'CORE-02', 'CORE-03', 'CORE-04', 'CORE-05', 'CORE-06', 'CORE-07', 'CORE-08', 'CORE-09', 'CORE-10', 'CORE-11', 'CORE-12', 'CORE-13', 'CORE-14', 'CORE-15', 'CORE-16', 'CORE-17', 'CORE-18', 'CORE-19', 'CORE-20', 'CORE-21', 'CORE-22', 'CORE-23', 'CORE-24', 'CORE-25', 'CORE-26', 'CORE-27', 'NET-01', 'NET-02', 'NET-03', 'NET-04', 'NET-05', 'NET-06', 'NET-07', 'NET-09'];

test('CORE-01..CORE-27 NET-01..NET-07 NET-09: hamelin-net passes every check of the net binding', async () => {
  const r = await net;
  assert.deepEqual(r.ids('pass'), ALL_NET.slice().sort(), r.explain());
  assert.equal(r.code, 0, r.explain());
  assert.match(r.stdout, new RegExp(`\\n${ALL_NET.length} passed, 0 failed, 0 skipped\\n$`));
});

test('CORE-01..CORE-27 NET-01..NET-04 NET-06..NET-08: hamelin-net passes every check of the unix binding', async () => {
  const r = await unix;
  const want = ALL_NET.filter((id) => id !== 'NET-05' && id !== 'NET-09').concat('NET-08').sort();
  assert.deepEqual(r.ids('pass'), want, r.explain());
  assert.equal(r.code, 0, r.explain());
  assert.match(r.stdout, new RegExp(`\\n${want.length} passed, 0 failed, 0 skipped\\n$`));
});

/** The checks the suite has for a binding (`--list`), so that a check added there is held to
 * passing here without this file knowing it. */
function listed(binding: string): string[] {
  const out = execFileSync(process.execPath, [bin('conformance'), binding, '--list'], { encoding: 'utf8' });
  return [...new Set(out.split('\n').map((l) => /^([A-Z]+-\d+)\s/.exec(l)?.[1]).filter((x): x is string => x !== undefined))].sort();
}

const CORE = ALL_NET.filter((x) => x.startsWith('CORE-'));
const range = (area: string, from: number, to: number): string[] => Array.from({ length: to - from + 1 }, (_, i) => `${area}-${String(from + i).padStart(2, '0')}`);
/** Need a daemon option no generic argv can carry (--binary, --origin, --dir): skipped by the
 * suite on every implementation, with that reason; test/ws covers them. */
const WS_SKIPPED = ['WS-06', 'WS-12', 'WS-17', 'WS-18'];

test('CORE-01..CORE-27 WS-01..WS-21: hamelin-ws passes every check of the ws binding; only the four that need --binary, --origin or --dir are skipped', async () => {
  const r = await ws;
  const all = listed('ws');
  // Every WS requirement has a check, and every CORE one runs on this binding.
  assert.deepEqual(all, [...CORE, ...range('WS', 1, 21)].sort());
  assert.deepEqual(r.ids('skip'), WS_SKIPPED, r.explain());
  assert.deepEqual(r.ids('pass'), all.filter((id) => !WS_SKIPPED.includes(id)), r.explain());
  assert.equal(r.results.length, all.length, r.explain());
  assert.equal(r.code, 0, r.explain());
});

test('CORE-01..CORE-27 HTTP-02..HTTP-11 and the rest the suite lists: hamelin-http passes every check of the http binding', async () => {
  const r = await http;
  const all = listed('http');
  for (const id of [...CORE, ...range('HTTP', 2, 11)]) assert.ok(all.includes(id), `the suite has a check ${id} for http`);
  assert.deepEqual(r.ids('pass'), all, r.explain());
  assert.equal(r.results.length, all.length, r.explain());
  assert.equal(r.code, 0, r.explain());
});

test('IRC-03..IRC-14: hamelin-irc passes every check of the irc binding (on a real ngircd the suite runs)', async () => {
  const r = await irc;
  assert.deepEqual(r.ids('fail'), [], r.explain());
  assert.deepEqual(r.ids('pass'), ['IRC-03', 'IRC-04', 'IRC-05', 'IRC-07', 'IRC-08', 'IRC-10', 'IRC-11', 'IRC-12', 'IRC-14'], r.explain());
  assert.equal(r.code, 0, r.explain());
});

test('TTY-03..TTY-18: hamelin-tty passes every check of the tty binding (on a pseudo-terminal the suite runs it on)', async () => {
  const r = await tty;
  assert.deepEqual(r.ids('fail'), [], r.explain());
  // TTY-12 is respawning: this argv does not, so it is skipped (TTY-13 is the one without).
  assert.deepEqual(r.ids('skip'), ['TTY-12'], r.explain());
  assert.deepEqual(r.ids('pass'), ['TTY-03', 'TTY-05', 'TTY-06', 'TTY-07', 'TTY-08', 'TTY-09', 'TTY-10', 'TTY-11', 'TTY-13', 'TTY-14', 'TTY-15', 'TTY-16', 'TTY-17', 'TTY-18'], r.explain());
  assert.equal(r.code, 0, r.explain());
});
