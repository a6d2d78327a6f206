/**
 * IRC binding (spec/bindings/irc.md). A conversation begins with its first line, so these
 * checks drive sessions themselves; each names the core requirements it also covers.
 * Replies, nick changes, splitting, startup errors, flood pacing, reconnects and the nick
 * fallback are in irc-more.ts; every line through the bucket (IRC-21) and the welcome (IRC-23),
 * against the suite's scripted server, in irc-wire.ts. Not covered: TLS, SASL.
 */
import type { Check, Ctx, DaemonRun, StartSpec } from '../runner.js';
import { within } from '../runner.js';
import { IrcUser, observerOf, uniqueNick } from '../bindings/irc.js';
import type { ProbeRun } from '../probe-report.js';
import { NASTY_ARGS } from './processes.js';
import { stderrBytes } from './stderr.js';
import { b64, clip, eventually, fresh, signalsOf, waitGrandchild, waitSignal } from './common.js';

export interface Irc {
  d: DaemonRun;
  bot: string;
  channel: string;
  user: IrcUser;
}

export async function bot(ctx: Ctx, spec: StartSpec = {}): Promise<Irc> {
  const d = await ctx.start(spec);
  const user = await IrcUser.connect(d.addr.host, d.addr.port, uniqueNick('hcu'));
  ctxUsers(ctx).push(user);
  return { d, bot: d.addr.extra!.nick!, channel: d.addr.extra!.channel!, user };
}

const users = new WeakMap<Ctx, IrcUser[]>();
export function ctxUsers(ctx: Ctx): IrcUser[] {
  let list = users.get(ctx);
  if (!list) {
    list = [];
    users.set(ctx, list);
    // Close the users when the check ends (the runner's cleanup ends the daemon and ngircd).
    const cleanup = ctx.cleanup.bind(ctx);
    ctx.cleanup = async () => {
      for (const u of list!) u.close();
      await cleanup();
    };
  }
  return list;
}

export async function joined(ctx: Ctx, u: IrcUser, channel: string): Promise<void> {
  u.join(channel);
  await eventually(() => u.saw((m) => m.command === 'JOIN' && m.nick === u.nick), `${u.nick} to join ${channel}`, ctx.ms(5000));
}

export async function replies(ctx: Ctx, u: IrcUser, from: string, n: number, to?: string): Promise<string[]> {
  await within(() => u.said(from, to).length >= n, ctx.ms(6000));
  return u.said(from, to);
}

export function stdinOf(d: DaemonRun, p: ProbeRun): string {
  return fresh(d, p).stdin().toString();
}

export const ircChecks: Check[] = [
  {
    id: 'IRC-04',
    level: 'MUST',
    title: 'a private message is one stdin line, taken whole; each stdout line a private PRIVMSG (CORE-02 CORE-03)',
    async run(ctx) {
      const { d, bot: b, user } = await bot(ctx, { mode: 'echo+stay', extra: NASTY_ARGS });
      user.privmsg(b, 'hello world');
      const [p] = await d.waitSessions(1, ctx.ms(5000));
      const got = await replies(ctx, user, b, 1, user.nick);
      ctx.expect(stdinOf(d, p!) === 'hello world\n', 'stdin "hello world\\n"', () => JSON.stringify(stdinOf(d, p!)));
      ctx.expect(got[0] === 'hello world', 'the reply "hello world", no prefix', () => JSON.stringify(got));
      ctx.expect(JSON.stringify(p!.argv.slice(2)) === JSON.stringify(NASTY_ARGS), 'argv untouched (CORE-02)', () => JSON.stringify(p!.argv.slice(2)));
    },
  },
  {
    id: 'IRC-03',
    level: 'MUST',
    title: 'in a channel, "BOT: text" and "BOT, text" are taken with the addressing removed; other lines are not; replies are prefixed (IRC-06)',
    async run(ctx) {
      const { d, bot: b, channel, user } = await bot(ctx, { mode: 'echo+stay' });
      await joined(ctx, user, channel);
      user.privmsg(channel, 'just chatting, not for the bot');
      user.privmsg(channel, `${b}:   two plus two`);
      user.privmsg(channel, `${b.toUpperCase()}, again`);
      const [p] = await d.waitSessions(1, ctx.ms(5000));
      const want = 'two plus two\nagain\n';
      await within(() => stdinOf(d, p!) === want, ctx.ms(5000));
      ctx.expect(stdinOf(d, p!) === want, JSON.stringify(want), () => JSON.stringify(stdinOf(d, p!)));
      const got = await replies(ctx, user, b, 2, channel);
      const prefixed = [`${user.nick}: two plus two`, `${user.nick}: again`];
      ctx.expect(JSON.stringify(got) === JSON.stringify(prefixed), `channel replies ${JSON.stringify(prefixed)}`, () => JSON.stringify(got));
    },
  },
  {
    id: 'IRC-05',
    level: 'MUST',
    title: 'one process per conversation: two users run two processes; one user\'s lines go to the same one (CORE-01)',
    async run(ctx) {
      const { d, bot: b, user } = await bot(ctx, { mode: 'echo+stay' });
      const other = await IrcUser.connect(d.addr.host, d.addr.port, uniqueNick('hcv'));
      ctxUsers(ctx).push(other);
      user.privmsg(b, 'from one');
      other.privmsg(b, 'from two');
      user.privmsg(b, 'one again');
      const s = await d.waitSessions(2, ctx.ms(6000));
      await within(() => s.map((p) => stdinOf(d, p)).join('|').length >= 'from one\none again\n|from two\n'.length, ctx.ms(5000));
      const inputs = s.map((p) => stdinOf(d, p)).sort();
      ctx.expect(s.length === 2 && s[0]!.pid !== s[1]!.pid, 'two processes', () => `${s.length}`);
      ctx.expect(JSON.stringify(inputs) === JSON.stringify(['from one\none again\n', 'from two\n']), 'each user\'s lines in its own process, in order', () => JSON.stringify(inputs));
    },
  },
  {
    id: 'IRC-07',
    level: 'MUST',
    title: 'output: CR, LF and NUL removed, empty lines skipped, a final partial line sent (CORE-04 CORE-05)',
    async run(ctx) {
      const { d, bot: b, user } = await bot(ctx, { mode: `noread+delay=50+print=${b64('a\r\nb\0c\n\nlast')}+exit=0` });
      user.privmsg(b, 'start');
      await d.waitSessions(1, ctx.ms(5000));
      const got = await replies(ctx, user, b, 3, user.nick);
      ctx.expect(JSON.stringify(got) === JSON.stringify(['a', 'bc', 'last']), 'PRIVMSGs "a", "bc", "last"', () => JSON.stringify(got));
    },
  },
  {
    id: 'IRC-08',
    level: 'MUST',
    title: "the user's QUIT ends the conversation: SIGTERM to the process group (CORE-13)",
    async run(ctx) {
      // The bot sees a QUIT only from users who share a channel with it.
      const { d, bot: b, channel, user } = await bot(ctx, { mode: 'grandchild+echo+stay' });
      await joined(ctx, user, channel);
      user.privmsg(channel, `${b}: hi`);
      const [p] = await d.waitSessions(1, ctx.ms(5000));
      const gc = await waitGrandchild(ctx, d);
      await replies(ctx, user, b, 1, channel);
      user.quit('leaving');
      const [t, g] = await Promise.all([waitSignal(d, p!.pid, ctx.ms(4000)), waitSignal(d, gc.pid, ctx.ms(4000))]);
      ctx.expect(t !== undefined && g !== undefined, 'SIGTERM to the child and its grandchild', () => `child: ${signalsOf(d, p!.pid)}; grandchild: ${signalsOf(d, gc.pid)}`);
    },
  },
  {
    id: 'IRC-10',
    level: 'MUST',
    title: 'H-TYPE IRC-0.2-INSECURE, H-CLIENT SERVER/NICK/CHANNEL, H-IRC-* (CORE-08 CORE-09 CORE-10 CORE-11 CORE-23)',
    async run(ctx) {
      const { d, bot: b, user } = await bot(ctx, { mode: 'echo+stay' });
      user.privmsg(b, 'env please');
      const [p] = await d.waitSessions(1, ctx.ms(5000));
      const env = p!.env;
      const server = d.addr.extra!.server!;
      const want: Record<string, string> = {
        'H-TYPE': 'IRC-0.2-INSECURE',
        'H-CLIENT': `${server}/${user.nick}/`,
        'H-IRC-SERVER': server,
        'H-IRC-NICK': user.nick,
        'H-IRC-CHANNEL': '',
        'H-IRC-BOT-NICK': b,
      };
      const bad = Object.entries(want).filter(([k, v]) => env[k] !== v);
      ctx.expect(bad.length === 0, Object.entries(want).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' '), () => bad.map(([k]) => `${k}=${JSON.stringify(env[k] ?? null)}`).join(' '));
      ctx.expect(/^[^/\s]+\/\d+\.\d+\.\d+/.test(env['H-VERSION'] ?? ''), 'H-VERSION NAME/x.y.z', () => `H-VERSION=${JSON.stringify(env['H-VERSION'] ?? null)}`);
      const noAlias = Object.keys(env).filter((k) => k.startsWith('H-') && !k.includes('CONFORMANCE') && env[k.replace(/-/g, '_')] !== env[k]);
      ctx.expect(noAlias.length === 0, 'an H_ alias for each', () => noAlias.join(' '));
      ctx.expect(env.HAMELIN_CONFORMANCE_MARK !== undefined && env['H-CONFORMANCE-LEAK'] === undefined, "the daemon's environment, without its inherited H- variables", () => 'changed');
    },
  },
  {
    id: 'IRC-11',
    level: 'MUST',
    title: 'a child that exits: its output is sent, nothing else is said; the next line starts a new process (CORE-12 CORE-15)',
    async run(ctx) {
      const err = stderrBytes();
      const { d, bot: b, user } = await bot(ctx, { mode: `noread+delay=100+stderr=${b64(err)}+print=${b64('bye\n')}+exit=3` });
      user.privmsg(b, 'first');
      const [p] = await d.waitSessions(1, ctx.ms(5000));
      await eventually(() => fresh(d, p!).exit(), 'the child to exit', ctx.ms(5000));
      // The next line starts a second session, which says "bye" too: whatever the bot said
      // about the first exit was sent before it, on the same connection, so it would show
      // between the two. The bot learns of the exit a moment after the probe records it; a
      // line sent in between still belongs to the old session, so send until one starts anew.
      const s = await eventually(
        () => {
          if (d.sessions().length >= 2) return d.sessions();
          user.privmsg(b, 'second');
          return undefined;
        },
        'a second session',
        ctx.ms(5000),
        250,
      );
      ctx.expect(s[1]!.pid !== s[0]!.pid, 'a new process for the next line', () => `pids ${s.map((x) => x.pid).join(', ')}`);
      const got = (await replies(ctx, user, b, 2, user.nick)).slice(0, 2);
      ctx.expect(JSON.stringify(got) === JSON.stringify(['bye', 'bye']), 'only "bye", then the second session\'s "bye" (the exit is not reported on IRC)', () => JSON.stringify(got));
      ctx.expect(d.stderr().includes(err), "the child's stderr on the daemon's stderr, byte for byte (CORE-12)", () => clip(d.stderr().toString('latin1'), 200));
    },
  },
  {
    id: 'IRC-12',
    level: 'MUST',
    title: 'output is never raw IRC: "x\\rQUIT :bye" is one PRIVMSG "xQUIT :bye", the bot stays',
    async run(ctx) {
      const { d, bot: b, user } = await bot(ctx, { mode: `noread+stay+print=${b64('x\rQUIT :bye\n')}` });
      user.privmsg(b, 'go');
      await d.waitSessions(1, ctx.ms(5000));
      const got = await replies(ctx, user, b, 1, user.nick);
      ctx.expect(got[0] === 'xQUIT :bye', 'the PRIVMSG "xQUIT :bye"', () => JSON.stringify(got));
      const obs = observerOf(d.addr);
      ctx.expect(!obs?.saw((m) => m.command === 'QUIT' && m.nick === b), 'the bot still on the server', () => 'it quit');
    },
  },
  {
    id: 'IRC-14',
    level: 'MUST',
    title: 'a NOTICE is never answered and never starts a session',
    async run(ctx) {
      const { d, bot: b, user } = await bot(ctx, { mode: 'echo+stay' });
      user.notice(b, 'a notice');
      user.privmsg(b, 'a message');
      const [p] = await d.waitSessions(1, ctx.ms(5000));
      await replies(ctx, user, b, 1, user.nick);
      ctx.expect(stdinOf(d, p!) === 'a message\n', 'only the PRIVMSG on stdin', () => JSON.stringify(stdinOf(d, p!)));
      ctx.expect(d.sessions().length === 1, 'one process', () => `${d.sessions().length}`);
      const notices = user.messages.filter((m) => m.command === 'NOTICE' && m.nick === b);
      ctx.expect(notices.length === 0, 'no NOTICE back', () => JSON.stringify(notices.map((m) => m.params[1])));
    },
  },
];
