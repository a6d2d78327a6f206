/**
 * hamelin-irc and its server connection, against real ngircd instances: restart, hung
 * server (ping timeout), nick in use, server password from a file, TLS verification.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stopAll } from '../helpers/daemon.js';
import { IrcUser, makeTestCert, startNgircd, stopAllNgircd } from '../helpers/ngircd.js';
import { eventually } from '../helpers/poll.js';
import { envOf, logFields, pidFrom, startBot, stateDir, termSeen, SESSION } from './common.js';

const dir = stateDir();
const users: IrcUser[] = [];

after(async () => {
  for (const u of users) u.close();
  await stopAll();
  await stopAllNgircd();
});

function count(text: string, re: RegExp): number {
  return text.match(new RegExp(re.source, 'g'))?.length ?? 0;
}

test('IRC-02 IRC-08 IRC-16 IRC-17 server restart: sessions end and queued output is dropped, the bot reconnects and rejoins, new sessions work; the password never reaches argv', async () => {
  const secret = 'pw-7d1e0c';
  const irc = await startNgircd({ password: secret });
  const pwFile = join(dir, 'password');
  writeFileSync(pwFile, `${secret}\n`);
  const bot = await startBot(irc, { channels: ['#r', '#r2'], args: ['--password-file', pwFile, '--flood-rate', '20'], command: [SESSION, dir] });
  const cmdline = readFileSync(`/proc/${bot.proc.pid}/cmdline`, 'utf8');
  assert.ok(!cmdline.includes(secret), 'the password is not in the command line');
  await bot.waitLog(/joined channel=#r2/);

  const alice = await IrcUser.connect(irc.port, 'alice', { password: secret });
  users.push(alice);
  await alice.join('#r');
  alice.say('#r', 'bot: before');
  const p1 = pidFrom((await alice.waitPrivmsg('bot', /hello alice/)).text);
  // A private session that prints 60 lines and exits at once. Its session is over once the
  // last line is in the bot's queue (at most --queue lines, CORE-07), and at 20 lines/s that
  // queue still holds some when the server goes away.
  alice.say('bot', 'lines 60');
  alice.say('bot', 'quit');
  await alice.waitPrivmsg('bot', /^line 1$/);
  await bot.waitLog(/info end client=alice pid=\d+ status=0/);

  await irc.restart();
  // Connected before the bot is back (its first wait is at least 500 ms): it would get any
  // line left over from the old connection.
  const again = await IrcUser.connect(irc.port, 'alice', { password: secret });
  users.push(again);
  await termSeen(dir, p1); // sessions do not survive the connection
  await bot.waitLog(/warn disconnected server=\S+ .*sessions=1/);
  await bot.waitLog(/info reconnecting server=\S+ attempt=1 in_ms=\d+/);
  await eventually(() => count(bot.stderr(), /joined channel=#r /) >= 2 && count(bot.stderr(), /joined channel=#r2 /) >= 2, 'rejoin of both channels', 15_000);

  await again.join('#r');
  again.say('#r', 'bot: after');
  const p2 = pidFrom((await again.waitPrivmsg('bot', /hello alice/)).text);
  await again.waitPrivmsg('bot', 'alice: got: after');
  assert.notEqual(p2, p1);
  const stale = again.privmsgs('bot').filter((p) => /^line \d+$/.test(p.text));
  assert.equal(stale.length, 0, `lines of the old connection sent on the new one: ${stale.map((p) => p.text).join(', ')}`);
  // There was something to drop: the exited session's lines were still queued.
  const d = logFields(bot.stderr(), 'disconnected')!;
  assert.ok(Number(d.discarded) > 0, `discarded=${d.discarded}`);
  await irc.stop();
});

test('IRC-17 a hung server is detected by ping timeout; the bot reconnects when it answers again', async () => {
  const irc = await startNgircd();
  const bot = await startBot(irc, { channels: ['#p'], args: ['--ping-timeout', '2', '--flood-rate', '20'], command: [SESSION, dir] });
  const u = await IrcUser.connect(irc.port, 'paul');
  users.push(u);
  await u.join('#p');
  u.say('#p', 'bot: hi');
  const pid = pidFrom((await u.waitPrivmsg('bot', /hello paul/)).text);
  const t0 = Date.now();
  irc.freeze();
  await bot.waitLog(/warn ping-timeout server=\S+ after_s=2/, 10_000);
  const detected = Date.now() - t0;
  await termSeen(dir, pid);
  irc.thaw();
  await eventually(() => count(bot.stderr(), /joined channel=#p /) >= 2, 'rejoin after the server came back', 15_000);
  assert.ok(detected >= 1500 && detected < 8000, `detected after ${detected} ms`);
  process.stderr.write(`# hung server detected after ${detected} ms with --ping-timeout 2\n`);
  await irc.stop();
});

test('IRC-18 nick in use: the bot falls back, answers to the fallback, and reclaims its nick once free', async () => {
  const irc = await startNgircd();
  const holder = await IrcUser.connect(irc.port, 'popular');
  users.push(holder);
  const bot = await startBot(irc, { nick: 'popular', channels: ['#n'], args: ['--nick-retry', '1', '--flood-rate', '20'], command: [SESSION, dir] });
  await bot.waitLog(/warn nick-fallback nick=popular reason=in-use trying=popular_/);
  await bot.waitLog(/joined channel=#n nick=popular_/);
  const u = await IrcUser.connect(irc.port, 'quinn');
  users.push(u);
  await u.join('#n');
  u.say('#n', 'popular_: who are you');
  const hello = await u.waitPrivmsg('popular_', /hello quinn/);
  assert.equal(envOf(dir, pidFrom(hello.text))['H-IRC-BOT-NICK'], 'popular_');
  u.say('#n', 'popular_: quit');
  await holder.quit('making room');
  await bot.waitLog(/info nick-reclaimed nick=popular was=popular_/, 10_000);
  u.say('#n', 'popular: again');
  await u.waitPrivmsg('popular', 'quinn: got: again');
  await irc.stop();
});

test('IRC-01 TLS: the certificate is verified (trusted CA: joins; unknown CA: refused, retried); --tls-insecure skips the check', async () => {
  const cert = makeTestCert();
  const irc = await startNgircd({ tls: cert });
  const tlsIrc = { ...irc, port: irc.tlsPort! };
  const good = await startBot(tlsIrc, {
    nick: 'tlsbot',
    channels: ['#s'],
    args: ['--tls', '--flood-rate', '20'],
    command: [SESSION, dir],
    env: { ...process.env, NODE_EXTRA_CA_CERTS: cert.certFile },
  });
  await good.waitLog(/connecting server=127\.0\.0\.1:\d+ tls=true/);
  const bad = await startBot(tlsIrc, { nick: 'badbot', channels: ['#s'], args: ['--tls'], ready: /reconnecting/ });
  await bad.waitLog(/warn connect-failed server=\S+ error="?[^\n]*(self[- ]signed|certificate)/i);
  assert.doesNotMatch(bad.stderr(), /registered/);
  await startBot(tlsIrc, { nick: 'lax', channels: ['#s'], args: ['--tls-insecure'] });

  const u = await IrcUser.connect(irc.port, 'tess'); // plain port, same server
  users.push(u);
  await u.join('#s');
  u.say('#s', 'tlsbot: hi');
  const pid = pidFrom((await u.waitPrivmsg('tlsbot', /hello tess/)).text);
  assert.equal(envOf(dir, pid)['H-TYPE'], 'IRC-0.2-TLS');
  await irc.stop();
});

test('IRC-08 IRC-16 the bot kicked from a channel: that channel\'s sessions get SIGTERM, others go on, the bot rejoins', async () => {
  const irc = await startNgircd();
  const op = await IrcUser.connect(irc.port, 'chanop');
  users.push(op);
  await op.join('#k'); // first in: channel operator
  const bot = await startBot(irc, { channels: ['#k'], args: ['--flood-rate', '20'], command: [SESSION, dir] });
  const u = await IrcUser.connect(irc.port, 'kay');
  users.push(u);
  await u.join('#k');
  u.say('#k', 'bot: hi');
  u.say('bot', 'hi');
  const inChannel = pidFrom((await u.waitPrivmsg('bot', /^kay: hello kay/)).text);
  const inPrivate = pidFrom((await u.waitPrivmsg('bot', /^hello kay/)).text);
  op.send('KICK #k bot :behave');
  await termSeen(dir, inChannel);
  await bot.waitLog(/warn kicked channel=#k by=chanop reason=behave/);
  await bot.waitLog(/rejoin-scheduled channel=#k in_ms=5000/);
  u.say('bot', 'still here?');
  await u.waitPrivmsg('bot', /^got: still here\?$/);
  assert.equal(pidFrom((await u.waitPrivmsg('bot', /^hello kay/)).text), inPrivate, 'the private session goes on');
  await eventually(() => count(bot.stderr(), /joined channel=#k /) >= 2, 'rejoin after the kick', 10_000);
  await irc.stop();
});

test('CORE-22 SIGTERM to the bot: it QUITs, every session gets SIGTERM, exit status 0', async () => {
  const irc = await startNgircd();
  const bot = await startBot(irc, { channels: ['#q'], args: ['--flood-rate', '20'], command: [SESSION, dir] });
  const u = await IrcUser.connect(irc.port, 'quincy');
  users.push(u);
  await u.join('#q');
  u.say('#q', 'bot: hi');
  const pid = pidFrom((await u.waitPrivmsg('bot', /hello quincy/)).text);
  assert.equal(await bot.stop('SIGTERM'), 0);
  assert.ok(readFileSync(join(dir, `${pid}.term`), 'utf8').includes('TERM'));
  await u.waitLine((l) => /^:bot!\S+ QUIT :.*shutting down/.test(l), 'the bot\'s QUIT');
  await irc.stop();
});

test('IRC-02 CORE-23 a password read from --password-env or --sasl-password-env is in no child\'s environment', async () => {
  const pw = 'pw-env-51c2';
  const sasl = 'sasl-env-9f3e';
  const irc = await startNgircd({ password: pw });
  const env = { ...process.env, HAMELIN_TEST_PW: pw, HAMELIN_TEST_SASL: sasl, HAMELIN_TEST_KEEP: 'kept' };
  // ngircd offers no SASL: the bot logs that and goes on, which is all this test needs.
  await startBot(irc, {
    nick: 'envbot',
    channels: ['#e'],
    args: ['--password-env', 'HAMELIN_TEST_PW', '--sasl-account', 'acct', '--sasl-password-env', 'HAMELIN_TEST_SASL', '--flood-rate', '20'],
    command: [SESSION, dir],
    env,
  });
  const u = await IrcUser.connect(irc.port, 'eve', { password: pw });
  users.push(u);
  u.say('envbot', 'hi');
  const pid = pidFrom((await u.waitPrivmsg('envbot', /hello eve/)).text);
  const raw = readFileSync(join(dir, `${pid}.env`), 'utf8');
  assert.ok(!raw.includes(pw) && !raw.includes(sasl), 'no secret in the child\'s environment');
  assert.doesNotMatch(raw, /HAMELIN_TEST_PW|HAMELIN_TEST_SASL/);
  assert.equal(envOf(dir, pid).HAMELIN_TEST_KEEP, 'kept', 'the rest of the daemon\'s environment is passed on');
  await irc.stop();
});

test('IRC-18 an erroneous nickname (too long for the server) falls back to 9 characters, and the bot answers there', async () => {
  const irc = await startNgircd(); // MaxNickLength = 30
  const long = 'averyveryverylongbotnickname0123';
  const bot = await startBot(irc, { nick: long, channels: ['#en'], args: ['--flood-rate', '20'], command: [SESSION, dir] });
  await bot.waitLog(new RegExp(`warn nick-fallback nick=${long} reason=invalid trying=averyver_`));
  await bot.waitLog(/joined channel=#en nick=averyver_/);
  const u = await IrcUser.connect(irc.port, 'nell');
  users.push(u);
  await u.join('#en');
  u.say('#en', 'averyver_: hi');
  const hello = await u.waitPrivmsg('averyver_', /^nell: hello nell pid=\d+$/);
  assert.equal(envOf(dir, pidFrom(hello.text))['H-IRC-BOT-NICK'], 'averyver_');
  await irc.stop();
});

test('IRC-16 a refused JOIN (wrong key, +R) is retried after 5 s; --channel-keys-file opens a keyed channel, the key never in argv', async () => {
  const irc = await startNgircd();
  const keeper = await IrcUser.connect(irc.port, 'keeper');
  users.push(keeper);
  for (const [ch, mode] of [['#keyed', '+k sesame'], ['#locked', '+k other'], ['#members', '+R']] as const) {
    await keeper.join(ch); // first in: operator
    keeper.send(`MODE ${ch} ${mode}`);
    await keeper.waitLine((l) => l.includes(` MODE ${ch} ${mode}`), `mode ${mode} on ${ch}`);
  }
  const keys = join(dir, 'channel-keys');
  writeFileSync(keys, '#keyed sesame\n');
  const bot = await startBot(irc, { channels: ['#keyed', '#locked', '#members'], args: ['--channel-keys-file', keys, '--flood-rate', '20'], command: [SESSION, dir] });
  assert.ok(!readFileSync(`/proc/${bot.proc.pid}/cmdline`, 'utf8').includes('sesame'));
  await bot.waitLog(/warn irc-error error=bad_channel_key channel=#locked/);
  await bot.waitLog(/info rejoin-scheduled channel=#locked in_ms=5000 attempt=1/);
  // ngircd refuses +R with 471, "channel is full"
  await bot.waitLog(/warn irc-error error=channel_is_full channel=#members/);
  await bot.waitLog(/info rejoin-scheduled channel=#members in_ms=5000 attempt=1/);
  keeper.send('MODE #locked -k other');
  keeper.send('MODE #members -R');
  await bot.waitLog(/joined channel=#locked /, 10_000);
  await bot.waitLog(/joined channel=#members /, 10_000);
  assert.equal(count(bot.stderr(), /joined channel=#keyed /), 1);
  await irc.stop();
});

test('IRC-19 CORE-17 every connection state change is logged: the JSON log of a start and a server restart', async () => {
  const irc = await startNgircd();
  const bot = await startBot(irc, { nick: 'logbot', channels: ['#l'], args: ['--log-format', 'json'], command: [SESSION, dir], ready: /"event":"joined"/ });
  const records = (): Record<string, unknown>[] =>
    bot
      .stderr()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  await irc.restart();
  await eventually(() => records().filter((r) => r.event === 'joined').length >= 2, 'the rejoin', 15_000);
  const state = new Set(['connecting', 'connected', 'connect-failed', 'registered', 'joined', 'disconnected', 'reconnecting', 'irc-error']);
  const seq = records().filter((r) => state.has(String(r.event)));
  assert.deepEqual(
    seq.map((r) => r.event),
    ['connecting', 'connected', 'registered', 'joined', 'irc-error', 'disconnected', 'reconnecting', 'connecting', 'connected', 'registered', 'joined'],
  );
  for (const r of seq) {
    assert.equal(r.hamelin, 'hamelin-irc');
    assert.match(String(r.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/);
    assert.ok(['info', 'warn', 'error'].includes(String(r.level)));
  }
  assert.equal(seq[0]!.server, `127.0.0.1:${irc.port}`);
  assert.equal(seq.find((r) => r.event === 'joined')!.channel, '#l');
  assert.equal(seq.find((r) => r.event === 'reconnecting')!.attempt, 1);
  await irc.stop();
});
