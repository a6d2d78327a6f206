/**
 * hamelin-conformance against the mini daemon broken on purpose in its --static (HTTP-41, WS-27):
 * for each break=ID (test/fixtures/conformance/mini-static.mjs), the suite fails the check of ID.
 * The correct mini daemon passes them (mini-good-http.test.ts, mini-good-web.test.ts).
 */
import { test } from 'node:test';
import { testBreaks } from '../helpers/conformance.js';

testBreaks('http', (id) => id.split('/')[0] === 'HTTP-41', test);
testBreaks('ws', (id) => id.split('/')[0] === 'WS-27', test);
