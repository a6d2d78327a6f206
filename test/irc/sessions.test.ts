/**
 * hamelin-irc against a real ngircd: addressing, private and parallel sessions, what ends
 * a session, nick changes, child exit, sanitising and splitting, on the wire.
 * The server runs without its flood penalty here and the bot with a fast bucket, so these
 * tests are about sessions; flood.test.ts checks throttling against ngircd's defaults.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gone, stopAll, type Running } from '../helpers/daemon.js';
import { IrcUser, startNgircd, stopAllNgircd, type Ngircd } from '../helpers/ngircd.js';
import { alive, eventually } from '../helpers/poll.js';
import { envOf, hasTerm, pidFrom, startBot, stateDir, termSeen, SESSION } from './common.js';

let irc: Ngircd;
let bot: Running;
let op: IrcUser;
const dir = stateDir();
const users: IrcUser[] = [];

async function user(nick: string, channel: string | null = '#t'): Promise<IrcUser> {
  const u = await IrcUser.connect(irc.port, nick);
  users.push(u);
  if (channel) await u.join(channel);
  return u;
}

before(async () => {
  irc = await startNgircd();
  // The first to join a channel is its operator: `op` can KICK.
  op = await user('op');
  bot = await startBot(irc, { args: ['--trigger', '!', '--flood-burst', '50', '--flood-rate', '50'], command: [SESSION, dir] });
});

after(async () => {
  for (const u of users) u.close();
  await stopAll();
  await stopAllNgircd();
});

test('IRC-03 IRC-05 addressing in a channel: "bot:", "bot," and the trigger; other lines and NOTICEs are not taken', async () => {
  const alice = await user('alice');
  alice.say('#t', 'bot: one');
  const hello = await alice.waitPrivmsg('bot', /^alice: hello alice pid=\d+$/);
  const pid = pidFrom(hello.text);
  alice.say('#t', 'not for the bot');
  alice.say('#t', 'botany: not for the bot either');
  alice.send('NOTICE #t :bot: a notice');
  alice.send('NOTICE bot :a private notice');
  alice.say('#t', 'BOT,   two');
  alice.say('#t', '!three');
  alice.say('#t', 'bot:four');
  await alice.waitPrivmsg('bot', 'alice: got: four');
  const replies = alice.privmsgs('bot').map((p) => `${p.target} ${p.text}`);
  assert.deepEqual(replies, [`#t alice: hello alice pid=${pid}`, '#t alice: got: one', '#t alice: got: two', '#t alice: got: three', '#t alice: got: four']);
  // One process took every addressed line, in order, and nothing else (CORE-01, CORE-03).
  assert.equal(readFileSync(join(dir, `${pid}.in`), 'utf8'), 'one\ntwo\nthree\nfour\n');
  assert.equal(bot.stderr().match(/start client=#t\/alice /g)?.length, 1);
});

test('IRC-10 CORE-08 CORE-09 CORE-10 CORE-11 the environment of a channel session', async () => {
  const amy = await user('amy');
  amy.say('#t', 'bot: hi');
  const pid = pidFrom((await amy.waitPrivmsg('bot', /hello amy/)).text);
  const env = envOf(dir, pid);
  const server = `127.0.0.1:${irc.port}`;
  const want: Record<string, string> = {
    TYPE: 'IRC-0.2-INSECURE',
    CLIENT: `${server}/amy/#t`,
    'IRC-SERVER': server,
    'IRC-NICK': 'amy',
    'IRC-CHANNEL': '#t',
    'IRC-BOT-NICK': 'bot',
  };
  for (const [k, v] of Object.entries(want)) {
    assert.equal(env[`H-${k}`], v, `H-${k}`);
    assert.equal(env[`H_${k.replace(/-/g, '_')}`], v, `H_${k}`);
  }
  assert.match(env['H-VERSION']!, /^hamelin-irc\/0\.2\.\d+/);
  assert.equal(env['H-IRC-ACCOUNT'], undefined, 'ngircd has no accounts');
});

test('IRC-04 a private conversation: every line counts, replies go to the nick without a prefix', async () => {
  const pat = await user('pat', null);
  pat.say('bot', 'bot: hello there');
  pat.say('bot', '!raw');
  const hello = await pat.waitPrivmsg('bot', /^hello pat pid=\d+$/);
  await pat.waitPrivmsg('bot', 'got: !raw');
  const pid = pidFrom(hello.text);
  assert.deepEqual(
    pat.privmsgs('bot').map((p) => `${p.target} ${p.text}`),
    [`pat hello pat pid=${pid}`, 'pat got: bot: hello there', 'pat got: !raw'],
  );
  const env = envOf(dir, pid);
  assert.equal(env['H-IRC-CHANNEL'], '');
  assert.equal(env['H-CLIENT'], `127.0.0.1:${irc.port}/pat/`);
});

test('IRC-05 CORE-01 two users at once get two processes, and a user\'s channel and private sessions are separate', async () => {
  const bob = await user('bob');
  const carol = await user('carol');
  bob.say('#t', 'bot: from bob');
  carol.say('#t', 'bot: from carol');
  bob.say('bot', 'private bob');
  const pb = pidFrom((await bob.waitPrivmsg('bot', /^bob: hello bob/)).text);
  const pc = pidFrom((await carol.waitPrivmsg('bot', /^carol: hello carol/)).text);
  const pp = pidFrom((await bob.waitPrivmsg('bot', /^hello bob/)).text);
  await bob.waitPrivmsg('bot', 'bob: got: from bob');
  await carol.waitPrivmsg('bot', 'carol: got: from carol');
  await bob.waitPrivmsg('bot', /^got: private bob$/);
  assert.equal(new Set([pb, pc, pp]).size, 3);
  assert.ok(alive(pb) && alive(pc) && alive(pp), 'all three run at the same time');
  // carol never sees bob's replies addressed to bob in private
  assert.equal(carol.privmsgs('bot').filter((p) => p.text.includes('private bob')).length, 0);
});

test('IRC-08 CORE-13 PART, KICK and QUIT each end the session with SIGTERM, seen by the child\'s trap', async () => {
  const dave = await user('dave');
  const erin = await user('erin');
  const frank = await user('frank');
  dave.say('#t', 'bot: x');
  erin.say('#t', 'bot: x');
  frank.say('#t', 'bot: x');
  frank.say('bot', 'x');
  const pd = pidFrom((await dave.waitPrivmsg('bot', /hello dave/)).text);
  const pe = pidFrom((await erin.waitPrivmsg('bot', /hello erin/)).text);
  const pf = pidFrom((await frank.waitPrivmsg('bot', /^frank: hello frank/)).text);
  const pfp = pidFrom((await frank.waitPrivmsg('bot', /^hello frank/)).text);

  dave.send('PART #t :done');
  await termSeen(dir, pd);
  await bot.waitLog(new RegExp(`client-gone client=#t/dave pid=${pd} reason=closed detail=user-part`));

  op.send('KICK #t erin :out');
  await termSeen(dir, pe);
  await bot.waitLog(new RegExp(`client-gone client=#t/erin pid=${pe} reason=closed detail=user-kicked`));

  await frank.quit('gone');
  await termSeen(dir, pf);
  await termSeen(dir, pfp); // the private session of the same nick ends too
  for (const p of [pd, pe, pf, pfp]) await gone(p);
  assert.match(bot.stderr(), new RegExp(`client=#t/dave pid=${pd} status=143 ended_by=client-closed`), 'the trap exited 143');
});

test('IRC-09 a nick change keeps the session; replies follow the new nick; the child is not told', async () => {
  const gina = await user('gina');
  gina.say('#t', 'bot: pid');
  const pid = pidFrom((await gina.waitPrivmsg('bot', /^gina: pid=\d+$/)).text);
  gina.send('NICK gina2');
  await gina.waitLine((l) => /^:gina!\S+ NICK :?gina2$/.test(l), 'own NICK echo');
  gina.nick = 'gina2';
  gina.say('#t', 'bot: pid');
  const again = await gina.waitPrivmsg('bot', /^gina2: pid=\d+$/);
  assert.equal(pidFrom(again.text), pid);
  assert.equal(readFileSync(join(dir, `${pid}.in`), 'utf8'), 'pid\npid\n', 'no line announces the change');
  assert.equal(envOf(dir, pid)['H-IRC-NICK'], 'gina', 'the environment keeps the nick the session started with');
  gina.send('PART #t');
  await termSeen(dir, pid);
});

test('IRC-11 CORE-15 CORE-16 a child that exits ends its session quietly; a non-zero status is logged, not said', async () => {
  const hank = await user('hank');
  hank.say('#t', 'bot: quit');
  const p1 = pidFrom((await hank.waitPrivmsg('bot', /hello hank/)).text);
  await gone(p1);
  await bot.waitLog(new RegExp(`end client=#t/hank pid=${p1} status=0 ended_by=exit`));
  hank.say('#t', 'bot: fail');
  const p2 = pidFrom((await hank.waitPrivmsg('bot', new RegExp(`hello hank pid=(?!${p1}$)`))).text);
  assert.notEqual(p2, p1, 'the next line starts a new process');
  await bot.waitLog(new RegExp(`warn exit client=#t/hank pid=${p2} status=3`));
  hank.say('#t', 'bot: after');
  await hank.waitPrivmsg('bot', 'hank: got: after');
  const texts = hank.privmsgs('bot').map((p) => p.text);
  assert.equal(texts.filter((t) => /exit|status|hamelin/.test(t)).length, 0, `nothing about the exit on IRC: ${texts.join(' | ')}`);
  assert.ok(!hasTerm(dir, p1) && !hasTerm(dir, p2), 'an exit is not a termination');
});

test('IRC-12 CORE-04 output with CR or NUL becomes one sanitised PRIVMSG and the bot stays connected', async () => {
  const ivy = await user('ivy');
  ivy.say('#t', 'bot: inject');
  ivy.say('#t', 'bot: nul');
  ivy.say('#t', 'bot: still there?');
  await ivy.waitPrivmsg('bot', 'ivy: got: still there?');
  const texts = ivy.privmsgs('bot').map((p) => p.text);
  assert.deepEqual(texts.slice(1), ['ivy: xQUIT :bye', 'ivy: ab', 'ivy: got: still there?']);
  for (const l of ivy.lines) assert.ok(!l.includes(0) && !l.includes(13), 'no NUL or CR on the wire');
  assert.equal(ivy.text().filter((l) => /^:bot!\S+ QUIT/.test(l)).length, 0, 'the bot did not quit');
  assert.doesNotMatch(bot.stderr(), /disconnected/);
});

test('IRC-13 a 600-character UTF-8 line is split at character boundaries, every wire line <= 512 bytes, nothing lost', async () => {
  const jo = await user('jo');
  jo.say('#t', 'bot: long');
  jo.say('#t', 'bot: end');
  await jo.waitPrivmsg('bot', 'jo: got: end');
  const pieces = jo.privmsgs('bot').slice(1, -1);
  const expected = `aé€😀${' aé€😀'.repeat(119)}!`;
  assert.ok(pieces.length >= 3, `${pieces.length} pieces for ${Buffer.byteLength(expected)} bytes`);
  let joined = '';
  for (const p of pieces) {
    assert.ok(p.raw.length + 2 <= 512, `wire line of ${p.raw.length + 2} bytes`);
    assert.ok(p.text.startsWith('jo: '), 'every piece is addressed');
    const body = p.text.slice(4);
    assert.ok(!body.includes('\uFFFD'), 'no broken UTF-8 sequence');
    assert.deepEqual(Buffer.from(p.text, 'utf8'), p.raw.subarray(p.raw.length - Buffer.byteLength(p.text)), 'valid UTF-8 as sent');
    joined += body;
  }
  assert.equal(joined, expected);
  assert.equal([...joined].length, 600);
});

test('CORE-20 CORE-21 --idle-timeout ends a quiet session with SIGTERM; --max-clients refuses with one line', async () => {
  const idler = await startBot(irc, {
    nick: 'idler',
    channels: ['#idle'],
    args: ['--idle-timeout', '1', '--max-clients', '1', '--flood-rate', '50', '--flood-burst', '50'],
    command: [SESSION, dir],
  });
  const kim = await user('kim', '#idle');
  const lee = await user('lee', '#idle');
  kim.say('#idle', 'idler: hi');
  const pid = pidFrom((await kim.waitPrivmsg('idler', /hello kim/)).text);
  lee.say('#idle', 'idler: me too');
  await lee.waitPrivmsg('idler', 'lee: hamelin: busy: too many clients (limit 1)');
  await termSeen(dir, pid, 5000);
  await idler.waitLog(new RegExp(`terminate client=#idle/kim pid=${pid} reason=idle-timeout`));
  assert.ok(existsSync(join(dir, `${pid}.term`)));
});

/** When each PRIVMSG from `from` arrived, in ms since `t0`. */
function arrivals(u: IrcUser, from: string, times: Map<Buffer, number>): number[] {
  return u.privmsgs(from).map((p) => times.get(p.raw)!);
}

function clock(u: IrcUser): Map<Buffer, number> {
  const times = new Map<Buffer, number>();
  const t0 = Date.now();
  const push = u.lines.push.bind(u.lines);
  u.lines.push = (...items: Buffer[]) => {
    for (const it of items) times.set(it, Date.now() - t0);
    return push(...items);
  };
  return times;
}

test('IRC-15 default bucket: a burst of 4, then 1 line per second', async () => {
  // No channel: no JOIN takes a token, so the bucket is full when the user speaks.
  const slow = await startBot(irc, { nick: 'slow', channels: [], command: [SESSION, dir] });
  const u = await user('sam', null);
  const times = clock(u);
  u.say('slow', 'lines 5'); // hello + 5 lines = 6 messages
  await u.waitPrivmsg('slow', 'line 5', 15_000);
  const t = arrivals(u, 'slow', times);
  assert.equal(t.length, 6);
  const gaps = t.slice(1).map((x, i) => x - t[i]!);
  // The first four leave at once; the fifth and sixth wait for a token each (~1000 ms).
  assert.ok(t[3]! - t[0]! < 400, `burst took ${t[3]! - t[0]!} ms`);
  assert.ok(gaps[3]! >= 700 && gaps[4]! >= 800, `gaps after the burst: ${gaps.join(', ')} ms`);
  process.stderr.write(`# default bucket, arrival times: ${t.join(', ')} ms\n`);
  await slow.stop();
});

test('IRC-15 CORE-07 a script faster than the bucket is paused, not buffered: bounded, in order, nothing dropped', async () => {
  const fast = await startBot(irc, { nick: 'fast', channels: ['#bp'], args: ['--flood-rate', '20', '--flood-burst', '4', '--queue', '4'], command: [SESSION, dir] });
  const u = await user('bea', '#bp');
  u.say('#bp', 'fast: forever');
  const pid = pidFrom((await u.waitPrivmsg('fast', /hello bea/)).text);
  await u.waitPrivmsg('fast', 'bea: n 20');
  // The child stops making progress: it is blocked writing to a full pipe.
  const countFile = join(dir, `${pid}.count`);
  const read = (): number => Number(readFileSync(countFile, 'utf8').trim().split('\n').pop() || 0);
  let last = -1;
  let stableSince = Date.now();
  const blockedAt = await eventually(
    () => {
      const n = read();
      if (n !== last) {
        last = n;
        stableSince = Date.now();
        return undefined;
      }
      return Date.now() - stableSince > 700 ? n : undefined;
    },
    'the script to block on its output',
    10_000,
    50,
  );
  const received = u.privmsgs('fast').filter((p) => p.text.startsWith('bea: n ')).length;
  // A pipe holds 64 KiB (~7,000 of these lines): far more would mean unbounded buffering.
  assert.ok(blockedAt < 20_000, `the script wrote ${blockedAt} lines before blocking`);
  assert.ok(blockedAt > received, `it is ahead of what was sent, and waiting (${blockedAt} written, ${received} received)`);
  process.stderr.write(`# script blocked after ${blockedAt} lines; ${received} delivered at that moment\n`);
  const texts = u.privmsgs('fast').filter((p) => p.text.startsWith('bea: n ')).map((p) => p.text);
  assert.deepEqual(texts, Array.from({ length: texts.length }, (_, i) => `bea: n ${i + 1}`), 'in order, none missing');
  u.send('PART #bp');
  await termSeen(dir, pid);
  await fast.stop();
});

test('IRC-03 IRC-06 IRC-07 CORE-06 --listen-all, --no-prefix, and a line over --max-line passes whole-character pieces', async () => {
  await startBot(irc, {
    nick: 'all',
    channels: ['#all'],
    args: ['--listen-all', '--no-prefix', '--max-line', '64', '--flood-rate', '50', '--flood-burst', '50'],
    command: [SESSION, dir],
  });
  const mo = await user('mo', '#all');
  mo.say('#all', 'just talking');
  mo.say('#all', 'all: addressed anyway');
  mo.say('#all', 'long');
  mo.say('#all', 'end');
  await mo.waitPrivmsg('all', /^got: end$/);
  const texts = mo.privmsgs('all').map((p) => p.text);
  assert.match(texts[0]!, /^hello mo pid=\d+$/);
  assert.deepEqual(texts.slice(1, 3), ['got: just talking', 'got: addressed anyway']);
  // The core cuts the 1310-byte line every 64 bytes, inside UTF-8 sequences; the bot keeps
  // each character whole across those cuts.
  const long = texts.slice(3, -1).join('');
  assert.ok(!long.includes('\uFFFD'), 'no character broken at a --max-line cut');
  assert.equal(long, `aé€😀${' aé€😀'.repeat(119)}!`);
});
