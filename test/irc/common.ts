/** Shared by the hamelin-irc tests: a bot on a test ngircd, and the session fixture's records. */
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon, type Running, type StartOptions } from '../helpers/daemon.js';
import type { Ngircd } from '../helpers/ngircd.js';
import { fixture } from '../helpers/paths.js';
import { eventually } from '../helpers/poll.js';

export const SESSION = fixture('irc/session.sh');

export function stateDir(): string {
  return mkdtempSync(join(tmpdir(), 'hamelin-irc-test-'));
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
export function startBot(irc: Ngircd, spec: BotSpec): Promise<Running> {
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
