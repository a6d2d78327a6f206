/**
 * The spawn layer (packages/core/src/spawn.ts): the spawn server and the child_process
 * fallback must give a child exactly the same things. Every test runs against both.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnChild, spawnLayer, type Child, type SpawnRequest } from '@hamelin/core';
import { alive, eventually } from '../helpers/poll.js';
import { tempDir } from '../helpers/temp-dir.js';

const tmp = realpathSync(tempDir('hamelin-spawn-'));
const LAYERS = ['prebuilt', 'child_process'] as const;

function useLayer(layer: (typeof LAYERS)[number]): void {
  if (layer === 'child_process') process.env.HAMELIN_SPAWN = 'child_process';
  else delete process.env.HAMELIN_SPAWN;
}

const sh = (script: string, extra: Partial<SpawnRequest> = {}): SpawnRequest => ({
  file: '/bin/sh',
  argv0: 'sh',
  args: ['-c', script],
  env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
  ...extra,
});

interface Ran {
  out: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  events: string[];
}

async function start(req: SpawnRequest): Promise<Child> {
  const o = await spawnChild(req);
  if (!o.ok) throw new Error(`spawn failed: ${o.code} ${o.message}`);
  return o.child;
}

/** Run to the end: feed `input`, collect stdout, and record the order of the events. */
async function run(req: SpawnRequest, input = ''): Promise<Ran> {
  const child = await start(req);
  const chunks: Buffer[] = [];
  const events: string[] = [];
  child.stdin!.on('error', () => {});
  child.stdout.on('data', (b: Buffer) => chunks.push(b));
  child.stdout.on('end', () => events.push('end'));
  child.once('exit', () => events.push('exit'));
  child.stdin!.end(input);
  return new Promise((resolve) =>
    child.once('close', (code, signal) => {
      events.push('close');
      resolve({ out: Buffer.concat(chunks).toString(), code, signal, events });
    }),
  );
}

for (const layer of LAYERS) {
  test(`SPAWN ${layer}: the layer in use is the one asked for`, async () => {
    useLayer(layer);
    assert.equal(await spawnLayer(), layer, layer === 'prebuilt' ? 'the prebuilt helper needs Linux x64/arm64 and spawner/build.sh' : '');
  });

  test(`CORE-03 ${layer}: stdin and stdout are connected, EOF on stdin ends cat, all output before close`, async () => {
    useLayer(layer);
    const r = await run({ file: '/bin/cat', argv0: 'cat', args: [], env: {} }, 'one\ntwo\nno newline');
    assert.equal(r.out, 'one\ntwo\nno newline');
    assert.equal(r.code, 0);
    assert.equal(r.signal, null);
    assert.equal(r.events.at(-1), 'close');
    assert.ok(r.events.includes('end') && r.events.includes('exit'));
  });

  test(`CORE-13 ${layer}: the child leads a new session and process group; stdio are sockets; no signal ignored or blocked`, async () => {
    useLayer(layer);
    // Each check is the spawned program itself reading /proc/self (a shell would show its own
    // mask of the moment, which it changes around its forks).
    const direct = (file: string, ...args: string[]): Promise<Ran> => run({ file, argv0: file, args, env: {} });
    const [pid, pgid, sid] = (await direct('/usr/bin/cut', '-d', ' ', '-f1,5,6', '/proc/self/stat')).out.trim().split(' ');
    assert.equal(pgid, pid, 'pgid is the child pid');
    assert.equal(sid, pid, 'sid is the child pid');
    const sig = (await direct('/bin/grep', '-E', '^Sig(Ign|Blk)', '/proc/self/status')).out.trim().split('\n').sort();
    assert.deepEqual(sig, ['SigBlk:\t0000000000000000', 'SigIgn:\t0000000000000000']);
    const fds = (await direct('/usr/bin/readlink', '/proc/self/fd/0', '/proc/self/fd/1')).out.trim().split('\n');
    assert.match(fds[0]!, /^socket:/);
    assert.match(fds[1]!, /^socket:/);
  });

  test(`CORE-02 ${layer}: argv[0] and the arguments reach the child byte for byte`, async () => {
    useLayer(layer);
    const args = ['a b', '', '*', '$HOME', '"q"', 'ünï', '--', '--help'];
    const r = await run({ file: '/bin/sh', argv0: 'my-sh', args: ['-c', 'cat /proc/$$/cmdline', ...args], env: {} });
    assert.deepEqual(r.out.split('\0').slice(0, -1), ['my-sh', '-c', 'cat /proc/$$/cmdline', ...args]);
  });

  test(`CORE-23 CORE-24 ${layer}: exactly the given environment, and the working directory`, async () => {
    useLayer(layer);
    const r = await run({ file: '/usr/bin/env', argv0: 'env', args: [], env: { 'H-ONE': '1', H_ONE: '1', EMPTY: '', SP: 'a b=c' }, cwd: tmp });
    assert.deepEqual(r.out.trim().split('\n').sort(), ['EMPTY=', 'H-ONE=1', 'H_ONE=1', 'SP=a b=c']);
    const p = await run(sh('pwd', { cwd: tmp }));
    assert.equal(p.out, `${tmp}\n`);
  });

  test(`CORE-19 ${layer}: a missing program, a missing cwd and a non-executable file are errors with their code`, async () => {
    useLayer(layer);
    const missing = await spawnChild({ file: join(tmp, 'nope'), argv0: 'nope', args: [], env: {} });
    assert.equal(missing.ok, false);
    assert.equal(!missing.ok && missing.code, 'ENOENT');
    const noCwd = await spawnChild(sh('true', { cwd: join(tmp, 'no-such-dir') }));
    assert.equal(!noCwd.ok && noCwd.code, 'ENOENT');
    const file = join(tmp, 'not-exec');
    writeFileSync(file, '#!/bin/sh\necho hi\n');
    chmodSync(file, 0o644);
    const noExec = await spawnChild({ file, argv0: file, args: [], env: {} });
    assert.equal(!noExec.ok && noExec.code, 'EACCES');
    // and the layer still works afterwards
    assert.equal((await run(sh('echo ok'))).out, 'ok\n');
  });

  test(`CORE-31 ${layer}: a script with no #! line runs with /bin/sh, argv as execvp builds it`, async () => {
    useLayer(layer);
    const file = join(tmp, 'no-shebang');
    writeFileSync(file, 'echo "0=$0 1=$1 2=$2"\nread line; echo "got $line"\n');
    chmodSync(file, 0o755);
    const r = await run({ file, argv0: 'no-shebang', args: ['a b', ''], env: {} }, 'x\n');
    assert.equal(r.out, `0=${file} 1=a b 2=\ngot x\n`);
    assert.equal(r.code, 0);
  });

  test(`CORE-16 ${layer}: exit status and death by signal are reported`, async () => {
    useLayer(layer);
    const seven = await run(sh('exit 7'));
    assert.deepEqual([seven.code, seven.signal], [7, null]);
    const killed = await run(sh('kill -KILL $$'));
    assert.deepEqual([killed.code, killed.signal], [null, 'SIGKILL']);
  });

  test(`CORE-13 ${layer}: SIGTERM to the group reaches the child and its own children`, async () => {
    useLayer(layer);
    const child = await start(sh('sleep 30 & echo $!; wait'));
    const closed = new Promise<[number | null, NodeJS.Signals | null]>((r) => child.once('close', (c, s) => r([c, s])));
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b));
    const grandchild = Number(await eventually(() => out.match(/^(\d+)\n/)?.[1], 'the grandchild pid'));
    process.kill(-child.pid!, 'SIGTERM');
    assert.deepEqual(await closed, [null, 'SIGTERM']);
    await eventually(() => !alive(grandchild) || undefined, 'the grandchild to be gone');
  });

  test(`CORE-01 ${layer}: 40 children at once each get their own input and output`, async () => {
    useLayer(layer);
    const runs = await Promise.all(Array.from({ length: 40 }, (_, i) => run({ file: '/bin/cat', argv0: 'cat', args: [], env: {} }, `n${i}\n`)));
    runs.forEach((r, i) => assert.equal(r.out, `n${i}\n`));
    assert.equal(new Set(runs.map((r) => r.code)).size, 1);
  });

  test(`CORE-07 ${layer}: a child's output waits while stdout is paused, and nothing is lost`, async () => {
    useLayer(layer);
    const child = await start(sh('head -c 3000000 /dev/zero; echo done'));
    let got = 0;
    child.stdout.on('data', (b: Buffer) => {
      got += b.length;
      child.stdout.pause();
      setTimeout(() => child.stdout.resume(), 1);
    });
    child.stdin!.end();
    const [code] = await new Promise<[number | null]>((r) => child.once('close', (c) => r([c])));
    assert.equal(code, 0);
    assert.equal(got, 3000005);
  });
}
