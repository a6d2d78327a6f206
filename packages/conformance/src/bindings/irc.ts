/**
 * The IRC binding (spec/bindings/irc.md). The daemon under test is a bot: the suite runs an
 * IRC server for it (ngircd, without flood penalties, one per daemon run), an observer in the
 * channel that sees the bot join (the bot listens on nothing: joining is its "ready"), and one
 * IRC user per client. A conversation starts with its first line, not with a connection, so
 * the IRC checks drive sessions themselves (checks/irc.ts) instead of the generic CORE checks.
 *
 * Placeholders: {host} {port} (the IRC server), {server} (HOST:PORT), {nick} (the bot's nick),
 * {channel}, {command}.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { ownedByTree, tcpListeners } from '../proc.js';
import type { Address, Binding, Conn } from '../types.js';
import { freePort } from './net.js';

const SPEC = '0.2';

export interface IrcMessage {
  prefix: string;
  nick: string;
  command: string;
  params: string[];
}

export function parseIrc(line: string): IrcMessage {
  let rest = line;
  let prefix = '';
  if (rest.startsWith(':')) {
    const sp = rest.indexOf(' ');
    prefix = rest.slice(1, sp);
    rest = rest.slice(sp + 1);
  }
  const params: string[] = [];
  while (rest.length) {
    if (rest.startsWith(':')) {
      params.push(rest.slice(1));
      break;
    }
    const sp = rest.indexOf(' ');
    if (sp < 0) {
      params.push(rest);
      break;
    }
    params.push(rest.slice(0, sp));
    rest = rest.slice(sp + 1);
  }
  const command = params.shift() ?? '';
  return { prefix, nick: prefix.split('!')[0]!, command: command.toUpperCase(), params };
}

/** A raw IRC user: registers, answers PING, keeps every message it receives. */
export class IrcUser {
  readonly messages: IrcMessage[] = [];
  private buf = '';
  closed = false;

  private constructor(
    private readonly socket: Socket,
    readonly nick: string,
  ) {
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      this.buf += d;
      let nl = this.buf.indexOf('\n');
      while (nl >= 0) {
        const line = this.buf.slice(0, nl).replace(/\r$/, '');
        this.buf = this.buf.slice(nl + 1);
        const m = parseIrc(line);
        if (m.command === 'PING') this.raw(`PONG :${m.params[0] ?? ''}`);
        this.messages.push(m);
        nl = this.buf.indexOf('\n');
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => (this.closed = true));
  }

  static connect(host: string, port: number, nick: string, timeoutMs = 10_000, password?: string): Promise<IrcUser> {
    return new Promise((resolve, reject) => {
      const s = connect({ host, port });
      const u = new IrcUser(s, nick);
      const timer = setTimeout(() => reject(new Error(`IRC user ${nick}: no welcome within ${timeoutMs} ms`)), timeoutMs);
      s.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      s.once('connect', () => {
        if (password !== undefined) u.raw(`PASS ${password}`);
        u.raw(`NICK ${nick}`);
        u.raw(`USER ${nick.slice(0, 9)} 0 * :hamelin-conformance`);
        const poll = setInterval(() => {
          if (u.messages.some((m) => m.command === '001')) {
            clearInterval(poll);
            clearTimeout(timer);
            resolve(u);
          }
        }, 10);
      });
    });
  }

  raw(line: string): void {
    if (!this.socket.destroyed) this.socket.write(`${line}\r\n`);
  }

  privmsg(target: string, text: string): void {
    this.raw(`PRIVMSG ${target} :${text}`);
  }

  notice(target: string, text: string): void {
    this.raw(`NOTICE ${target} :${text}`);
  }

  join(channel: string): void {
    this.raw(`JOIN ${channel}`);
  }

  quit(text = 'bye'): void {
    this.raw(`QUIT :${text}`);
  }

  close(): void {
    this.socket.destroy();
  }

  /** PRIVMSG texts from `from` (to `to`, when given). */
  said(from: string, to?: string): string[] {
    const f = from.toLowerCase();
    return this.messages
      .filter((m) => m.command === 'PRIVMSG' && m.nick.toLowerCase() === f && (to === undefined || m.params[0]!.toLowerCase() === to.toLowerCase()))
      .map((m) => m.params[1] ?? '');
  }

  saw(pred: (m: IrcMessage) => boolean): boolean {
    return this.messages.some(pred);
  }
}

/** Per IRC server (by port): its observer in the channel. */
const observers = new Map<number, IrcUser>();

function ngircdConfig(port: number, password?: string): string {
  return [
    '[Global]',
    ...(password === undefined ? [] : [`    Password = ${password}`]),
    '    Name = irc.conformance.local',
    '    Info = hamelin-conformance',
    '    Listen = 127.0.0.1',
    `    Ports = ${port}`,
    '[Limits]',
    '    MaxConnections = 0',
    '    MaxConnectionsIP = 0',
    '    MaxJoins = 0',
    '    MaxNickLength = 30',
    '    MaxPenaltyTime = 0',
    '[Options]',
    '    DNS = no',
    '    Ident = no',
    '    PAM = no',
    '',
  ].join('\n');
}

/** Start ngircd in `dir` (its command line carries `dir`, so the suite's cleanup ends it). */
async function startNgircd(dir: string, password?: string): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const port = await freePort('127.0.0.1');
    const conf = join(dir, `ngircd-${port}.conf`);
    writeFileSync(conf, ngircdConfig(port, password));
    const p = spawn('ngircd', ['--nodaemon', '-f', conf], { stdio: ['ignore', 'ignore', 'ignore'], detached: true });
    let failed: string | undefined;
    p.once('error', (e) => (failed = `cannot run ngircd (the irc binding needs it): ${e.message}`));
    p.once('exit', (code) => (failed ??= `ngircd exited with status ${code}`));
    p.unref();
    const deadline = Date.now() + 10_000;
    while (!failed && Date.now() < deadline && !(p.pid && ownedByTree(p.pid, tcpListeners(port)))) await new Promise((r) => setTimeout(r, 20));
    if (!failed && Date.now() < deadline) return port;
    if (attempt >= 2 || /cannot run/.test(failed ?? '')) throw new Error(failed ?? 'ngircd did not listen within 10 s');
  }
}

let serial = 0;
/** A nick unique in this run: IRC nicks start with a letter. */
export function uniqueNick(prefix: string): string {
  return `${prefix}${process.pid % 1000}x${++serial}`;
}

/** An IRC server of its own (with this server password, IRC-02), its observer in a fresh channel,
 * and a fresh nick for the bot. */
export async function allocateIrc(dir: string, password?: string): Promise<Address> {
  const port = await startNgircd(dir, password);
  const nick = uniqueNick('hcbot');
  const channel = `#hc${serial}`;
  const observer = await IrcUser.connect('127.0.0.1', port, uniqueNick('hcobs'), 10_000, password);
  observer.join(channel);
  observers.set(port, observer);
  return { host: '127.0.0.1', port, path: '', tls: false, extra: { nick, channel, server: `127.0.0.1:${port}` } };
}

export const irc: Binding = {
  name: 'irc',
  summary: 'an IRC bot: one process per conversation, spec/bindings/irc.md',
  placeholders: [['{port}', '{server}'], ['{nick}'], ['{command}']],
  transport: 'tcp',
  framing: 'message',
  sessionOnConnect: false,
  allocate: (dir) => allocateIrc(dir),
  /** Ready when the bot has joined the channel (the observer saw it). */
  listening(addr) {
    const nick = addr.extra!.nick!.toLowerCase();
    return observers.get(addr.port)?.saw((m) => m.command === 'JOIN' && m.nick.toLowerCase() === nick) ?? false;
  },
  dial(): Promise<Conn> {
    return Promise.reject(new Error('the irc binding has no connection-level client: see checks/irc.ts'));
  },
  hType: (addr) => `IRC-${SPEC}-${addr.tls ? 'TLS' : 'INSECURE'}`,
  hClient: () => '',
  release: (addr) => releaseObserver(addr),
};

export function observerOf(addr: Address): IrcUser | undefined {
  return observers.get(addr.port);
}

export function releaseObserver(addr: Address): void {
  observers.get(addr.port)?.close();
  observers.delete(addr.port);
}
