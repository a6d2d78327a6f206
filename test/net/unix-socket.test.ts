/**
 * The unix socket file: a live one is found without starting a session there (NET-12), and the
 * socket's permissions come from --unix-mode, never wider at any moment, whatever the umask (NET-13).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, lstatSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon, stopAll } from '../helpers/daemon.js';
import { bin } from '../helpers/paths.js';
import { eventually } from '../helpers/poll.js';
import { roundTrip } from '../helpers/tcp.js';
import { tempDir } from '../helpers/temp-dir.js';

after(stopAll);
const tmp = tempDir('hamelin-net-unix-');

/** A command that counts its runs in `file`. */
function counter(file: string): string[] {
  return ['sh', '-c', `echo run >> '${file}'; echo counted`];
}
const runs = (file: string): number => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).length : 0);

function run(args: string[], cwd?: string): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [bin('net'), ...args], { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    // A daemon that should have refused to start but listens is stopped, and fails the test.
    const timer = setTimeout(() => p.kill('SIGKILL'), 15_000);
    p.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stderr });
    });
  });
}

test('NET-08 NET-12 a second daemon on a live unix socket is refused in one line, and the first daemon runs nothing for it', async () => {
  const path = join(tmp, 'live.sock');
  const count = join(tmp, 'live.runs');
  const first = await startDaemon('net', [`unix:${path}`, ...counter(count)]);
  // The same socket by its path, through a symbolic link to its directory, and by a relative path.
  const link = join(tmpdir(), `hamelin-net-unix-link-${process.pid}`);
  symlinkSync(tmp, link);
  try {
    for (const [where, cwd] of [[path, undefined], [join(link, 'live.sock'), undefined], ['live.sock', tmp]] as const) {
      const r = await run([`unix:${where}`, ...counter(count)], cwd);
      assert.equal(r.status, 1, r.stderr);
      assert.equal(r.stderr, `hamelin-net: cannot listen on unix:${where}: another server is listening there\n`);
    }
  } finally {
    rmSync(link);
  }
  assert.equal(runs(count), 0, 'no refused start ran the first daemon\'s command');
  assert.doesNotMatch(first.stderr(), / start /);
  // The counter counts: a real client runs it once.
  assert.equal((await roundTrip(path, '')).toString(), 'counted\n');
  assert.equal(runs(count), 1);
});

test('NET-12 a daemon started on a relative path is found live by one started on the absolute path', async () => {
  const count = join(tmp, 'rel.runs');
  await startDaemon('net', ['unix:rel.sock', ...counter(count)], { cwd: tmp });
  const r = await run([`unix:${join(tmp, 'rel.sock')}`, ...counter(count)]);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /another server is listening there/);
  assert.equal(runs(count), 0);
});

/** Start hamelin-net (or another daemon) under umask `mask`: the test process's own umask is inherited. */
async function underUmask<T>(mask: number, f: () => Promise<T>): Promise<T> {
  const old = process.umask(mask);
  try {
    return await f();
  } finally {
    process.umask(old);
  }
}
const modeOf = (path: string): number => lstatSync(path).mode & 0o7777;

test('NET-13 at umask 000 the socket is 0660 by default and exactly --unix-mode when given, on net, ws and http', async () => {
  const cases: [string, string[], string, number][] = [
    ['net', [`unix:${join(tmp, 'net-default.sock')}`, 'cat'], 'net-default.sock', 0o660],
    ['net', ['--unix-mode', '0600', `unix:${join(tmp, 'net-600.sock')}`, 'cat'], 'net-600.sock', 0o600],
    ['net', ['--unix-mode', '666', `unix:${join(tmp, 'net-666.sock')}`, 'cat'], 'net-666.sock', 0o666],
    ['ws', ['--unix', join(tmp, 'ws-default.sock'), 'cat'], 'ws-default.sock', 0o660],
    ['ws', ['--unix-mode', '0600', '--unix', join(tmp, 'ws-600.sock'), 'cat'], 'ws-600.sock', 0o600],
    ['http', ['--unix', join(tmp, 'http-default.sock'), 'cat'], 'http-default.sock', 0o660],
    ['http', ['--unix-mode', '0600', '--unix', join(tmp, 'http-600.sock'), 'cat'], 'http-600.sock', 0o600],
  ];
  for (const [name, args, file, mode] of cases) {
    await underUmask(0o000, () => startDaemon(name, args));
    assert.equal(modeOf(join(tmp, file)).toString(8), mode.toString(8), `hamelin-${name} ${args.join(' ')}`);
  }
});

test('NET-13 the default mode is narrowed by the umask, never widened: umask 077 gives 0600, umask 027 gives 0640', async () => {
  for (const [mask, mode] of [[0o077, 0o600], [0o027, 0o640]] as const) {
    const path = join(tmp, `umask-${mask.toString(8)}.sock`);
    await underUmask(mask, () => startDaemon('net', [`unix:${path}`, 'cat']));
    assert.equal(modeOf(path).toString(8), mode.toString(8));
  }
});

test('NET-13 the socket is never wider than its mode: it is bound under umask 0777, then opened to the mode by chmod (seen with strace)', async () => {
  const path = join(tmp, 'traced.sock');
  const trace = join(tmp, 'trace.txt');
  const p = await underUmask(0o000, async () =>
    // Its own process group: strace, the daemon and its spawn server are stopped together.
    spawn('strace', ['-f', '-qq', '-e', 'trace=umask,bind,chmod,fchmodat', '-o', trace, process.execPath, bin('net'), `unix:${path}`, 'cat'], { stdio: ['ignore', 'ignore', 'pipe'], detached: true }),
  );
  let err = '';
  p.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const spawnError = new Promise<Error>((resolve) => p.once('error', resolve));
  try {
    const failed = await Promise.race([eventually(() => / listening /.test(err) || p.exitCode !== null, 'the traced daemon to listen', 20_000), spawnError]);
    if (failed instanceof Error) assert.fail(`strace is needed for this test (Debian's strace package; CI installs it in .ci/run): ${failed.message}`);
    assert.match(err, / listening /, `the daemon under strace: ${err}`);
  } finally {
    if (p.pid !== undefined && p.exitCode === null) {
      const exited = new Promise((r) => p.once('exit', r));
      process.kill(-p.pid, 'SIGTERM');
      await exited;
    }
  }
  const calls = readFileSync(trace, 'utf8').split('\n');
  const bindAt = calls.findIndex((l) => l.includes('bind(') && l.includes(`sun_path="${path}"`));
  assert.ok(bindAt >= 0, `the bind of ${path} is in the trace:\n${calls.join('\n')}`);
  // The daemon's own calls (strace -f also follows its spawn server); a call may be split by
  // another process's into `umask(0777 <unfinished ...>` and `<... umask resumed>`.
  const pid = calls[bindAt]!.split(' ')[0];
  const lastUmask = calls.slice(0, bindAt).reverse().find((l) => l.startsWith(`${pid} `) && /\bumask\(\d/.test(l));
  assert.match(lastUmask ?? '', /umask\(0777\b/, `the socket is created under umask 0777 (mode 0000):\n${calls.slice(0, bindAt + 1).join('\n')}`);
  const opened = calls.slice(bindAt).find((l) => /chmod(at)?\(.*\.sock", 0660\)/.test(l) && l.includes(path));
  assert.ok(opened, `then chmod to 0660:\n${calls.slice(bindAt).join('\n')}`);
});

test('NET-13 NET-14 --unix-mode must be octal permissions, and is for unix sockets', async () => {
  for (const bad of ['999', '0x1ff', 'rw', '01777', '']) {
    const r = await run(['--unix-mode', bad, `unix:${join(tmp, 'x.sock')}`, 'cat']);
    assert.equal(r.status, 2, `--unix-mode ${bad}: ${r.stderr}`);
    assert.equal(r.stderr.split('\n').filter(Boolean).length, 1, r.stderr);
    assert.match(r.stderr, /^hamelin-net: (bad --unix-mode|--unix-mode needs a value)/);
  }
  const tcp = await run(['--unix-mode', '0600', '127.0.0.1', '0', 'cat']);
  assert.equal(tcp.status, 2);
  assert.equal(tcp.stderr, 'hamelin-net: --unix-mode is for a unix:PATH listener\n');
  for (const name of ['ws', 'http']) {
    const r = await new Promise<{ status: number | null; stderr: string }>((resolve) => {
      const p = spawn(process.execPath, [bin(name), '--unix-mode', '0600', '--port', '0', 'cat'], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const timer = setTimeout(() => p.kill('SIGKILL'), 15_000);
      p.on('close', (status) => {
        clearTimeout(timer);
        resolve({ status, stderr });
      });
    });
    assert.equal(r.stderr, `hamelin-${name}: --unix-mode goes with --unix\n`);
    assert.equal(r.status, 2);
  }
});

test('NET-14 a unix socket in a missing directory, or under a file, is named as such on net, ws and http (not "permission denied")', async () => {
  const file = join(tmp, 'a-file');
  writeFileSync(file, 'x');
  const missing = '/nonexistent/dir/app.sock';
  const under = join(file, 'app.sock');
  const daemons: [string, (p: string) => string[], string][] = [
    ['net', (p) => [`unix:${p}`, 'cat'], 'hamelin-net'],
    ['ws', (p) => ['--unix', p, 'cat'], 'hamelin-ws'],
    ['http', (p) => ['--unix', p, 'cat'], 'hamelin-http'],
  ];
  for (const [name, args, prog] of daemons) {
    for (const [path, why] of [[missing, 'no such directory: /nonexistent/dir'], [under, `${file} is not a directory`]] as const) {
      const r = await new Promise<{ status: number | null; stderr: string }>((resolve) => {
        const p = spawn(process.execPath, [bin(name), ...args(path)], { stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
        p.on('close', (status) => resolve({ status, stderr }));
      });
      assert.equal(r.stderr, `${prog}: cannot listen on unix:${path}: ${why}\n`);
      assert.equal(r.status, 1);
    }
  }
});

test('NET-14 a unix socket path over 107 bytes is refused, not bound cut short', async () => {
  const path = join(tmp, `${'x'.repeat(120)}.sock`);
  const r = await run([`unix:${path}`, 'cat']);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`^hamelin-net: cannot listen on unix:\\S+: the path is ${Buffer.byteLength(path)} bytes long, over the 107 a unix socket can have\\n$`));
});
