/**
 * hamelin-conformance against the mini daemon broken on purpose, hub requirements (spec/hub.md)
 * on the net binding: for each break=HUB-xx (and variant), the suite, with the hub options given,
 * fails the check of that requirement. The correct mini daemon passes (mini-good-hub.test.ts).
 */
import { test } from 'node:test';
import { testHubBreaks } from '../helpers/conformance-hub.js';

testHubBreaks('net', test);
