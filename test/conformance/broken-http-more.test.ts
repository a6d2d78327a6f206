/**
 * hamelin-conformance against the mini daemon broken on purpose, HTTP-11 to HTTP-36 (--cgi and
 * --static, HTTP-37..41, in broken-cgi and broken-static): for each break=ID
 * (test/fixtures/conformance/mini-daemon.mjs), the suite fails the check of requirement ID.
 * The correct mini daemon passes (mini-good-http.test.ts); coverage.test.ts holds every MUST to a break.
 */
import { test } from 'node:test';
import { testBreaks } from '../helpers/conformance.js';

testBreaks('http', (id) => id.startsWith('HTTP-') && Number(id.slice(5)) > 10 && Number(id.slice(5)) < 37, test);
