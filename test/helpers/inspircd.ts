/**
 * A real strict IRC server for tests: Debian's InspIRCd 3 on loopback, one per caller, with
 * its own config in a temp directory. ngircd (ngircd.ts) only slows a flooding client down;
 * InspIRCd with `fakelag="no"` disconnects it ("Excess Flood"), so a bot that sends one line
 * too many is seen to fail, not merely to be late.
 *
 * It listens on two free ports, both on 127.0.0.1 only:
 *   port      the strict class, for the bot: every command adds to a penalty (PRIVMSG, PING
 *             and PONG 1 s, JOIN, PART and NICK 2 s, an unknown command 2 s, measured on 3.15),
 *             `commandrate` ms of it are forgiven each second, and a client whose penalty
 *             reaches `threshold` s is disconnected;
 *   userPort  a class with no flood limit, for the test's own users.
 *
 *   const irc = await startInspircd({ pingFreq: 10 });
 *   ... hamelin-irc --server 127.0.0.1:${irc.port} ..., users on irc.userPort ...
 *   irc.quits()   // QUIT notices the server logged ("Excess Flood"...)
 *   await irc.stop();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './ngircd.js';
import { eventually } from './poll.js';
import { tempDir } from './temp-dir.js';

export interface InspircdOptions {
  /** Seconds of penalty that disconnect a client of the strict class (default 10, InspIRCd's own). */
  threshold?: number;
  /** Milliseconds of penalty forgiven per second (default 1000, InspIRCd's own: one command a second). */
  commandRate?: number;
  /** Seconds between the server's PINGs to a quiet client of the strict class (default 120, InspIRCd's own). */
  pingFreq?: number;
}

export interface Inspircd {
  host: '127.0.0.1';
  /** The strict class: for the bot. */
  port: number;
  /** No flood limit: for the test's users. */
  userPort: number;
  /** What InspIRCd printed, then its log file. */
  output(): string;
  /** The disconnections the server logged, as `nick reason` (e.g. `flood Excess Flood`). */
  quits(): string[];
  pid(): number;
  /** SIGTERM and wait for it to exit. */
  stop(): Promise<void>;
}

const running = new Set<Inspircd>();
process.on('exit', () => {
  for (const s of running) try { process.kill(s.pid(), 'SIGKILL'); } catch { /* gone */ }
});

function config(dir: string, port: number, userPort: number, o: Required<InspircdOptions>): string {
  // Every class: no ident or DNS lookups (they delay registration), and no per-IP limits
  // (every client here comes from 127.0.0.1).
  const common = 'useident="no" resolvehostnames="no" timeout="60" localmax="1000" globalmax="1000" maxconnwarn="off"';
  return [
    '<server name="irc.test.local" description="hamelin test server" network="HamelinTest">',
    '<admin name="hamelin" nick="hamelin" email="hamelin@localhost">',
    `<bind address="127.0.0.1" port="${port}" type="clients">`,
    `<bind address="127.0.0.1" port="${userPort}" type="clients">`,
    `<connect name="strict" allow="*" port="${port}" threshold="${o.threshold}" commandrate="${o.commandRate}" fakelag="no" pingfreq="${o.pingFreq}" ${common}>`,
    `<connect name="users" allow="*" port="${userPort}" threshold="1000000" commandrate="1000000" pingfreq="120" ${common}>`,
    // CAP, as on most networks: irc-framework starts with CAP LS, which would otherwise be an
    // unknown command (2 s of penalty instead of 1).
    '<module name="cap">',
    `<pid file="${join(dir, 'inspircd.pid')}">`,
    `<files motd="${join(dir, 'motd')}">`,
    // flush="1": the log is read while the server runs (its default writes every 20 lines).
    `<log method="file" type="* -USERINPUT -USEROUTPUT" level="default" flush="1" target="${join(dir, 'ircd.log')}">`,
    '',
  ].join('\n');
}

export async function startInspircd(opts: InspircdOptions = {}): Promise<Inspircd> {
  const o: Required<InspircdOptions> = { threshold: 10, commandRate: 1000, pingFreq: 120, ...opts };
  const dir = tempDir('hamelin-inspircd-');
  const file = join(dir, 'inspircd.conf');
  const logFile = join(dir, 'ircd.log');
  writeFileSync(join(dir, 'motd'), 'hamelin test server\n');
  let proc: ChildProcess | undefined;
  let out = '';
  const log = (): string => {
    try {
      return readFileSync(logFile, 'utf8');
    } catch {
      return '';
    }
  };

  const launch = async (port: number, userPort: number): Promise<void> => {
    out = '';
    writeFileSync(file, config(dir, port, userPort, o));
    // InspIRCd refuses to run as root unless told; as another user it needs nothing.
    const args = ['--nofork', '--config', file, ...(process.getuid?.() === 0 ? ['--runasroot'] : [])];
    const p = spawn('inspircd', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    proc = p;
    let exited = false;
    let spawnError: Error | undefined;
    p.on('error', (e) => (spawnError = e));
    p.on('exit', () => (exited = true));
    p.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    p.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
    await eventually(
      () => {
        if (spawnError) throw new Error(`cannot run inspircd (is the inspircd package installed?): ${spawnError.message}`);
        if (exited) throw new Error(`inspircd exited:\n${out}\n${log()}`);
        // Its stdout is block-buffered into a pipe; the log file is written at once. A client
        // that connects before the main loop runs waits in the listen backlog.
        const l = log();
        return [port, userPort].every((n) => l.includes(`listener on 127.0.0.1:${n} `));
      },
      'inspircd to listen',
      10_000,
      10,
    ).catch(async (e: Error) => {
      if (!exited && !spawnError) await stopProc();
      throw new Error(e.message.replace(/^timed out.*?: /, ''));
    });
  };

  const stopProc = async (): Promise<void> => {
    const p = proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const done = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill('SIGTERM');
    await done;
  };

  const self: Inspircd = {
    host: '127.0.0.1',
    port: 0,
    userPort: 0,
    output: () => `${out}\n${log()}`,
    quits: () => [...log().matchAll(/Client exiting: ([^!\s]+)!\S+ \([^)]*\) \[(.*)\]$/gm)].map((m) => `${m[1]} ${m[2]}`),
    pid: () => proc?.pid ?? 0,
    stop: async () => {
      running.delete(self);
      await stopProc();
      rmSync(dir, { recursive: true, force: true });
    },
  };

  // A free port can be taken between our check and InspIRCd's bind: try a few.
  for (let tries = 0; ; tries++) {
    const port = await freePort();
    const userPort = await freePort();
    try {
      await launch(port, userPort);
      self.port = port;
      self.userPort = userPort;
      break;
    } catch (e) {
      if (tries >= 3 || /cannot run inspircd/.test((e as Error).message)) throw e;
    }
  }
  running.add(self);
  return self;
}
