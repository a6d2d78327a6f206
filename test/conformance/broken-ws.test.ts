/**
 * hamelin-conformance against the mini daemon broken on purpose, WS- requirements: for each break=ID
 * (test/fixtures/conformance/mini-daemon.mjs), the suite fails the check of requirement ID.
 * The correct mini daemon passes (mini-good*.test.ts); coverage.test.ts holds every MUST to a break.
 */
import { test } from 'node:test';
import { testBreaks } from '../helpers/conformance.js';

// WS-27 (--static) is in broken-static.test.ts.
testBreaks('ws', (id) => id.startsWith('WS-') && id.split('/')[0] !== 'WS-27', test);
