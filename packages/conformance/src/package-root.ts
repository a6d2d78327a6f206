/** The conformance package's own files (the probe script, the test certificates, the pty runner,
 * package.json), wherever its code runs from: dist/ or the one-file CLI (core's packageDir). */
import { packageDir } from '@hamelin/core';

export const PACKAGE_ROOT = packageDir('@hamelin/conformance', import.meta.url);
