/**
 * hamelin-irc against a scripted server (fake-server.ts), for server behaviour ngircd does
 * not have: the bot forced out of a channel by PART, a JOIN refused with 477, and a flood of
 * PINGs.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, stopAll } from '../helpers/daemon.js';
import { eventually } from '../helpers/poll.js';
import { pidFrom, stateDir, termSeen, SESSION } from './common.js';
import { FakeIrcServer } from './fake-server.js';
import { weightedBucketViolation } from './flood-run.js';

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

test('IRC-21 the PONGs to a PING flood wait in the bucket like every line: in order, at its pace, at most 64 waiting, logged once; the bot stays', async () => {
  const fake = await FakeIrcServer.start();
  servers.push(fake);
  const bot = await startDaemon('irc', ['--server', `127.0.0.1:${fake.port}`, '--nick', 'bot', '--channel', '#c', '--flood-burst', '4', '--flood-rate', '20', SESSION, dir], {
    ready: /joined channel=#c/,
  });
  // IRC-23: this server's ISUPPORT names no network, so none is logged (irc-framework's
  // placeholder, "Network", was logged before).
  await bot.waitLog(/info registered server=127\.0\.0\.1:\d+ nick=bot\n/);
  const from = fake.received.length;
  fake.send(Array.from({ length: 200 }, (_, i) => `PING :p${i}`).join('\r\n'));
  await bot.waitLog(/warn protocol-dropped command=PONG limit=64\n/);
  fake.send(':alice!~alice@127.0.0.1 PRIVMSG #c :bot: still there?');
  await eventually(() => fake.sent(/^PRIVMSG #c :alice: hello alice/)[0], 'the bot to answer after the flood', 15_000);
  const lines = fake.received.slice(from);
  const at = fake.receivedAt.slice(from);
  const pongs = lines.filter((l) => l.startsWith('PONG '));
  process.stderr.write(`# ${pongs.length} PONGs for 200 PINGs, the last at ${at[lines.lastIndexOf(pongs.at(-1)!)]! - at[0]!} ms\n`);
  // What the bucket had left (up to 4) and the 64 waiting; a few more if tokens came while
  // irc-framework was still reading the PINGs; not 200.
  assert.ok(pongs.length >= 64 && pongs.length < 100, `${pongs.length} PONGs`);
  const n = pongs.map((l) => Number(/^PONG :?p(\d+)$/.exec(l)![1]));
  assert.deepEqual(n, [...n].sort((a, b) => a - b), 'in order');
  assert.equal(bot.stderr().match(/protocol-dropped/g)!.length, 1);
  // Every line of the bot's at the bucket's pace: 20 a second after a burst of 4 (50 ms for
  // a busy machine), the PONGs included; the session's answer came after them.
  assert.equal(
    weightedBucketViolation(lines.map((line, i) => ({ line, at: at[i]! })), 4, 20, 50),
    undefined,
  );
  assert.ok(lines.findIndex((l) => l.startsWith('PRIVMSG ')) > lines.lastIndexOf(pongs.at(-1)!));
  assert.doesNotMatch(bot.stderr(), /disconnected/);
});
