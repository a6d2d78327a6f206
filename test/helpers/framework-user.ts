/**
 * A listening IRC user made with irc-framework, the library hamelin-irc itself uses: a
 * client as people run them, which registers, joins and keeps every PRIVMSG it is shown.
 * IrcUser (ngircd.ts) is the raw-socket one, for tests about bytes on the wire.
 */
/// <reference path="../../packages/irc/src/types/irc-framework.d.ts" />
import { Client } from 'irc-framework';
import { eventually } from './poll.js';

export class FrameworkUser {
  /** `nick text`, in the order received. */
  readonly messages: { from: string; target: string; text: string }[] = [];
  /** Set when the server closed the connection. */
  closed = false;

  private constructor(
    readonly client: Client,
    readonly nick: string,
  ) {
    client.on('privmsg', (e) => this.messages.push({ from: e.nick, target: e.target, text: e.message }));
    client.on('socket close', () => (this.closed = true));
  }

  static async connect(port: number, nick: string, host = '127.0.0.1'): Promise<FrameworkUser> {
    const client = new Client();
    const u = new FrameworkUser(client, nick);
    let registered = false;
    client.on('registered', () => (registered = true));
    client.connect({ host, port, nick, username: nick, gecos: `test user ${nick}`, auto_reconnect: false, version: '' });
    await eventually(() => registered || (u.closed && Promise.reject(new Error('connection closed'))), `${nick} registered`);
    return u;
  }

  async join(channel: string): Promise<void> {
    let joined = false;
    this.client.on('join', (e) => {
      if (e.nick === this.nick && e.channel.toLowerCase() === channel.toLowerCase()) joined = true;
    });
    this.client.join(channel);
    await eventually(() => joined, `${this.nick} in ${channel}`);
  }

  say(target: string, text: string): void {
    this.client.say(target, text);
  }

  /** Texts of the PRIVMSGs from `from`. */
  texts(from: string): string[] {
    return this.messages.filter((m) => m.from.toLowerCase() === from.toLowerCase()).map((m) => m.text);
  }

  quit(): void {
    this.client.quit('bye');
  }
}
