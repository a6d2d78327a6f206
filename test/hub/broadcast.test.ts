/**
 * Hub mode, broadcast (HUB-01 .. HUB-07, HUB-10, HUB-13, HUB-14) with hamelin-net and real TCP
 * clients: one process for every client, lines in whole, every line out to every client.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { startDaemon, stopAll } from '../helpers/daemon.js';
import { dial, type Client } from '../helpers/tcp.js';
import { alive } from '../helpers/poll.js';
import { bin } from '../helpers/paths.js';

after(stopAll);

const hubPids = (log: string): number[] => [...log.matchAll(/ hub-start hub=\S+ pid=(\d+)/g)].map((m) => Number(m[1]));

test('HUB-01 HUB-02 HUB-05 HUB-10 --hub broadcast: three clients share one process; each line reaches it whole and every output line reaches all', async () => {
  // The process says who it is once, then echoes: its environment is the hub's, not a client's.
  const script = 'echo "env $H_TYPE $H_HUB $H_HUB_ROOM client=${H_CLIENT:-none} addr=${H_REMOTE_ADDR:-none}"; exec cat';
  const d = await startDaemon('net', ['--hub', 'broadcast', '127.0.0.1', '0', 'sh', '-c', script]);
  const a = await dial(d.port);
  await a.waitFor(/env HUB-0\.2 broadcast sh client=none addr=none\n/);
  const b = await dial(d.port);
  const c = await dial(d.port);
  await d.waitLog(/ hub-join client=\S+ hub=sh id=3 clients=3/);
  // Lines of different clients written in one go each: none is cut into another.
  const long = (ch: string): string => ch.repeat(5000);
  a.socket.write(`${long('a')}\n${long('A')}\n`);
  b.socket.write(`${long('b')}\n`);
  c.socket.write(`${long('c')}\nlast\n`);
  for (const x of [a, b, c]) {
    const text = await x.waitFor(/last\n/);
    const lines = text.split('\n').filter((l) => l !== '' && !l.startsWith('env '));
    assert.deepEqual(new Set(lines.map((l) => l.length === 5000 && new Set(l).size === 1 ? l[0] : l)), new Set(['a', 'A', 'b', 'c', 'last']), 'whole lines, every client\'s');
  }
  assert.equal(hubPids(d.stderr()).length, 1, 'one process for the three');
  const [pid] = hubPids(d.stderr());
  assert.ok(alive(pid!));
  // HUB-07: a client leaving signals nothing; the others go on. A FIN alone is only the end of
  // its input (NET-04): the daemon learns it is gone when a write to it fails.
  a.socket.destroy();
  b.socket.write('after\n');
  await c.waitFor(/after\n/);
  b.socket.write('after 2\n');
  await c.waitFor(/after 2\n/);
  await d.waitLog(/ hub-leave client=\S+ hub=sh id=1 reason=\S+ clients=2/);
  assert.ok(alive(pid!), 'the shared process lives on');
  assert.equal(await d.stop(), 0);
});

test('HUB-13 --replay 3: a new client first gets the last three lines, then what comes', async () => {
  const d = await startDaemon('net', ['--hub', 'broadcast', '--replay', '3', '127.0.0.1', '0', 'cat']);
  const a = await dial(d.port);
  a.socket.write('1\n2\n3\n4\n5\n');
  await a.waitFor(/5\n/);
  const b = await dial(d.port);
  await b.waitFor(/3\n4\n5\n/);
  a.socket.write('6\n');
  assert.equal(await b.waitFor(/6\n/), '3\n4\n5\n6\n');
  assert.equal(await d.stop(), 0);
});

test('HUB-04 without --respawn: the process\'s exit reaches every client as a line and a close; the next client starts a new one', async () => {
  const d = await startDaemon('net', ['--hub', 'broadcast', '127.0.0.1', '0', 'sh', '-c', 'echo "pid $$"; read x; echo "bye $x"; exit 3']);
  const a = await dial(d.port);
  const first = Number((await a.waitFor(/pid (\d+)\n/)).match(/pid (\d+)/)![1]);
  const b = await dial(d.port);
  await d.waitLog(/ hub-join client=\S+ hub=sh id=2/);
  b.socket.write('now\n');
  for (const x of [a, b]) assert.match((await x.closed).toString(), /bye now\nhamelin: hub ended: exit status 3\n$/);
  await d.waitLog(/ warn hub-exit hub=sh pid=\d+ status=3 clients=2/);
  const c = await dial(d.port);
  const second = Number((await c.waitFor(/pid (\d+)\n/)).match(/pid (\d+)/)![1]);
  assert.notEqual(second, first, 'a new process for the next client');
  assert.equal(await d.stop(), 0);
});

test('HUB-04 --respawn: clients stay across the restart, are told, and the new process gets their lines', async () => {
  const d = await startDaemon('net', ['--hub', 'broadcast', '--respawn', '127.0.0.1', '0', 'sh', '-c', 'echo "pid $$"; while read x; do [ "$x" = quit ] && exit 5; echo "got $x"; done']);
  const a = await dial(d.port);
  const first = Number((await a.waitFor(/pid (\d+)\n/)).match(/pid (\d+)/)![1]);
  a.socket.write('quit\n');
  await a.waitFor(/hamelin: hub restarting in \d+ ms after exit status 5\n/);
  const text = await a.waitFor(/hamelin: hub restarting[^\n]*\npid (\d+)\n/);
  const second = Number(/restarting[^\n]*\npid (\d+)/.exec(text)![1]);
  assert.notEqual(second, first);
  a.socket.write('again\n');
  await a.waitFor(/got again\n/);
  assert.ok(!a.socket.closed);
  await d.waitLog(/ hub-respawn hub=sh in_ms=\d+/);
  assert.equal(await d.stop(), 0);
});

test('HUB-14 shutdown: SIGTERM reaches the shared process, its last words reach every client, then each is told and closed; exit 0', async () => {
  const script = "trap 'echo \"term\"; exit 0' TERM; echo ready; while :; do sleep 0.1; done";
  const d = await startDaemon('net', ['--hub', 'broadcast', '127.0.0.1', '0', 'sh', '-c', script]);
  const clients: Client[] = [];
  for (let i = 0; i < 3; i++) clients.push(await dial(d.port));
  await clients[0]!.waitFor(/ready\n/);
  await d.waitLog(/ hub-join client=\S+ hub=sh id=3/);
  const [pid] = hubPids(d.stderr());
  assert.equal(await d.stop(), 0);
  for (const c of clients.slice(0, 1)) assert.match((await c.closed).toString(), /term\nhamelin: hub ended: exit status 0\n$/);
  for (const c of clients.slice(1)) assert.match((await c.closed).toString(), /term\nhamelin: hub ended: exit status 0\n$/);
  assert.ok(!alive(pid!));
});

test('HUB-05 --hub with --raw, or with --workers 2, is one line on stderr and exit 2 before listening', async () => {
  for (const args of [['--hub', 'broadcast', '--raw'], ['--hub', 'addressed', '--workers', '2'], ['--hub', 'everyone']]) {
    const r = await execa(process.execPath, [bin('net'), ...args, '127.0.0.1', '0', 'cat'], { reject: false, timeout: 15_000 });
    assert.equal(r.exitCode, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /^hamelin-net: .*(hub|workers)/);
  }
});

test('HUB-06 an input line over --max-line reaches the process cut into lines of --max-line bytes, logged once', async () => {
  const d = await startDaemon('net', ['--hub', 'broadcast', '--max-line', '1024', '127.0.0.1', '0', 'cat']);
  const a = await dial(d.port);
  const b = await dial(d.port);
  await d.waitLog(/ hub-join client=\S+ hub=cat id=2 /);
  a.socket.write(`${'y'.repeat(5000)}\nshort\n`);
  const text = await b.waitFor(/short\n/);
  assert.deepEqual(text.split('\n').slice(0, -1).map((l) => l.length), [1024, 1024, 1024, 1024, 904, 5]);
  await d.waitLog(/ warn long-line client=\S+ hub=cat direction=in limit=1024/);
  assert.equal(await d.stop(), 0);
});
