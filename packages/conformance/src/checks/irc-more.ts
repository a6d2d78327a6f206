/** IRC binding (spec/bindings/irc.md), continued: where replies go (IRC-06), nick changes
 * (IRC-09), splitting long lines under the 512-byte limit (IRC-13), startup errors (IRC-01),
 * the nick in use (IRC-18), the trigger as a word (IRC-22), reconnecting and rejoining (IRC-16, IRC-17). */
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Check, Ctx, DaemonRun } from '../runner.js';
import { within } from '../runner.js';
import { kill, pidsWithToken, running, tcpListening } from '../proc.js';
import { allocateIrc, IrcUser, observerOf, uniqueNick } from '../bindings/irc.js';
import type { Address } from '../types.js';
import { b64, clip, eventually, signalsOf, waitSignal } from './common.js';
import { bot, ctxUsers, joined, replies, stdinOf } from './irc.js';
import { mustRefuse } from './life.js';

/** A line of 1500 bytes: words, and two-byte characters a split must not cut. */
const LONG = Array.from({ length: 120 }, (_, i) => `wörd${String(i).padStart(3, '0')}é`).join(' ');

export const ircMoreChecks: Check[] = [
  {
    id: 'IRC-06',
    level: 'MUST',
    title: 'in a channel each stdout line is a PRIVMSG to the channel, "NICK: " first; an empty line is not sent',
    async run(ctx) {
      const { d, bot: b, channel, user } = await bot(ctx, { mode: `noread+stay+print=${b64('one\n\ntwo\n')}` });
      await joined(ctx, user, channel);
      user.privmsg(channel, `${b}: go`);
      await d.waitSessions(1, ctx.ms(5000));
      const got = await replies(ctx, user, b, 2, channel);
      const want = [`${user.nick}: one`, `${user.nick}: two`];
      ctx.expect(JSON.stringify(got) === JSON.stringify(want), `PRIVMSGs to ${channel}: ${JSON.stringify(want)}`, () => `${JSON.stringify(got)} to ${channel}, ${JSON.stringify(user.said(b, user.nick))} in private`);
      ctx.expect(user.said(b, user.nick).length === 0, 'nothing in private', () => JSON.stringify(user.said(b, user.nick)));
    },
  },
  {
    id: 'IRC-09',
    level: 'MUST',
    title: 'a user who changes nick keeps the same process; replies go to the new nick; the child is not told',
    async run(ctx) {
      const { d, bot: b, channel, user } = await bot(ctx, { mode: 'echo+stay' });
      // The bot sees a NICK change only from users who share a channel with it.
      await joined(ctx, user, channel);
      user.privmsg(b, 'first');
      const [p] = await d.waitSessions(1, ctx.ms(5000));
      await replies(ctx, user, b, 1, user.nick);
      const renamed = `${user.nick.slice(0, 6)}n${Math.floor(Math.random() * 1000)}`;
      user.raw(`NICK ${renamed}`);
      await eventually(() => user.saw((m) => m.command === 'NICK' && m.params[0] === renamed), 'the server to confirm the new nick', ctx.ms(5000));
      user.privmsg(b, 'second');
      await within(() => user.said(b, renamed).length >= 1, ctx.ms(6000));
      ctx.expect(JSON.stringify(user.said(b, renamed)) === '["second"]', `the reply "second" to ${renamed}`, () => JSON.stringify(user.said(b, renamed)));
      ctx.expect(d.sessions().length === 1 && stdinOf(d, p!) === 'first\nsecond\n', 'one process that read "first\\nsecond\\n" (nothing about the nick)', () => `${d.sessions().length} processes; the first read ${JSON.stringify(stdinOf(d, p!))}`);
      return `the same process after the change to ${renamed}`;
    },
  },
  {
    id: 'IRC-13',
    level: 'MUST',
    title: 'a long line is split: no relayed line over 512 bytes, no UTF-8 sequence cut, the pieces give the line back',
    async run(ctx) {
      const { d, bot: b, user } = await bot(ctx, { mode: `noread+stay+print=${b64(`${LONG}\n`)}` });
      user.privmsg(b, 'go');
      await d.waitSessions(1, ctx.ms(5000));
      await within(() => user.said(b, user.nick).join('').length >= LONG.length, ctx.ms(8000));
      const msgs = user.messages.filter((m) => m.command === 'PRIVMSG' && m.nick.toLowerCase() === b.toLowerCase());
      const sizes = msgs.map((m) => Buffer.byteLength(`:${m.prefix} PRIVMSG ${m.params[0]} :${m.params[1] ?? ''}\r\n`));
      const joinedText = msgs.map((m) => m.params[1] ?? '').join('');
      ctx.expect(sizes.every((n) => n <= 512), 'every relayed PRIVMSG at most 512 bytes', () => `sizes ${sizes.join(', ')}`);
      ctx.expect(!joinedText.includes('\uFFFD'), 'no UTF-8 sequence cut', () => clip(joinedText, 120));
      ctx.expect(joinedText === LONG, `the pieces joined give the ${Buffer.byteLength(LONG)}-byte line back`, () => `${Buffer.byteLength(joinedText)} bytes in ${msgs.length} messages`);
      return `${msgs.length} PRIVMSGs of at most ${Math.max(...sizes)} bytes`;
    },
  },
];

/** Checks that need a server and an address of their own: nick fallback, startup errors, the
 * trigger. */
export const ircOwnChecks: Check[] = [
  {
    id: 'IRC-01',
    level: 'MUST',
    title: 'startup errors (an invalid nick, a bad port): one line on stderr and exit 2, before any connection (TLS is not checked)',
    async run(ctx) {
      const notes: string[] = [];
      for (const [what, change] of [
        ['a nick that starts with a digit', (a: Address): Address => ({ ...a, extra: { ...a.extra!, nick: '9nick' } })],
        ['a bad port', (a: Address): Address => ({ ...a, extra: { ...a.extra!, server: `${a.host}:99999` } })],
      ] as [string, (a: Address) => Address][]) {
        const dir = join(ctx.dir, `s${notes.length}`);
        mkdirSync(dir);
        const addr = change(await ctx.binding.allocate(dir));
        notes.push(await mustRefuse(ctx, what, { mode: 'echo', addr }));
        const obs = observerOf(addr);
        ctx.expect(!obs?.saw((m) => m.command === 'JOIN' && m.nick.toLowerCase() !== obs.nick.toLowerCase()), `${what}: no connection`, () => 'the bot joined');
      }
      return notes.join('; ');
    },
  },
  {
    id: 'IRC-18',
    level: 'MUST',
    title: 'the nick in use at registration: the bot registers as NICK_ and serves',
    async run(ctx) {
      mkdirSync(join(ctx.dir, 's'));
      const addr = await ctx.binding.allocate(join(ctx.dir, 's'));
      const nick = addr.extra!.nick!;
      const holder = await IrcUser.connect(addr.host, addr.port, nick);
      try {
        const d = await ctx.start({ mode: 'echo+stay', addr, noWait: true });
        const obs = observerOf(addr)!;
        const want = `${nick}_`.toLowerCase();
        await eventually(() => obs.saw((m) => m.command === 'JOIN' && m.nick.toLowerCase() === want), `the bot to join as ${nick}_`, ctx.ms(10_000)).catch(() =>
          ctx.fail(`the bot in the channel as ${nick}_`, `joins: ${JSON.stringify(obs.messages.filter((m) => m.command === 'JOIN').map((m) => m.nick))}; daemon ${d.exitInfo ? `exited ${d.exitInfo.code}` : 'running'}`),
        );
        const user = await IrcUser.connect(addr.host, addr.port, uniqueNick('hcu'));
        try {
          user.privmsg(`${nick}_`, 'still here');
          await within(() => user.said(`${nick}_`, user.nick).length >= 1, ctx.ms(6000));
          ctx.expect(user.said(`${nick}_`, user.nick)[0] === 'still here', `the echo from ${nick}_`, () => JSON.stringify(user.said(`${nick}_`, user.nick)));
        } finally {
          user.close();
        }
        return `${nick} held by another user: joined and served as ${nick}_`;
      } finally {
        holder.close();
      }
    },
  },
  {
    id: 'IRC-22',
    level: 'MUST',
    title: 'a --trigger ending in a letter is a word: "!quote knuth" and "!quote" are taken, "!quotes" is not',
    needs: ['trigger'],
    async run(ctx) {
      const { d, bot: b, channel, user } = await bot(ctx, { mode: 'echo+stay', options: { trigger: '!quote' } });
      await joined(ctx, user, channel);
      user.privmsg(channel, '!quotes are another command');
      user.privmsg(channel, '!quote knuth');
      user.privmsg(channel, '!quote');
      user.privmsg(b, '!quote   in private');
      const want = JSON.stringify(['in private\n', 'knuth\n\n']);
      const inputs = (): string[] => d.sessions().map((p) => stdinOf(d, p)).sort();
      await within(() => JSON.stringify(inputs()) === want, ctx.ms(6000));
      ctx.expect(JSON.stringify(inputs()) === want, `stdin ${want} (private, channel)`, () => JSON.stringify(inputs()));
      return '"!quote knuth" and "!quote" taken, "!quotes" not; in private the trigger removed';
    },
  },
];

/** Stop the suite's IRC server of this daemon run and start it again on the same port. */
async function restartServer(ctx: Ctx, d: DaemonRun): Promise<void> {
  const conf = join(d.dir, `ngircd-${d.addr.port}.conf`);
  const old = pidsWithToken(conf);
  for (const pid of old) kill(pid, 'SIGTERM');
  await eventually(() => old.every((pid) => !running(pid)) && !tcpListening(d.addr.port), 'the IRC server to stop', ctx.ms(5000));
  const p = spawn('ngircd', ['--nodaemon', '-f', conf], { stdio: 'ignore', detached: true });
  p.unref();
  await eventually(() => tcpListening(d.addr.port), 'the IRC server to listen again', ctx.ms(10_000));
}

/** Whether the bot is in the channel, as a new user who joins it sees: its JOIN or NAMES. */
async function backIn(ctx: Ctx, d: DaemonRun, b: string, channel: string): Promise<boolean> {
  const obs = await IrcUser.connect(d.addr.host, d.addr.port, uniqueNick('hcobs'));
  ctxUsers(ctx).push(obs);
  obs.join(channel);
  const inChannel = (): boolean =>
    obs.saw((m) => m.command === 'JOIN' && m.nick.toLowerCase() === b.toLowerCase()) ||
    obs.saw((m) => m.command === '353' && (m.params[3] ?? '').split(' ').some((n) => n.replace(/^[@+%]/, '').toLowerCase() === b.toLowerCase()));
  return within(inChannel, ctx.ms(20_000), 50);
}

export const ircReconnectChecks: Check[] = [
  {
    id: 'IRC-16',
    level: 'MUST',
    title: 'the bot joins its --channel after each registration: after a reconnect too',
    timeoutMs: 40_000,
    async run(ctx) {
      const { d, bot: b, channel } = await bot(ctx, { mode: 'echo+stay' });
      const t0 = Date.now();
      await restartServer(ctx, d);
      ctx.expect(await backIn(ctx, d, b, channel), `${b} back in ${channel} within 20 s of the server's restart`, () => (d.exitInfo ? `the daemon exited (${d.exitInfo.code ?? d.exitInfo.signal})` : 'not there'));
      return `back in ${channel} ${Date.now() - t0} ms after the server went down`;
    },
  },
  {
    id: 'IRC-17',
    level: 'MUST',
    title: "after the connection is lost (the server restarts) the bot connects again and rejoins (IRC-16); the old conversation's process got SIGTERM (IRC-08), a new line starts a new one",
    timeoutMs: 40_000,
    async run(ctx) {
      const { d, bot: b, channel, user } = await bot(ctx, { mode: 'echo+stay' });
      user.privmsg(b, 'before');
      const [p] = await d.waitSessions(1, ctx.ms(5000));
      await replies(ctx, user, b, 1, user.nick);
      const t0 = Date.now();
      await restartServer(ctx, d);
      const t = await waitSignal(d, p!.pid, ctx.ms(5000));
      ctx.expect(t !== undefined, 'SIGTERM to the process of a conversation on the lost connection', () => signalsOf(d, p!.pid));
      ctx.expect(await backIn(ctx, d, b, channel), `${b} back in ${channel} within 20 s`, () => (d.exitInfo ? `the daemon exited (${d.exitInfo.code ?? d.exitInfo.signal})` : 'not there'));
      const back = Date.now() - t0;
      const again = await IrcUser.connect(d.addr.host, d.addr.port, uniqueNick('hcu'));
      ctxUsers(ctx).push(again);
      again.privmsg(b, 'after');
      await within(() => again.said(b, again.nick).length >= 1, ctx.ms(6000));
      ctx.expect(again.said(b, again.nick)[0] === 'after', 'the echo of a line after the reconnect', () => JSON.stringify(again.said(b, again.nick)));
      const s = d.sessions();
      ctx.expect(s.length === 2 && s[1]!.pid !== p!.pid, 'a new process for it', () => `${s.length} processes`);
      return `back in ${channel} ${back} ms after the server went down; the old process got SIGTERM, a new line a new one`;
    },
  },
];

/** The secret the suite puts in the daemon's environment for IRC-02. */
const SECRET = { name: 'HC_CONFORMANCE_IRC_PASSWORD', value: 'conformance-secret-5c1f' };

export const ircSecretChecks: Check[] = [
  {
    id: 'IRC-02',
    level: 'MUST',
    title: 'a password from --password-env is removed from the environment before any child exists; an empty one is a startup error',
    needs: ['password-env'],
    async run(ctx) {
      // A server that asks for this password: the bot gets in only with it.
      const sdir = join(ctx.dir, 'server');
      mkdirSync(sdir);
      const addr = await allocateIrc(sdir, SECRET.value);
      const d = await ctx.start({ mode: 'echo+stay', addr, options: { 'password-env': SECRET.name }, env: { [SECRET.name]: SECRET.value } });
      const user = await IrcUser.connect(addr.host, addr.port, uniqueNick('hcu'), 10_000, SECRET.value);
      ctxUsers(ctx).push(user);
      user.privmsg(addr.extra!.nick!, 'env please');
      const [p] = await d.waitSessions(1, ctx.ms(5000));
      const leaks = Object.entries(p!.env).filter(([k, v]) => k === SECRET.name || v.includes(SECRET.value));
      ctx.expect(leaks.length === 0, `no ${SECRET.name} (nor its value) in the child's environment`, () => leaks.map(([k]) => k).join(', '));
      const dir = join(ctx.dir, 'empty');
      mkdirSync(dir);
      const empty = await mustRefuse(ctx, 'an empty password', { mode: 'echo', addr: await ctx.binding.allocate(dir), options: { 'password-env': SECRET.name }, env: { [SECRET.name]: '' } });
      return `the child's environment has no ${SECRET.name}; ${empty}`;
    },
  },
  {
    id: 'IRC-15',
    level: 'MUST',
    title: 'flood control: replies leave in a burst of 4, then at most 0.8 lines a second (the defaults)',
    timeoutMs: 45_000,
    async run(ctx) {
      const n = 12;
      const lines = Array.from({ length: n }, (_, i) => `line ${i + 1}\n`).join('');
      const { d, bot: b, user } = await bot(ctx, { mode: `noread+stay+print=${b64(lines)}` });
      const at: number[] = [];
      let seen = 0;
      user.privmsg(b, 'go');
      await d.waitSessions(1, ctx.ms(5000));
      const deadline = Date.now() + ctx.ms(30_000);
      while (seen < n && Date.now() < deadline) {
        const now = user.said(b, user.nick).length;
        for (; seen < now; seen++) at.push(Date.now());
        await new Promise((r) => setTimeout(r, 20));
      }
      ctx.expect(seen === n, `all ${n} lines within 30 s`, () => `${seen}`);
      // After the burst of 4, the 8 others need (8 - 1) / 0.8 s at least; 10% allowed for timers.
      const span = at[n - 1]! - at[4]!;
      const least = ((n - 5) / 0.8) * 1000 * 0.9;
      ctx.expect(span >= least, `lines 5 to ${n} spread over at least ${(least / 1000).toFixed(1)} s (0.8 a second)`, () => `${(span / 1000).toFixed(1)} s`);
      return `${n} lines: 5th to ${n}th over ${(span / 1000).toFixed(1)} s`;
    },
  },
];

/** The first position of each event in `log` (a line holding the word), -1 when missing. */
function eventsAt(log: string, events: string[]): number[] {
  return events.map((e) => log.search(new RegExp(`(^|\\s)${e}(\\s|$)`, 'm')));
}

export const ircLogChecks: Check[] = [
  {
    id: 'IRC-19',
    level: 'MUST',
    title: 'connection state changes are logged: connecting, connected, registered, joined; after a lost connection disconnected, then again',
    timeoutMs: 40_000,
    async run(ctx) {
      const { d, bot: b, channel } = await bot(ctx, { mode: 'echo+stay' });
      const first = ['connecting', 'connected', 'registered', 'joined'];
      await within(() => !eventsAt(d.stderr().toString(), first).includes(-1), ctx.ms(3000));
      const start = eventsAt(d.stderr().toString(), first);
      ctx.expect(!start.includes(-1) && start.every((at, i) => i === 0 || at > start[i - 1]!), `the log lines ${first.join(', ')}, in that order`, () => clip(d.stderr().toString(), 400));
      const mark = d.stderr().length;
      await restartServer(ctx, d);
      ctx.expect(await backIn(ctx, d, b, channel), `${b} back in ${channel}`, () => 'not there');
      const again = ['disconnected', 'connected', 'registered', 'joined'];
      await within(() => !eventsAt(d.stderr().subarray(mark).toString(), again).includes(-1), ctx.ms(3000));
      const after = eventsAt(d.stderr().subarray(mark).toString(), again);
      ctx.expect(!after.includes(-1) && after.every((at, i) => i === 0 || at > after[i - 1]!), `after the server went down: ${again.join(', ')}, in that order`, () => clip(d.stderr().subarray(mark).toString(), 400));
      return `${first.join(', ')}; after a restart of the server ${again.join(', ')}`;
    },
  },
];
