/**
 * hamelin-conformance against the mini daemon broken on purpose, CORE- requirements on TCP: for each break=ID
 * (test/fixtures/conformance/mini-daemon.mjs), the suite fails the check of requirement ID.
 * The correct mini daemon passes (mini-good.test.ts); coverage.test.ts holds every MUST to a break.
 */
import { test } from 'node:test';
import { testBreaks } from '../helpers/conformance.js';

// CORE-39 (--unbuffer) is in broken-unbuffer.test.ts.
testBreaks('net', (id) => id.startsWith('CORE-') && id.split('/')[0] !== 'CORE-39', test);
