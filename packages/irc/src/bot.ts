/**
 * The bot: one server connection, many conversations.
 *
 * irc-framework parses, registers (CAP, SASL, PASS) and answers PINGs. Everything it gets
 * wrong for an unattended bot is done here instead: reconnecting forever with capped,
 * jittered backoff (its own gives up after 3 tries), rejoining channels, falling back
 * from a nick in use and reclaiming it, throttling every line it sends (its own included),
 * and building every outgoing line.
 */
import { Client, type ClientOptions, type MessageEvent } from 'irc-framework';
import { SPEC_VERSION, type Daemon, type GoneReason, type HVars } from '@hamelin/core';
import { reconnectDelayMs, rejoinDelayMs } from './backoff.js';
import { ChannelListener } from './channel-listener.js';
import { ChannelVoice } from './channel-voice.js';
import { JOIN_REFUSED, NEED_REGISTERED, type ChannelSpec } from './channels.js';
import { Conversation, type BotLink } from './conversation.js';
import { MAX_PROTOCOL, Sender, TokenBucket, type Source } from './flood.js';
import { takeOverWrites } from './framework-writes.js';
import { afterTrigger } from './trigger.js';
import { assumedMaskLength, buildLine, WireError } from './wire.js';

export interface BotConfig {
  host: string;
  port: number;
  tls: boolean;
  /** Verify the server certificate (false with --tls-insecure). */
  verify: boolean;
  nick: string;
  username: string;
  realname: string;
  channels: ChannelSpec[];
  password?: string | undefined;
  sasl?: { account: string; password: string } | undefined;
  trigger?: string | undefined;
  listenAll: boolean;
  prefix: boolean;
  floodBurst: number;
  floodRate: number;
  queueLimit: number;
  maxLine: number;
  pingTimeout: number;
  reconnectMax: number;
  nickRetry: number;
  /** Hub mode: each channel is its own room, or every channel joins the service's room ''
   * (HUB-18), the one its other front-ends join in the hamelin command. */
  hubRoom?: 'channel' | 'service' | undefined;
}

/** A connection that stayed registered this long resets the backoff. */
const STABLE_MS = 30_000;
/** After the server's welcome (001), how long to wait for the end of its MOTD (376, or 422 for
 * none), which every server sends after its ISUPPORT lines, before going on without it. */
const WELCOME_END_MS = 10_000;

type State = 'idle' | 'connecting' | 'registering' | 'registered' | 'waiting' | 'stopped';

export class IrcBot implements BotLink {
  private readonly client: Client;
  private readonly sender: Sender;
  private readonly conversations = new Map<string, Conversation>();
  /** Hub mode: what each channel's hub says to the whole channel (HUB-17). */
  private readonly voices = new Map<string, ChannelVoice>();
  /** Hub mode: each channel the bot is in, as a client of its room. */
  private readonly listeners = new Map<string, ChannelListener>();
  private readonly joined = new Set<string>();
  private readonly accounts = new Map<string, string>();
  private state: State = 'idle';
  private botNick: string;
  private ownMask = 0;
  private attempt = 0;
  private fallbackTries = 0;
  private maxNickLen = 30;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private stableTimer: NodeJS.Timeout | undefined;
  private reclaimTimer: NodeJS.Timeout | undefined;
  private welcomeTimer: NodeJS.Timeout | undefined;
  private protocolDropped = 0;
  private readonly rejoinTimers = new Map<string, { timer: NodeJS.Timeout; tries: number }>();
  private readonly serverLabel: string;

  constructor(
    private readonly daemon: Daemon,
    private readonly cfg: BotConfig,
  ) {
    this.botNick = cfg.nick;
    this.serverLabel = cfg.host.includes(':') ? `[${cfg.host}]:${cfg.port}` : `${cfg.host}:${cfg.port}`;
    this.client = new Client();
    // Every line, irc-framework's own included, waits for its turn in one bucket (IRC-21).
    const write = takeOverWrites(this.client, (line, done) => {
      // Only a server that makes it answer faster than the bucket allows (a PING flood) fills
      // that lane: said once per connection.
      if (!this.sender.sendProtocol(line, done) && this.client.connected && this.protocolDropped++ === 0) {
        this.log.warn('protocol-dropped', { command: line.split(' ', 1)[0], limit: MAX_PROTOCOL });
      }
    });
    this.sender = new Sender(new TokenBucket(cfg.floodBurst, cfg.floodRate), write);
    this.bindEvents();
  }

  private get log() {
    return this.daemon.log;
  }

  start(): void {
    this.connect();
  }

  /** Daemon shutdown: QUIT, no reconnect. Resolves once the socket is closed (at most 2 s). */
  stop(): Promise<void> {
    const wasConnected = this.client.connected;
    this.state = 'stopped';
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.stableTimer);
    clearInterval(this.reclaimTimer);
    clearTimeout(this.welcomeTimer);
    for (const r of this.rejoinTimers.values()) clearTimeout(r.timer);
    // Session output is dropped; the QUIT still waits for a token, like every line.
    this.sender.setState(wasConnected ? 'closing' : 'offline');
    if (!wasConnected) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(resolve, 2000);
      this.client.once('close', () => {
        clearTimeout(t);
        resolve();
      });
      this.client.quit('shutting down');
    });
  }

  // --- connection state ---

  private connect(): void {
    if (this.state === 'stopped') return;
    this.state = 'connecting';
    this.botNick = this.cfg.nick;
    this.fallbackTries = 0;
    this.log.info('connecting', { server: this.serverLabel, tls: this.cfg.tls, attempt: this.attempt + 1 });
    const opts: ClientOptions = {
      host: this.cfg.host,
      port: this.cfg.port,
      nick: this.cfg.nick,
      username: this.cfg.username,
      gecos: this.cfg.realname,
      tls: this.cfg.tls,
      rejectUnauthorized: this.cfg.verify,
      encoding: 'utf8',
      version: '', // no automatic CTCP VERSION answer: it would bypass flood control
      auto_reconnect: false, // ours never gives up (IRC-17)
      ping_interval: Math.max(0.5, Math.min(30, this.cfg.pingTimeout / 3)),
      ping_timeout: this.cfg.pingTimeout,
      account: this.cfg.sasl ? { account: this.cfg.sasl.account, password: this.cfg.sasl.password } : {},
    };
    if (this.cfg.password !== undefined) opts.password = this.cfg.password;
    this.client.connect(opts);
  }

  private scheduleReconnect(): void {
    if (this.state === 'stopped') return;
    this.state = 'waiting';
    this.attempt++;
    const delay = reconnectDelayMs(this.attempt, this.cfg.reconnectMax);
    this.log.info('reconnecting', { server: this.serverLabel, attempt: this.attempt, in_ms: delay });
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  private bindEvents(): void {
    const c = this.client;
    c.on('socket connected', () => {
      this.state = 'registering';
      // Before irc-framework writes its first registration line (it does once this returns).
      this.sender.setState('connected');
      this.protocolDropped = 0;
      this.log.info('connected', { server: this.serverLabel });
    });
    c.on('registered', () => this.onWelcome());
    c.on('motd', () => this.onRegistered());
    c.on('ping timeout', () => this.log.warn('ping-timeout', { server: this.serverLabel, after_s: this.cfg.pingTimeout }));
    c.on('socket close', (err) => this.onDisconnected(err ? err.message : undefined));
    c.on('close', () => this.scheduleReconnect());
    c.on('nick in use', (e) => this.onNickRefused(e.nick, 'in-use'));
    c.on('nick invalid', (e) => this.onNickRefused(e.nick, 'invalid'));
    c.on('nick', (e) => this.onNick(e.nick, e.new_nick));
    c.on('join', (e) => {
      if (this.same(e.nick, this.botNick)) this.onBotJoined(e.channel, e.ident, e.hostname);
      else if (typeof e.account === 'string') this.accounts.set(this.lower(e.nick), e.account);
    });
    c.on('part', (e) => {
      if (this.same(e.nick, this.botNick)) this.onBotLeft(e.channel, 'part', e.message);
      else this.endConversation(this.channelKey(e.channel, e.nick), 'closed', 'user-part');
    });
    c.on('kick', (e) => {
      if (this.same(e.kicked, this.botNick)) this.onBotLeft(e.channel, 'kick', e.message, e.nick);
      else this.endConversation(this.channelKey(e.channel, e.kicked), 'closed', 'user-kicked');
    });
    c.on('quit', (e) => this.onQuit(e.nick));
    c.on('account', (e) => {
      if (typeof e.account === 'string') this.accounts.set(this.lower(e.nick), e.account);
      else this.accounts.delete(this.lower(e.nick));
    });
    c.on('privmsg', (e) => this.onPrivmsg(e));
    c.on('irc error', (e) => {
      // The server's ERROR after our own QUIT is the expected goodbye, not a problem. ngircd
      // quotes the QUIT text in it ("shutting down"): the log's reason is the words (LOG-05).
      const reason = typeof e.reason === 'string' ? e.reason.replace(/^"(.*)"$/s, '$1') : e.reason;
      if (this.state === 'stopped') this.log.info('server-closed', { reason });
      else this.log.warn('irc-error', { error: e.error, channel: e.channel, reason });
      if (e.channel && JOIN_REFUSED.has(e.error)) this.scheduleRejoin(e.channel);
    });
    c.on('unknown command', (cmd) => {
      const channel = cmd.params[1];
      if (cmd.command !== NEED_REGISTERED || channel === undefined || this.joined.has(this.lower(channel))) return;
      this.log.warn('irc-error', { error: 'need_registered_nick', channel, reason: cmd.params[cmd.params.length - 1] });
      this.scheduleRejoin(channel);
    });
    c.on('sasl failed', (e) => this.log.error('sasl-failed', { reason: e.reason, message: e.message }));
    c.on('loggedin', (e) => this.log.info('logged-in', { account: e.account }));
  }

  /** 001: the server took the registration. What it supports (NETWORK, NICKLEN, CASEMAPPING)
   * comes next, in its ISUPPORT lines before the MOTD: the bot is registered at the MOTD's end. */
  private onWelcome(): void {
    clearTimeout(this.welcomeTimer);
    this.welcomeTimer = setTimeout(() => this.onRegistered(), WELCOME_END_MS);
  }

  private onRegistered(): void {
    if (this.state !== 'registering') return;
    clearTimeout(this.welcomeTimer);
    this.state = 'registered';
    const nick = this.client.user.nick;
    this.botNick = nick;
    const isupport = this.client.network.options;
    const nl = Number(isupport.NICKLEN);
    if (Number.isFinite(nl) && nl > 0) this.maxNickLen = nl;
    const network = typeof isupport.NETWORK === 'string' ? isupport.NETWORK : undefined;
    this.log.info('registered', { server: this.serverLabel, nick, network });
    // The JOINs are queued before anything can be sent: nothing of ours goes out before them.
    this.sender.setState('registered');
    this.sendControl(...this.cfg.channels.map((ch) => this.joinLine(ch)));
    this.sender.wake();
    if (!this.same(nick, this.cfg.nick)) this.startReclaim();
    clearTimeout(this.stableTimer);
    this.stableTimer = setTimeout(() => (this.attempt = 0), STABLE_MS);
  }

  private onDisconnected(error: string | undefined): void {
    const was = this.state;
    const discarded = this.sender.queued();
    this.sender.setState('offline');
    clearTimeout(this.stableTimer);
    clearTimeout(this.welcomeTimer);
    clearInterval(this.reclaimTimer);
    this.reclaimTimer = undefined;
    for (const r of this.rejoinTimers.values()) clearTimeout(r.timer);
    this.rejoinTimers.clear();
    this.joined.clear();
    this.accounts.clear();
    if (was === 'connecting') {
      this.log.warn('connect-failed', { server: this.serverLabel, error });
      this.state = 'waiting';
    } else if (was !== 'stopped') {
      this.log.warn('disconnected', { server: this.serverLabel, error, sessions: this.conversations.size, discarded });
      this.state = 'waiting';
    }
    // Sessions do not survive a reconnect (IRC-08): nobody could be told where they went.
    this.endAll(was === 'stopped' ? 'shutdown' : 'server-connection-lost');
  }

  // --- nicks (IRC-18) ---

  private onNickRefused(nick: string, why: 'in-use' | 'invalid'): void {
    if (this.state !== 'registering') {
      // A reclaim attempt that failed: try again at the next interval.
      return;
    }
    if (why === 'invalid') this.maxNickLen = Math.min(this.maxNickLen, 9);
    const next = this.fallbackNick(++this.fallbackTries);
    this.log.warn('nick-fallback', { nick, reason: why, trying: next });
    this.botNick = next;
    this.client.raw(buildLine('NICK', [next]));
  }

  private fallbackNick(n: number): string {
    const suffix = n === 1 ? '_' : n === 2 ? '__' : String(Math.floor(100 + Math.random() * 900));
    const base = this.cfg.nick.slice(0, Math.max(1, this.maxNickLen - suffix.length));
    return base + suffix;
  }

  private startReclaim(): void {
    clearInterval(this.reclaimTimer);
    this.reclaimTimer = setInterval(() => this.reclaim(), this.cfg.nickRetry * 1000);
  }

  private reclaim(): void {
    if (this.state === 'registered' && !this.same(this.botNick, this.cfg.nick)) this.sendControl(this.built('NICK', [this.cfg.nick]) ?? '');
  }

  private onNick(from: string, to: string): void {
    if (this.same(from, this.botNick)) {
      this.botNick = to;
      const reclaimed = this.same(to, this.cfg.nick);
      this.log.info(reclaimed ? 'nick-reclaimed' : 'nick-changed', { nick: to, was: from });
      if (reclaimed) {
        clearInterval(this.reclaimTimer);
        this.reclaimTimer = undefined;
      } else if (!this.reclaimTimer) {
        this.startReclaim(); // renamed by the server (or services): ask for ours back later
      }
      return;
    }
    // A user's nick change keeps the session; replies follow the new nick (IRC-09).
    const acct = this.accounts.get(this.lower(from));
    if (acct !== undefined) {
      this.accounts.delete(this.lower(from));
      this.accounts.set(this.lower(to), acct);
    }
    for (const conv of [...this.conversations.values()]) {
      if (!this.same(conv.nick, from)) continue;
      this.conversations.delete(conv.key);
      conv.nick = to;
      const key = conv.channel ? this.channelKey(conv.channel, to) : this.privateKey(to);
      // Should the new nick already have a session of its own, the older one ends.
      this.conversations.get(key)?.end('closed', 'nick-collision');
      conv.key = key;
      this.conversations.set(key, conv);
      this.log.info('client-nick', { client: conv.label, was: from });
    }
    if (this.same(from, this.cfg.nick)) this.reclaim();
  }

  private onQuit(nick: string): void {
    this.accounts.delete(this.lower(nick));
    for (const conv of [...this.conversations.values()]) if (this.same(conv.nick, nick)) conv.end('closed', 'user-quit');
    if (this.same(nick, this.cfg.nick)) this.reclaim();
  }

  // --- channels (IRC-16) ---

  private onBotJoined(channel: string, ident: string, host: string): void {
    this.joined.add(this.lower(channel));
    const r = this.rejoinTimers.get(this.lower(channel));
    if (r) clearTimeout(r.timer);
    this.rejoinTimers.delete(this.lower(channel));
    this.ownMask = Math.max(this.ownMask, Buffer.byteLength(`${this.botNick}!${ident}@${host}`));
    this.log.info('joined', { channel, nick: this.botNick });
    this.listen(channel);
  }

  private onBotLeft(channel: string, how: 'part' | 'kick', message: string, by?: string): void {
    this.joined.delete(this.lower(channel));
    this.log.warn(how === 'kick' ? 'kicked' : 'parted', { channel, by, reason: message });
    const prefix = `c\n${this.lower(channel)}\n`;
    for (const [key, conv] of [...this.conversations]) if (key.startsWith(prefix)) conv.end('closed', how === 'kick' ? 'bot-kicked' : 'bot-parted');
    this.listeners.get(this.lower(channel))?.end('closed', how === 'kick' ? 'bot-kicked' : 'bot-parted');
    this.scheduleRejoin(channel);
  }

  /** Try again later, backing off per channel (kicked, banned, full, invite-only...). */
  private scheduleRejoin(channel: string): void {
    const spec = this.cfg.channels.find((c) => this.same(c.name, channel));
    if (this.state !== 'registered' || !spec) return;
    const k = this.lower(channel);
    const prev = this.rejoinTimers.get(k);
    if (prev) clearTimeout(prev.timer);
    const tries = (prev?.tries ?? 0) + 1;
    const delay = rejoinDelayMs(tries, this.cfg.reconnectMax);
    this.log.info('rejoin-scheduled', { channel, in_ms: delay, attempt: tries });
    const timer = setTimeout(() => this.sendControl(this.joinLine(spec)), delay);
    this.rejoinTimers.set(k, { timer, tries });
  }

  /** `JOIN #chan` or `JOIN #chan key`, or nothing when a field cannot be sent (logged). */
  private joinLine(ch: ChannelSpec): string {
    return this.built('JOIN', ch.key === undefined ? [ch.name] : [ch.name, ch.key]) ?? '';
  }

  // --- conversations ---

  private onPrivmsg(e: MessageEvent): void {
    if (this.state !== 'registered' || e.from_server || !e.nick || e.group) return;
    if (this.same(e.nick, this.botNick)) return;
    const user = `${e.ident}@${e.hostname}`;
    if (this.same(e.target, this.botNick)) {
      this.deliver(this.privateKey(e.nick), null, e.nick, user, this.triggerRemoved(e.message), e.account);
      return;
    }
    if (!this.joined.has(this.lower(e.target))) return;
    const text = this.addressed(e.message);
    if (text === null) return;
    this.deliver(this.channelKey(e.target, e.nick), e.target, e.nick, user, text, e.account);
  }

  /** In private every line counts, but users type the trigger there too (IRC-04). */
  private triggerRemoved(msg: string): string {
    const t = this.cfg.trigger;
    return (t === undefined ? null : afterTrigger(msg, t)) ?? msg;
  }

  /** The text after the addressing, or null when the line is not for the bot (IRC-03). */
  private addressed(msg: string): string | null {
    const n = this.botNick.length;
    if (msg.length > n && (msg[n] === ':' || msg[n] === ',') && this.same(msg.slice(0, n), this.botNick)) return msg.slice(n + 1).replace(/^ +/, '');
    const triggered = this.cfg.trigger === undefined ? null : afterTrigger(msg, this.cfg.trigger);
    if (triggered !== null) return triggered;
    return this.cfg.listenAll ? msg : null;
  }

  private deliver(key: string, channel: string | null, nick: string, user: string, text: string, account: string | false | undefined): void {
    let conv = this.conversations.get(key);
    // The same nick from another ident@host is another person: the bot does not see every QUIT
    // (none at all from a user who shares no channel with it), and a nick is free to take once
    // its holder has gone. They must not inherit the first one's process (IRC-05).
    if (conv && conv.user !== user) {
      conv.end('closed', 'new-user');
      conv = undefined;
    }
    if (!conv) {
      if (typeof account === 'string') this.accounts.set(this.lower(nick), account);
      const hub = this.daemon.config.hub !== undefined;
      if (channel) this.listen(channel);
      const voice = hub && channel ? this.voiceOf(channel) : undefined;
      conv = new Conversation(key, channel, nick, user, this, { prefix: this.cfg.prefix, queueLimit: this.cfg.queueLimit, maxLine: this.cfg.maxLine, voice });
      this.conversations.set(key, conv);
      // HUB-01: with --hub a channel is a room, each nick in it a client; a private
      // conversation is a room of its own.
      void this.daemon.accept(conv, this.vars(channel, nick), undefined, hub ? (voice ? this.roomOf(voice) : this.lower(nick)) : '');
    }
    conv.input(text);
  }

  /**
   * Hub mode: the channel joins its room as a client of its own, so that the room has a reader
   * there before any nick speaks; again after the process ended, with the next nick's line.
   */
  private listen(channel: string): void {
    const k = this.lower(channel);
    if (this.daemon.config.hub === undefined || this.listeners.has(k)) return;
    const l = new ChannelListener(this.voiceOf(channel), (over) => {
      if (this.listeners.get(k) === over) this.listeners.delete(k);
    });
    this.listeners.set(k, l);
    void this.daemon.accept(l, this.vars(channel, ''), undefined, this.roomOf(this.voiceOf(channel)));
  }

  /** The hub room a channel's members join (HUB-01, HUB-18). */
  private roomOf(voice: ChannelVoice): string {
    return this.cfg.hubRoom === 'service' ? '' : voice.channel;
  }

  /** The channel's voice, named as --channel spells it, made on first use. */
  private voiceOf(channel: string): ChannelVoice {
    const k = this.lower(channel);
    let v = this.voices.get(k);
    if (!v) {
      const name = this.cfg.channels.find((c) => this.same(c.name, channel))?.name ?? channel;
      v = new ChannelVoice(name, this, this.cfg.queueLimit);
      this.voices.set(k, v);
    }
    return v;
  }

  private vars(channel: string | null, nick: string): HVars {
    const vars: HVars = {
      TYPE: `IRC-${SPEC_VERSION}-${this.cfg.tls ? 'TLS' : 'INSECURE'}`,
      CLIENT: `${this.serverLabel}/${nick}/${channel ?? ''}`,
      'IRC-SERVER': this.serverLabel,
      'IRC-NICK': nick,
      'IRC-CHANNEL': channel ?? '',
      'IRC-BOT-NICK': this.botNick,
    };
    const account = this.accounts.get(this.lower(nick));
    if (account) vars['IRC-ACCOUNT'] = account;
    return vars;
  }

  private endConversation(key: string, reason: GoneReason, detail: string): void {
    this.conversations.get(key)?.end(reason, detail);
  }

  private endAll(detail: string): void {
    for (const conv of [...this.conversations.values()]) conv.end(detail === 'shutdown' ? 'closed' : 'reset', detail);
    for (const l of [...this.listeners.values()]) l.end(detail === 'shutdown' ? 'closed' : 'reset', detail);
  }

  private sendControl(...lines: string[]): void {
    this.sender.sendControl(...lines.filter((l) => l !== ''));
  }

  private built(command: string, params: string[]): string | undefined {
    try {
      return buildLine(command, params);
    } catch (e) {
      if (!(e instanceof WireError)) throw e;
      this.log.error('unsendable', { command, error: e.message });
      return undefined;
    }
  }

  // --- BotLink ---

  maskLength(): number {
    const nickLen = Math.max(this.botNick.length, this.cfg.nick.length) + 3;
    return Math.max(this.ownMask, assumedMaskLength(nickLen));
  }

  nickLength(): number {
    return Math.max(30, this.maxNickLen);
  }

  queued(source: Source): void {
    this.sender.add(source);
    this.sender.wake();
  }

  unqueue(source: Source): void {
    this.sender.remove(source);
  }

  ended(conv: Conversation): void {
    if (this.conversations.get(conv.key) === conv) this.conversations.delete(conv.key);
  }

  info(event: string, fields: Record<string, string | number | undefined>): void {
    this.log.info(event, fields);
  }

  warn(event: string, fields: Record<string, string | number | undefined>): void {
    this.log.warn(event, fields);
  }

  // --- names ---

  private lower(s: string): string {
    return this.client.caseLower(s);
  }

  private same(a: string, b: string): boolean {
    return this.client.caseCompare(a, b);
  }

  private channelKey(channel: string, nick: string): string {
    return `c\n${this.lower(channel)}\n${this.lower(nick)}`;
  }

  private privateKey(nick: string): string {
    return `p\n${this.lower(nick)}`;
  }
}
