/**
 * IRC binding (spec/bindings/irc.md), the checks that need the suite's scripted server
 * (bindings/irc-script.ts) instead of ngircd: every line the bot sends, PONG and JOIN included,
 * paced by one bucket (IRC-21), and registration at the end of the welcome (IRC-23).
 */
import type { Check, Ctx, DaemonRun } from '../runner.js';
import { uniqueNick } from '../bindings/irc.js';
import { ScriptedIrc, type Heard, type Welcome } from '../bindings/irc-script.js';
import { b64, clip, eventually } from './common.js';

/** The defaults of IRC-15: `--flood-burst` 4, `--flood-rate` 0.8 lines a second. */
const BURST = 4;
const RATE = 0.8;
/** Tokens allowed over the bucket in any window: the suite reads lines late on a loaded
 * machine (up to 1.25 s of it), which makes them look closer together than they were sent. */
const SLACK = 1;

/** What a line costs (IRC-21): JOIN, PART and NICK two tokens, any other line one. */
function cost(h: Heard): number {
  return ['JOIN', 'PART', 'NICK'].includes(h.command) ? 2 : 1;
}

/** The window of lines that runs furthest ahead of a bucket of BURST refilled at RATE. */
function worstWindow(lines: Heard[]): { excess: number; from: number; to: number; cost: number; secs: number } {
  let worst = { excess: -Infinity, from: 0, to: 0, cost: 0, secs: 0 };
  for (let i = 0; i < lines.length; i++) {
    let sum = 0;
    for (let j = i; j < lines.length; j++) {
      sum += cost(lines[j]!);
      const secs = (lines[j]!.at - lines[i]!.at) / 1000;
      const excess = sum - (BURST + RATE * secs);
      if (excess > worst.excess) worst = { excess, from: i, to: j, cost: sum, secs };
    }
  }
  return worst;
}

/** A scripted server for this check, closed when the check ends. */
async function scripted(ctx: Ctx, welcome: Welcome): Promise<ScriptedIrc> {
  const srv = await ScriptedIrc.start(welcome);
  const cleanup = ctx.cleanup.bind(ctx);
  ctx.cleanup = async () => {
    await cleanup();
    srv.close();
  };
  return srv;
}

/** Start the bot against `srv` with a fresh nick and channel; resolves once it has joined. */
async function botOn(ctx: Ctx, srv: ScriptedIrc, mode: string, joinWithinMs = 20_000): Promise<{ d: DaemonRun; channel: string; join: Heard | undefined }> {
  const channel = `#${uniqueNick('hcs')}`;
  const d = await ctx.start({ mode, addr: srv.address(uniqueNick('hcbot'), channel), noWait: true });
  const join = await eventually<Heard | 'exited'>(() => srv.lines('JOIN')[0] ?? (d.exitInfo ? 'exited' : undefined), `the bot to join ${channel}`, ctx.ms(joinWithinMs)).catch(() => undefined);
  if (join === 'exited') ctx.fail(`the bot to register and join ${channel}`, `it exited (${d.exitInfo!.code ?? d.exitInfo!.signal}); stderr ${clip(d.stderr().toString())}`);
  return { d, channel, join: join as Heard | undefined };
}

/** The daemon's `registered` log line, if it has written one. */
function registeredLine(d: DaemonRun): string | undefined {
  return d
    .stderr()
    .toString()
    .split('\n')
    .find((l) => /(^|\s|")registered(\s|"|$)/.test(l));
}

function show(lines: Heard[], t0: number): string {
  return lines.map((h) => `${((h.at - t0) / 1000).toFixed(2)}s ${clip(h.line, 40)}`).join(' | ');
}

export const ircWireChecks: Check[] = [
  {
    id: 'IRC-21',
    level: 'MUST',
    title: 'every line the bot sends (registration, JOIN, PONG, replies) passes one bucket: 4 at once, then 0.8 a second, JOIN and NICK two each; PONGs go before queued replies',
    timeoutMs: 60_000,
    async run(ctx) {
      const srv = await scripted(ctx, { holdMs: 0, network: 'HcScript', end: 'motd' });
      const n = 6;
      const { d, join } = await botOn(ctx, srv, `noread+stay+print=${b64(Array.from({ length: n }, (_, i) => `reply ${i + 1}\n`).join(''))}`);
      if (!join) ctx.fail('the bot to join its channel on the scripted server', `lines heard: ${show(srv.heard, srv.heard[0]?.at ?? 0)}`);
      srv.send(`:hcuser!u@127.0.0.1 PRIVMSG ${srv.nick} :go`);
      await d.waitSessions(1, ctx.ms(8000));
      const replies = (): Heard[] => srv.lines('PRIVMSG');
      await eventually(() => replies().length >= 2, 'two replies', ctx.ms(15_000));
      // The bucket is empty now and replies wait in the queue: PINGs answered outside the
      // bucket show as lines ahead of it.
      const tokens = [1, 2, 3, 4].map((i) => `hc-ping-${i}`);
      const pingAt = Date.now();
      for (const t of tokens) srv.send(`PING :${t}`);
      const pong = (t: string): Heard | undefined => srv.lines('PONG').find((h) => h.line.includes(t));
      await eventually(() => tokens.every(pong) && replies().length >= n, `a PONG for each of ${tokens.length} PINGs and all ${n} replies`, ctx.ms(30_000)).catch(() =>
        ctx.fail(`a PONG for each PING and all ${n} replies`, `${tokens.filter(pong).length} PONGs, ${replies().length} replies: ${show(srv.heard, srv.heard[0]!.at)}`),
      );
      const lines = srv.heard.slice();
      const t0 = lines[0]!.at;
      const w = worstWindow(lines);
      ctx.expect(
        w.excess <= SLACK,
        `at most ${BURST} + ${RATE}/s tokens in any stretch of lines (JOIN, PART, NICK 2, others 1)`,
        () => `${w.cost} tokens in ${w.secs.toFixed(2)} s (${w.to - w.from + 1} lines, allowed ${(BURST + RATE * w.secs).toFixed(1)}): ${show(lines.slice(w.from, w.to + 1), t0)}`,
      );
      const lastPong = Math.max(...tokens.map((t) => pong(t)!.at));
      const ahead = replies().filter((h) => h.at > pingAt && h.at < lastPong);
      ctx.expect(ahead.length <= 1, 'the PONGs before the replies still queued (at most one reply already on its way)', () => `${ahead.length} replies between the PINGs and the last PONG: ${show(lines.filter((h) => h.at > pingAt), t0)}`);
      return `${lines.length} lines in ${((lines[lines.length - 1]!.at - t0) / 1000).toFixed(1)} s, the fullest stretch ${w.cost} tokens of ${(BURST + RATE * w.secs).toFixed(1)} allowed; PONGs ${tokens.map((t) => ((pong(t)!.at - pingAt) / 1000).toFixed(1)).join(', ')} s after the PINGs`;
    },
  },
  {
    id: 'IRC-23',
    level: 'MUST',
    title: 'registered at the end of the welcome (376, or 422), after ISUPPORT: no JOIN and no session before it; "registered" names the NETWORK only when there is one; at most 10 s after 001 without it',
    timeoutMs: 60_000,
    async run(ctx) {
      const hold = 3000;
      // A user's line during the hold: the bot is not registered yet, so it starts nothing.
      const early = (nick: string): string[] => [`:hcuser!u@127.0.0.1 PRIVMSG ${nick} :early`];
      const motd = await scripted(ctx, { holdMs: hold, network: 'HcScriptNet', end: 'motd', duringHold: early });
      const noMotd = await scripted(ctx, { holdMs: 0, end: 'no-motd' });
      const never = await scripted(ctx, { holdMs: 0, network: 'HcNeverNet', end: 'never' });
      const [a, b, c] = await Promise.all([botOn(ctx, motd, 'echo+stay'), botOn(ctx, noMotd, 'echo+stay'), botOn(ctx, never, 'echo+stay', 10_000 + 8000)]);
      const notes: string[] = [];
      // A MOTD after a 3 s hold.
      ctx.expect(a.join !== undefined && motd.endedAt !== undefined && a.join.at >= motd.endedAt, `no JOIN before the end of the MOTD (376), ${hold} ms after 001`, () =>
        a.join ? `JOIN ${((a.join.at - motd.welcomedAt!) / 1000).toFixed(2)} s after 001, ${motd.endedAt ? `the MOTD ended ${((motd.endedAt - motd.welcomedAt!) / 1000).toFixed(2)} s after it` : 'before the MOTD was sent'}` : 'no JOIN',
      );
      const before = a.d.sessions().filter((p) => p.startedAt < motd.endedAt!);
      ctx.expect(before.length === 0, 'no process for a line that came before the end of the welcome', () => `${before.length} started ${before.map((p) => ((p.startedAt - motd.welcomedAt!) / 1000).toFixed(2)).join(', ')} s after 001`);
      motd.send(`:hcuser!u@127.0.0.1 PRIVMSG ${motd.nick} :late`);
      const served = await eventually(() => a.d.sessions().find((p) => /late\n$/.test(p.stdin().toString())), "the line sent after the JOIN on a session's stdin", ctx.ms(8000)).catch(() => undefined);
      ctx.expect(served !== undefined, 'a line sent after the JOIN served', () => `sessions' stdin: ${JSON.stringify(a.d.sessions().map((p) => p.stdin().toString()))}`);
      const lineA = registeredLine(a.d);
      ctx.expect(lineA !== undefined && /network=("?)HcScriptNet\1(\s|,|"|$)/.test(lineA) || /"network":"HcScriptNet"/.test(lineA ?? ''), 'a "registered" log line with network=HcScriptNet (from ISUPPORT)', () => JSON.stringify(lineA ?? clip(a.d.stderr().toString())));
      notes.push(`JOIN ${((a.join!.at - motd.endedAt!) / 1000).toFixed(2)} s after 376 (held ${hold} ms)`);
      // No MOTD (422), no NETWORK.
      ctx.expect(b.join !== undefined, 'a JOIN after ERR_NOMOTD (422)', () => `lines heard: ${show(noMotd.heard, noMotd.heard[0]?.at ?? 0)}`);
      const lineB = registeredLine(b.d);
      ctx.expect(lineB !== undefined && !/network/.test(lineB), 'a "registered" log line without a network field (no NETWORK in ISUPPORT)', () => JSON.stringify(lineB ?? clip(b.d.stderr().toString())));
      notes.push('422: registered, no network');
      // The welcome never ends: at most 10 s after 001.
      const late = c.join ? (c.join.at - never.welcomedAt!) / 1000 : undefined;
      const limit = 10 + ctx.ms(4000) / 1000;
      ctx.expect(late !== undefined && late <= limit, `a JOIN at most 10 s after 001 when the welcome never ends (allowing ${(limit - 10).toFixed(0)} s)`, () => (late === undefined ? 'no JOIN' : `JOIN ${late.toFixed(2)} s after 001`));
      notes.push(`no end of the welcome: JOIN ${late!.toFixed(1)} s after 001`);
      return notes.join('; ');
    },
  },
];
