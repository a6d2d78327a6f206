/**
 * The README's two example bots, run as a new user would: the README's own command line,
 * from the repository root, with `hamelin-irc` found on PATH as `npx` finds it
 * (node_modules/.bin); only the server's port differs, since 6667 may be taken.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { IrcUser, startNgircd, stopAllNgircd, type Ngircd } from '../helpers/ngircd.js';
import { ROOT } from '../helpers/paths.js';
import { eventually } from '../helpers/poll.js';

let irc: Ngircd;
const users: IrcUser[] = [];
const bots: ChildProcess[] = [];

before(async () => {
  irc = await startNgircd();
});

after(async () => {
  for (const u of users) u.close();
  await Promise.all(
    bots.map(
      (b) =>
        new Promise<void>((r) => {
          if (b.exitCode !== null || b.signalCode !== null) return r();
          b.once('exit', () => r());
          b.kill('SIGTERM');
        }),
    ),
  );
  await stopAllNgircd();
});

/** Every `hamelin-irc --server ...` line of the README's code blocks (not the usage line). */
function readmeCommands(): string[] {
  return readFileSync(join(ROOT, 'packages/irc/README.md'), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('hamelin-irc --server '));
}

/** The README's command that contains `marker`, as the shell would split it. */
function readmeCommand(marker: string): string[] {
  const line = readmeCommands().find((l) => l.includes(marker));
  assert.ok(line, `README has a hamelin-irc command with ${marker}`);
  assert.doesNotMatch(line, /\\$|[;&|`$"]/, 'one plain command: no continuation, no shell syntax beyond single quotes');
  return [...line.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]!);
}

/** Run it (port replaced) and wait until it has joined its channel. */
async function run(words: string[]): Promise<void> {
  const args = words.slice(1).map((w) => (w === '127.0.0.1:6667' ? `127.0.0.1:${irc.port}` : w));
  assert.notDeepEqual(args, words.slice(1), 'the README connects to 127.0.0.1:6667');
  const env = { ...process.env, PATH: `${join(ROOT, 'node_modules/.bin')}:${process.env.PATH}` };
  const bot = spawn(words[0]!, args, { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  bots.push(bot);
  let err = '';
  bot.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  await eventually(() => {
    if (bot.exitCode !== null) throw new Error(`exited: ${err}`);
    return /joined channel=#test/.test(err);
  }, `${words.join(' ')} to join #test`, 15_000);
}

test('IRC-03 IRC-06 the README has the two example bots, each one command', () => {
  const cmds = readmeCommands();
  assert.equal(cmds.length, 2, cmds.join('\n'));
  assert.ok(cmds.some((c) => c.endsWith(' bc -l')));
  assert.ok(cmds.some((c) => c.includes('examples/irc/quote.sh')));
});

test('IRC-03 IRC-05 IRC-06 example calculator: the README command with bc -l answers in the channel, one bc per user', async () => {
  const bc = spawnSync('bc', ['--version'], { encoding: 'utf8' });
  assert.ok(!bc.error, `bc is not installed (the calculator example needs it; .ci/run must install the bc package): ${String(bc.error)}`);
  await run(readmeCommand('bc -l'));
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

test('IRC-03 IRC-04 IRC-06 IRC-22 example quote bot: the README command answers !quote and !quote WORD, in the channel and in private, and not !quotes', async () => {
  await run(readmeCommand('quote.sh'));
  const carol = await IrcUser.connect(irc.port, 'carol');
  users.push(carol);
  await carol.join('#test');
  const quotes = readFileSync(join(ROOT, 'examples/irc/quotes.txt'), 'utf8').trim().split('\n');
  carol.say('#test', '!quote Lovelace');
  await carol.waitPrivmsg('quotebot', /carol: The Analytical Engine .* Ada Lovelace$/);
  carol.say('#test', '!quote');
  carol.say('#test', '!quotes'); // another command, not this bot's: no answer
  carol.say('#test', '!quote unicorns');
  await carol.waitPrivmsg('quotebot', 'carol: no quote about unicorns');
  const replies = carol.privmsgs('quotebot').map((p) => p.text.replace(/^carol: /, ''));
  assert.equal(replies.length, 3, replies.join('\n'));
  assert.ok(quotes.includes(replies[1]!), `a quote from the file: ${replies[1]}`);
  // As the README shows: /msg quotebot !quote knuth (the trigger is removed in private too).
  carol.say('quotebot', '!quote knuth');
  const p = await eventually(() => carol.privmsgs('quotebot').find((m) => m.target === 'carol'), 'the private answer');
  assert.match(p.text, /Knuth$/, 'the script got "knuth", not "!quote knuth"');
});
