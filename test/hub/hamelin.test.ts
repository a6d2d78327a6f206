/**
 * One hub on several front-ends at once (HUB-01, HUB-03, HUB-04, HUB-14) through the `hamelin`
 * command (OPS-03): a TCP client, a WebSocket client and an SSE session of one service are
 * clients of one room and one process (counted in /proc), whichever front-end started it.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon, stopAll, type Running } from '../helpers/daemon.js';
import { dial } from '../helpers/tcp.js';
import { eventually } from '../helpers/poll.js';
import { descendsFrom } from '../helpers/procs.js';
import { wsConnect } from '../ws/client.js';
import { sse } from '../http/client.js';
import { tempDir } from '../helpers/temp-dir.js';

after(stopAll);
const dir = tempDir('hamelin-hub-cmd-');
/** ws and http on one address need a fixed port (port 0 would give each its own). */
const SHARED_PORT = 44317;

/** Addressed: announces each join with the client's H-TYPE, relays lines to the others. */
const ROOM = `#!/bin/sh
echo "* room up"
: > "$0.up"
while read -r event id rest; do
  case $event in
    join)  t=\${rest#*H-TYPE=}; echo "* $id joined over \${t%% *}" ;;
    line)  echo "!$id $id: $rest" ;;
    leave) echo "* $id left ($rest)" ;;
  esac
done
`;
const room = join(dir, 'room.sh');
writeFileSync(room, ROOM);
chmodSync(room, 0o755);

/** `p`, or a failure naming `what` once `ms` have passed. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)))]).finally(() => clearTimeout(timer));
}

/** The listening port of each `service/kind` front-end. */
function ports(d: Running): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of d.stderr().matchAll(/ (\S+) info listening address=\S+ port=(\d+)/g)) out[m[1]!] = Number(m[2]);
  return out;
}

/** Running processes under this daemon (through its spawn helper) whose command line names this
 * script: not another test's, should one have failed before stopping its daemon. */
function running(script: string, daemon: Running): number[] {
  const pids: number[] = [];
  for (const ent of readdirSync('/proc')) {
    if (!/^\d+$/.test(ent) || Number(ent) === daemon.proc.pid) continue;
    try {
      if (/\) [RSDT] /.test(readFileSync(`/proc/${ent}/stat`, 'latin1')) && readFileSync(`/proc/${ent}/cmdline`, 'latin1').split('\0').includes(script) && descendsFrom(Number(ent), daemon.proc.pid!)) pids.push(Number(ent));
    } catch {
      /* gone */
    }
  }
  return pids;
}

test('HUB-01 HUB-14 hamelin --net --ws --http --hub addressed: a TCP, a WebSocket and an SSE client share one process; each hears the others; shutdown tells each', async () => {
  const d = await startDaemon('hamelin', ['--hub', 'addressed', '--net', '127.0.0.1:0', '--ws', '127.0.0.1:0', '--http', '127.0.0.1:0', '--', room]);
  await d.waitLog(/room\.sh\/http info listening/);
  const p = ports(d);
  const a = await dial(p['room.sh/net']!);
  await a.waitFor('1 joined over TCP-0.2-INSECURE\n');
  const b = await wsConnect(`ws://127.0.0.1:${p['room.sh/ws']}/`);
  await a.waitFor('2 joined over WS-0.2-INSECURE\n');
  const c = sse(p['room.sh/http']!);
  await a.waitFor('3 joined over HTTP-0.2-INSECURE\n');
  await b.waitFor(/^3 joined over HTTP-0\.2-INSECURE$/);
  await c.waitEvent((e) => e.data === '3 joined over HTTP-0.2-INSECURE', 'its own join');
  assert.equal(running(room, d).length, 1, 'one process for the three front-ends');
  assert.equal((d.stderr().match(/ hub-start /g) ?? []).length, 1);
  a.socket.write('hi from tcp\n');
  b.send('hi from ws');
  await b.waitFor(/^1: hi from tcp$/);
  await c.waitEvent((e) => e.data === '1: hi from tcp', 'the tcp line');
  await c.waitEvent((e) => e.data === '2: hi from ws', 'the ws line');
  await a.waitFor('2: hi from ws\n');
  assert.doesNotMatch(a.text(), /1: hi from tcp/, 'not back to its sender');
  // One leaving is heard by the others over their own transports.
  b.ws.close(1000);
  await a.waitFor('2 left (closed)\n');
  await c.waitEvent((e) => e.data === '2 left (closed)', 'the leave');
  assert.equal(await d.stop(), 0);
  assert.match((await a.closed).toString(), /hamelin: hub ended: killed by SIGTERM\n$/);
  const exit = await c.waitEvent((e) => e.event === 'exit', 'the exit event');
  assert.equal(JSON.parse(exit.data).signal, 'SIGTERM');
  assert.deepEqual(running(room, d), [], 'the process is gone');
});

test('HUB-01 HUB-03 --hub-eager with ws and http on one port: the three front-ends start one process before any client; each client joins it', async () => {
  rmSync(`${room}.up`, { force: true }); // the test before ran the same script
  const d = await startDaemon('hamelin', ['--hub', 'addressed', '--hub-eager', '--net', '127.0.0.1:0', '--ws', `127.0.0.1:${SHARED_PORT}`, '--http', `127.0.0.1:${SHARED_PORT}`, '--', room]);
  await d.waitLog(/ hub-start hub=\S+room\.sh pid=\d+ mode=addressed clients=0/);
  await eventually(() => running(room, d).length === 1, 'the process, before any client');
  // Its first line is written before this file appears: a client that came sooner (a slow
  // start under load) would rightly hear it. The daemon reads that line before it can read
  // the request of a client that connects after this.
  await eventually(() => existsSync(`${room}.up`), 'the process to have said its first line');
  const p = ports(d);
  const c = sse(SHARED_PORT);
  await c.waitEvent((e) => e.data === '1 joined over HTTP-0.2-INSECURE', 'the http join');
  const b = await wsConnect(`ws://127.0.0.1:${SHARED_PORT}/`);
  await b.waitFor(/^2 joined over WS-0\.2-INSECURE$/);
  const a = await dial(p['room.sh/net']!);
  await a.waitFor('3 joined over TCP-0.2-INSECURE\n');
  await c.waitEvent((e) => e.data === '3 joined over TCP-0.2-INSECURE', 'the tcp join');
  assert.equal((d.stderr().match(/ hub-start /g) ?? []).length, 1, 'one start for three front-ends');
  assert.equal(running(room, d).length, 1);
  assert.ok(!b.messages.includes('room up') && !a.text().includes('room up') && !c.events.some((e) => e.data === 'room up'), 'the eager process spoke before anyone was there');
  assert.equal(await d.stop(), 0);
});

test('HUB-14 a drain (SIGUSR2) of the hamelin command: no new client on any front-end, the room\'s clients stay until they leave, then the process ends and hamelin exits 0', async () => {
  const d = await startDaemon('hamelin', ['--hub', 'addressed', '--net', '127.0.0.1:0', '--ws', '127.0.0.1:0', '--', room]);
  await d.waitLog(/room\.sh\/ws info listening/);
  const p = ports(d);
  const a = await dial(p['room.sh/net']!);
  await a.waitFor('1 joined over TCP-0.2-INSECURE\n');
  const b = await wsConnect(`ws://127.0.0.1:${p['room.sh/ws']}/`);
  await a.waitFor('2 joined over WS-0.2-INSECURE\n');
  d.proc.kill('SIGUSR2');
  await d.waitLog(/ draining /);
  await assert.rejects(within(wsConnect(`ws://127.0.0.1:${p['room.sh/ws']}/`), 10_000, 'a refusal'), /ECONNREFUSED|HTTP 503/, 'no new ws client while draining');
  // The clients in the room go on talking.
  b.send('still here');
  await a.waitFor('2: still here\n');
  assert.equal(running(room, d).length, 1);
  b.ws.close(1000);
  await a.waitFor('2 left (closed)\n');
  // A reset: a FIN alone is only the end of its input (HUB-07, NET-04), and it would stay.
  a.socket.resetAndDestroy();
  await d.waitLog(/ hub-end /, 10_000);
  assert.deepEqual(await within(d.exited, 10_000, 'hamelin to exit after the drain'), { code: 0, signal: null });
  assert.deepEqual(running(room, d), [], 'the process ended with the drain');
  await d.waitLog(/ hub-end hub=\S+room\.sh pid=\d+ signal=SIGTERM clients=0/);
});
