/**
 * scripts/bundle.mjs: what the bins run (dist/bundle/cli.js) is replaced in place, so a daemon
 * started while it is rebuilt still finds its file. The suite needs it: test/release/pack runs
 * each package's prepack, so a rebuild, while other files start daemons (a clean-clone CI run
 * once failed a daemon-death test with "Cannot find module .../dist/bundle/cli.js").
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bin, ROOT } from '../helpers/paths.js';

const BUNDLE = join(ROOT, 'scripts', 'bundle.mjs');

test('release: hamelin-net --version keeps answering while scripts/bundle.mjs rebuilds its bundle', async () => {
  let rebuilding = true;
  const rebuilds = (async () => {
    let n = 0;
    while (rebuilding || n < 3) {
      await execa(process.execPath, [BUNDLE, 'net']);
      n++;
    }
    return n;
  })();
  const failures: string[] = [];
  let starts = 0;
  const deadline = Date.now() + 60_000;
  // Until several rebuilds have overlapped the starts, two starts at a time.
  while (starts < 40 && Date.now() < deadline) {
    const runs = await Promise.all([0, 1].map(() => execa(process.execPath, [bin('net'), '--version'], { reject: false, timeout: 30_000 })));
    for (const r of runs) if (r.exitCode !== 0) failures.push(`exit ${r.exitCode}: ${String(r.stderr).split('\n').find((l) => /Error/.test(l)) ?? r.stderr}`);
    starts += runs.length;
  }
  rebuilding = false;
  const n = await rebuilds;
  assert.ok(n >= 3, `only ${n} rebuilds ran`);
  assert.deepEqual(failures, [], `${failures.length} of ${starts} starts failed during ${n} rebuilds`);
});

test('release: scripts/bundle.mjs removes the files of an older build and leaves no temporary file', async () => {
  const dir = join(ROOT, 'packages', 'net', 'dist', 'bundle');
  writeFileSync(join(dir, 'chunk-OLDBUILD.js'), '// an older build\n');
  await execa(process.execPath, [BUNDLE, 'net']);
  const files = readdirSync(dir);
  assert.ok(files.includes('cli.js'), files.join(' '));
  assert.ok(!files.includes('chunk-OLDBUILD.js'), files.join(' '));
  assert.deepEqual(files.filter((f) => f.endsWith('.tmp')), []);
  const r = await execa(process.execPath, [bin('net'), '--version']);
  assert.match(r.stdout, /^\d+\.\d+\.\d+/);
});

test('release: scripts/bundle.mjs names a package that has no CLI in one line and exits 2', async () => {
  const r = await execa(process.execPath, [BUNDLE, 'nosuch'], { reject: false });
  assert.equal(r.exitCode, 2);
  assert.match(r.stderr, /^bundle: no package with a CLI named nosuch \(one of .*\)$/);
});

test('release: scripts/bundle.mjs writes the same files, names included, from a package directory (its prepack) as from the root', async () => {
  // npm pack runs each package's prepack in its own directory while other files start daemons
  // from the same bundle; two builds that named their chunks differently each removed the
  // other's chunk, and a daemon starting in between failed with ERR_MODULE_NOT_FOUND.
  const dir = join(ROOT, 'packages', 'net', 'dist', 'bundle');
  // A concurrent build's file in the middle of its renaming (`.tmp`) is not part of either.
  const snapshot = (): string[] => readdirSync(dir).filter((f) => !f.endsWith('.tmp')).sort().map((f) => `${f} ${createHash('sha256').update(readFileSync(join(dir, f))).digest('hex')}`);
  await execa(process.execPath, [BUNDLE, 'net'], { cwd: join(ROOT, 'packages', 'net') });
  const fromPackage = snapshot();
  await execa(process.execPath, [BUNDLE, 'net'], { cwd: ROOT });
  assert.deepEqual(snapshot(), fromPackage);
  await execa(process.execPath, [BUNDLE, 'net'], { cwd: tmpdir() });
  assert.deepEqual(snapshot(), fromPackage);
});
