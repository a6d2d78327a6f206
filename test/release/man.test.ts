/**
 * The man pages and --help come from the same tables: every page is written by the build step
 * (write-man-pages.js), rendered by man-db (`man -l`), and must name every option --help lists;
 * and --help shows each example's command whole on one line at any width.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ManPage } from '@hamelin/core';
import { bin, ROOT } from '../helpers/paths.js';
import { tempDir } from '../helpers/temp-dir.js';

const PACKAGES = ['net', 'ws', 'http', 'irc', 'tty', 'conformance'];
const specModule = (pkg: string): string => join(ROOT, 'packages', pkg, 'dist', 'cli-spec.js');
const hamelin7 = join(ROOT, 'packages', 'core', 'dist', 'man-hamelin7.js');
const out = tempDir('hamelin-man-');
after(() => rmSync(out, { recursive: true, force: true }));

async function help(pkg: string, columns: number): Promise<string> {
  const r = await execa(process.execPath, [bin(pkg), '--help'], { env: { ...process.env, COLUMNS: String(columns) }, reject: false });
  assert.equal(r.exitCode, 0, `hamelin-${pkg} --help: ${r.stderr}`);
  return r.stdout;
}

/** The options of --help's tables: `--name` at the start of a row, or after `-h, `. */
function helpOptions(text: string): string[] {
  return [...text.matchAll(/^ {2,6}(?:-\w, )?(--[a-z][a-z0-9-]*)/gm)].map((m) => m[1]!);
}

async function renderPage(file: string): Promise<string> {
  const r = await execa('man', ['-l', file], { env: { ...process.env, MANWIDTH: '80', LANG: 'C.UTF-8' }, reject: false });
  assert.equal(r.exitCode, 0, `man -l ${file}: ${r.stderr}`);
  assert.equal(r.stderr, '', `man -l ${file} renders without warnings`);
  return r.stdout;
}

test('release: the build writes one man page per bin and hamelin(7), and man -l renders each', async () => {
  const r = await execa(process.execPath, [join(ROOT, 'packages', 'core', 'dist', 'write-man-pages.js'), out, hamelin7, ...PACKAGES.map(specModule)], { reject: false });
  assert.equal(r.exitCode, 0, r.stderr);
  const seven = await renderPage(join(out, 'hamelin.7'));
  assert.match(seven, /^HAMELIN\(7\)/);
  for (const id of ['CORE-01', 'CORE-13', 'CORE-22', 'CORE-27']) assert.ok(seven.includes(id), `hamelin(7) cites ${id}`);
  for (const pkg of PACKAGES) {
    const page = await renderPage(join(out, `hamelin-${pkg}.1`));
    assert.match(page, new RegExp(`^HAMELIN-${pkg.toUpperCase()}\\(1\\)`));
    for (const section of ['NAME', 'SYNOPSIS', 'DESCRIPTION', 'OPTIONS', 'EXAMPLES', 'EXIT STATUS', 'SEE ALSO']) {
      assert.match(page, new RegExp(`^${section}$`, 'm'), `hamelin-${pkg}(1) has ${section}`);
    }
  }
});

test('CORE-27 release: every option --help lists is in the man page, and the page lists no option --help lacks', async () => {
  for (const pkg of PACKAGES) {
    const options = helpOptions(await help(pkg, 200));
    assert.ok(options.length >= 4, `hamelin-${pkg} --help lists its options: ${options.join(' ')}`);
    const page = await renderPage(join(out, `hamelin-${pkg}.1`));
    const section = page.slice(page.indexOf('\nOPTIONS\n'), page.indexOf('\nEXAMPLES\n'));
    const inPage = [...section.matchAll(/^ {7}(?:-\w, )?(--[a-z][a-z0-9-]*)/gm)].map((m) => m[1]!);
    for (const o of options) assert.ok(inPage.includes(o), `hamelin-${pkg}(1) describes ${o}`);
    for (const o of inPage) assert.ok(options.includes(o), `hamelin-${pkg} --help lists ${o}, which its man page describes`);
  }
});

test('CORE-27 release: --help shows each example command whole on its own line, at 40 and at 200 columns', async () => {
  for (const pkg of PACKAGES) {
    const { manPage } = (await import(specModule(pkg))) as { manPage: ManPage };
    assert.ok(manPage.examples?.length, `hamelin-${pkg} has examples`);
    for (const columns of [40, 200]) {
      const lines = (await help(pkg, columns)).split('\n').map((l) => l.trim());
      for (const [command] of manPage.examples!) {
        assert.ok(lines.includes(command), `hamelin-${pkg} --help at ${columns} columns has the line ${JSON.stringify(command)}`);
      }
    }
  }
});
