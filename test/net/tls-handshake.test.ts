/**
 * NET-10: a TLS connection that never completes its handshake costs nothing lasting. A client that
 * closes before its ClientHello, or says nothing at all, is closed and its descriptor freed, on every
 * daemon that serves TLS (hamelin-net, -ws and -http share the core's handling).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { startDaemon, stopAll, type Running } from '../helpers/daemon.js';
import { makeCert } from '../helpers/certs.js';
import { eventually } from '../helpers/poll.js';
import { tempDir } from '../helpers/temp-dir.js';

after(stopAll);
const tmp = tempDir('hamelin-net-tls-');
const { cert, key } = makeCert(tmp);
const TLS = ['--tls-cert', cert, '--tls-key', key];

const daemons: [string, string[]][] = [
  ['net', [...TLS, '127.0.0.1', '0', 'cat']],
  ['ws', [...TLS, '--port', '0', 'cat']],
  ['http', [...TLS, '--port', '0', 'cat']],
];

const descriptors = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length;

/** One complete handshake, then a close: whatever the daemon opens lazily is open after it. */
function handshake(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ port, host: '127.0.0.1', ca: readFileSync(cert), servername: 'localhost' }, () => {
      s.destroy();
      resolve();
    });
    s.on('error', reject);
  });
}

/** Connect, then close at once (a FIN: nothing is unread), before any byte of TLS, as `nc -z` does. */
function connectAndClose(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.destroy());
    s.on('error', reject);
    s.on('close', () => resolve());
  });
}

async function warmBaseline(d: Running): Promise<number> {
  await handshake(d.port);
  // The warm-up connection's own descriptor goes once the daemon has seen its close.
  let last = -1;
  return eventually(async () => {
    await new Promise((r) => setTimeout(r, 100));
    const n = descriptors(d.proc.pid!);
    const stable = n === last;
    last = n;
    return stable ? n : undefined;
  }, 'the descriptor count to settle');
}

for (const [name, args] of daemons) {
  test(`NET-10 hamelin-${name}: 200 connections closed before their ClientHello leave no descriptor open`, async () => {
    const d = await startDaemon(name, args);
    const pid = d.proc.pid!;
    const baseline = await warmBaseline(d);
    for (let i = 0; i < 200; i += 20) await Promise.all(Array.from({ length: 20 }, () => connectAndClose(d.port)));
    // Well before the handshake timeout: a FIN before the handshake ends the connection at once.
    const back = await eventually(() => {
      const n = descriptors(pid);
      return n <= baseline + 2 ? n : undefined;
    }, `hamelin-${name}'s descriptors back to ${baseline} (now ${descriptors(pid)})`, 5_000).catch((e: Error) => e);
    assert.ok(typeof back === 'number', `${(back as Error).message}`);
    await handshake(d.port);
    // Each is logged, naming the client even though it is gone by then.
    await eventually(() => (d.stderr().match(/ warn tls-error client=127\.0\.0\.1:\d+ error=ECONNRESET\n/g)?.length ?? 0) >= 200, 'a tls-error line per connection');
  });
}

test('NET-10 a connection that sends nothing is closed when the 10 s handshake timeout passes, on net, ws and http', async () => {
  await Promise.all(
    daemons.map(async ([name, args]) => {
      const d = await startDaemon(name, args);
      const pid = d.proc.pid!;
      const baseline = await warmBaseline(d);
      const silent: Socket[] = [];
      for (let i = 0; i < 20; i++) {
        const s = connect(d.port, '127.0.0.1');
        s.on('error', () => {});
        s.resume();
        silent.push(s);
      }
      await eventually(() => descriptors(pid) >= baseline + 20, `hamelin-${name} to accept the 20 connections`);
      const started = Date.now();
      await eventually(() => silent.every((s) => s.readableEnded || s.destroyed), `hamelin-${name} to close the silent connections`, 30_000);
      const waited = Date.now() - started;
      assert.ok(waited > 5_000, `hamelin-${name} kept them for the handshake timeout, not less (${waited} ms)`);
      await eventually(() => descriptors(pid) <= baseline + 2, `hamelin-${name}'s descriptors back to ${baseline} (now ${descriptors(pid)})`);
      await d.waitLog(/warn tls-error client=127\.0\.0\.1:\d+ error=ERR_TLS_HANDSHAKE_TIMEOUT\n/);
      for (const s of silent) s.destroy();
    }),
  );
});
