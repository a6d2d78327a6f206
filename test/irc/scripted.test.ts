/**
 * hamelin-irc against a scripted server (fake-server.ts), for server behaviour ngircd does
 * not have: the bot forced out of a channel by PART, and a JOIN refused with 477.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, stopAll } from '../helpers/daemon.js';
import { eventually } from '../helpers/poll.js';
import { pidFrom, stateDir, termSeen, SESSION } from './common.js';
import { FakeIrcServer } from './fake-server.js';

const dir = stateDir();
const servers: FakeIrcServer[] = [];

after(async () => {
  await stopAll();
  for (const s of servers) await s.stop();
});

test('IRC-08 IRC-16 the bot PARTed from a channel (by services): its sessions there end, it rejoins; a 477 refusal is retried', async () => {
  const fake = await FakeIrcServer.start((channel, nth) =>
    channel === '#reg' && nth === 1 ? `:fake.test 477 bot #reg :Cannot join channel (+r) - you need to be identified with services` : undefined,
  );
  servers.push(fake);
  const bot = await startDaemon('irc', ['--server', `127.0.0.1:${fake.port}`, '--nick', 'bot', '--channel', '#c', '--channel', '#reg', '--flood-rate', '20', SESSION, dir], {
    ready: /joined channel=#c/,
  });
  await bot.waitLog(/warn irc-error error=need_registered_nick channel=#reg reason=/);
  await bot.waitLog(/info rejoin-scheduled channel=#reg in_ms=5000 attempt=1/);

  fake.send(':alice!~alice@127.0.0.1 PRIVMSG #c :bot: pid');
  const hello = await eventually(() => fake.sent(/^PRIVMSG #c :alice: hello alice pid=\d+$/)[0], 'the session to answer');
  const pid = pidFrom(hello);
  fake.send(`:${fake.mask} PART #c :removed by services`);
  await bot.waitLog(/warn parted channel=#c reason="removed by services"/);
  await termSeen(dir, pid);
  await bot.waitLog(new RegExp(`client-gone client=#c/alice pid=${pid} reason=closed detail=bot-parted`));
  await bot.waitLog(/info rejoin-scheduled channel=#c in_ms=5000 attempt=1/);
  // Both retries go out after their 5 s; this time the server lets the bot in.
  await fake.waitSent(/^JOIN #c$/, 2, 10_000);
  await fake.waitSent(/^JOIN #reg$/, 2, 10_000);
  await eventually(() => (bot.stderr().match(/joined channel=#reg /g)?.length ?? 0) >= 1 && (bot.stderr().match(/joined channel=#c /g)?.length ?? 0) >= 2, 'both joined');
  assert.equal(fake.sent(/^JOIN /).length, 4, `JOINs: ${fake.sent(/^JOIN /).join(' | ')}`);
});
