/**
 * Running out of file descriptors, in the daemon and in its spawn server. The limits are
 * lowered on the running processes with prlimit(1) (util-linux), so only the process under
 * test is short of descriptors, and they are raised again to show the daemon recovers.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { startDaemon, stopAll } from '../helpers/daemon.js';
import { bin } from '../helpers/paths.js';
import { dial, roundTrip, type Client } from '../helpers/tcp.js';
import { alive, eventually } from '../helpers/poll.js';

after(stopAll);

function prlimit(pid: number, nofile: string): void {
  try {
    execFileSync('prlimit', ['--pid', String(pid), `--nofile=${nofile}`], { stdio: 'pipe' });
  } catch (e) {
    assert.fail(`prlimit --pid ${pid} --nofile=${nofile} failed (util-linux's prlimit is needed for this test): ${String(e)}`);
  }
}

/** The soft:hard open-files limit of a process, as prlimit takes it. */
function nofile(pid: number): string {
  const line = readFileSync(`/proc/${pid}/limits`, 'utf8').split('\n').find((l) => l.startsWith('Max open files'))!;
  const [soft, hard] = line.trim().split(/\s+/).slice(3, 5);
  return `${soft}:${hard}`;
}

/** The lowest descriptor number a process has free: a limit of exactly this leaves it none. */
function lowestFree(pid: number): number {
  const used = new Set(readdirSync(`/proc/${pid}/fd`).map(Number));
  let n = 0;
  while (used.has(n)) n++;
  return n;
}

function childrenOf(pid: number): number[] {
  return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
}

test('CORE-19 EMFILE: a spawn server out of descriptors gives every client the line and logs spawn-failed; once it has them again it serves', async () => {
  const d = await startDaemon('net', ['127.0.0.1', '0', 'cat'], { env: { ...process.env, HAMELIN_SPAWN: '' } });
  const server = await eventually(() => childrenOf(d.proc.pid!)[0], 'the daemon to run its spawn server');
  // Before any client the server holds only its own descriptors. Later it also keeps the stdio
  // connections it accepted while looking for a request's two (spawner/hamelin-spawner.c: the stash),
  // and those would be recycled under a limit taken then.
  const limit = lowestFree(server);
  assert.equal((await roundTrip(d.port, 'before\n')).toString(), 'before\n');
  const saved = nofile(server);
  prlimit(server, `${limit}:${saved.split(':')[1]}`);
  // A spawn or two may still find their connections in the stash; after those, every spawn fails.
  const EMFILE = 'hamelin: cannot start cat: EMFILE\n';
  const answers: string[] = [];
  for (let i = 0; i < 8 && !answers.includes(EMFILE); i++) answers.push((await roundTrip(d.port, 'x\n')).toString());
  assert.ok(answers.includes(EMFILE), `a client got the cannot-start line: ${JSON.stringify(answers)}`);
  for (const a of answers) assert.ok(a === 'x\n' || a === EMFILE, `served or told, nothing else: ${JSON.stringify(a)}`);
  assert.equal((await roundTrip(d.port, 'x\n')).toString(), EMFILE, 'and the next one too');
  await d.waitLog(/error spawn-failed client=127\.0\.0\.1:\d+ command=cat code=EMFILE/);
  assert.ok(alive(d.proc.pid!), 'the daemon is still up');
  prlimit(server, saved);
  await eventually(async () => (await roundTrip(d.port, 'after\n')).toString() === 'after\n', 'a client served again');
});

test('CORE-19 CORE-20 a daemon out of descriptors closes the clients it cannot serve at once, stays up, and serves again once sessions end', async () => {
  const d = await startDaemon('net', ['127.0.0.1', '0', 'cat']);
  const pid = d.proc.pid!;
  assert.equal((await roundTrip(d.port, 'warm\n')).toString(), 'warm\n');
  const saved = nofile(pid);
  // Room for a few sessions (a client socket and two child sockets each, about 6 here), not 40.
  prlimit(pid, `${lowestFree(pid) + 18}:${saved.split(":")[1]}`);
  const clients: Client[] = [];
  for (let i = 0; i < 40; i++) clients.push(await dial(d.port));
  for (const c of clients) c.socket.write('hi\n');
  // Each client is served, or told the command cannot start, or closed: none is left hanging.
  const outcomes = await eventually(
    () => {
      const o = clients.map((c) => (c.text() === 'hi\n' ? 'served' : c.socket.readableEnded || c.socket.destroyed ? (c.text() === '' ? 'closed' : c.text()) : undefined));
      return o.every((x) => x !== undefined) ? o : undefined;
    },
    'every client to be served or closed',
    20_000,
  );

  const count = (what: string): number => outcomes.filter((o) => o === what).length;
  const told = outcomes.filter((o) => o !== 'served' && o !== 'closed');
  assert.ok(count('served') >= 1, `some clients are served: ${JSON.stringify(outcomes)}`);
  assert.ok(count('served') < 40, `the limit bit: ${JSON.stringify(outcomes)}`);
  for (const t of told) assert.equal(t, 'hamelin: cannot start cat: EMFILE\n');
  assert.ok(alive(pid), 'the daemon is still up');
  for (const c of clients) c.socket.destroy();
  prlimit(pid, saved);
  await eventually(async () => (await roundTrip(d.port, 'again\n')).toString() === 'again\n', 'a new client to be served');
  const lines = (re: RegExp): number => d.stderr().match(re)?.length ?? 0;
  await eventually(() => lines(/ info start /g) === lines(/ info end /g), 'every session that started to end');
});

/** The daemon's stderr up to its listening line and the line after, run under `ulimit -n`. */
async function startupUnder(nofileLimit: number, args: string[]): Promise<string> {
  const p = spawn('sh', ['-c', `ulimit -n ${nofileLimit} && exec "$@"`, 'sh', process.execPath, bin('net'), ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  p.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  try {
    // The warning, when there is one, comes right after `listening`; a second client-free
    // event (the answer to a probe connection) proves nothing more is coming at startup.
    const port = Number((await eventually(() => / listening .* port=(\d+)/.exec(err), 'the listening line'))[1]);
    await roundTrip(port, '');
    await eventually(() => / end /.test(err), 'the probe session to end');
    return err;
  } finally {
    p.kill('SIGTERM');
  }
}

test('CORE-20 an open-files limit too low for --max-clients is one fd-limit warning at startup; a limit that fits says nothing', async () => {
  const low = await startupUnder(128, ['127.0.0.1', '0', 'true']);
  assert.match(low, /warn fd-limit limit=128 open=\d+ sessions=\d+ max_clients=1024 message="the open-files limit leaves room for about \d+ sessions; clients beyond that are closed unserved/);
  assert.equal(low.match(/fd-limit/g)?.length, 1);
  const fits = await startupUnder(128, ['--max-clients', '10', '127.0.0.1', '0', 'true']);
  assert.doesNotMatch(fits, /fd-limit/);
});
