#!/usr/bin/env node
/**
 * Each daemon's CLI, and hamelin-conformance's, as one ES module (dist/bundle/cli.js), which its
 * bin runs: `npm run build`, `npm test` and each package's prepack run this after `tsc -b`.
 *
 * Why: a daemon spends most of its start in Node's module loader, resolving and compiling some
 * 160 files (yargs, ws, send, core's modules). As one file, a fresh hamelin-ws spends about 190 ms
 * less CPU before it listens (490 -> 300 ms on the 2-core bench machine; bench/README.md), which
 * is every `npx hamelin-ws`, every restart, every --workers worker and every daemon the tests and
 * hamelin-conformance start. hamelin-conformance itself starts about 150 ms sooner too (it
 * loaded core's index for its help text); its probe stays a file of its own (dist/probe.js),
 * which each session runs.
 *
 * What stays out of the bundle:
 * - what a daemon loads only when asked to (the admin servers with prom-client, yaml for
 *   --config, send for --static and --dir) stays lazy: the admin servers are split into a chunk
 *   beside cli.js that loads on the same dynamic import as before, and prom-client, yaml and
 *   send are required at first use from the package that declares each (core's
 *   packageRequire), so that test/ops/lazy-load sees when each loads;
 * - ws's optional native helpers (bufferutil, utf-8-validate), which ws loads only if present.
 *
 * Usage: node scripts/bundle.mjs [PACKAGE...] (default: every package with a CLI).
 */
import { build } from 'esbuild';
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLIS = ['net', 'ws', 'http', 'irc', 'tty', 'hamelin', 'conformance'];

const wanted = process.argv.slice(2);
for (const name of wanted.length ? wanted : CLIS) {
  if (!CLIS.includes(name)) {
    console.error(`bundle: no package with a CLI named ${name} (one of ${CLIS.join(', ')})`);
    process.exit(2);
  }
  const dist = join(ROOT, 'packages', name, 'dist');
  const outdir = join(dist, 'bundle');
  const { outputFiles } = await build({
    // The path comments in the output, and so the chunks' hashed names, are relative to this:
    // the same build from a package's prepack (its own directory) and from the root must give
    // the same files, or each removes the other's chunk while a daemon is starting.
    absWorkingDir: ROOT,
    entryPoints: [join(dist, 'cli.js')],
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    chunkNames: '[name]-[hash]',
    external: ['prom-client', 'yaml', 'send', 'bufferutil', 'utf-8-validate'],
    // The CommonJS packages inside (ws, send, irc-framework) call require() for Node's modules.
    banner: { js: "import { createRequire as hamelinCreateRequire } from 'node:module';\nconst require = hamelinCreateRequire(import.meta.url);" },
    logLevel: 'warning',
    write: false,
  });
  replace(outdir, outputFiles);
}

/**
 * Put the new files in place without a moment where cli.js is missing: tests and daemons may be
 * starting from this directory while it is rebuilt (test/release/pack runs each package's
 * prepack, so this, beside the rest of the suite). Each file is written aside and renamed over
 * the old one, the chunks before cli.js that imports them; files of an older build go last. The
 * same sources give the same files, names included.
 */
function replace(outdir, files) {
  mkdirSync(outdir, { recursive: true });
  const entry = join(outdir, 'cli.js');
  for (const f of [...files].sort((a, b) => Number(a.path === entry) - Number(b.path === entry))) {
    const aside = `${f.path}.${process.pid}.tmp`;
    writeFileSync(aside, f.contents, { mode: f.path === entry ? 0o755 : 0o644 });
    renameSync(aside, f.path);
  }
  const fresh = new Set(files.map((f) => basename(f.path)));
  // Not another build's files in the middle of their renaming.
  for (const old of readdirSync(outdir)) if (!fresh.has(old) && !old.endsWith('.tmp')) rmSync(join(outdir, old), { force: true });
}
