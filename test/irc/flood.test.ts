/**
 * Flood control against ngircd with its DEFAULT flood settings (MaxPenaltyTime left alone).
 *
 * Measured here: ngircd 26 does not kill a flooding client, it delays reading it and relays
 * its lines in bursts of four, once a second. So arrival times say little about the bot;
 * a tap between the bot and ngircd (wire-tap.ts) times the lines as the bot sends them,
 * and the user checks that they all pass ngircd's flood control, in order, with no
 * disconnect. sessions.test.ts measures the bucket on a server without penalties.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { stopAll } from '../helpers/daemon.js';
import { IrcUser, startNgircd, stopAllNgircd, type Ngircd } from '../helpers/ngircd.js';
import { startBot, stateDir, SESSION } from './common.js';
import { floodRun, weightedBucketViolation } from './flood-run.js';
import { WireTap } from './wire-tap.js';

let irc: Ngircd;
const dir = stateDir();
const users: IrcUser[] = [];

async function user(nick: string, channel: string): Promise<IrcUser> {
  const u = await IrcUser.connect(irc.port, nick);
  users.push(u);
  await u.join(channel);
  return u;
}

before(async () => {
  irc = await startNgircd({ throttle: true });
});

after(async () => {
  for (const u of users) u.close();
  await stopAll();
  await stopAllNgircd();
});

test('IRC-15 CORE-03 40 lines against ngircd\'s default flood settings: sent at the bucket\'s pace, all arrive, in order, and the bot stays connected', async () => {
  // The bot's own bucket is configured at 4 lines/s (the default, 1/s, would take 40 s);
  // ngircd keeps its default penalty settings. The bot talks to it through a tap, which
  // sees when the bot sends each line.
  const tap = await WireTap.start(irc.port);
  const bot = await startBot({ ...irc, port: tap.port }, { nick: 'chatty', channels: ['#flood'], args: ['--flood-rate', '4'], command: [SESSION, dir] });
  const u = await user('fay', '#flood');
  u.say('#flood', 'chatty: lines 40');
  await u.waitPrivmsg('chatty', 'fay: line 40', 30_000);
  const got = u.privmsgs('chatty').map((p) => p.text).filter((t) => t.startsWith('fay: line '));
  assert.deepEqual(got, Array.from({ length: 40 }, (_, i) => `fay: line ${i + 1}`));
  // Every line passes the bucket (IRC-21): registration, the JOIN (2 tokens), the 41 PRIVMSGs.
  assert.equal(tap.sent.filter((s) => /^PRIVMSG /.test(s.line)).length, 41);
  process.stderr.write(`# sent at (ms): ${tap.sent.map((s) => s.at).join(' ')}\n`);
  // Never faster than a bucket of 4 and 4/s (100 ms for a late timestamp on a busy machine;
  // without the bucket all 41 PRIVMSGs leave within a few ms)...
  assert.equal(weightedBucketViolation(tap.sent, 4, 4, 100), undefined);
  // ...and the burst is used: CAP LS, NICK (2 tokens) and USER go out at once, sooner than
  // the rate alone allows (750 ms for four tokens).
  assert.ok(tap.sent[2]!.at - tap.sent[0]!.at < 500, `the first three lines took ${tap.sent[2]!.at - tap.sent[0]!.at} ms`);
  // Still connected and answering; no ERROR or QUIT from the server.
  u.say('#flood', 'chatty: ping');
  await u.waitPrivmsg('chatty', 'fay: got: ping', 10_000);
  assert.doesNotMatch(bot.stderr(), /disconnected|irc-error|reconnecting/);
  assert.equal(u.text().filter((l) => /^:chatty!\S+ QUIT/.test(l)).length, 0);
  await bot.stop();
  await tap.stop();
});

const LINES = 40;

test(`IRC-21 IRC-15 CORE-03 a script printing ${LINES} lines against ngircd's default flood settings, default bot settings: all arrive, in order, the bot is never disconnected`, async () => {
  // The same run as flood-inspircd.test.ts, against ngircd, whose allowance is larger.
  const run = await floodRun({ port: irc.port, userPort: irc.port, lines: LINES, nick: 'steady', channels: ['#steady', '#steady2'], timeoutMs: 90_000 });
  try {
    process.stderr.write(`# ${run.delivered.length} lines in ${run.ms} ms; the bot sent ${run.sent.length} lines\n`);
    assert.deepEqual(run.delivered, Array.from({ length: LINES }, (_, i) => `line ${i + 1}`));
    assert.equal(weightedBucketViolation(run.sent, 4, 0.8, 150), undefined);
    assert.doesNotMatch(run.bot.stderr(), /disconnected|reconnecting|irc-error/);
    assert.equal(run.user.closed, false);
  } finally {
    await run.stop();
  }
});
