/**
 * spawner/build.sh, which each package's prepack runs: `npm pack --json` prints its JSON on
 * stdout, so what build.sh says must go to stderr. A build that had to compile (sources newer
 * than the binaries) once put `prebuilt: built ...` ahead of npm's JSON, and the release test
 * could not parse it.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../helpers/paths.js';
import { tempDir } from '../helpers/temp-dir.js';

const out = tempDir('hamelin-prebuilt-');
after(() => rmSync(out, { recursive: true, force: true }));

test('CORE-28 release: spawner/build.sh compiles into a fresh directory with nothing on stdout, its one line per binary on stderr', async () => {
  const build = join(ROOT, 'packages', 'core', 'spawner', 'build.sh');
  const src = join(ROOT, 'packages', 'conformance', 'probe', 'hamelin-probe.c');
  const r = await execa(build, [src, join(out, 'probe')], { reject: false });
  assert.equal(r.exitCode, 0, r.stderr);
  assert.equal(r.stdout, '', 'stdout is left to whoever runs it (npm pack --json)');
  const arch = process.arch === 'arm64' ? 'arm64' : 'x64';
  assert.match(r.stderr, new RegExp(`^prebuilt: built probe-linux-${arch} with `, 'm'));
  assert.ok(existsSync(join(out, `probe-linux-${arch}`)), 'the binary is there');
  const again = await execa(build, [src, join(out, 'probe')], { reject: false });
  assert.equal(again.exitCode, 0, again.stderr);
  assert.doesNotMatch(again.stderr, new RegExp(`built probe-linux-${arch}`), 'an up to date binary is kept, not rebuilt');
});
