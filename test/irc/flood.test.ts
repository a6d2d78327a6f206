/**
 * Flood control against ngircd with its DEFAULT flood settings (MaxPenaltyTime left alone).
 *
 * Measured here: ngircd 26 does not kill a flooding client, it delays reading it, and it
 * passes 4 lines/s without delay. So what this test proves is that the bot's paced output
 * passes ngircd's default flood control whole: nothing lost or reordered, no disconnect.
 * The bucket itself (burst, rate, backpressure) is measured in sessions.test.ts, on a
 * server without penalties, where arrival times are the bot's own.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { stopAll } from '../helpers/daemon.js';
import { IrcUser, startNgircd, stopAllNgircd, type Ngircd } from '../helpers/ngircd.js';
import { startBot, stateDir, SESSION } from './common.js';

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

test('IRC-15 CORE-03 40 lines against ngircd\'s default flood settings: all arrive, in order, and the bot stays connected', async () => {
  // The bot's own bucket is configured at 4 lines/s (the default, 1/s, would take 40 s);
  // ngircd keeps its default penalty settings.
  const bot = await startBot(irc, { nick: 'chatty', channels: ['#flood'], args: ['--flood-rate', '4'], command: [SESSION, dir] });
  const u = await user('fay', '#flood');
  const t0 = Date.now();
  u.say('#flood', 'chatty: lines 40');
  await u.waitPrivmsg('chatty', 'fay: line 40', 30_000);
  const ms = Date.now() - t0;
  const got = u.privmsgs('chatty').map((p) => p.text).filter((t) => t.startsWith('fay: line '));
  assert.deepEqual(got, Array.from({ length: 40 }, (_, i) => `fay: line ${i + 1}`));
  // Still connected and answering; no ERROR or QUIT from the server.
  u.say('#flood', 'chatty: ping');
  await u.waitPrivmsg('chatty', 'fay: got: ping', 10_000);
  assert.doesNotMatch(bot.stderr(), /disconnected|irc-error|reconnecting/);
  assert.equal(u.text().filter((l) => /^:chatty!\S+ QUIT/.test(l)).length, 0);
  assert.ok(ms >= 8000, `41 messages at 4/s after a burst of 4 cannot take ${ms} ms`);
  process.stderr.write(`# 40 lines delivered in ${ms} ms at --flood-rate 4\n`);
  await bot.stop();
});

