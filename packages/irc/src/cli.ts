#!/usr/bin/env node
/** hamelin-irc [options] --server HOST[:PORT] --nick NICK --channel '#chan' [--channel ...] CMD [ARGS...] */
import { createDaemon, die, dropPrivileges, parseCli, ProcessControl, refuseWorkers, runUntilDone, StartupError } from '@hamelin/core';
import { startOps } from '@hamelin/admin';
import { IrcBot } from './bot.js';
import { channelSpecs } from './channels.js';
import { cliSpec } from './cli-spec.js';
import { readSecret } from './secret.js';
import { parseServer, validNick, WireError } from './wire.js';

const NAME = 'hamelin-irc';

interface IrcOptions {
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
}

const { options, command } = parseCli<IrcOptions>(cliSpec);

try {
  refuseWorkers(NAME, options.workers, 'one bot is one connection to its server');
  if (!options.server) die(NAME, 'missing --server HOST[:PORT] (see --help)');
  if (!options.nick) die(NAME, 'missing --nick NICK (see --help)');
  if (!validNick(options.nick)) die(NAME, `invalid nick ${JSON.stringify(options.nick)}`);
  const channels = channelSpecs(([] as unknown[]).concat(options.channel ?? []).map(String), options.channelKeysFile);
  const tls = options.tls || options.tlsInsecure;
  const { host, port } = parseServer(options.server, tls);
  for (const [name, v, min] of [
    ['flood-burst', options.floodBurst, 1],
    ['flood-rate', options.floodRate, 0.01],
    ['queue', options.queue, 1],
    ['ping-timeout', options.pingTimeout, 1],
    ['reconnect-max', options.reconnectMax, 1],
    ['nick-retry', options.nickRetry, 1],
  ] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min) die(NAME, `--${name} must be a number >= ${min}`);
  }
  const password = readSecret('server password', options.passwordFile, options.passwordEnv);
  const saslPassword = readSecret('SASL password', options.saslPasswordFile, options.saslPasswordEnv);
  // Every child gets a copy of the daemon's environment (CORE-23): the secret must leave it
  // before the first child (and the spawn server, started by createDaemon) is made.
  for (const name of [options.passwordEnv, options.saslPasswordEnv]) if (name !== undefined) delete process.env[name];
  if (saslPassword !== undefined && !options.saslAccount) die(NAME, 'a SASL password needs --sasl-account');
  if (options.saslAccount && saslPassword === undefined) die(NAME, '--sasl-account needs --sasl-password-file or --sasl-password-env');
  if (options.trigger === '') die(NAME, '--trigger must not be empty');
  if (options.username !== undefined && !/^[^\s@\0]+$/.test(options.username)) die(NAME, '--username must be one word without @');
  if (/[\r\n\0]/.test(options.realname)) die(NAME, '--realname must not contain CR, LF or NUL');

  const daemon = createDaemon(NAME, options, command);
  // --hub-eager: each channel is a room (HUB-01), so each starts with the daemon, named as the
  // bot names it when a nick speaks there.
  daemon.eagerRooms = channels.map((c) => c.name);
  const bot = new IrcBot(daemon, {
    host,
    port,
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
  });
  // A drain (OPS-05) refuses new conversations (the core says so to the user) and lets the
  // live ones end; the connection to the server is the bot's one "listener".
  const control = new ProcessControl(daemon.log, { drainTimeoutMs: Math.round(options.drainTimeout * 1000) });
  runUntilDone(control);
  await startOps(control, options);
  let closed: Promise<void> | undefined;
  control.add({
    daemon,
    port: 0,
    stopAccepting: () => Promise.resolve(),
    close: () => (closed ??= Promise.all([bot.stop(), daemon.shutdown()]).then(() => {})),
  });
  await dropPrivileges(options.user, options.group, daemon.log);
  control.ready();
  bot.start();
} catch (e) {
  if (e instanceof StartupError) die(NAME, e.message, e.status);
  if (e instanceof WireError) die(NAME, e.message);
  throw e;
}
