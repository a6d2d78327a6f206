/**
 * CORE-29: a daemon that dies without shutting down leaves no session process behind, on both
 * spawn layers; processes that left their session's group (setsid) are ended at daemon end by
 * the helper, which is a child subreaper. (Issue 10, item 1.)
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon, stopAll } from '../helpers/daemon.js';
import { dial, type Client } from '../helpers/tcp.js';
import { alive, eventually } from '../helpers/poll.js';
import { startedPids } from '../helpers/procs.js';
import { tempDir } from '../helpers/temp-dir.js';

after(stopAll);
const tmp = tempDir('hamelin-death-');

function script(name: string, body: string): string {
  const f = join(tmp, name);
  writeFileSync(f, `#!/bin/sh\n${body}`);
  chmodSync(f, 0o755);
  return f;
}

// The mix: half the children exit at once on stdin EOF (cat), half ignore it (sleep):
// the cat ones are reaped while the daemon's end of the helper's pipe is already gone (EPIPE).
const mix = script('mix.sh', 'echo ready\nif [ $(( $$ % 2 )) -eq 0 ]; then exec cat; else exec sleep 1000; fi\n');

for (const layer of ['prebuilt', 'child_process'] as const) {
  test(`CORE-29 ${layer}: after kill -9 of the daemon no process of 20 sessions is left`, async () => {
    const env = { ...process.env, HAMELIN_SPAWN: layer === 'child_process' ? 'child_process' : '' };
    const d = await startDaemon('net', ['--kill-after', '1', '127.0.0.1', '0', mix], { env });
    await d.waitLog(new RegExp(`listening .*spawn=${layer}`));
    const clients: Client[] = await Promise.all(Array.from({ length: 20 }, () => dial(d.port)));
    await Promise.all(clients.map((c) => c.waitFor('ready\n')));
    const pids = startedPids(d.stderr());
    assert.equal(pids.length, 20);
    await d.stop('SIGKILL');
    for (const c of clients) c.socket.destroy();
    await eventually(() => pids.every((p) => !alive(-p)), 'every session group to be gone after the daemon died', 10_000);
  });
}

test('CORE-29 a setsid-detached grandchild is ended when the daemon shuts down (SIGTERM), before it exits', async () => {
  const pidFile = join(tmp, 'detached-term.pid');
  const s = script('detach-term.sh', `setsid sh -c 'echo $$ > ${pidFile}; exec sleep 1000' </dev/null >/dev/null 2>&1 &\necho ready\nexec cat\n`);
  const d = await startDaemon('net', ['--kill-after', '1', '127.0.0.1', '0', s]);
  await d.waitLog(/spawn=prebuilt/);
  const c = await dial(d.port);
  await c.waitFor('ready\n');
  const detached = Number(await eventually(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim(), 'the detached pid'));
  const [leader] = startedPids(d.stderr());
  assert.ok(alive(detached) && alive(-leader!), 'the detached process and the session both run');
  assert.equal(await d.stop('SIGTERM'), 0);
  assert.ok(!alive(detached), `the detached process ${detached} is gone when the daemon has exited`);
  c.socket.destroy();
});

test('CORE-29 a setsid-detached grandchild is ended when the daemon is SIGKILLed', async () => {
  const pidFile = join(tmp, 'detached-kill.pid');
  const s = script('detach-kill.sh', `setsid sh -c 'echo $$ > ${pidFile}; trap "" TERM; sleep 1000' </dev/null >/dev/null 2>&1 &\necho ready\nexec cat\n`);
  const d = await startDaemon('net', ['--kill-after', '0.5', '127.0.0.1', '0', s]);
  const c = await dial(d.port);
  await c.waitFor('ready\n');
  const detached = Number(await eventually(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim(), 'the detached pid'));
  assert.ok(alive(detached));
  await d.stop('SIGKILL');
  c.socket.destroy();
  // SIGTERM-proof: it takes the SIGKILL after the grace period.
  await eventually(() => !alive(detached), `the detached process ${detached} to be ended`, 10_000);
});
