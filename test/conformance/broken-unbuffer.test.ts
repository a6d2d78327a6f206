/**
 * hamelin-conformance against the mini daemon broken on purpose in its --unbuffer (CORE-39): for
 * each break=ID (test/fixtures/conformance/mini-unbuffer.mjs), the suite fails the check of ID.
 * The correct mini daemon passes it (mini-good.test.ts).
 */
import { test } from 'node:test';
import { testBreaks } from '../helpers/conformance.js';

testBreaks('net', (id) => id.split('/')[0] === 'CORE-39', test);
