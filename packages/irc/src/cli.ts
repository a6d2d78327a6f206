#!/usr/bin/env node
/** hamelin-irc [options] --server HOST[:PORT] --nick NICK --channel '#chan' [--channel ...] CMD [ARGS...] */
import { commonOptions, createDaemon, die, dropPrivileges, parseCli, ProcessControl, runUntilDone, StartupError } from '@hamelin/core';
import { startOps } from '@hamelin/admin';
import { IrcBot } from './bot.js';
import { channelSpecs } from './channels.js';
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

const C = 'Connection:';
const B = 'Bot:';
const F = 'Flow:';

const { options, command } = parseCli<IrcOptions>({
  name: NAME,
  usage: "[options] --server HOST[:PORT] --nick NICK --channel '#chan' [--channel ...] CMD [ARGS...]",
  options: {
    server: { type: 'string', describe: 'IRC server, HOST[:PORT] ([V6]:PORT for IPv6); port 6667, or 6697 with --tls', group: C },
    nick: { type: 'string', describe: "the bot's nick; if in use it falls back to NICK_ and reclaims NICK later", group: C },
    // Not `array: true`: yargs would then swallow the command after the last channel.
    channel: { type: 'string', describe: 'join this channel (repeatable); none: private messages only', group: C },
    'channel-keys-file': { type: 'string', describe: 'keys of keyed (+k) channels: lines "#chan KEY"', group: C },
    tls: { type: 'boolean', default: false, describe: 'connect with TLS, verifying the certificate (extra CAs: NODE_EXTRA_CA_CERTS)', group: C },
    'tls-insecure': { type: 'boolean', default: false, describe: 'TLS without certificate verification (implies --tls)', group: C },
    'password-file': { type: 'string', describe: 'server password (PASS): first line of this file', group: C },
    'password-env': { type: 'string', describe: 'server password (PASS): from this environment variable', group: C },
    'sasl-account': { type: 'string', describe: 'log in with SASL PLAIN as this account', group: C },
    'sasl-password-file': { type: 'string', describe: 'SASL password: first line of this file', group: C },
    'sasl-password-env': { type: 'string', describe: 'SASL password: from this environment variable', group: C },
    username: { type: 'string', describe: 'user name (ident) sent at registration (default: the nick)', group: C },
    realname: { type: 'string', default: 'hamelin-irc bot', describe: 'real name (gecos)', group: C },
    'ping-timeout': { type: 'number', default: 120, describe: 'seconds without a line from the server before reconnecting', group: C },
    'reconnect-max': { type: 'number', default: 300, describe: 'longest wait between reconnect attempts, in seconds', group: C },
    'nick-retry': { type: 'number', default: 60, describe: 'seconds between attempts to reclaim the nick', group: C },
    trigger: { type: 'string', describe: 'also take channel lines starting with this prefix, such as "!"', group: B },
    'listen-all': { type: 'boolean', default: false, describe: 'take every channel line, addressed or not', group: B },
    prefix: { type: 'boolean', default: true, describe: 'start channel replies with "nick: " (--no-prefix: do not)', group: B },
    'flood-burst': { type: 'number', default: 4, describe: 'lines the bot may send at once', group: F },
    'flood-rate': { type: 'number', default: 1, describe: 'lines per second after the burst (whole connection)', group: F },
    queue: { type: 'number', default: 16, describe: "messages held per session before the script's output is paused", group: F },
    'idle-timeout': { ...commonOptions['idle-timeout'], default: 600, describe: 'seconds with no line either way before the session ends (0: never)' },
    // A few messages' worth: the core hands a longer line over whole, so one line of a script
    // would otherwise sit in the queue as thousands of PRIVMSGs, past --queue (IRC-15).
    'max-line': { ...commonOptions['max-line'], default: 2048, describe: 'longest output line held, in bytes; longer lines are sent in pieces' },
  },
  examples: [
    ["hamelin-irc --server irc.example.net:6697 --tls --nick calc --channel '#math' bc -l", 'a calculator bot: "calc: 2+2"'],
    ["hamelin-irc --server 127.0.0.1:6667 --nick quotebot --channel '#test' --trigger '!quote' examples/irc/quote.sh examples/irc/quotes.txt", 'answers "!quote WORD"'],
  ],
  epilog: "Passwords are never taken from the command line (it is visible in ps). Everything from CMD on is passed to the command untouched. Its stderr goes to this daemon's stderr, not to IRC: use sh -c 'CMD 2>&1' to show errors to users. Spec: spec/bindings/irc.md",
});

try {
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
  await startOps(control, options);
  let closed: Promise<void> | undefined;
  control.add({
    daemon,
    port: 0,
    stopAccepting: () => Promise.resolve(),
    close: () => (closed ??= Promise.all([bot.stop(), daemon.shutdown()]).then(() => {})),
  });
  dropPrivileges(options.user, options.group, daemon.log);
  runUntilDone(control);
  bot.start();
} catch (e) {
  if (e instanceof StartupError) die(NAME, e.message, e.status);
  if (e instanceof WireError) die(NAME, e.message);
  throw e;
}
