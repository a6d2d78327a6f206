/**
 * hamelin-conformance against the mini daemon broken on purpose, front-door requirements on the
 * ws binding: for each break=FD-xx (and each variant, break=FD-xx/VARIANT), the suite, with the
 * front-door options given, fails the check of that requirement. One binding per file, so that
 * each file stays well inside the runner's per-file time; the correct mini daemon passes
 * (mini-good-fd.test.ts).
 */
import { test } from 'node:test';
import { testBreaks } from '../helpers/conformance.js';

testBreaks('ws', (id) => id.startsWith('FD-'), test);
