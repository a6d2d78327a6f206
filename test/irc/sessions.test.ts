/**
 * hamelin-irc against a real ngircd: addressing, private and parallel sessions, what ends
 * a session, nick changes, child exit, sanitising and splitting, on the wire.
 * The server runs without its flood penalty here and the bot with a fast bucket, so these
 * tests are about sessions; flood.test.ts checks throttling against ngircd's defaults.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gone, stopAll, type Running } from '../helpers/daemon.js';
import { IrcUser, startNgircd, stopAllNgircd, type Ngircd } from '../helpers/ngircd.js';
import { alive, eventually } from '../helpers/poll.js';
import { blockedInWrite, envOf, hasTerm, logFields, pidFrom, startBot, stateDir, termSeen, SESSION } from './common.js';
import { weightedBucketViolation } from './flood-run.js';
import { WireTap } from './wire-tap.js';

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

test('IRC-04 a private conversation: every line counts, a leading --trigger is removed, replies go to the nick without a prefix', async () => {
  const pat = await user('pat', null);
  pat.say('bot', 'bot: hello there');
  pat.say('bot', '!raw');
  pat.say('bot', '!  spaced');
  pat.say('bot', 'not !first');
  const hello = await pat.waitPrivmsg('bot', /^hello pat pid=\d+$/);
  await pat.waitPrivmsg('bot', 'got: not !first');
  const pid = pidFrom(hello.text);
  assert.deepEqual(
    pat.privmsgs('bot').map((p) => `${p.target} ${p.text}`),
    [`pat hello pat pid=${pid}`, 'pat got: bot: hello there', 'pat got: raw', 'pat got: spaced', 'pat got: not !first'],
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

test('IRC-05 IRC-08 the same nick from another user@host is another user: the old private session ends, a new one starts', async () => {
  // No channel in common: the bot never sees the first user quit, only the nick come back.
  const first = await IrcUser.connect(irc.port, 'nora', { user: 'first' });
  users.push(first);
  first.say('bot', 'pid');
  const p1 = pidFrom((await first.waitPrivmsg('bot', /^pid=\d+$/)).text);
  await first.quit();
  const second = await IrcUser.connect(irc.port, 'nora', { user: 'second' });
  users.push(second);
  second.say('bot', 'pid');
  const p2 = pidFrom((await second.waitPrivmsg('bot', /^pid=\d+$/)).text);
  assert.notEqual(p2, p1, 'the second nora has her own process');
  await termSeen(dir, p1);
  await bot.waitLog(new RegExp(`client-gone client=nora pid=${p1} reason=closed detail=new-user`));
  assert.equal(envOf(dir, p2)['H-IRC-NICK'], 'nora');
  const said = (): string[] => second.privmsgs('bot').map((m) => m.text);
  assert.deepEqual(said(), [`hello nora pid=${p2}`, `pid=${p2}`], 'nothing of the first session reached her');
  // The same user, again: the same process.
  second.say('bot', 'pid');
  await eventually(() => said().length === 3, 'a second answer');
  assert.equal(said()[2], `pid=${p2}`);
  assert.ok(alive(p2));
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
  await bot.waitLog(new RegExp(`client=#t/dave pid=${pd} status=143 ended_by=client-closed`)); // the trap exited 143
});

test('IRC-09 a nick change keeps the session; replies follow the new nick; the child is not told', async () => {
  const gina = await user('gina');
  gina.say('#t', 'bot: pid');
  const pid = pidFrom((await gina.waitPrivmsg('bot', /^gina: pid=\d+$/)).text);
  gina.send('NICK gina2');
  await gina.waitLine((l) => /^:gina!\S+ NICK :?gina2$/.test(l), 'own NICK echo');
  await bot.waitLog(/info client-nick client=#t\/gina2 was=gina/); // IRC-19
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

test('IRC-12 \\x01 is removed from output: a script that echoes what users type cannot be made to send CTCP', async () => {
  const cy = await user('cy', null);
  // Not CTCP to the bot (it does not start with \x01), so the script gets it and echoes it.
  cy.say('bot', 'say \x01VERSION\x01');
  cy.say('bot', 'say \x01ACTION waves\x01');
  cy.say('bot', 'say a\x01DCC SEND x 1 2 3\x01b');
  await cy.waitPrivmsg('bot', /^aDCC/);
  assert.deepEqual(cy.privmsgs('bot').slice(1).map((p) => p.text), ['VERSION', 'ACTION waves', 'aDCC SEND x 1 2 3b']);
  for (const p of cy.privmsgs('bot')) assert.ok(!p.raw.includes(1), `no \\x01 on the wire: ${JSON.stringify(p.raw.toString())}`);
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

test('IRC-15 IRC-21 default bucket: a burst of 4, then 0.8 lines per second, for every line the bot sends, registration included', async () => {
  // The bot talks to the server through a tap, which sees when it sends each line.
  const tap = await WireTap.start(irc.port);
  const slow = await startBot({ port: tap.port }, { nick: 'slow', channels: [], command: [SESSION, dir] });
  const u = await user('sam', null);
  u.say('slow', 'lines 5'); // hello + 5 lines = 6 messages, queued at once
  await u.waitPrivmsg('slow', 'line 5', 20_000);
  const sent = tap.sent.slice();
  process.stderr.write(`# default bucket, sent at (ms): ${sent.map((l) => `${l.line.split(' ')[0]} ${l.at}`).join(', ')}\n`);
  // Registration takes its tokens like any line: CAP LS, NICK (2) and USER are the burst of 4,
  // sent at once; the next line (CAP REQ) waits for a token.
  const names = sent.map((l) => l.line.split(' ')[0]);
  assert.deepEqual(names.slice(0, 3), ['CAP', 'NICK', 'USER']);
  assert.ok(sent[2]!.at - sent[0]!.at < 100, `the burst went at once: ${sent[2]!.at - sent[0]!.at} ms`);
  // No run of lines went faster than a bucket of 4 and 0.8/s allows, each at its cost (150 ms
  // for a busy machine)...
  assert.equal(weightedBucketViolation(sent, 4, 0.8, 150), undefined);
  // ...and no slower: the six PRIVMSGs, all waiting, went no more than one token (1250 ms)
  // apart, and exactly that once what the bucket had saved up was spent.
  const at = sent.filter((l) => l.line.startsWith('PRIVMSG ')).map((l) => l.at);
  assert.equal(at.length, 6);
  const gaps = at.slice(1).map((x, i) => x - at[i]!);
  assert.ok(gaps.every((g) => g < 1600) && gaps.slice(-2).every((g) => g > 1000), `gaps: ${gaps.join(', ')} ms`);
  await slow.stop();
  await tap.stop();
});

test('IRC-15 CORE-07 a script faster than the bucket is paused, not buffered: bounded, in order, nothing dropped', async () => {
  const fast = await startBot(irc, { nick: 'fast', channels: ['#bp'], args: ['--flood-rate', '20', '--flood-burst', '4', '--queue', '4'], command: [SESSION, dir] });
  const u = await user('bea', '#bp');
  u.say('#bp', 'fast: forever');
  const pid = pidFrom((await u.waitPrivmsg('fast', /hello bea/)).text);
  await u.waitPrivmsg('fast', 'bea: n 20');
  // The kernel says the script sleeps in a write to its stdout: the bot stopped reading it.
  await eventually(() => blockedInWrite(pid), 'the script to block on its output', 10_000);
  const countFile = join(dir, `${pid}.count`);
  const written = Number(readFileSync(countFile, 'utf8').trim().split('\n').pop() || 0);
  const received = u.privmsgs('fast').filter((p) => p.text.startsWith('bea: n ')).length;
  assert.ok(written > received, `it is ahead of what was sent, and waiting (${written} written, ${received} received)`);
  process.stderr.write(`# script blocked after ${written} lines; ${received} delivered at that moment\n`);
  const texts = u.privmsgs('fast').filter((p) => p.text.startsWith('bea: n ')).map((p) => p.text);
  assert.deepEqual(texts, Array.from({ length: texts.length }, (_, i) => `bea: n ${i + 1}`), 'in order, none missing');
  u.send('PART #bp');
  await termSeen(dir, pid);
  // The core hands over no line after the one that filled the queue: --queue (4) plus that
  // line's messages, here one ("n 17").
  const t = logFields((await fast.waitLog(/info throttled client=#bp\/bea .*\n/)).input!, 'throttled')!;
  process.stderr.write(`# throttled: pauses=${t.pauses} peak_queue=${t.peak_queue}\n`);
  assert.ok(Number(t.pauses) >= 1);
  assert.ok(Number(t.peak_queue) <= 4 + 1, `peak queue ${t.peak_queue}`);
  await fast.stop();
});

test('IRC-15 CORE-06 CORE-07 one long line does not flood the queue: it is cut at --max-line (2048 by default) and the script blocks mid-line', async () => {
  const big = await startBot(irc, { nick: 'big', channels: ['#big'], args: ['--flood-rate', '10'], command: [SESSION, dir] });
  const u = await user('ben', '#big');
  u.say('#big', 'big: kib 1000'); // one line of 1,024,000 bytes: under the core's 1 MiB default
  const pid = pidFrom((await u.waitPrivmsg('big', /hello ben/)).text);
  // Held whole, the line would be read to its end (the script never blocks) and queued as
  // ~2,700 PRIVMSGs. Cut, the bot stops reading after one read and the script waits.
  await eventually(() => blockedInWrite(pid), 'the script to block in the middle of its line', 10_000);
  await u.waitPrivmsg('big', /^ben: a+$/);
  u.send('PART #big');
  await termSeen(dir, pid);
  const t = logFields((await big.waitLog(/info throttled client=#big\/ben .*\n/)).input!, 'throttled')!;
  // --queue (16) plus the messages of the piece that filled it: 2048 bytes, at most 6
  // PRIVMSGs here (a 380-byte budget; 7 allows for a longer mask).
  const bound = 16 + 7;
  process.stderr.write(`# 1000 KiB line: peak_queue=${t.peak_queue} (bound ${bound}), pauses=${t.pauses}\n`);
  assert.ok(Number(t.peak_queue) <= bound, `peak queue ${t.peak_queue} > ${bound}`);
  for (const p of u.privmsgs('big')) assert.ok(p.raw.length + 2 <= 512);
  await big.stop();
});

test('IRC-20 a child that does not read: 256 lines are held, the rest dropped with one input-dropped warning', async () => {
  const ola = await user('ola'); // in #t, so that the bot sees her QUIT at the end
  ola.say('bot', 'stall');
  const pid = pidFrom((await ola.waitPrivmsg('bot', /^hello ola pid=\d+$/)).text);
  // 1500 lines of 300 bytes: more than its stdin socket (lines written together fill it with
  // 200 KiB or more), the core's buffer and 256 held lines hold.
  const line = (i: number): string => `L${String(i).padStart(4, '0')} ${'x'.repeat(294)}`;
  for (let i = 1; i <= 1500; i++) ola.say('bot', line(i));
  await bot.waitLog(/warn input-dropped client=ola reason="child not reading stdin" held=256/);
  writeFileSync(join(dir, `${pid}.go`), '');
  // Once the child reads again, input flows: a marker sent now and then gets through.
  const inFile = join(dir, `${pid}.in`);
  let n = 0;
  await eventually(
    () => {
      if (/^END\d+$/m.test(readFileSync(inFile, 'utf8'))) return true;
      ola.say('bot', `END${++n}`);
      return false;
    },
    'input to reach the child again',
    10_000,
    100,
  );
  const all = readFileSync(inFile, 'utf8').split('\n');
  const got = all.slice(1, all.findIndex((l) => l.startsWith('END')));
  assert.deepEqual(got, Array.from({ length: got.length }, (_, i) => line(i + 1)), 'a prefix of what was sent, in order');
  assert.ok(got.length >= 256 && got.length < 1500, `${got.length} of 1500 lines delivered`);
  assert.equal(bot.stderr().match(/input-dropped client=ola /g)?.length, 1, `one warning for ${1500 - got.length} dropped lines`);
  await ola.quit();
  await termSeen(dir, pid);
});

test('IRC-03 IRC-06 IRC-07 CORE-06 --listen-all, --no-prefix, and a line over --max-line is cut into whole-character pieces', async () => {
  const all = await startBot(irc, {
    nick: 'all',
    channels: ['#all'],
    args: ['--listen-all', '--no-prefix', '--max-line', '64', '--flood-rate', '50', '--flood-burst', '50'],
    command: [SESSION, dir],
  });
  const mo = await user('mo', '#all');
  mo.say('#all', 'just talking');
  mo.say('#all', 'all: addressed anyway');
  mo.say('#all', 'cut'); // 1309 bytes with no newline: the core must cut them itself
  await all.waitLog(/warn long-line client=#all\/mo pid=\d+ direction=out limit=64/);
  mo.say('#all', 'cutend');
  mo.say('#all', 'exact64');
  mo.say('#all', 'end');
  await mo.waitPrivmsg('all', /^got: end$/);
  const texts = mo.privmsgs('all').map((p) => p.text);
  assert.match(texts[0]!, /^hello mo pid=\d+$/);
  assert.deepEqual(texts.slice(1, 3), ['got: just talking', 'got: addressed anyway']);
  // A whole line of exactly --max-line bytes is one message, its end kept to itself (ngircd
  // strips its trailing space), not taken for a piece that the next line continues.
  assert.deepEqual(texts.slice(-3, -1), [`${'x'.repeat(62)}y`, 'z']);
  const pieces = texts.slice(3, -3);
  // Cut every 64 bytes, often inside a UTF-8 sequence: each piece is a PRIVMSG, and a
  // sequence cut in two goes whole into the piece where it ends.
  assert.ok(pieces.length >= Math.floor(1309 / 64), `${pieces.length} pieces: the line was not cut at 64 bytes`);
  for (const p of pieces) assert.ok(Buffer.byteLength(p) <= 64 + 3, `piece of ${Buffer.byteLength(p)} bytes`);
  const long = pieces.join('');
  assert.ok(!long.includes('\uFFFD'), 'no character broken at a --max-line cut');
  assert.equal(long, `aé€😀${' aé€😀'.repeat(119)}!`);
});
