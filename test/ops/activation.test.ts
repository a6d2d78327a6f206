/** systemd socket activation (OPS-09) with the real systemd-socket-activate; privilege drop (OPS-10). */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { roundTrip } from '../helpers/tcp.js';
import { eventually } from '../helpers/poll.js';
import { httpRequest } from '../helpers/http-get.js';
import { wsExchange } from '../helpers/ws-client.js';
import { bin, fixture } from '../helpers/paths.js';
import { requireTool } from '../helpers/tools.js';
import { makeCert, servedSubject } from '../helpers/certs.js';
import { tempDir } from '../helpers/temp-dir.js';

/** Fixed ports from the ops range: the activator binds them, the daemon is given them. */
const PORTS = { net: 23750, ws: 23751, http: 23752, restart: 23753, hamelin: 23754, root: 23755, tls: 23756, single: 23757 };
const procs = new Set<ChildProcess>();
after(() => {
  for (const p of procs) p.kill('SIGKILL');
});

interface Activated {
  proc: ChildProcess;
  stderr(): string;
  exited: Promise<number | null>;
}

function activate(args: string[]): Activated {
  const proc = spawn(requireTool('systemd-socket-activate', 'systemd'), args, { stdio: ['ignore', 'ignore', 'pipe'] });
  procs.add(proc);
  let err = '';
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  return { proc, stderr: () => err, exited };
}

/** Inodes of the TCP sockets listening on `port` (from /proc/net/tcp). */
function listeningInodes(port: number): string[] {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  return readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f[1]?.endsWith(`:${hex}`) && f[3] === '0A')
    .map((f) => f[9]!);
}

/** The socket inodes a process holds. */
function socketInodes(pid: number): Map<string, string> {
  const out = new Map<string, string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) out.set(fd, m[1]!);
    } catch {
      /* closed meanwhile */
    }
  }
  return out;
}

/** The one listening socket on the port is the one systemd-socket-activate made and passed as fd 3. */
function assertInherited(pid: number, port: number): void {
  const listening = listeningInodes(port);
  assert.equal(listening.length, 1, `one listening socket on ${port}`);
  const held = socketInodes(pid);
  assert.equal(held.get('3'), listening[0], 'the daemon serves the socket it was given as fd 3');
  const own = [...held.entries()].filter(([fd, inode]) => fd !== '3' && inode === listening[0]);
  assert.deepEqual(own, [], 'and holds no second descriptor of it');
}

test('OPS-09 systemd-socket-activate: hamelin-net, hamelin-ws and hamelin-http serve the socket they are given and bind none', async () => {
  const chat = fixture('ops/chat.sh');
  const runs = [
    { pkg: 'net', port: PORTS.net, args: ['127.0.0.1', '1', chat] },
    { pkg: 'ws', port: PORTS.ws, args: ['--port', '1', chat] },
    { pkg: 'http', port: PORTS.http, args: ['--port', '1', chat] },
  ];
  for (const r of runs) {
    // --port 1 (and PORT 1 for net): an address the daemon could not bind itself.
    const a = activate(['-l', `127.0.0.1:${r.port}`, `--fdname=${r.pkg}`, process.execPath, bin(r.pkg), ...r.args]);
    await eventually(() => listeningInodes(r.port).length === 1, `the activator to listen on ${r.port}`);
    // systemd-socket-activate starts the daemon at the first connection, as systemd does.
    let answer: string;
    if (r.pkg === 'net') answer = (await roundTrip(r.port, 'hi\n')).toString();
    else if (r.pkg === 'ws') answer = (await wsExchange(`ws://127.0.0.1:${r.port}/`, [], 1))[0]!;
    else answer = (await httpRequest(`http://127.0.0.1:${r.port}/`)).body;
    assert.match(answer, new RegExp(`hello over ${r.pkg === 'net' ? 'TCP' : r.pkg.toUpperCase()}-0\\.2-INSECURE`));
    await eventually(() => new RegExp(`hamelin-${r.pkg} info listening address=127\\.0\\.0\\.1 port=${r.port} .*fd=3 fd_name=${r.pkg}`).test(a.stderr()), `the listening line: ${a.stderr()}`);
    assertInherited(a.proc.pid!, r.port);
    a.proc.kill('SIGTERM');
    assert.equal(await a.exited, 0);
  }
});

test('OPS-09 a restart refuses no connection: the socket stays open in the activator, clients wait in its backlog', async () => {
  // systemd-socket-activate execs its command; here that command is a shell that holds the
  // socket (as systemd does) and starts the daemon twice. A child's parent is its daemon's
  // spawn helper, one per daemon: the answers tell the two daemons apart.
  const a = activate(['-l', `127.0.0.1:${PORTS.restart}`, fixture('ops/restart-twice.sh'), process.execPath, bin('net'), '127.0.0.1', '1', 'sh', '-c', 'echo "pid $PPID"']);
  await eventually(() => listeningInodes(PORTS.restart).length === 1, 'the activator to listen');
  const first = (await roundTrip(PORTS.restart, '')).toString();
  assert.match(first, /^pid \d+\n$/);
  await eventually(() => /listening.*fd=3/.test(a.stderr()), `the first daemon: ${a.stderr()}`);
  // The daemon is the node process whose parent is the holding shell (the activator's pid).
  const daemonPid = (): number | undefined => {
    for (const p of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
      try {
        const stat = readFileSync(`/proc/${p}/stat`, 'latin1');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        const cmd = readFileSync(`/proc/${p}/cmdline`, 'latin1').split('\0');
        if (ppid === a.proc.pid && cmd[0] === process.execPath && cmd[1] === bin('net')) return Number(p);
      } catch {
        /* gone */
      }
    }
    return undefined;
  };
  const pid1 = daemonPid()!;
  assert.ok(pid1, 'the first daemon runs');
  // Stop the first daemon while clients keep connecting: each one is served, by one daemon or the next.
  const answers: string[] = [];
  const pending: Promise<void>[] = [];
  let stop = false;
  const load = (async () => {
    while (!stop) {
      pending.push(roundTrip(PORTS.restart, '').then((b) => void answers.push(b.toString()), (e: Error) => void answers.push(`error ${e.message}`)));
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  try {
    await eventually(() => answers.length >= 5, 'clients before the restart');
    // A drain, as KillSignal=SIGUSR2 in the unit makes `systemctl restart` do: the first daemon
    // stops accepting and finishes its sessions; new clients wait in the socket's backlog.
    process.kill(pid1, 'SIGUSR2');
    await eventually(() => /restarting/.test(a.stderr()), `the first daemon to exit: ${a.stderr()}`);
    await eventually(() => new Set(answers).size >= 2 && answers.length >= pending.length - 50, 'a client served by the second daemon', 30_000);
  } finally {
    stop = true;
    await load;
    await Promise.all(pending);
  }
  const pid2 = daemonPid();
  if (!(answers.every((s) => /^pid \d+\n$/.test(s)) && new Set(answers).size === 2) && pid2) process.kill(pid2, 'SIGTERM');
  assert.deepEqual(answers.filter((s) => !/^pid \d+\n$/.test(s)), [], 'every client was served');
  assert.equal(new Set(answers).size, 2, 'by the first daemon, then the second');
  try {
    assert.ok(pid2 && pid2 !== pid1);
  } finally {
    if (pid2) process.kill(pid2, 'SIGTERM');
  }
  await a.exited;
});

test('OPS-09 hamelin: sockets named SERVICE.FRONTEND go to their service; a unix socket too', async () => {
  const sock = join(tempDir('hamelin-ops-activation-'), 'chat.sock');
  const a = activate([
    '-l', `127.0.0.1:${PORTS.hamelin}`, '--fdname=chat.http',
    '-l', sock, '--fdname=chat.net',
    process.execPath, bin('hamelin'), '--net', 'unix:/nonexistent/dir/never.sock', '--http', '127.0.0.1:1', '--name', 'chat', '--', fixture('ops/chat.sh'),
  ]);
  await eventually(() => listeningInodes(PORTS.hamelin).length === 1, 'the activator to listen');
  assert.match((await httpRequest(`http://127.0.0.1:${PORTS.hamelin}/`)).body, /hello over HTTP-0\.2-INSECURE/);
  assert.match((await roundTrip(sock, 'x\n')).toString(), /hello over UNIX-0\.2-LOCAL.*\nyou said: x\n/s);
  await eventually(() => /chat\/net info listening address=unix:\S+ fd=\d fd_name=chat\.net/.test(a.stderr()), `the listening line: ${a.stderr()}`);
  assertInherited(a.proc.pid!, PORTS.hamelin);
  a.proc.kill('SIGTERM');
  assert.equal(await a.exited, 0);
  assert.ok(existsSync(sock), 'the socket file is systemd\'s: left in place');
});

test('OPS-09 TLS on an inherited socket: hamelin-net --tls-cert serves TLS on the socket from systemd', async () => {
  requireTool('openssl', 'openssl');
  const { cert, key } = makeCert(tempDir('hamelin-ops-act-'), 'activated');
  const a = activate(['-l', `127.0.0.1:${PORTS.tls}`, process.execPath, bin('net'), '--tls-cert', cert, '--tls-key', key, '127.0.0.1', '1', 'sh', '-c', 'echo "over $H_TYPE"']);
  await eventually(() => listeningInodes(PORTS.tls).length === 1, 'the activator to listen');
  const seen = await servedSubject(PORTS.tls, true);
  assert.equal(seen.cn, 'activated');
  assert.match(seen.stdout, /^over TCP-0\.2-TLS$/m);
  await eventually(() => /listening address=127\.0\.0\.1 port=\d+ tls=true fd=3/.test(a.stderr()), `the listening line: ${a.stderr()}`);
  assertInherited(a.proc.pid!, PORTS.tls);
  a.proc.kill('SIGTERM');
  assert.equal(await a.exited, 0);
});

test('OPS-10 --user nobody: bound as root, then every child runs as nobody', { skip: process.getuid?.() !== 0 && process.env.CI !== 'true' ? 'needs root (CI runs as root)' : false }, async () => {
  const { startDaemon } = await import('../helpers/daemon.js');
  const d = await startDaemon('hamelin', ['--user', 'nobody', '--net', `127.0.0.1:${PORTS.root}`, '--', 'sh', '-c', 'id -un; id -u; ps -o user= -p $PPID']);
  await d.waitLog(/ info privileges uid=65534 /);
  const out = (await roundTrip(PORTS.root, '')).toString().split('\n');
  assert.deepEqual(out.slice(0, 2), ['nobody', '65534']);
  assert.equal(out[2]!.trim(), 'nobody', 'the spawn helper too');
  assert.equal(readFileSync(`/proc/${d.proc.pid}/status`, 'utf8').match(/^Uid:\s+(\d+)/m)![1], '65534');
  await d.stop();
  // A single daemon too: hamelin-net binds as root, then drops to nobody.
  const net = await startDaemon('net', ['--user', 'nobody', '127.0.0.1', String(PORTS.single), 'sh', '-c', 'id -un; ps -o user= -p $PPID']);
  await net.waitLog(/ info privileges uid=65534 /);
  assert.deepEqual((await roundTrip(PORTS.single, '')).toString().split('\n').map((l) => l.trim()), ['nobody', 'nobody', '']);
  await net.stop();
});
