/**
 * hamelin-conformance against the mini daemon broken on purpose, NET- requirements on unix sockets: for each break=ID
 * (test/fixtures/conformance/mini-daemon.mjs), the suite fails the check of requirement ID.
 * The correct mini daemon passes (mini-good.test.ts); coverage.test.ts holds every MUST to a break.
 */
import { test } from 'node:test';
import { testBreaks } from '../helpers/conformance.js';

testBreaks('unix', (id) => id.startsWith('NET-'), test);
