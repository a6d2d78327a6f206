/**
 * A scripted IRC server for what ngircd cannot be made to do: force a client out of a
 * channel with PART (services' SAPART), or refuse a JOIN with 477 (Libera's "identify first";
 * ngircd answers +R with 471). It registers one client, answers PING and JOIN as told, and
 * keeps every line the client sent. Everything else is the test's to send.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { eventually } from '../helpers/poll.js';

/** For a JOIN: undefined lets the client in; a string is the numeric line to answer instead. */
export type JoinRule = (channel: string, nth: number) => string | undefined;

export class FakeIrcServer {
  readonly received: string[] = [];
  /** When each line of `received` arrived, in ms since the server started. */
  readonly receivedAt: number[] = [];
  private readonly t0 = Date.now();
  port = 0;
  nick = '';
  private client: Socket | undefined;
  private readonly joins = new Map<string, number>();

  private constructor(
    private readonly server: Server,
    private readonly joinRule: JoinRule,
  ) {}

  static async start(joinRule: JoinRule = () => undefined): Promise<FakeIrcServer> {
    const server = createServer();
    const fake = new FakeIrcServer(server, joinRule);
    server.on('connection', (s) => fake.accept(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    fake.port = (server.address() as { port: number }).port;
    return fake;
  }

  /** The client's mask as this server shows it. */
  get mask(): string {
    return `${this.nick}!~${this.nick}@127.0.0.1`;
  }

  send(line: string): void {
    this.client?.write(`${line}\r\n`);
  }

  /** Lines the client sent that match, e.g. every `JOIN #c`. */
  sent(re: RegExp): string[] {
    return this.received.filter((l) => re.test(l));
  }

  waitSent(re: RegExp, count = 1, timeoutMs = 10_000): Promise<string[]> {
    return eventually(() => (this.sent(re).length >= count ? this.sent(re) : undefined), `the client to send ${count} x ${re}`, timeoutMs);
  }

  async stop(): Promise<void> {
    this.client?.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private accept(s: Socket): void {
    this.client?.destroy();
    this.client = s;
    s.setEncoding('utf8');
    s.on('error', () => {});
    let buf = '';
    s.on('data', (d: string) => {
      buf += d;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl).replace(/\r$/, '');
        buf = buf.slice(nl + 1);
        this.received.push(line);
        this.receivedAt.push(Date.now() - this.t0);
        this.answer(line);
      }
    });
  }

  private answer(line: string): void {
    const [cmd, ...args] = line.split(' ');
    if (cmd === 'NICK') this.nick = args[0]!.replace(/^:/, '');
    else if (cmd === 'USER') {
      this.send(`:fake.test 001 ${this.nick} :Welcome`);
      this.send(`:fake.test 005 ${this.nick} CASEMAPPING=rfc1459 NICKLEN=30 CHANTYPES=# :are supported`);
      this.send(`:fake.test 422 ${this.nick} :No MOTD`);
    } else if (cmd === 'PING') this.send(`:fake.test PONG fake.test ${args.join(' ')}`);
    else if (cmd === 'JOIN') {
      const channel = args[0]!;
      const nth = (this.joins.get(channel) ?? 0) + 1;
      this.joins.set(channel, nth);
      const refusal = this.joinRule(channel, nth);
      if (refusal !== undefined) return this.send(refusal);
      this.send(`:${this.mask} JOIN ${channel}`);
      this.send(`:fake.test 353 ${this.nick} = ${channel} :${this.nick}`);
      this.send(`:fake.test 366 ${this.nick} ${channel} :End of NAMES list`);
    }
  }
}
