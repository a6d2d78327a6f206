/**
 * Where a hamelin package's own files and dependencies are, whichever file the code runs from:
 * its own dist/, or a command's one-file bundle (dist/bundle/, scripts/bundle.mjs), where
 * import.meta.url names the bundle, not the package. Found by package name: from the package's
 * own dist/ that is a self-reference (its "exports" lists package.json), and from a bundle it is
 * the copy the bundled package depends on. So a dependency left out of the bundle (yaml, send,
 * prom-client) is required from the package that declares it, not from wherever npm happened to
 * hoist a package of that name.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';

/** The directory of package `name`, resolved from `from` (the caller's import.meta.url). */
export function packageDir(name: string, from: string): string {
  return dirname(createRequire(from).resolve(`${name}/package.json`));
}

/** require() as package `name`'s own code would, resolved from `from` (an import.meta.url). */
export function packageRequire(name: string, from: string): NodeJS.Require {
  return createRequire(createRequire(from).resolve(`${name}/package.json`));
}

/** packages/core, or node_modules/@hamelin/core where it is installed. */
export const CORE_ROOT = packageDir('@hamelin/core', import.meta.url);

/** require() as core's own code would: core's dependencies, found from core's directory. */
export const coreRequire = packageRequire('@hamelin/core', import.meta.url);
