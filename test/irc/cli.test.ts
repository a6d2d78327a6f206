/** hamelin-irc startup errors: one line, exit 2, before any connection (CORE-18, IRC-02). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bin } from '../helpers/paths.js';
import { tempDir } from '../helpers/temp-dir.js';

function run(args: string[], env: NodeJS.ProcessEnv = process.env): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [bin('irc'), ...args], { encoding: 'utf8', env, timeout: 10_000 });
  return { status: r.status, stderr: r.stderr };
}

const base = ['--server', '127.0.0.1:1', '--nick', 'bot'];
const KEYS = join(tempDir('hamelin-irc-cli-'), 'keys');
writeFileSync(KEYS, '#other sesame\n');

for (const [name, args, message] of [
  ['no --server', ['--nick', 'bot', 'cat'], /^hamelin-irc: missing --server/],
  ['no --nick', ['--server', 'localhost', 'cat'], /^hamelin-irc: missing --nick/],
  ['no command', [...base, '--channel', '#c'], /^hamelin-irc: missing CMD/],
  ['a channel without a prefix', [...base, '--channel', 'math', 'cat'], /^hamelin-irc: invalid channel "math"/],
  ['a nick with a space', ['--server', 'h', '--nick', 'a b', 'cat'], /^hamelin-irc: invalid nick/],
  ['a bad port', ['--server', 'h:99999', '--nick', 'bot', 'cat'], /^hamelin-irc: bad port "99999"/],
  ['a password on the command line', [...base, '--password', 'hunter2', 'cat'], /^hamelin-irc: Unknown argument/],
  ['a password file that does not exist', [...base, '--password-file', '/nonexistent/pw', 'cat'], /^hamelin-irc: server password: cannot read \/nonexistent\/pw: ENOENT/],
  ['an unset password variable', [...base, '--password-env', 'HAMELIN_TEST_UNSET_PW', 'cat'], /^hamelin-irc: server password: environment variable HAMELIN_TEST_UNSET_PW is not set/],
  ['SASL without a password', [...base, '--sasl-account', 'me', 'cat'], /^hamelin-irc: --sasl-account needs/],
  ['a command that does not exist', [...base, '/nonexistent/cmd'], /^hamelin-irc: /],
  ['a channel key on the command line', [...base, '--channel', '#c sesame', 'cat'], /^hamelin-irc: invalid channel "#c sesame" .*--channel-keys-file, never on the command line/],
  ['a keys file that does not exist', [...base, '--channel', '#c', '--channel-keys-file', '/nonexistent/keys', 'cat'], /^hamelin-irc: channel keys: cannot read \/nonexistent\/keys: ENOENT/],
  ['a key for a channel the bot does not join', [...base, '--channel', '#c', '--channel-keys-file', KEYS, 'cat'], /^hamelin-irc: channel keys: .* line 1: #other is not one of the --channel options/],
] as const) {
  test(`CORE-18 IRC-02 startup error: ${name} is one line and exit 2`, () => {
    const r = run([...args]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
  });
}
