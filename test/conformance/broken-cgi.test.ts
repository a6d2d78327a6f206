/**
 * hamelin-conformance against the mini daemon broken on purpose in its --cgi (HTTP-37..HTTP-40):
 * for each break=ID (test/fixtures/conformance/mini-cgi.mjs), the suite fails the check of ID.
 * The correct mini daemon passes them (mini-good-http.test.ts).
 */
import { test } from 'node:test';
import { testBreaks } from '../helpers/conformance.js';

const CGI = ['HTTP-37', 'HTTP-38', 'HTTP-39', 'HTTP-40'];
testBreaks('http', (id) => CGI.includes(id.split('/')[0]!), test);
