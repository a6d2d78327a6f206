/**
 * CORE-14 CORE-15: a session whose leader exited ends once the rest of its group is gone, not at
 * the end of the grace period. With the helper the group's end is its report (`G`); with
 * child_process one shared poll watches every such group (issue 10, item 8).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon, stopAll } from '../helpers/daemon.js';
import { dial } from '../helpers/tcp.js';
import { alive, eventually } from '../helpers/poll.js';
import { tempDir } from '../helpers/temp-dir.js';

after(stopAll);
const tmp = tempDir('hamelin-group-');
const script = join(tmp, 'linger.sh');
// The leader exits at once; a SIGTERM-proof grandchild stays in the group, its stdout elsewhere.
// The leader ignores SIGTERM before it forks, so the grandchild is born ignoring it: a trap set
// inside the subshell raced with the session's SIGTERM at the leader's exit, and under load the
// grandchild died of it first (its group really was empty, and the daemon rightly said so).
writeFileSync(script, `#!/bin/sh\ntrap '' TERM\n(exec sleep 1000) </dev/null >/dev/null 2>&1 &\necho "bg $!"\nexit 0\n`);
chmodSync(script, 0o755);

for (const layer of ['prebuilt', 'child_process'] as const) {
  test(`CORE-14 CORE-15 ${layer}: 20 sessions whose leader exited end as soon as their groups empty, well before --kill-after 60`, async () => {
    const env = { ...process.env, HAMELIN_SPAWN: layer === 'child_process' ? 'child_process' : '' };
    const d = await startDaemon('net', ['--kill-after', '60', '127.0.0.1', '0', script], { env });
    const clients = await Promise.all(Array.from({ length: 20 }, () => dial(d.port)));
    const bgs = await Promise.all(clients.map(async (c) => Number((await c.waitFor(/bg \d+\n/)).match(/bg (\d+)/)![1])));
    for (const c of clients) assert.ok(!c.socket.closed, `the session waits for its group; daemon said:\n${d.stderr()}`);
    for (const pid of bgs) process.kill(pid, 'SIGKILL');
    // Each client is closed once its group is empty: a deadline far below the grace period.
    const t0 = Date.now();
    await Promise.all(clients.map((c) => c.closed));
    assert.ok(Date.now() - t0 < 30_000, 'closed within the grace period');
    // The end lines come down the daemon's stderr pipe, which this process may read after it
    // has seen the sockets close.
    const ends = (): number => (d.stderr().match(/ end client=/g) ?? []).length;
    await eventually(() => ends() >= 20, `20 end lines (${ends()} so far)`);
    assert.equal(ends(), 20);
    assert.ok(bgs.every((p) => !alive(p)));
    assert.doesNotMatch(d.stderr(), /warn kill /, 'no SIGKILL was needed');
  });
}
