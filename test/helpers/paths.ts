import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';

/** The repository root, from test/dist/helpers/. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
/** A package's CLI as its bin runs it: the one-file bundle (scripts/bundle.mjs). */
export const bin = (pkg: string): string => resolve(ROOT, 'packages', pkg, 'dist', 'bundle', 'cli.js');
/** Shell fixtures (test/fixtures/*.sh) live in the source tree, not in dist. */
export const fixture = (name: string): string => resolve(ROOT, 'test', 'fixtures', name);
