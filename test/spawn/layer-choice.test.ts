/**
 * CORE-28: which spawn layer a daemon uses, said on its listening line; the compiled fallback's
 * per-user cache; stale helper directories of dead daemons removed at startup.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compiledHelper, prebuiltHelper, SpawnServer } from '@hamelin/core';
import { startDaemon, stopAll } from '../helpers/daemon.js';
import { roundTrip } from '../helpers/tcp.js';
import { tempDir } from '../helpers/temp-dir.js';

after(stopAll);

test('CORE-28 the prebuilt helper for this CPU is used and named on the listening line, with no warning', async () => {
  assert.ok(prebuiltHelper(), `packages/core/prebuilt/hamelin-spawner-linux-${process.arch} exists (spawner/build.sh)`);
  const d = await startDaemon('net', ['127.0.0.1', '0', 'cat'], { env: { ...process.env, HAMELIN_SPAWN: '' } });
  await d.waitLog(/info listening address=127\.0\.0\.1 port=\d+ tls=false spawn=prebuilt\n/);
  assert.equal((await roundTrip(d.port, 'hi\n')).toString(), 'hi\n');
  assert.doesNotMatch(d.stderr(), /spawn-layer/);
});

test('CORE-28 HAMELIN_SPAWN=child_process: spawn=child_process and one warning line with the reason', async () => {
  const d = await startDaemon('net', ['127.0.0.1', '0', 'cat'], { env: { ...process.env, HAMELIN_SPAWN: 'child_process' } });
  await d.waitLog(/spawn=child_process\n/);
  await d.waitLog(/warn spawn-layer layer=child_process reason="HAMELIN_SPAWN=child_process"\n/);
  assert.equal(d.stderr().match(/spawn-layer/g)?.length, 1);
  assert.equal((await roundTrip(d.port, 'hi\n')).toString(), 'hi\n');
});

test('CORE-28 the compiled fallback is cached per user under XDG_CACHE_HOME/hamelin, and it answers its ready line', async (t) => {
  if (spawnSync('cc', ['--version']).status !== 0) {
    if (process.env.CI === 'true') assert.fail('cc is missing');
    t.diagnostic('SKIPPED LOUDLY: no cc');
    return;
  }
  const cache = tempDir('hamelin-cache-');
  const saved = process.env.XDG_CACHE_HOME;
  process.env.XDG_CACHE_HOME = cache;
  try {
    const bin = await compiledHelper();
    assert.ok(bin?.startsWith(join(cache, 'hamelin', 'hamelin-spawner-')), String(bin));
    assert.deepEqual(readdirSync(join(cache, 'hamelin')).length, 1);
    assert.equal(await compiledHelper(), bin, 'the second call uses the cache');
    const server = await SpawnServer.start({ file: bin! });
    assert.ok(server, 'it starts and answers R');
    await server.stop();
  } finally {
    if (saved === undefined) delete process.env.XDG_CACHE_HOME;
    else process.env.XDG_CACHE_HOME = saved;
    rmSync(cache, { recursive: true, force: true });
  }
});

test('CORE-28 a helper that does not answer its ready line is not used', async () => {
  assert.equal(await SpawnServer.start({ file: '/bin/true' }), null);
});

test('CORE-28 at startup, helper directories whose daemon is gone are removed; a live daemon\'s are kept', async () => {
  const dead = spawnSync('/bin/true').pid!; // reaped: its pid names no process
  const stale = join(tmpdir(), `hamelin-spawn-${dead}-AbC123`);
  const live = join(tmpdir(), `hamelin-spawn-${process.pid}-AbC123`);
  for (const dir of [stale, live]) mkdirSync(join(dir, 'x'), { recursive: true });
  try {
    await startDaemon('net', ['127.0.0.1', '0', 'cat'], { env: { ...process.env, HAMELIN_SPAWN: '' } });
    assert.ok(!existsSync(stale), `${stale} is removed`);
    assert.ok(existsSync(live), `${live} is kept`);
  } finally {
    rmSync(stale, { recursive: true, force: true });
    rmSync(live, { recursive: true, force: true });
  }
});
