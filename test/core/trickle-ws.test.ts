/**
 * CORE-32 over WebSocket: 1-byte messages, binary (raw, CORE-33) and text (message framing), to 8
 * sessions; what they cost the daemon stays bounded. (The stream cases are in trickle.test.ts.)
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startDaemon, stopAll } from '../helpers/daemon.js';
import { eventually } from '../helpers/poll.js';
import { wsConnect } from '../ws/client.js';

after(stopAll);

const rssMiB = (pid: number): number => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

const SESSIONS = 8;
const BYTES = 128 * 1024;

/** A WebSocket parser makes a Buffer per message: a million of them pass through here, garbage the
 * heap takes a while to return, so this bound is wider than trickle.test.ts's (measured +8 to +35
 * MiB). Before CORE-32: +176 MiB binary (one held Buffer per message), +117 MiB text (one queued
 * write per message and newline). */
const WS_BOUND_MIB = 48;

for (const binary of [true, false]) {
  test(`CORE-32 hamelin-ws${binary ? ' --binary' : ''}: 8 sessions sent 128 KiB each in 1-byte ${binary ? 'binary' : 'text'} messages: RSS grows < 48 MiB, every byte arrives`, async (t) => {
    const d = await startDaemon('ws', ['--port', '0', ...(binary ? ['--binary'] : []), 'wc', '-c']);
    const pid = d.proc.pid!;
    const idle = rssMiB(pid);
    const clients = await Promise.all(Array.from({ length: SESSIONS }, () => wsConnect(`ws://127.0.0.1:${d.port}/`)));
    await eventually(() => (d.stderr().match(/ info start /g) ?? []).length === SESSIONS, 'every session to start');
    let peak = idle;
    const one = Buffer.from('x');
    for (let i = 1; i <= BYTES; i++) {
      for (const c of clients) c.send(one, binary);
      if (i % 64 === 0) await new Promise((r) => setImmediate(r));
      if (i % 8192 === 0) peak = Math.max(peak, rssMiB(pid));
    }
    peak = Math.max(peak, rssMiB(pid));
    // wc answers once its stdin ends, and a client's close ends the session (WS-09): the log's
    // bytes_in says what arrived.
    for (const c of clients) c.ws.close();
    await eventually(() => (d.stderr().match(new RegExp(`bytes_in=${BYTES}\\b`, 'g')) ?? []).length === SESSIONS, 'every session to log all its bytes');
    t.diagnostic(`daemon RSS idle ${idle.toFixed(1)} MiB, peak ${peak.toFixed(1)} MiB (+${(peak - idle).toFixed(1)})`);
    assert.ok(peak - idle < WS_BOUND_MIB, `RSS grew from ${idle.toFixed(1)} to ${peak.toFixed(1)} MiB`);
  });
}
