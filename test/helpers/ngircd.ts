/**
 * A real IRC server for tests: Debian's ngircd on loopback, one per caller, with its own
 * config in a temp directory, plus `IrcUser`, a raw-socket IRC client that keeps every
 * byte it receives so tests can assert on the wire itself.
 *
 *   const irc = await startNgircd();            // MaxPenaltyTime = 0: no throttling
 *   const irc = await startNgircd({ throttle: true });  // ngircd's default flood control
 *   const alice = await IrcUser.connect(irc.port, 'alice');
 *   await alice.join('#t');
 *   await irc.restart();  await irc.stop();
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { eventually } from './poll.js';
import { tempDir } from './temp-dir.js';

export interface NgircdOptions {
  /** Keep ngircd's default flood control (MaxPenaltyTime unset). Default: off (MaxPenaltyTime = 0). */
  throttle?: boolean;
  /** A server password (`Password =` in [Global]). */
  password?: string;
  /** Also listen with TLS on another port, with these PEM files (readable by `nobody`:
   * ngircd drops root before it loads them). Without `dhFile` ngircd spends ~1 s making
   * DH parameters; `makeTestCert` writes RFC 7919's ffdhe2048 for it. */
  tls?: { certFile: string; keyFile: string; dhFile?: string };
  /** Use this plain-text port instead of a free one. */
  port?: number;
}

export interface Ngircd {
  host: '127.0.0.1';
  port: number;
  /** Set when `tls` was given. */
  tlsPort?: number;
  /** Everything ngircd printed. */
  output(): string;
  pid(): number;
  /** SIGTERM and wait for it to exit. */
  stop(): Promise<void>;
  /** Stop, then start again on the same port(s), with the same config. */
  restart(): Promise<void>;
  /** SIGSTOP: the server keeps its sockets but answers nothing (a hung server). */
  freeze(): void;
  thaw(): void;
}

const running = new Set<Ngircd>();
process.on('exit', () => {
  for (const s of running) try { process.kill(s.pid(), 'SIGKILL'); } catch { /* gone */ }
});

/** A port that was free a moment ago (the OS hands out ephemeral ports in sequence, so reuse is unlikely). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

function config(port: number, opts: NgircdOptions, tlsPort: number | undefined): string {
  return [
    '[Global]',
    '    Name = irc.test.local',
    '    Info = hamelin test server',
    '    Listen = 127.0.0.1',
    `    Ports = ${port}`,
    ...(opts.password ? [`    Password = ${opts.password}`] : []),
    '[Limits]',
    '    MaxConnections = 0',
    '    MaxConnectionsIP = 0',
    '    MaxJoins = 0',
    '    MaxNickLength = 30',
    ...(opts.throttle ? [] : ['    MaxPenaltyTime = 0']),
    '[Options]',
    '    DNS = no',
    '    Ident = no',
    '    PAM = no',
    ...(opts.tls && tlsPort
      ? [
          '[SSL]',
          `    CertFile = ${opts.tls.certFile}`,
          `    KeyFile = ${opts.tls.keyFile}`,
          ...(opts.tls.dhFile ? [`    DHFile = ${opts.tls.dhFile}`] : []),
          `    Ports = ${tlsPort}`,
        ]
      : []),
    '',
  ].join('\n');
}

export async function startNgircd(opts: NgircdOptions = {}): Promise<Ngircd> {
  const dir = tempDir('hamelin-ngircd-');
  const file = join(dir, 'ngircd.conf');
  let proc: ChildProcess | undefined;
  let out = '';
  let port = opts.port ?? 0;
  let tlsPort: number | undefined;

  const launch = async (): Promise<void> => {
    out = '';
    const p = spawn('ngircd', ['--nodaemon', '-f', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    proc = p;
    let exited = false;
    let spawnError: Error | undefined;
    p.on('error', (e) => (spawnError = e));
    p.on('exit', () => (exited = true));
    p.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    p.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
    await eventually(
      () => {
        if (spawnError) throw new Error(`cannot run ngircd (is the ngircd package installed?): ${spawnError.message}`);
        if (exited) throw new Error(`ngircd exited:\n${out}`);
        const want = [port, ...(tlsPort ? [tlsPort] : [])];
        return want.every((n) => out.includes(`:${n} (socket`)) && / ready\./.test(out);
      },
      'ngircd to listen',
      10_000,
      10,
    ).catch((e: Error) => {
      if (spawnError || exited) throw new Error(e.message.replace(/^timed out.*?: /, ''));
      throw e;
    });
  };

  const stopProc = async (): Promise<void> => {
    const p = proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const done = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill('SIGCONT');
    p.kill('SIGTERM');
    await done;
  };

  const self: Ngircd = {
    host: '127.0.0.1',
    port: 0,
    output: () => out,
    pid: () => proc?.pid ?? 0,
    stop: async () => {
      running.delete(self);
      await stopProc();
      rmSync(dir, { recursive: true, force: true });
    },
    restart: async () => {
      await stopProc();
      await launch();
    },
    freeze: () => proc?.kill('SIGSTOP'),
    thaw: () => proc?.kill('SIGCONT'),
  };

  // A free port can be taken between our check and ngircd's bind: try a few.
  for (let tries = 0; ; tries++) {
    if (!opts.port) port = await freePort();
    if (opts.tls) tlsPort = await freePort();
    writeFileSync(file, config(port, opts, tlsPort));
    try {
      await launch();
      break;
    } catch (e) {
      if (opts.port || tries >= 3 || /cannot run ngircd/.test((e as Error).message)) throw e;
    }
  }
  self.port = port;
  if (tlsPort) self.tlsPort = tlsPort;
  running.add(self);
  return self;
}

/**
 * A self-signed certificate for 127.0.0.1 (P-256, valid 2 days) made with openssl, plus DH
 * parameters; `certFile` is also the CA a client must trust (NODE_EXTRA_CA_CERTS).
 */
export function makeTestCert(): { dir: string; certFile: string; keyFile: string; dhFile: string } {
  const dir = tempDir('hamelin-cert-');
  chmodSync(dir, 0o755);
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  const dhFile = join(dir, 'dh.pem');
  const run = (args: string[]): void => {
    execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  };
  run(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile, '-out', certFile,
    '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1']);
  run(['genpkey', '-genparam', '-algorithm', 'DH', '-pkeyopt', 'group:ffdhe2048', '-out', dhFile]);
  for (const f of [certFile, keyFile, dhFile]) chmodSync(f, 0o644);
  return { dir, certFile, keyFile, dhFile };
}

/** Stop every server this process started (for `after`). */
export async function stopAllNgircd(): Promise<void> {
  await Promise.all([...running].map((s) => s.stop()));
}

export interface Privmsg {
  from: string;
  target: string;
  text: string;
  /** The whole line as received, without CR LF. */
  raw: Buffer;
}

/** A user on a raw socket: every line kept as bytes, PINGs answered, nothing else automatic. */
export class IrcUser {
  readonly lines: Buffer[] = [];
  readonly closed: Promise<void>;
  private buf = Buffer.alloc(0);

  private constructor(
    readonly socket: Socket,
    public nick: string,
  ) {
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('error', () => {});
    this.closed = new Promise((r) => socket.once('close', () => r()));
  }

  /** `user`: the ident, the nick's own by default; two users with one nick and different
   * idents are two people to the server (and to the bot, IRC-05). */
  static async connect(port: number, nick: string, opts: { password?: string; host?: string; user?: string } = {}): Promise<IrcUser> {
    const socket = connect({ port, host: opts.host ?? '127.0.0.1' });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const u = new IrcUser(socket, nick);
    if (opts.password) u.send(`PASS ${opts.password}`);
    u.send(`NICK ${nick}`);
    const user = opts.user ?? nick;
    u.send(`USER ${user} 0 * :test user ${user}`);
    await u.waitLine((l) => / 001 /.test(l), `${nick} registered`);
    return u;
  }

  send(line: string): void {
    this.socket.write(line + '\r\n');
  }

  /** Lines as text (UTF-8). */
  text(): string[] {
    return this.lines.map((l) => l.toString('utf8'));
  }

  waitLine(pred: (line: string) => boolean, what: string, timeoutMs = 10_000): Promise<string> {
    let seen = 0;
    return eventually(
      () => {
        for (; seen < this.lines.length; seen++) {
          const l = this.lines[seen]!.toString('utf8');
          if (pred(l)) return l;
        }
        return undefined;
      },
      what,
      timeoutMs,
    );
  }

  async join(channel: string): Promise<void> {
    this.send(`JOIN ${channel}`);
    await this.waitLine((l) => new RegExp(` 366 ${esc(this.nick)} ${esc(channel)} `, 'i').test(l), `${this.nick} in ${channel}`);
  }

  say(target: string, text: string): void {
    this.send(`PRIVMSG ${target} :${text}`);
  }

  /** PRIVMSGs received, optionally only from one nick. */
  privmsgs(from?: string): Privmsg[] {
    const out: Privmsg[] = [];
    for (const raw of this.lines) {
      const m = /^:([^! ]+)![^ ]* PRIVMSG (\S+) :(.*)$/s.exec(raw.toString('utf8'));
      if (!m) continue;
      if (from && m[1]!.toLowerCase() !== from.toLowerCase()) continue;
      out.push({ from: m[1]!, target: m[2]!, text: m[3]!, raw });
    }
    return out;
  }

  /** Wait for a PRIVMSG from `from` whose text matches. */
  waitPrivmsg(from: string, match: RegExp | string, timeoutMs = 10_000): Promise<Privmsg> {
    return eventually(
      () => this.privmsgs(from).find((p) => (typeof match === 'string' ? p.text.includes(match) : match.test(p.text))),
      `${this.nick} to receive from ${from}: ${String(match)}`,
      timeoutMs,
    );
  }

  async quit(message = 'bye'): Promise<void> {
    this.send(`QUIT :${message}`);
    await this.closed;
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    for (;;) {
      const nl = this.buf.indexOf(10);
      if (nl < 0) break;
      let line = this.buf.subarray(0, nl);
      if (line.length && line[line.length - 1] === 13) line = line.subarray(0, line.length - 1);
      this.buf = this.buf.subarray(nl + 1);
      this.lines.push(Buffer.from(line));
      const s = line.toString('utf8');
      if (s.startsWith('PING ')) this.send(`PONG ${s.slice(5)}`);
    }
  }
}

function esc(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
