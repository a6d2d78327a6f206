/**
 * CORE-28: the prebuilt linux-arm64 helper, run under qemu-aarch64-static (Debian
 * qemu-user-static): it answers its ready line, spawns, reports exits, and ends the groups it
 * started when its stdin closes (the daemon gone, CORE-29). qemu-user cannot make it a child
 * subreaper, so group ends are watched by the daemon's poll there (spawn-server.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { prebuiltHelper, SpawnServer, type Child, type SpawnRequest } from '@hamelin/core';
import { alive, eventually } from '../helpers/poll.js';

const QEMU = 'qemu-aarch64-static';

async function arm64Helper(t: { diagnostic(s: string): void }): Promise<SpawnServer | null> {
  const bin = prebuiltHelper('arm64');
  const qemu = spawnSync(QEMU, ['--version']).status === 0;
  if (!bin || !qemu) {
    const what = !bin ? 'prebuilt/hamelin-spawner-linux-arm64 (spawner/build.sh, gcc-aarch64-linux-gnu)' : QEMU;
    if (process.env.CI === 'true') assert.fail(`${what} is missing`);
    t.diagnostic(`SKIPPED LOUDLY: ${what} is missing`);
    return null;
  }
  const server = await SpawnServer.start({ file: QEMU, args: [bin] });
  assert.ok(server, 'the arm64 helper answers its ready line under qemu');
  return server;
}

async function spawned(server: SpawnServer, req: SpawnRequest): Promise<Child> {
  const o = await server.spawn(req);
  assert.equal(o.ok, true, JSON.stringify(o));
  return (o as { child: Child }).child;
}

function closed(child: Child): Promise<[number | null, NodeJS.Signals | null, string]> {
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b));
  return new Promise((r) => child.once('close', (c, s) => r([c, s, out])));
}

test('CORE-28 arm64 helper under qemu: spawn, stdio, exit status and signal reports, exec errors', async (t) => {
  const server = await arm64Helper(t);
  if (!server) return;
  try {
    const cat = await spawned(server, { file: '/bin/cat', argv0: 'cat', args: [], env: {} });
    const done = closed(cat);
    cat.stdin!.end('through arm64\n');
    assert.deepEqual(await done, [0, null, 'through arm64\n']);
    const seven = await spawned(server, { file: '/bin/sh', argv0: 'sh', args: ['-c', 'exit 7'], env: {} });
    assert.deepEqual((await closed(seven)).slice(0, 2), [7, null]);
    const killed = await spawned(server, { file: '/bin/sh', argv0: 'sh', args: ['-c', 'kill -KILL $$'], env: {} });
    assert.deepEqual((await closed(killed)).slice(0, 2), [null, 'SIGKILL']);
    const missing = await server.spawn({ file: '/nonexistent/x', argv0: 'x', args: [], env: {} });
    assert.deepEqual(missing.ok === false && missing.code, 'ENOENT');
  } finally {
    await server.stop();
  }
});

test('CORE-29 arm64 helper under qemu: when its stdin closes it SIGTERMs its groups, then SIGKILLs the ones that stay', async (t) => {
  const server = await arm64Helper(t);
  if (!server) return;
  const polite = await spawned(server, { file: '/bin/sh', argv0: 'sh', args: ['-c', 'sleep 1000 & wait'], env: {}, killAfterMs: 500 });
  const stubborn = await spawned(server, { file: '/bin/sh', argv0: 'sh', args: ['-c', 'trap "" TERM; sleep 1000 & wait'], env: {}, killAfterMs: 500 });
  const groups = [polite.pid!, stubborn.pid!];
  const ends = [closed(polite), closed(stubborn)];
  await eventually(() => groups.every((g) => alive(-g)), 'both groups to run');
  await server.stop(); // resolves once the helper has exited, after its cleanup
  assert.deepEqual(groups.filter((g) => alive(-g)), [], 'no group is left when the helper has exited');
  for (const e of ends) e.catch(() => {});
});
