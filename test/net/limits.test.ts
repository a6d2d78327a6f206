/** Limits, failures at connect time, and the daemon's log. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon, stopAll, gone } from '../helpers/daemon.js';
import { dial, roundTrip } from '../helpers/tcp.js';
import { eventually } from '../helpers/poll.js';
import { tempDir } from '../helpers/temp-dir.js';

after(stopAll);
const tmp = tempDir('hamelin-net-limits-');

test('CORE-20 --max-clients refuses the extra client with one line, logs it, and serves again later', async () => {
  const d = await startDaemon('net', ['--max-clients', '1', '127.0.0.1', '0', 'sh', '-c', 'echo in; read x; echo "got $x"']);
  const first = await dial(d.port);
  await first.waitFor('in\n');
  const refused = await roundTrip(d.port, '');
  assert.equal(refused.toString(), 'hamelin: busy: too many clients (limit 1)\n');
  await d.waitLog(/warn refused client=127\.0\.0\.1:\d+ reason="too many clients \(limit 1\)"/);
  first.socket.end('a\n');
  assert.equal((await first.closed).toString(), 'in\ngot a\n');
  await eventually(async () => (await roundTrip(d.port, 'b\n')).toString() === 'in\ngot b\n', 'a new client to be served');
});

test('CORE-19 a command that cannot start for a client: the client gets a line, the daemon stays up', async () => {
  const script = join(tmp, 'vanishing.sh');
  writeFileSync(script, '#!/bin/sh\necho fine\n', { mode: 0o755 });
  const d = await startDaemon('net', ['127.0.0.1', '0', script]);
  assert.equal((await roundTrip(d.port, '')).toString(), 'fine\n');
  chmodSync(script, 0o644);
  assert.equal((await roundTrip(d.port, '')).toString(), 'hamelin: cannot start vanishing.sh: EACCES\n');
  await d.waitLog(/error spawn-failed client=\S+ command=\S+ code=EACCES/);
  chmodSync(script, 0o755);
  assert.equal((await roundTrip(d.port, '')).toString(), 'fine\n', 'the daemon is still up');
});

test('CORE-16 an exit status other than 0 is logged with pid, client and status', async () => {
  const d = await startDaemon('net', ['127.0.0.1', '0', 'sh', '-c', 'echo $$; exit 3']);
  const c = await dial(d.port);
  const port = c.socket.localPort;
  c.socket.end();
  const pid = (await c.closed).toString().trim();
  await d.waitLog(new RegExp(`warn exit client=127\\.0\\.0\\.1:${port} pid=${pid} status=3`));
});

test('CORE-16 a clean exit and a SIGTERM death are not warnings', async () => {
  const d = await startDaemon('net', ['127.0.0.1', '0', 'sh', '-c', 'read x; echo $$']);
  const c = await dial(d.port);
  c.socket.end('x\n');
  const pid = (await c.closed).toString().trim();
  await d.waitLog(new RegExp(`info end client=\\S+ pid=${pid} status=0`));
  const c2 = await dial(d.port);
  c2.socket.resetAndDestroy();
  await d.waitLog(/info end client=\S+ pid=\d+ signal=SIGTERM ended_by=client-reset/);
  assert.doesNotMatch(d.stderr(), / warn exit /);
});

test('CORE-17 --log-format json and --log-file: one JSON object per line, in the file', async () => {
  const logFile = join(tmp, 'daemon.log');
  const d = await startDaemon('net', ['--log-format', 'json', '--log-file', logFile, '127.0.0.1', '0', 'sh', '-c', 'exit 4'], { ready: null });
  const listening = await eventually(() => {
    try {
      return readFileSync(logFile, 'utf8').split('\n').find((l) => l.includes('"listening"'));
    } catch {
      return undefined;
    }
  }, 'the listening line in the log file');
  const port = (JSON.parse(listening) as { port: number }).port;
  await roundTrip(port, '');
  const lines = await eventually(() => {
    const ls = readFileSync(logFile, 'utf8').trim().split('\n');
    return ls.some((l) => l.includes('"exit"')) ? ls : undefined;
  }, 'the exit line');
  for (const l of lines) {
    const o = JSON.parse(l) as Record<string, unknown>;
    assert.equal(o.hamelin, 'hamelin-net');
    assert.ok(o.time && o.level && o.event);
  }
  const exit = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((o) => o.event === 'exit')!;
  assert.equal(exit.status, 4);
  assert.equal(exit.level, 'warn');
  assert.doesNotMatch(d.stderr(), /hamelin:/, 'nothing of the log went to stderr');
});

test('CORE-21 --idle-timeout ends a silent session with SIGTERM', async () => {
  const d = await startDaemon('net', ['--idle-timeout', '0.3', '127.0.0.1', '0', 'sh', '-c', 'echo $$; exec sleep 100']);
  const c = await dial(d.port);
  const pid = Number((await c.waitFor('\n')).trim());
  await gone(pid, 'the idle child to be terminated');
  await d.waitLog(new RegExp(`terminate client=\\S+ pid=${pid} reason=idle-timeout`));
  await c.closed;
});

test('CORE-25 --timeout ends a busy session with SIGTERM, and what the child writes after it still arrives', async () => {
  const script = 'trap "echo last-words; exit 3" TERM; echo started; while :; do sleep 0.05; done';
  const d = await startDaemon('net', ['--timeout', '0.5', '127.0.0.1', '0', 'sh', '-c', script]);
  const c = await dial(d.port);
  await c.waitFor('started\n');
  // The client stays connected and keeps the connection open: the end comes from the daemon.
  const out = (await c.closed).toString();
  assert.equal(out, 'started\nlast-words\n');
  await d.waitLog(/terminate client=\S+ pid=\d+ reason=timeout/);
  await d.waitLog(/warn exit client=\S+ pid=\d+ status=3 ended_by=timeout/);
});
