/** A burst of 10,000 pipelined messages completes, every time (WS-03, WS-04, WS-08, CORE-07, CORE-15). */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, stopAll } from '../helpers/daemon.js';
import { wsConnect } from './client.js';

after(stopAll);

const N = 10_000;
const RUNS = 5;

test(`WS-08 CORE-15 ${N} pipelined messages, all echoed, then close 1000, in ${RUNS} runs out of ${RUNS}`, async () => {
  // head exits after the last line: every echo must still arrive before the close frame.
  const d = await startDaemon('ws', ['--port', '0', 'head', '-n', String(N)]);
  for (let run = 0; run < RUNS; run++) {
    const c = await wsConnect(`ws://127.0.0.1:${d.port}/`);
    for (let i = 0; i < N; i++) c.send(`burst ${run} message ${i} ${'.'.repeat(i % 50)}`);
    const closed = await c.closed;
    assert.deepEqual(closed, { code: 1000, reason: 'exit status 0' }, `run ${run}`);
    assert.equal(c.messages.length, N, `run ${run}: all ${N} messages`);
    for (let i = 0; i < N; i += 997) assert.equal(c.messages[i], `burst ${run} message ${i} ${'.'.repeat(i % 50)}`);
    assert.equal(c.messages[N - 1], `burst ${run} message ${N - 1} ${'.'.repeat((N - 1) % 50)}`);
  }
});

test(`CORE-03 ${N} pipelined messages to cat come back in order on an open connection`, async () => {
  const d = await startDaemon('ws', ['--port', '0', 'cat']);
  const c = await wsConnect(`ws://127.0.0.1:${d.port}/`);
  for (let i = 0; i < N; i++) c.send(String(i));
  await c.waitCount(N, 30_000);
  assert.ok(c.messages.every((m, i) => m === String(i)));
  c.ws.close(1000);
  assert.equal((await c.closed).code, 1000);
});
