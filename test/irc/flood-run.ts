/**
 * One flood run, against any real server: hamelin-irc with the default flood settings, talking
 * to the server through a tap (wire-tap.ts) that notes every line it sends and when; a session
 * that prints N lines; a listening user made with irc-framework (framework-user.ts) who must
 * get all of them. Used by flood-inspircd.test.ts (a server that disconnects a flooder) and
 * flood.test.ts (ngircd, which slows one down).
 */
import { FrameworkUser } from '../helpers/framework-user.js';
import type { Running } from '../helpers/daemon.js';
import { startBot, stateDir, SESSION } from './common.js';
import { WireTap, type Tapped } from './wire-tap.js';

export interface FloodRun {
  /** The texts of the bot's PRIVMSGs to the user, `line K` only, in the order received. */
  delivered: string[];
  /** Every line the bot sent, as the tap saw it. */
  sent: Tapped[];
  /** From the user's request to the last line. */
  ms: number;
  bot: Running;
  user: FrameworkUser;
  stop(): Promise<void>;
}

export interface FloodRunOptions {
  /** The bot's server port; the user's (a server may give users a class of their own). */
  port: number;
  userPort: number;
  lines: number;
  nick: string;
  channels: string[];
  /** Extra hamelin-irc options (none of them flood settings: the point is the defaults). */
  args?: string[];
  /** Give up waiting after this long (the test's own bound). */
  timeoutMs: number;
  /** Stop waiting at once when this says so (a disconnection the server logged, say). */
  failed?: () => string | undefined;
}

export async function floodRun(o: FloodRunOptions): Promise<FloodRun> {
  const tap = await WireTap.start(o.port);
  const bot = await startBot({ port: tap.port }, { nick: o.nick, channels: o.channels, args: o.args ?? [], command: [SESSION, stateDir()] });
  // A nick of its own: another test's user may still hold the usual ones.
  const user = await FrameworkUser.connect(o.userPort, 'fan');
  await user.join(o.channels[0]!);
  const t0 = Date.now();
  const lines = (): string[] => user.texts(o.nick).filter((t) => t.startsWith('fan: line ')).map((t) => t.slice('fan: '.length));
  user.say(o.channels[0]!, `${o.nick}: lines ${o.lines}`);
  // Not `eventually`, which would keep polling after a disconnection: that ends the run.
  const deadline = Date.now() + o.timeoutMs;
  for (;;) {
    const why =
      o.failed?.() ??
      (/ disconnected /.test(bot.stderr()) ? 'the bot logged a disconnection' : undefined) ??
      (Date.now() > deadline ? `timed out after ${o.timeoutMs} ms` : undefined);
    if (why) {
      user.quit();
      await tap.stop();
      const warnings = bot.stderr().split('\n').filter((l) => / (warn|error) /.test(l));
      throw new Error(`${why}, with ${lines().length} of ${o.lines} lines delivered\n${warnings.join('\n')}`);
    }
    if (lines().length >= o.lines) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    delivered: lines(),
    sent: tap.sent,
    ms: Date.now() - t0,
    bot,
    user,
    stop: async () => {
      user.quit();
      await bot.stop();
      await tap.stop();
    },
  };
}

/** What each line costs the bot's bucket (IRC-21), as InspIRCd charges it. */
export function cost(line: string): number {
  return /^(JOIN|PART|NICK) /i.test(line) ? 2 : 1;
}

/**
 * Lines sent faster than a bucket of `burst` tokens refilled at `rate`/s allows, each line
 * costing `cost(line)`: any run of lines i..j needs (tokens of the run - burst) / rate seconds.
 * `jitterMs` allows for the tap seeing the first line of a run late. The first offending run,
 * or undefined.
 */
export function weightedBucketViolation(sent: Tapped[], burst: number, rate: number, jitterMs: number): string | undefined {
  for (let i = 0; i < sent.length; i++) {
    let tokens = 0;
    for (let j = i; j < sent.length; j++) {
      tokens += cost(sent[j]!.line);
      const need = ((tokens - burst) / rate) * 1000 - jitterMs;
      const took = sent[j]!.at - sent[i]!.at;
      if (took < need) return `lines ${i + 1}..${j + 1} (${tokens} tokens: ${sent[i]!.line} .. ${sent[j]!.line}) went within ${took} ms; the bucket needs ${Math.round(need + jitterMs)} ms`;
    }
  }
  return undefined;
}
