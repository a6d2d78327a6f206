/**
 * The README's two example bots, run as a new user would (from the repository root, with
 * the README's command; only the server address differs), against a local ngircd.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { startDaemon, stopAll } from '../helpers/daemon.js';
import { IrcUser, startNgircd, stopAllNgircd, type Ngircd } from '../helpers/ngircd.js';
import { ROOT } from '../helpers/paths.js';

let irc: Ngircd;
const users: IrcUser[] = [];

before(async () => {
  irc = await startNgircd();
});

after(async () => {
  for (const u of users) u.close();
  await stopAll();
  await stopAllNgircd();
});

/** The `hamelin-irc ...` command of the README block that mentions `marker`, as argv. */
function readmeCommand(marker: string): string[] {
  const readme = readFileSync(`${ROOT}/packages/irc/README.md`, 'utf8');
  const line = readme.split('\n').find((l) => l.startsWith('hamelin-irc ') && l.includes(marker));
  assert.ok(line, `README has a hamelin-irc command with ${marker}`);
  // The README quotes with '...' only; a tiny shell-word splitter is enough.
  const words = [...line.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]!);
  return words.slice(1).map((w) => (w === '127.0.0.1:6667' ? `127.0.0.1:${irc.port}` : w));
}

test('IRC-03 IRC-05 IRC-06 example calculator: the README command with bc -l answers in the channel, one bc per user', async () => {
  const bc = spawnSync('bc', ['--version'], { encoding: 'utf8' });
  assert.ok(!bc.error, `bc is not installed (the calculator example needs it; .ci/run must install the bc package): ${String(bc.error)}`);
  const args = readmeCommand('bc -l');
  await startDaemon('irc', args, { cwd: ROOT, ready: /joined channel=#test/ });
  const alice = await IrcUser.connect(irc.port, 'alice');
  const bob = await IrcUser.connect(irc.port, 'bob');
  users.push(alice, bob);
  await alice.join('#test');
  await bob.join('#test');
  alice.say('#test', 'calc: 2+2');
  await alice.waitPrivmsg('calc', 'alice: 4');
  alice.say('#test', 'calc: x = 6');
  bob.say('#test', 'calc: x = 100');
  alice.say('#test', 'calc: x * 7');
  bob.say('#test', 'calc: sqrt(x)');
  await alice.waitPrivmsg('calc', 'alice: 42');
  await bob.waitPrivmsg('calc', 'bob: 10');
});

test('IRC-03 IRC-06 example quote bot: the README command answers !quote and !quote WORD', async () => {
  const args = readmeCommand('quote.sh');
  await startDaemon('irc', args, { cwd: ROOT, ready: /joined channel=#test/ });
  const carol = await IrcUser.connect(irc.port, 'carol');
  users.push(carol);
  await carol.join('#test');
  const quotes = readFileSync(`${ROOT}/examples/irc/quotes.txt`, 'utf8').trim().split('\n');
  carol.say('#test', '!quote Lovelace');
  await carol.waitPrivmsg('quotebot', /carol: The Analytical Engine .* Ada Lovelace$/);
  carol.say('#test', '!quote');
  carol.say('#test', '!quote unicorns');
  await carol.waitPrivmsg('quotebot', 'carol: no quote about unicorns');
  const replies = carol.privmsgs('quotebot').map((p) => p.text.replace(/^carol: /, ''));
  assert.equal(replies.length, 3);
  assert.ok(quotes.includes(replies[1]!), `a quote from the file: ${replies[1]}`);
});
