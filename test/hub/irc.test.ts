/**
 * Hub mode on hamelin-irc (HUB-01, HUB-17; irc.md "Hub mode") against a real ngircd with irc-framework
 * clients: a channel is one room, each nick that speaks in it a client of one shared process,
 * and a line for every client is one message to the channel, seen once by each nick.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { stopAll } from '../helpers/daemon.js';
import { FrameworkUser } from '../helpers/framework-user.js';
import { startNgircd, stopAllNgircd, type Ngircd } from '../helpers/ngircd.js';
import { alive, eventually } from '../helpers/poll.js';
import { startBot } from '../irc/common.js';

let irc: Ngircd;
const users: FrameworkUser[] = [];

before(async () => {
  irc = await startNgircd();
});

after(async () => {
  for (const u of users) u.quit();
  await stopAll();
  await stopAllNgircd();
});

async function user(nick: string, channel: string): Promise<FrameworkUser> {
  const u = await FrameworkUser.connect(irc.port, nick);
  users.push(u);
  await u.join(channel);
  return u;
}

const hubPids = (log: string): number[] => [...log.matchAll(/ hub-start hub=\S+ pid=(\d+)/g)].map((m) => Number(m[1]));
const FAST = ['--flood-burst', '50', '--flood-rate', '50'];

test('HUB-01 HUB-17 --hub broadcast: three nicks of a channel share one process, and each output line reaches the channel once', async () => {
  const bot = await startBot(irc, { nick: 'hubbot', channels: ['#room'], args: ['--hub', 'broadcast', '--listen-all', ...FAST], command: ['sh', '-c', 'while IFS= read -r l; do echo "$$ $l"; done'] });
  const [alice, bob, carol] = [await user('alice', '#room'), await user('bob', '#room'), await user('carol', '#room')];
  alice.say('#room', 'from alice');
  const first = await eventually(() => alice.texts('hubbot').find((t) => t.endsWith(' from alice')), 'alice sees her line answered');
  const pid = Number(first.split(' ')[0]);
  bob.say('#room', 'from bob');
  carol.say('#room', 'from carol');
  // The channel itself is the first client (from the bot's JOIN), then each nick that speaks.
  await bot.waitLog(/ hub-join client=#room\/carol hub=#room id=4 clients=4/);
  // The last line of the three: every nick has all before it (one sender, one channel, in order).
  alice.say('#room', 'last');
  for (const u of [alice, bob, carol]) await eventually(() => u.texts('hubbot').includes(`${pid} last`), `${u.nick} sees the last line`);
  for (const u of [bob, carol]) assert.deepEqual(u.texts('hubbot'), [`${pid} from alice`, `${pid} from bob`, `${pid} from carol`, `${pid} last`], `${u.nick}: each line once, no prefix`);
  assert.deepEqual(alice.texts('hubbot'), [`${pid} from alice`, `${pid} from bob`, `${pid} from carol`, `${pid} last`]);
  // Said to the channel, not to a nick.
  assert.ok(alice.messages.filter((m) => m.from === 'hubbot').every((m) => m.target === '#room'));
  assert.deepEqual(hubPids(bot.stderr()), [pid], 'one process for the channel');
  assert.ok(alive(pid));
  assert.equal(await bot.stop(), 0);
});

test('HUB-08 HUB-09 HUB-17 --hub addressed: a line to one client names its nick in the channel, `*` is said once, `!ID` of a nick of the channel is not said there', async () => {
  // Welcomes each client by its nick, relays each line to all but its sender, and says it to all.
  const script = [
    'while read -r ev id rest; do',
    '  case $ev in',
    '    join) nick=$(printf "%s\\n" $rest | sed -n "s/^H-IRC-NICK=//p"); [ -z "$nick" ] || echo "$id welcome $nick id $id" ;;',
    '    line) echo "!$id relay $rest"; echo "* all $rest" ;;',
    '  esac',
    'done',
  ].join('\n');
  const bot = await startBot(irc, { nick: 'addrbot', channels: ['#addr'], args: ['--hub', 'addressed', '--listen-all', ...FAST], command: ['sh', '-c', script] });
  const [dave, erin] = [await user('dave', '#addr'), await user('erin', '#addr')];
  dave.say('#addr', 'hi');
  await eventually(() => dave.texts('addrbot').includes('all hi'), 'dave sees "all hi"');
  erin.say('#addr', 'yo');
  for (const u of [dave, erin]) await eventually(() => u.texts('addrbot').includes('all yo'), `${u.nick} sees "all yo"`);
  // Both see each welcome (it is said in the channel, addressed to one nick), and each `*` line once.
  assert.deepEqual(dave.texts('addrbot'), ['dave: welcome dave id 2', 'all hi', 'erin: welcome erin id 3', 'all yo']);
  assert.deepEqual(erin.texts('addrbot'), ['dave: welcome dave id 2', 'all hi', 'erin: welcome erin id 3', 'all yo']);
  assert.equal(hubPids(bot.stderr()).length, 1);
  assert.equal(await bot.stop(), 0);
});

test('HUB-11 HUB-17 IRC-15 --hub broadcast: while the channel\'s queue is full the clients\' copies wait; each nick sees every line once, in order', async () => {
  // 40 lines for each line in, into a channel queue of 2 paced at 30 lines/s.
  const script = 'while IFS= read -r l; do i=0; while [ $i -lt 40 ]; do echo "$l $i"; i=$((i+1)); done; done';
  const bot = await startBot(irc, { nick: 'slowbot', channels: ['#slow'], args: ['--hub', 'broadcast', '--listen-all', '--queue', '2', '--flood-burst', '3', '--flood-rate', '30'], command: ['sh', '-c', script] });
  const [frank, gina] = [await user('frank', '#slow'), await user('gina', '#slow')];
  frank.say('#slow', 'x');
  gina.say('#slow', 'y');
  const want = [...['x', 'y'].flatMap((l) => Array.from({ length: 40 }, (_, i) => `${l} ${i}`))];
  for (const u of [frank, gina]) await eventually(() => u.texts('slowbot').includes('y 39'), `${u.nick} sees the last line`, 20_000);
  // Nothing after the last line: one sender, one channel, in order.
  for (const u of [frank, gina]) assert.deepEqual(u.texts('slowbot'), want, `${u.nick}: every line once, in order`);
  assert.equal(await bot.stop(), 0);
});

test('HUB-03 --hub-eager on hamelin-irc: the process of each --channel starts with the daemon, and the channel\'s nicks join that one', async () => {
  const bot = await startBot(irc, { nick: 'earlybot', channels: ['#early', '#late'], args: ['--hub', 'broadcast', '--hub-eager', '--listen-all', ...FAST], command: ['sh', '-c', 'while IFS= read -r l; do echo "$$ $H_HUB_ROOM $l"; done'] });
  const started = await bot.waitLog(/ hub-start hub=#early pid=(\d+)/);
  await bot.waitLog(/ hub-start hub=#late pid=\d+/);
  const hank = await user('hank', '#early');
  hank.say('#early', 'hi');
  await eventually(() => hank.texts('earlybot').includes(`${started[1]} #early hi`), 'hank is answered by the process started with the daemon');
  assert.equal(hubPids(bot.stderr()).length, 2, 'one process per channel, none more');
  assert.equal(await bot.stop(), 0);
});

test('HUB-01 HUB-02 with --hub a private conversation is a room of its own, named by the nick, answered in private', async () => {
  const bot = await startBot(irc, { nick: 'privbot', channels: ['#pub'], args: ['--hub', 'broadcast', '--listen-all', ...FAST], command: ['sh', '-c', 'while IFS= read -r l; do echo "$$ $H_HUB_ROOM $l"; done'] });
  const ivan = await user('ivan', '#pub');
  ivan.say('#pub', 'in public');
  ivan.say('privbot', 'in private');
  const pub = await eventually(() => ivan.messages.find((m) => m.from === 'privbot' && m.target === '#pub'), 'the channel answer');
  const priv = await eventually(() => ivan.messages.find((m) => m.from === 'privbot' && m.target === 'ivan'), 'the private answer');
  assert.match(pub.text, /^\d+ #pub in public$/);
  assert.match(priv.text, /^\d+ ivan in private$/);
  assert.notEqual(pub.text.split(' ')[0], priv.text.split(' ')[0], 'two rooms, two processes');
  assert.equal(hubPids(bot.stderr()).length, 2);
  assert.equal(await bot.stop(), 0);
});

test('HUB-01 HUB-17 with --hub the channel is a client of its room from the bot\'s JOIN: a nick that never speaks reads the room', async () => {
  const quiet = await user('quiet', '#feed');
  // The channel's own join (no nick) opens the feed; a line to its id is said to the channel.
  const script = 'while read -r ev id rest; do case "$ev $rest" in "join "*H-IRC-NICK=\\ *|"join "*H-IRC-NICK=) echo "$id open $H_HUB_ROOM"; echo "* to all";; esac; done';
  const bot = await startBot(irc, { nick: 'feedbot', channels: ['#feed'], args: ['--hub', 'addressed', ...FAST], command: ['sh', '-c', script] });
  await bot.waitLog(/ hub-join client=#feed hub=#feed id=1 clients=1/);
  await eventually(() => quiet.texts('feedbot').includes('to all'), 'the silent nick reads the room');
  assert.deepEqual(quiet.texts('feedbot'), ['open #feed', 'to all']);
  assert.ok(quiet.messages.filter((m) => m.from === 'feedbot').every((m) => m.target === '#feed'));
  // Kicked (quiet, first in, is the channel's operator), the bot is no longer in the channel:
  // neither is the channel's client. Back in (IRC-16), the channel joins again.
  quiet.client.raw('KICK #feed feedbot :out');
  await bot.waitLog(/ hub-leave client=#feed hub=#feed id=1 reason=closed clients=0/);
  await bot.waitLog(/ hub-join client=#feed hub=#feed id=2 clients=1/, 15_000);
  assert.equal(await bot.stop(), 0);
});

test('HUB-13 HUB-17 --replay on IRC: the channel has said the replayed lines, so a nick that joins the room does not make them said again', async () => {
  const bot = await startBot(irc, { nick: 'repbot', channels: ['#rep'], args: ['--hub', 'broadcast', '--replay', '3', '--listen-all', ...FAST], command: ['cat'] });
  const jo = await user('jo', '#rep');
  for (const l of ['a', 'b', 'c', 'd']) jo.say('#rep', l);
  await eventually(() => jo.texts('repbot').includes('d'), 'jo sees d');
  const kim = await user('kim', '#rep');
  kim.say('#rep', 'e');
  await bot.waitLog(/ hub-join client=#rep\/kim hub=#rep id=3 clients=3/);
  for (const u of [jo, kim]) await eventually(() => u.texts('repbot').includes('e'), `${u.nick} sees e`);
  assert.deepEqual(jo.texts('repbot'), ['a', 'b', 'c', 'd', 'e']);
  assert.deepEqual(kim.texts('repbot'), ['e']);
  assert.equal(await bot.stop(), 0);
});

test('HUB-04 on IRC: the process that ends is not said on IRC; the next line starts a new one, which the channel reads again', async () => {
  const bot = await startBot(irc, { nick: 'onebot', channels: ['#once'], args: ['--hub', 'broadcast', '--listen-all', ...FAST], command: ['sh', '-c', 'IFS= read -r l; echo "$$ $l"'] });
  const [lee, max] = [await user('lee', '#once'), await user('max', '#once')];
  lee.say('#once', 'first');
  await bot.waitLog(/ hub-end hub=#once pid=\d+/);
  max.say('#once', 'second');
  for (const u of [lee, max]) await eventually(() => u.texts('onebot').length === 2, `${u.nick} sees two answers`);
  const [a, b] = lee.texts('onebot').map((t) => t.split(' '));
  assert.deepEqual([a![1], b![1]], ['first', 'second']);
  assert.notEqual(a![0], b![0], 'a new process');
  assert.deepEqual(max.texts('onebot'), lee.texts('onebot'), 'the channel said each once');
  // The channel joined the new process too (it is its first client again).
  assert.equal([...bot.stderr().matchAll(/ hub-join client=#once hub=#once /g)].length, 2);
  assert.equal(await bot.stop(), 0);
});
