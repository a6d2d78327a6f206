/**
 * A TCP relay between the bot and its server that notes when each line the bot sends passes
 * through: the bot's own pacing, before a server that delays flooding clients (ngircd reads
 * them in bursts) can blur it.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface Tapped {
  /** Milliseconds since the tap started. */
  at: number;
  line: string;
}

export class WireTap {
  readonly sent: Tapped[] = [];
  port = 0;
  private readonly t0 = Date.now();
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly server: Server) {}

  static async start(targetPort: number): Promise<WireTap> {
    const server = createServer();
    const tap = new WireTap(server);
    server.on('connection', (client) => tap.relay(client, targetPort));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    tap.port = (server.address() as { port: number }).port;
    return tap;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private relay(client: Socket, targetPort: number): void {
    const upstream = connect({ host: '127.0.0.1', port: targetPort });
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    let buf = '';
    client.on('data', (d: Buffer) => {
      const at = Date.now() - this.t0;
      buf += d.toString('latin1');
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        this.sent.push({ at, line: buf.slice(0, nl).replace(/\r$/, '') });
        buf = buf.slice(nl + 1);
      }
      upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => client.write(d));
  }
}
