/**
 * The conformance package's own files (the probe script, the test certificates, the pty runner,
 * package.json), found by package name: from dist/ that is a self-reference, and from the
 * one-file CLI (dist/bundle/, scripts/bundle.mjs) import.meta.url names the bundle, not dist/.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';

export const PACKAGE_ROOT = dirname(createRequire(import.meta.url).resolve('@hamelin/conformance/package.json'));
