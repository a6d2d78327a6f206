/**
 * Build step: `node write-man-pages.js OUTDIR MODULE...` writes the man page each MODULE
 * exports as `manPage` (a front-end's cli-spec.js, core's man-hamelin7.js) into OUTDIR, as
 * NAME.SECTION. Run by each package's `man` script, at build and at prepack.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { manFileName, renderMan, type ManPage } from './man-page.js';

const [outDir, ...modules] = process.argv.slice(2);
if (!outDir || modules.length === 0) {
  process.stderr.write('usage: write-man-pages OUTDIR MODULE...\n');
  process.exit(2);
}
mkdirSync(outDir, { recursive: true });
for (const m of modules) {
  const { manPage } = (await import(pathToFileURL(resolve(m)).href)) as { manPage?: ManPage };
  if (!manPage) {
    process.stderr.write(`write-man-pages: ${m} exports no manPage\n`);
    process.exit(1);
  }
  writeFileSync(join(outDir, manFileName(manPage)), renderMan(manPage));
}
