/**
 * A scripted IRC server of the suite's own, for the checks that must see every line the bot
 * sends with the time it arrived (IRC-21) and decide the welcome line by line (IRC-23). ngircd
 * cannot do either: it answers on its own schedule and keeps no record of what a client sent.
 *
 * It speaks just enough IRC for one bot: CAP LS (no capabilities offered), PASS, NICK, USER;
 * the welcome (001..004, then ISUPPORT and the end of the MOTD, or its absence) as the script
 * says; JOIN (confirmed, with an empty NAMES); PING (answered). Every line the bot sends is kept
 * with the time it arrived; `send` puts a line on the wire on cue (a PRIVMSG from a user who
 * does not exist, a PING).
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { Address } from '../types.js';
import { parseIrc } from './irc.js';
import { freePort } from './net.js';

export const SCRIPT_SERVER = 'irc.script.local';

/** How the server welcomes the bot once it has registered (NICK, USER, and CAP END if it asked). */
export interface Welcome {
  /** Milliseconds between 004 and the ISUPPORT line (005). */
  holdMs: number;
  /** NETWORK=NAME in the ISUPPORT line; none without it. */
  network?: string;
  /** How the welcome ends: a MOTD (375, 372, 376), ERR_NOMOTD (422), or not at all. */
  end: 'motd' | 'no-motd' | 'never';
  /** Lines sent right after 004, before the hold (a user's line: the bot is not registered yet). */
  duringHold?: (nick: string) => string[];
}

export interface Heard {
  /** Date.now() when the line arrived. */
  at: number;
  line: string;
  command: string;
}

export class ScriptedIrc {
  readonly heard: Heard[] = [];
  /** When 001 and the end of the welcome (376 or 422) were written. */
  welcomedAt: number | undefined;
  endedAt: number | undefined;
  /** The nick the bot registered with. */
  nick = '';
  private client: Socket | undefined;
  private holdTimer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly welcome: Welcome,
  ) {
    server.on('connection', (s) => this.serve(s));
  }

  static async start(welcome: Welcome): Promise<ScriptedIrc> {
    for (let attempt = 0; ; attempt++) {
      const port = await freePort('127.0.0.1');
      const server = createServer();
      const ok = await new Promise<boolean>((resolve) => {
        server.once('error', () => resolve(false));
        server.listen(port, '127.0.0.1', () => resolve(true));
      });
      if (ok) return new ScriptedIrc(server, port, welcome);
      if (attempt >= 2) throw new Error(`the scripted IRC server cannot listen on 127.0.0.1:${port}`);
    }
  }

  /** The address the bot is given: {server} is this server, {nick} and {channel} as asked. */
  address(nick: string, channel: string): Address {
    return { host: '127.0.0.1', port: this.port, path: '', tls: false, extra: { nick, channel, server: `127.0.0.1:${this.port}` } };
  }

  /** Write one line to the bot (CR LF added). */
  send(line: string): void {
    if (this.client && !this.client.destroyed) this.client.write(`${line}\r\n`);
  }

  /** The lines the bot sent with this command. */
  lines(command: string): Heard[] {
    return this.heard.filter((h) => h.command === command);
  }

  close(): void {
    clearTimeout(this.holdTimer);
    this.client?.destroy();
    this.server.close();
  }

  private serve(s: Socket): void {
    // A reconnect replaces the connection: one bot, one conversation with the server.
    this.client?.destroy();
    this.client = s;
    s.setNoDelay(true);
    s.setEncoding('utf8');
    s.on('error', () => {});
    let buf = '';
    let nick = '';
    let user = false;
    let capping = false;
    let welcomed = false;
    s.on('data', (d: string) => {
      const at = Date.now();
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).replace(/\r$/, '');
        buf = buf.slice(nl + 1);
        if (!line) continue;
        const m = parseIrc(line);
        this.heard.push({ at, line, command: m.command });
        if (s !== this.client) continue;
        if (m.command === 'CAP') {
          const sub = (m.params[0] ?? '').toUpperCase();
          if (sub === 'LS') {
            capping = true;
            this.send(`:${SCRIPT_SERVER} CAP * LS :`);
          } else if (sub === 'REQ') this.send(`:${SCRIPT_SERVER} CAP * NAK :${m.params[1] ?? ''}`);
          else if (sub === 'END') capping = false;
        } else if (m.command === 'NICK' && !welcomed) nick = m.params[0] ?? '';
        else if (m.command === 'NICK') {
          this.send(`:${nick}!bot@127.0.0.1 NICK :${m.params[0] ?? ''}`);
          nick = this.nick = m.params[0] ?? '';
        } else if (m.command === 'USER') user = true;
        else if (m.command === 'PING') this.send(`:${SCRIPT_SERVER} PONG ${SCRIPT_SERVER} :${m.params[m.params.length - 1] ?? ''}`);
        else if (m.command === 'JOIN' && welcomed) {
          for (const ch of (m.params[0] ?? '').split(',')) {
            this.send(`:${nick}!bot@127.0.0.1 JOIN :${ch}`);
            this.send(`:${SCRIPT_SERVER} 353 ${nick} = ${ch} :${nick}`);
            this.send(`:${SCRIPT_SERVER} 366 ${nick} ${ch} :End of NAMES list`);
          }
        } else if (m.command === 'QUIT') {
          this.send(`ERROR :Closing link (${m.params[0] ?? ''})`);
          s.end();
        }
        if (!welcomed && nick && user && !capping) {
          welcomed = true;
          this.nick = nick;
          this.greet(nick);
        }
      }
    });
  }

  private greet(nick: string): void {
    const w = this.welcome;
    this.welcomedAt = Date.now();
    this.send(`:${SCRIPT_SERVER} 001 ${nick} :Welcome to the scripted network ${nick}`);
    this.send(`:${SCRIPT_SERVER} 002 ${nick} :Your host is ${SCRIPT_SERVER}`);
    this.send(`:${SCRIPT_SERVER} 003 ${nick} :This server was created today`);
    this.send(`:${SCRIPT_SERVER} 004 ${nick} ${SCRIPT_SERVER} script-1 io ov`);
    for (const line of w.duringHold?.(nick) ?? []) this.send(line);
    const rest = (): void => {
      const network = w.network === undefined ? '' : ` NETWORK=${w.network}`;
      this.send(`:${SCRIPT_SERVER} 005 ${nick}${network} NICKLEN=30 CASEMAPPING=rfc1459 CHANTYPES=# :are supported by this server`);
      if (w.end === 'never') return;
      // Before the line is written: whatever the bot sends in answer arrives later.
      this.endedAt = Date.now();
      if (w.end === 'motd') {
        this.send(`:${SCRIPT_SERVER} 375 ${nick} :- ${SCRIPT_SERVER} Message of the day -`);
        this.send(`:${SCRIPT_SERVER} 372 ${nick} :- a scripted server of hamelin-conformance`);
        this.send(`:${SCRIPT_SERVER} 376 ${nick} :End of MOTD command`);
      } else this.send(`:${SCRIPT_SERVER} 422 ${nick} :MOTD File is missing`);
    };
    if (w.holdMs === 0) rest();
    else this.holdTimer = setTimeout(rest, w.holdMs);
  }
}
