/**
 * A raw IRC user that chooses its user name (ident), which test/helpers' IrcUser ties to the
 * nick: two of these with one nick and different user names are two people to the server.
 */
import { connect, type Socket } from 'node:net';
import { eventually } from '../helpers/poll.js';

export class NamedUser {
  readonly lines: string[] = [];
  readonly closed: Promise<void>;
  private buf = '';

  private constructor(
    private readonly socket: Socket,
    readonly nick: string,
  ) {
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      this.buf += d;
      for (let nl = this.buf.indexOf('\n'); nl >= 0; nl = this.buf.indexOf('\n')) {
        const line = this.buf.slice(0, nl).replace(/\r$/, '');
        this.buf = this.buf.slice(nl + 1);
        this.lines.push(line);
        if (line.startsWith('PING ')) this.send(`PONG ${line.slice(5)}`);
      }
    });
    socket.on('error', () => {});
    this.closed = new Promise((r) => socket.once('close', () => r()));
  }

  static async connect(port: number, nick: string, username: string): Promise<NamedUser> {
    const socket = connect({ port, host: '127.0.0.1' });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const u = new NamedUser(socket, nick);
    u.send(`NICK ${nick}`);
    u.send(`USER ${username} 0 * :test user ${username}`);
    await eventually(() => u.lines.some((l) => / 001 /.test(l)), `${nick} (${username}) registered`);
    return u;
  }

  send(line: string): void {
    this.socket.write(`${line}\r\n`);
  }

  say(target: string, text: string): void {
    this.send(`PRIVMSG ${target} :${text}`);
  }

  /** Texts of the PRIVMSGs from `from`. */
  said(from: string): string[] {
    const re = new RegExp(`^:${from}![^ ]* PRIVMSG \\S+ :(.*)$`, 'i');
    return this.lines.flatMap((l) => re.exec(l)?.[1] ?? []);
  }

  waitSaid(from: string, match: RegExp): Promise<string> {
    return eventually(() => this.said(from).find((t) => match.test(t)), `${this.nick} to receive from ${from}: ${match}`);
  }

  async quit(): Promise<void> {
    this.send('QUIT :bye');
    await this.closed;
  }

  close(): void {
    this.socket.destroy();
  }
}
