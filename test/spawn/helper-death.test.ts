/**
 * CORE-30: the spawn helper dying (SIGKILL) or stopping (SIGSTOP) costs no live session, is
 * logged, and the daemon starts a new helper; a spawn request has a deadline. (Issue 10, item 7.)
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, stopAll } from '../helpers/daemon.js';
import { dial } from '../helpers/tcp.js';
import { alive, eventually } from '../helpers/poll.js';
import { helperOf, startedPids } from '../helpers/procs.js';

after(stopAll);

test('CORE-30 kill -9 of the helper: logged, live sessions go on, a new helper serves new clients, exits are still seen', async () => {
  const d = await startDaemon('net', ['127.0.0.1', '0', 'cat']);
  const a = await dial(d.port);
  a.socket.write('one\n');
  await a.waitFor('one\n');
  const helper = await eventually(() => helperOf(d.proc.pid!), 'the spawn helper');
  process.kill(helper, 'SIGKILL');
  await d.waitLog(new RegExp(`spawn-helper-died pid=${helper} signal=SIGKILL sessions=1`));
  await d.waitLog(/warn spawn-helper-restarted pid=\d+ layer=prebuilt restarts=1/);
  // The session whose helper died is still joined to its child.
  a.socket.write('two\n');
  await a.waitFor('one\ntwo\n');
  assert.ok(!/ (end|exit) client/.test(d.stderr()), 'no session ended');
  // A new client is served by the new helper.
  const b = await dial(d.port);
  b.socket.end('three\n');
  assert.equal((await b.closed).toString(), 'three\n');
  assert.notEqual(helperOf(d.proc.pid!), helper);
  // The orphaned child's exit is noticed (from /proc; its status is lost) and ends the session.
  const [pidA] = startedPids(d.stderr());
  a.socket.end();
  assert.equal((await a.closed).toString(), 'one\ntwo\n');
  await d.waitLog(new RegExp(`exit client=\\S+ pid=${pidA} ended_by=exit`));
  assert.ok(!alive(pidA!));
});

test('CORE-30 a SIGSTOPped helper: the client gets cannot start ... ETIMEDOUT, the helper is replaced, the next client is served', async () => {
  const d = await startDaemon('net', ['127.0.0.1', '0', 'cat']);
  const helper = await eventually(() => helperOf(d.proc.pid!), 'the spawn helper');
  process.kill(helper, 'SIGSTOP');
  try {
    const c = await dial(d.port);
    c.socket.end('x\n');
    assert.equal((await c.closed).toString(), 'hamelin: cannot start cat: ETIMEDOUT\n');
    await d.waitLog(/spawn-failed client=\S+ command=cat code=ETIMEDOUT/);
    await d.waitLog(new RegExp(`spawn-helper-died pid=${helper} signal=SIGKILL reason="no answer to a spawn request"`));
    await d.waitLog(/spawn-helper-restarted/);
    const e = await dial(d.port);
    e.socket.end('y\n');
    assert.equal((await e.closed).toString(), 'y\n');
  } finally {
    if (alive(helper)) process.kill(helper, 'SIGKILL');
  }
});
