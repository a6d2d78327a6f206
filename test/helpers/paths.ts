import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';

/** The repository root, from test/dist/helpers/. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const bin = (pkg: string): string => resolve(ROOT, 'packages', pkg, 'dist', 'cli.js');
/** Shell fixtures (test/fixtures/*.sh) live in the source tree, not in dist. */
export const fixture = (name: string): string => resolve(ROOT, 'test', 'fixtures', name);
