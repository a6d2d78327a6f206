/**
 * Where @hamelin/core's own files are (the spawn helper, the watchdog's script, its
 * dependencies), whichever file this code runs from: core's dist/, or a front-end's one-file
 * bundle (dist/bundle/, scripts/bundle.mjs), where import.meta.url names the bundle, not core.
 * Resolved by package name, which from core's own dist/ is a self-reference (its "exports" lists
 * package.json) and from a bundle finds the @hamelin/core its package depends on.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';

const resolved = createRequire(import.meta.url).resolve('@hamelin/core/package.json');

/** packages/core, or node_modules/@hamelin/core where it is installed. */
export const CORE_ROOT = dirname(resolved);

/** require() as core's own code would: core's dependencies, found from core's directory. */
export const coreRequire = createRequire(resolved);
