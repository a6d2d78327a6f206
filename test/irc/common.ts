/** Shared by the hamelin-irc tests: a bot on a test ngircd, and the session fixture's records. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon, type Running, type StartOptions } from '../helpers/daemon.js';
import type { IrcUser } from '../helpers/ngircd.js';
import { ROOT } from '../helpers/paths.js';
import { eventually } from '../helpers/poll.js';
import { tempDir } from '../helpers/temp-dir.js';

export const SESSION = join(ROOT, 'test', 'fixtures', 'irc', 'session.sh');

export function stateDir(): string {
  return tempDir('hamelin-irc-test-');
}

export interface BotSpec {
  nick?: string;
  channels?: string[];
  args?: string[];
  command?: string[];
  ready?: RegExp;
  env?: NodeJS.ProcessEnv;
}

/** Start hamelin-irc against `irc` and wait until it has joined its first channel. */
export function startBot(irc: { port: number }, spec: BotSpec): Promise<Running> {
  const nick = spec.nick ?? 'bot';
  const channels = spec.channels ?? ['#t'];
  const args = [
    '--server',
    `127.0.0.1:${irc.port}`,
    '--nick',
    nick,
    ...channels.flatMap((c) => ['--channel', c]),
    ...(spec.args ?? []),
    ...(spec.command ?? [SESSION]),
  ];
  const opts: StartOptions = { ready: spec.ready ?? (channels[0] ? new RegExp(`joined channel=${channels[0]}`) : /registered/) };
  if (spec.env) opts.env = spec.env;
  return startDaemon('irc', args, opts);
}

/** The environment a session recorded, as a map. */
export function envOf(dir: string, pid: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(join(dir, `${pid}.env`), 'utf8').split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

/** Wait until the session's own TERM trap has run. */
export function termSeen(dir: string, pid: number, timeoutMs = 10_000): Promise<true> {
  return eventually(() => existsSync(join(dir, `${pid}.term`)), `SIGTERM trap of pid ${pid}`, timeoutMs);
}

export function hasTerm(dir: string, pid: number): boolean {
  return existsSync(join(dir, `${pid}.term`));
}

export function sessionPids(dir: string): number[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.env'))
    .map((f) => Number(f.slice(0, -4)));
}

/** `hello NICK pid=N` -> N */
export function pidFrom(text: string): number {
  const m = /pid=(\d+)/.exec(text);
  if (!m) throw new Error(`no pid in ${JSON.stringify(text)}`);
  return Number(m[1]);
}

/**
 * True while `pid` sleeps in a write to its stdout (fd 1) that cannot proceed: the kernel's
 * own account of a child held back by backpressure, not an inference from how long it has
 * been quiet. The child's stdout is an AF_UNIX socket (the spawn server's and libuv's
 * choice), or a pipe; the wchan names are the kernel's waits for room in either.
 */
export function blockedInWrite(pid: number): boolean {
  try {
    const wchan = readFileSync(`/proc/${pid}/wchan`, 'utf8');
    const syscall = readFileSync(`/proc/${pid}/syscall`, 'utf8').split(' ');
    return /pipe_write|sock_alloc_send|sk_stream_wait_memory|unix_stream_sendmsg/.test(wchan) && syscall[1] === '0x1';
  } catch {
    return false;
  }
}

/** The fields of the last log line with this event (text format), as a map. */
export function logFields(stderr: string, event: string): Record<string, string> | undefined {
  const lines = stderr.split('\n').filter((l) => l.startsWith('hamelin: ') && l.split(' ')[4] === event);
  const last = lines.pop();
  if (!last) return undefined;
  const out: Record<string, string> = {};
  for (const m of last.matchAll(/(\w+)=("(?:[^"\\]|\\.)*"|\S*)/g)) out[m[1]!] = m[2]!;
  return out;
}

/**
 * Arrivals that a token bucket of `burst` and `rate`/s could not have produced: any run of
 * k messages needs (k - burst) / rate seconds. `jitterMs` allows for the receiving end seeing
 * the first of a run late. Returns the first offending run, or undefined.
 */
export function bucketViolation(times: number[], burst: number, rate: number, jitterMs: number): string | undefined {
  for (let i = 0; i < times.length; i++) {
    for (let j = i + burst; j < times.length; j++) {
      const k = j - i + 1;
      const need = ((k - burst) / rate) * 1000 - jitterMs;
      if (times[j]! - times[i]! < need) return `messages ${i + 1}..${j + 1} (${k}) arrived within ${times[j]! - times[i]!} ms; the bucket needs ${need + jitterMs} ms`;
    }
  }
  return undefined;
}

/** Start noting when each line reaches `u` (ms from now): the arrival times on the wire. */
export function clock(u: IrcUser): Map<Buffer, number> {
  const times = new Map<Buffer, number>();
  const t0 = Date.now();
  const push = u.lines.push.bind(u.lines);
  u.lines.push = (...items: Buffer[]) => {
    for (const it of items) times.set(it, Date.now() - t0);
    return push(...items);
  };
  return times;
}

/** When each PRIVMSG from `from` arrived, by `clock`. */
export function arrivals(u: IrcUser, from: string, times: Map<Buffer, number>): number[] {
  return u.privmsgs(from).map((p) => times.get(p.raw)!);
}
