/**
 * hamelin-irc's own options, checked in one place for the command line and the `hamelin`
 * command alike (OPS-01): every problem is a StartupError naming its flag, so the `hamelin`
 * command can point at the key.
 */
import { StartupError } from '@hamelin/core';
import type { BotConfig } from './bot.js';
import { channelSpecs, type ChannelSpec } from './channels.js';
import { readSecret } from './secret.js';
import { parseServer, validNick, WireError } from './wire.js';

export { cliSpec } from './cli-spec.js';

export interface IrcOptions {
  server?: string;
  nick?: string;
  channel?: string | string[];
  channelKeysFile?: string;
  tls: boolean;
  tlsInsecure: boolean;
  passwordFile?: string;
  passwordEnv?: string;
  saslAccount?: string;
  saslPasswordFile?: string;
  saslPasswordEnv?: string;
  username?: string;
  realname: string;
  trigger?: string;
  listenAll: boolean;
  prefix: boolean;
  floodBurst: number;
  floodRate: number;
  queue: number;
  pingTimeout: number;
  reconnectMax: number;
  nickRetry: number;
  maxLine: number;
  hubRoom?: 'channel' | 'service';
}

export interface IrcConfig {
  bot: BotConfig;
  /** Rooms to start with the daemon under --hub-eager: each channel is one (HUB-01). */
  rooms: string[];
}

/** readSecret, its error naming the flag the secret came from. */
function secret(what: string, flag: string, file: string | undefined, envVar: string | undefined): string | undefined {
  try {
    return readSecret(what, file, envVar);
  } catch (e) {
    if (e instanceof StartupError) throw new StartupError(`${e.message}, in --${flag}-${envVar !== undefined ? 'env' : 'file'}`);
    throw e;
  }
}

/**
 * Check the options and read the secrets. A secret read from the environment is deleted from
 * it here: every child gets a copy of the daemon's environment (CORE-23), so it must be gone
 * before the spawn server or the first child is started.
 */
export function normalizeIrc(options: IrcOptions): IrcConfig {
  if (!options.server) throw new StartupError('missing --server HOST[:PORT] (see --help)');
  if (!options.nick) throw new StartupError('missing --nick NICK (see --help)');
  if (!validNick(options.nick)) throw new StartupError(`invalid nick ${JSON.stringify(options.nick)} in --nick`);
  let channels: ChannelSpec[];
  try {
    channels = channelSpecs(([] as unknown[]).concat(options.channel ?? []).map(String), options.channelKeysFile);
  } catch (e) {
    // Name the flag, so the `hamelin` command can point at the key.
    if (e instanceof StartupError && !/--[a-z]/.test(e.message)) throw new StartupError(`${e.message}, in --${e.message.startsWith('channel keys') ? 'channel-keys-file' : 'channel'}`);
    throw e;
  }
  const tls = options.tls || options.tlsInsecure;
  let where: { host: string; port: number };
  try {
    where = parseServer(options.server, tls);
  } catch (e) {
    if (e instanceof WireError) throw new StartupError(e.message);
    throw e;
  }
  for (const [name, v, min] of [
    ['flood-burst', options.floodBurst, 1],
    ['flood-rate', options.floodRate, 0.01],
    ['queue', options.queue, 1],
    ['ping-timeout', options.pingTimeout, 1],
    ['reconnect-max', options.reconnectMax, 1],
    ['nick-retry', options.nickRetry, 1],
  ] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min) throw new StartupError(`--${name} must be a number >= ${min}`);
  }
  const password = secret('server password', 'password', options.passwordFile, options.passwordEnv);
  const saslPassword = secret('SASL password', 'sasl-password', options.saslPasswordFile, options.saslPasswordEnv);
  for (const name of [options.passwordEnv, options.saslPasswordEnv]) if (name !== undefined) delete process.env[name];
  if (saslPassword !== undefined && !options.saslAccount) throw new StartupError('a SASL password needs --sasl-account');
  if (options.saslAccount && saslPassword === undefined) throw new StartupError('--sasl-account needs --sasl-password-file or --sasl-password-env');
  if (options.trigger === '') throw new StartupError('--trigger must not be empty');
  if (options.username !== undefined && !/^[^\s@\0]+$/.test(options.username)) throw new StartupError('--username must be one word without @');
  if (/[\r\n\0]/.test(options.realname)) throw new StartupError('--realname must not contain CR, LF or NUL');
  return {
    bot: {
      host: where.host,
      port: where.port,
      tls,
      verify: !options.tlsInsecure,
      nick: options.nick,
      username: options.username ?? options.nick,
      realname: options.realname,
      channels,
      password,
      sasl: options.saslAccount ? { account: options.saslAccount, password: saslPassword! } : undefined,
      trigger: options.trigger,
      listenAll: options.listenAll,
      prefix: options.prefix,
      floodBurst: Math.floor(options.floodBurst),
      floodRate: options.floodRate,
      queueLimit: Math.floor(options.queue),
      maxLine: Math.floor(options.maxLine),
      pingTimeout: options.pingTimeout,
      reconnectMax: options.reconnectMax,
      nickRetry: options.nickRetry,
      hubRoom: options.hubRoom ?? 'channel',
    },
    // --hub-eager: each channel's room, or the service's own.
    rooms: options.hubRoom === 'service' ? [''] : channels.map((c) => c.name),
  };
}
