/**
 * Hub mode on the irc binding (spec/hub.md; spec/bindings/irc.md "Hub mode"), opt-in as the
 * other HUB checks are. A channel is a room: its clients are the channel itself (from the bot's
 * JOIN) and each nick whose line the bot takes there; each nick in a check is a real IRC user on
 * the suite's ngircd. The shared process is the probe in its `hub` mode (probe-hub.ts), which
 * writes back every line it reads, so a nick's line comes back as what the hub says.
 *
 * Each check keeps to a few replies: the bot's flood pacing (4 at once, then 0.8 a second by
 * default) is waited out, not configured. The HUB checks that need a byte stream's or a
 * client's own backpressure (HUB-05, HUB-06, HUB-11, HUB-12, HUB-15), HUB-10 (HUB-17 on irc),
 * --replay and shutdown are not run on irc: coverage.test.ts lists them with the reason.
 */
import type { Check, Ctx, DaemonRun } from '../runner.js';
import { within } from '../runner.js';
import { IrcUser, uniqueNick } from '../bindings/irc.js';
import type { ProbeRun } from '../probe-report.js';
import { clip, eventually, fresh, SETTLE_MS } from './common.js';
import { bot, ctxUsers, joined, type Irc } from './irc.js';

/** A bot in hub mode with the probe as its channel's process. */
function hubBot(ctx: Ctx, addressed = false): Promise<Irc> {
  return bot(ctx, { mode: addressed ? 'hub=addressed' : 'hub', options: { [addressed ? 'hub-addressed' : 'hub-broadcast']: '' } });
}

/** Another user, in the channel. */
async function nick(ctx: Ctx, i: Irc, prefix: string): Promise<IrcUser> {
  const u = await IrcUser.connect(i.d.addr.host, i.d.addr.port, uniqueNick(prefix));
  ctxUsers(ctx).push(u);
  await joined(ctx, u, i.channel);
  return u;
}

/** What the bot said to the channel, as `u` read it. */
const inChannel = (i: Irc, u: IrcUser): string[] => u.said(i.bot, i.channel);
const stdinOf = (d: DaemonRun, p: ProbeRun): string => fresh(d, p).stdin().toString('latin1');

/** Wait until `u` has read `n` lines from the bot in the channel, then a settle for more. */
async function channelLines(ctx: Ctx, i: Irc, u: IrcUser, n: number): Promise<string[]> {
  await within(() => inChannel(i, u).length >= n, ctx.ms(8000));
  await within(() => inChannel(i, u).length > n, ctx.ms(SETTLE_MS));
  return inChannel(i, u);
}

const hub = (id: string, title: string, addressed: boolean, run: (ctx: Ctx) => Promise<string>): Check => ({
  id,
  level: 'MUST',
  title,
  bindings: ['irc'],
  needs: [addressed ? 'hub-addressed' : 'hub-broadcast'],
  optIn: 'hub',
  timeoutMs: 45_000,
  run,
});


/** An addressed hub bot whose channel is client 1, its user client 2 and a second nick client 3:
 * each nick says `* one`, `* two` in turn, and it is seen in the channel before the next. */
async function addressedPair(ctx: Ctx, second: string): Promise<{ i: Awaited<ReturnType<typeof hubBot>>; a: Awaited<ReturnType<typeof nick>>; b: Awaited<ReturnType<typeof nick>> }> {
  const i = await hubBot(ctx, true);
  const [a, b] = [i.user, await nick(ctx, i, second)];
  await joined(ctx, a, i.channel);
  a.privmsg(i.channel, `${i.bot}: * one`);
  await within(() => inChannel(i, a).includes('one'), ctx.ms(6000));
  b.privmsg(i.channel, `${i.bot}: * two`);
  await within(() => inChannel(i, a).includes('two'), ctx.ms(6000));
  return { i, a, b };
}

export const hubIrcChecks: Check[] = [
  hub('HUB-01', "a channel is one room: its nicks share one process; a private conversation is a room of its own", false, async (ctx) => {
    const i = await hubBot(ctx);
    const [a, b] = [i.user, await nick(ctx, i, 'hcb')];
    await joined(ctx, a, i.channel);
    a.privmsg(i.channel, `${i.bot}: from a`);
    b.privmsg(i.channel, `${i.bot}: from b`);
    const all = (): string => i.d.sessions().map((s) => stdinOf(i.d, s)).join('');
    await eventually(() => all().includes('from a\n') && all().includes('from b\n'), 'the lines "from a" and "from b" read', ctx.ms(8000));
    const readers = i.d.sessions().filter((s) => /from [ab]\n/.test(stdinOf(i.d, s)));
    ctx.expect(readers.length === 1, "one process to read both nicks' lines", () => `${i.d.startedPids().length} processes; ${readers.map((s) => JSON.stringify(stdinOf(i.d, s))).join(', ')} read`);
    const p = readers[0];
    let seen = i.d.startedPids().length;
    await within(() => (seen = Math.max(seen, i.d.startedPids().length)) > 1, ctx.ms(SETTLE_MS), 25);
    ctx.expect(seen === 1, `one process for the channel and its two nicks (counted for ${ctx.ms(SETTLE_MS)} ms more)`, () => `${seen} processes`);
    // A private conversation: a room of its own, so a process of its own.
    a.privmsg(i.bot, 'in private');
    await eventually(() => i.d.sessions().length >= 2, 'a second process for the private conversation', ctx.ms(6000));
    const q = i.d.sessions().find((s) => s.pid !== p!.pid)!;
    await eventually(() => stdinOf(i.d, q) === 'in private\n', 'the private process to read "in private"', ctx.ms(5000));
    await within(() => a.said(i.bot, a.nick).includes('in private'), ctx.ms(6000));
    ctx.expect(!stdinOf(i.d, p!).includes('in private'), "the private line not on the channel's process", () => clip(stdinOf(i.d, p!)));
    ctx.expect(a.said(i.bot, a.nick).join('|') === 'in private', 'the private reply "in private" to the nick alone', () => JSON.stringify(a.said(i.bot, a.nick)));
    return "two nicks' lines read by the channel's one process; a private line started a second process";
  }),

  hub('HUB-02', "the channel's process has H-TYPE HUB-0.2, H-HUB, H-HUB-ROOM the channel, and no variable of any one client", false, async (ctx) => {
    const i = await hubBot(ctx);
    await joined(ctx, i.user, i.channel);
    i.user.privmsg(i.channel, `${i.bot}: env`);
    const [p] = await i.d.waitSessions(1, ctx.ms(5000));
    const env = p!.env;
    const want: Record<string, string> = { 'H-TYPE': 'HUB-0.2', H_TYPE: 'HUB-0.2', 'H-HUB': 'broadcast', H_HUB: 'broadcast', 'H-HUB-ROOM': i.channel, H_HUB_ROOM: i.channel };
    const bad = Object.entries(want).filter(([k, v]) => env[k] !== v);
    ctx.expect(bad.length === 0, Object.entries(want).map(([k, v]) => `${k}=${v}`).join(' '), () => bad.map(([k]) => `${k}=${JSON.stringify(env[k] ?? null)}`).join(' '));
    ctx.expect(!!env['H-VERSION'], 'H-VERSION set', () => 'none');
    const client = ['H-CLIENT', 'H_CLIENT', 'H-IRC-NICK', 'H_IRC_NICK', 'H-IRC-CHANNEL', 'H_IRC_CHANNEL'].filter((k) => env[k] !== undefined);
    ctx.expect(client.length === 0, "no variable of any one client (H-CLIENT, H-IRC-NICK, H-IRC-CHANNEL)", () => client.map((k) => `${k}=${JSON.stringify(env[k])}`).join(' '));
    return `H-TYPE=HUB-0.2 H-HUB=broadcast H-HUB-ROOM=${i.channel}, no client's variables`;
  }),

  hub('HUB-03', "the channel's process starts at the bot's JOIN (its own client), before any nick speaks; a nick's line reaches it", false, async (ctx) => {
    const i = await hubBot(ctx);
    // The bot has joined (the suite's "ready"): the channel is a client already.
    const started = await within(() => i.d.sessions().length > 0, ctx.ms(5000));
    ctx.expect(started, "the process started at the bot's JOIN, before any nick's line", () => `${i.d.startedPids().length} processes 5 s after the bot joined`);
    const [p] = i.d.sessions();
    ctx.expect(stdinOf(i.d, p!) === '', 'nothing on its stdin yet', () => clip(stdinOf(i.d, p!)));
    await joined(ctx, i.user, i.channel);
    i.user.privmsg(i.channel, `${i.bot}: first`);
    await eventually(() => stdinOf(i.d, p!) === 'first\n', 'the process started at the JOIN to read "first"', ctx.ms(6000));
    ctx.expect(i.d.startedPids().length === 1, 'no second process for the first nick', () => `${i.d.startedPids().length} processes`);
    return "the process started at the bot's JOIN; the first nick's line reached it";
  }),

  hub('HUB-04', "the process's exit is quiet on IRC; the channel's next line starts a new process", false, async (ctx) => {
    const i = await hubBot(ctx);
    const u = i.user;
    await joined(ctx, u, i.channel);
    u.privmsg(i.channel, `${i.bot}: before`);
    await within(() => inChannel(i, u).includes('before'), ctx.ms(6000));
    const [p] = await i.d.waitSessions(1, ctx.ms(5000));
    u.privmsg(i.channel, `${i.bot}: !exit 3`);
    await eventually(() => fresh(i.d, p!).exit(), 'the process to exit', ctx.ms(5000));
    // The bot learns of the exit a moment after the probe records it; a line sent in between
    // still belongs to the old process, so send until a new one reads one.
    const sent: string[] = [];
    const q = await eventually(
      () => {
        const n = i.d.sessions().find((s) => s.pid !== p!.pid);
        if (n && stdinOf(i.d, n).length) return n;
        if (!n) {
          sent.push(`again ${sent.length + 1}`);
          u.privmsg(i.channel, `${i.bot}: ${sent.at(-1)}`);
        }
        return undefined;
      },
      'a new process for the next line',
      ctx.ms(8000),
      300,
    );
    const first = stdinOf(i.d, q).split('\n')[0]!;
    await within(() => inChannel(i, u).includes(first), ctx.ms(6000));
    await within(() => inChannel(i, u).length > 2, ctx.ms(SETTLE_MS));
    const said = inChannel(i, u);
    ctx.expect(said[0] === 'before' && said.slice(1).every((l) => sent.includes(l)) && said.includes(first), `in the channel "before", then only the new process's "again K" (nothing about the exit)`, () => clip(JSON.stringify(said)));
    ctx.expect(i.d.startedPids().length === 2, 'a second process after the first exited', () => `${i.d.startedPids().length} processes`);
    return `nothing said about exit status 3; "${first}" started a new process`;
  }),

  hub('HUB-07', 'a nick that leaves (QUIT) does not signal the shared process; the others go on', false, async (ctx) => {
    const i = await hubBot(ctx);
    const [a, b] = [i.user, await nick(ctx, i, 'hcb')];
    await joined(ctx, a, i.channel);
    b.privmsg(i.channel, `${i.bot}: from b`);
    await within(() => inChannel(i, a).includes('from b'), ctx.ms(6000));
    const [p] = await i.d.waitSessions(1, ctx.ms(5000));
    b.quit('leaving');
    await eventually(() => a.saw((m) => m.command === 'QUIT' && m.nick === b.nick), `${b.nick}'s QUIT seen in the channel`, ctx.ms(5000));
    a.privmsg(i.channel, `${i.bot}: still here`);
    const served = await within(() => inChannel(i, a).includes('still here'), ctx.ms(6000));
    ctx.expect(served, 'the nick that stayed served after the other quit', () => `${clip(JSON.stringify(inChannel(i, a)))}; the process got ${fresh(i.d, p!).signals().map((s) => s.sig).join(', ') || 'no signal'}`);
    const sig = await within(() => fresh(i.d, p!).signals().length > 0, ctx.ms(SETTLE_MS));
    ctx.expect(!sig, 'no signal to the shared process when a nick leaves', () => fresh(i.d, p!).signals().map((s) => s.sig).join(', '));
    ctx.expect(i.d.startedPids().length === 1, 'the same process throughout', () => `${i.d.startedPids().length} processes`);
    return `${b.nick} quit: no signal, the process still served ${a.nick}`;
  }),

  hub('HUB-08', "addressed: the channel joins as 1, each nick with its H-IRC- variables; line ID TEXT; a nick's PART is leave ID; ids never reused", true, async (ctx) => {
    const i = await hubBot(ctx, true);
    const server = i.d.addr.extra!.server!;
    const [p] = await i.d.waitSessions(1, ctx.ms(5000));
    const events = (): string[] => stdinOf(i.d, p!).split('\n');
    const joinOf = (id: number): Promise<string> => eventually(() => events().find((l) => l.startsWith(`join ${id} `)), `the event "join ${id} ..."`, ctx.ms(6000));
    const words = (l: string): string[] => l.split(' ').slice(2);
    const chan = await joinOf(1);
    const wantChan = [`H-CLIENT=${server}//${i.channel}`, 'H-IRC-NICK=', `H-IRC-CHANNEL=${i.channel}`];
    ctx.expect(wantChan.every((w) => words(chan).includes(w)), `join 1 (the channel's own client, at the bot's JOIN) carries ${wantChan.join(' ')}`, () => clip(chan));
    const [a, b] = [i.user, await nick(ctx, i, 'hcb')];
    await joined(ctx, a, i.channel);
    a.privmsg(i.channel, `${i.bot}: * hello all`);
    const ja = await joinOf(2);
    const wantA = [`H-CLIENT=${server}/${a.nick}/${i.channel}`, `H-IRC-NICK=${a.nick}`, `H-IRC-CHANNEL=${i.channel}`];
    ctx.expect(wantA.every((w) => words(ja).includes(w)), `join 2 (${a.nick}, with its first line) carries ${wantA.join(' ')}`, () => clip(ja));
    await eventually(() => events().includes('line 2 * hello all'), 'the event "line 2 * hello all"', ctx.ms(5000));
    a.raw(`PART ${i.channel}`);
    const leave = await eventually(() => events().find((l) => l.startsWith('leave 2 ')), 'the event "leave 2 REASON" after the PART', ctx.ms(6000));
    ctx.expect(['leave 2 closed', 'leave 2 reset'].includes(leave), 'leave 2 closed (or reset)', () => leave);
    b.privmsg(i.channel, `${i.bot}: * next`);
    const jb = await joinOf(3).catch(() => undefined);
    const joins = events().filter((l) => l.startsWith('join ')).map((l) => l.split(' ').slice(0, 2).join(' '));
    ctx.expect(jb !== undefined && words(jb).includes(`H-IRC-NICK=${b.nick}`), `the next nick to join as 3 (an id is never reused)`, () => joins.join(', '));
    return `join 1 the channel, join 2 ${a.nick} with its variables, its line, "${leave}", the next nick joined as 3`;
  }),

  hub('HUB-09', "addressed: ID TEXT to a nick is said to it in the channel (NICK: TEXT), to the channel's own client without a prefix, * once; bad lines dropped", true, async (ctx) => {
    const { i, a, b } = await addressedPair(ctx, 'hcb');
    // The channel is client 1, a is 2, b is 3: what a sends, the process writes as its own line.
    for (const l of ['3 to b', 'bad line', '1 to the channel', '9999 nobody', '* end']) a.privmsg(i.channel, `${i.bot}: ${l}`);
    const want = ['one', 'two', `${b.nick}: to b`, 'to the channel', 'end'];
    const got = await channelLines(ctx, i, a, want.length);
    ctx.expect(got.join('|') === want.join('|'), `the channel reads exactly ${JSON.stringify(want)}`, () => clip(JSON.stringify(got)));
    return `3 said to ${b.nick} with its prefix, 1 to the channel without, * once each; "bad line" and an unknown id said nowhere`;
  }),

  hub('HUB-17', 'a line for every client is said once to the channel, not once per nick, in order; addressed: !ID leaving out a client on the channel is not said there', false, async (ctx) => {
    const i = await hubBot(ctx);
    const [a, b] = [i.user, await nick(ctx, i, 'hcb')];
    await joined(ctx, a, i.channel);
    const want = ['one', 'two', 'three'];
    for (const [k, line] of want.entries()) {
      (k % 2 ? b : a).privmsg(i.channel, `${i.bot}: ${line}`);
      await within(() => inChannel(i, a).includes(line), ctx.ms(6000));
    }
    const got = await channelLines(ctx, i, a, want.length);
    ctx.expect(got.join('|') === want.join('|'), `the channel reads ${JSON.stringify(want)}, each once, without a nick's prefix`, () => clip(JSON.stringify(got)));
    const private_ = [a, b].flatMap((u) => u.said(i.bot, u.nick));
    ctx.expect(private_.length === 0, 'nothing said to a nick in private', () => JSON.stringify(private_));
    const note = `three lines from two nicks said once each to ${i.channel} (3 clients in the room)`;
    if (!ctx.has('hub-addressed')) return `${note} (the addressed half not checked: give --opt hub-addressed=...)`;
    // Addressed: the channel is client 1, c is 2, e is 3. A !ID line whose left-out client is
    // on the channel (a nick there, or the channel's own client) is not said there at all.
    const { i: j, a: c } = await addressedPair(ctx, 'hce');
    for (const l of ['!2 not for c', '!1 not for the channel', '* end']) c.privmsg(j.channel, `${j.bot}: ${l}`);
    const wantAddressed = ['one', 'two', 'end'];
    const saw = await channelLines(ctx, j, c, wantAddressed.length);
    ctx.expect(saw.join('|') === wantAddressed.join('|'), `addressed: the channel reads exactly ${JSON.stringify(wantAddressed)} (no !2, no !1 line)`, () => clip(JSON.stringify(saw)));
    return `${note}; addressed: * once each, !2 and !1 not said in the channel`;
  }),
];
