/**
 * CORE-35: every duration and count option of every daemon is checked at startup by one rule:
 * a bad value is one line naming the option and exit 2, before anything listens (CORE-18).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { bin } from '../helpers/paths.js';

/** Arguments that start each daemon when nothing else is wrong (the option goes before them). */
const DAEMONS: Record<string, string[]> = {
  net: ['127.0.0.1', '0', 'cat'],
  ws: ['--port', '0', 'cat'],
  http: ['--port', '0', 'cat'],
  irc: ['--server', '127.0.0.1:1', '--nick', 'bot', 'cat'],
  tty: ['--device', '/dev/null', 'cat'],
};

const COMMON_DURATIONS = ['kill-after', 'idle-timeout', 'timeout'];
const OWN_DURATIONS: Record<string, string[]> = {
  net: [],
  ws: ['ping-interval'],
  http: ['header-timeout', 'read-timeout', 'poll-timeout', 'abandon-timeout', 'heartbeat'],
  irc: ['ping-timeout', 'reconnect-max', 'nick-retry'],
  tty: [],
};

async function refused(pkg: string, option: string, value: string): Promise<void> {
  const r = await execa(process.execPath, [bin(pkg), `--${option}`, value, ...DAEMONS[pkg]!], { reject: false, timeout: 60_000, stdin: 'ignore' });
  const lines = r.stderr.split('\n').filter(Boolean);
  assert.equal(r.exitCode, 2, `hamelin-${pkg} --${option} ${value}: exit ${r.exitCode}, stderr ${JSON.stringify(r.stderr)}`);
  assert.equal(lines.length, 1, `one line: ${JSON.stringify(r.stderr)}`);
  assert.match(lines[0]!, new RegExp(`^hamelin-${pkg}: --${option} must be `));
  assert.doesNotMatch(r.stderr, /listening/);
}

for (const pkg of Object.keys(DAEMONS)) {
  test(`CORE-35 hamelin-${pkg}: every duration option refuses a value over 2147483 s, not a number, negative or under 1 ms`, async () => {
    // Side by side: each is a daemon that must exit at once, and one after the other they took
    // most of the runner's 120 s per file on a loaded machine.
    await Promise.all([
      ...[...COMMON_DURATIONS, ...OWN_DURATIONS[pkg]!].flatMap((option) => [refused(pkg, option, '2147484'), refused(pkg, option, 'soon')]),
      // The rest of the rule, on the shared options: one daemon each is enough, the code is shared.
      refused(pkg, 'timeout', '-1'),
      refused(pkg, 'kill-after', '0.0001'),
    ]);
  });

  test(`CORE-35 hamelin-${pkg}: --max-line and --max-clients must be whole numbers in range`, async () => {
    await Promise.all([
      refused(pkg, 'max-line', '0'),
      refused(pkg, 'max-line', '1.5'),
      refused(pkg, 'max-line', String(2 ** 30 + 1)),
      refused(pkg, 'max-clients', '-1'),
      refused(pkg, 'max-clients', '2.5'),
      refused(pkg, 'max-clients', String(2 ** 20 + 1)),
    ]);
  });
}

test('CORE-35 the longest duration, 2147483 s, is accepted: hamelin-net --timeout 2147483 starts and serves', async () => {
  const p = execa(process.execPath, [bin('net'), '--timeout', '2147483', '--kill-after', '2147483', '--idle-timeout', '2147483', '127.0.0.1', '0', 'cat'], { reject: false, stdin: 'ignore' });
  let err = '';
  p.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const deadline = Date.now() + 15_000;
  while (!/listening/.test(err) && Date.now() < deadline && p.exitCode === null) await new Promise((r) => setTimeout(r, 20));
  assert.match(err, /listening/);
  p.kill('SIGTERM');
  assert.equal((await p).exitCode, 0);
});
