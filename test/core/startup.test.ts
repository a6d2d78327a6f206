/**
 * CORE-36: what would make every client's spawn fail is found at startup instead: a --cwd that
 * is not a directory, and a script whose #! interpreter (or the program `#!/usr/bin/env` names)
 * does not exist. One line, exit 2, nothing listens (CORE-18).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { bin } from '../helpers/paths.js';
import { tempDir } from '../helpers/temp-dir.js';

const dir = tempDir('hamelin-startup-');
after(() => rmSync(dir, { recursive: true, force: true }));
const script = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  chmodSync(p, 0o755);
  return p;
};
const badInterp = script('bad-interp.sh', '#!/nonexistent/interp\necho hi\n');
const badEnv = script('bad-env.sh', '#!/usr/bin/env hamelin-no-such-program\necho hi\n');
const good = script('good.sh', '#!/bin/sh\necho hi\n');
const plainFile = script('not-a-dir', 'x\n');

const LISTEN: Record<string, string[]> = { net: ['127.0.0.1', '0'], ws: ['--port', '0'], http: ['--port', '0'] };

async function refused(pkg: string, args: string[], re: RegExp): Promise<void> {
  const r = await execa(process.execPath, [bin(pkg), ...args], { reject: false, timeout: 15_000, stdin: 'ignore' });
  const lines = r.stderr.split('\n').filter(Boolean);
  assert.equal(r.exitCode, 2, `${args.join(' ')}: exit ${r.exitCode}, ${JSON.stringify(r.stderr)}`);
  assert.equal(lines.length, 1, JSON.stringify(r.stderr));
  assert.match(lines[0]!, re);
}

for (const pkg of Object.keys(LISTEN)) {
  test(`CORE-36 hamelin-${pkg}: --cwd that does not exist or is not a directory is one startup line`, async () => {
    // Options come first, then where to listen, then the command (CORE-27).
    const opts = (o: string[]): string[] => [...o, ...LISTEN[pkg]!, 'cat'];
    await refused(pkg, opts(['--cwd', join(dir, 'missing')]), /--cwd .*missing: no such directory/);
    await refused(pkg, opts(['--cwd', plainFile]), /--cwd .*not-a-dir: not a directory/);
  });

  test(`CORE-36 hamelin-${pkg}: a script whose #! interpreter is missing is one startup line`, async () => {
    await refused(pkg, [...LISTEN[pkg]!, badInterp], /bad-interp\.sh: interpreter \/nonexistent\/interp/);
    await refused(pkg, [...LISTEN[pkg]!, badEnv], /bad-env\.sh: hamelin-no-such-program .*not found in PATH/);
  });
}

test('CORE-36 a script with a good #! line and an existing --cwd start as before', async () => {
  const p = execa(process.execPath, [bin('net'), '--cwd', dir, '127.0.0.1', '0', good], { reject: false, stdin: 'ignore' });
  let err = '';
  p.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const deadline = Date.now() + 15_000;
  while (!/listening/.test(err) && Date.now() < deadline && p.exitCode === null) await new Promise((r) => setTimeout(r, 20));
  assert.match(err, /listening/);
  p.kill('SIGTERM');
  assert.equal((await p).exitCode, 0);
});
