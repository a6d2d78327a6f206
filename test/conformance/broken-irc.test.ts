/**
 * hamelin-conformance against the mini daemon broken on purpose, IRC-01..IRC-14: for each break=ID
 * (test/fixtures/conformance/mini-daemon.mjs --irc), the suite fails the check of requirement ID.
 * IRC-15 and later, whose checks wait out flood pacing and server restarts, are in
 * broken-irc-more.test.ts. The correct mini bot passes (mini-good-irc.test.ts); coverage.test.ts
 * holds every MUST to a break.
 */
import { test } from 'node:test';
import { testBreaks } from '../helpers/conformance.js';

testBreaks('irc', (id) => id.startsWith('IRC-') && Number(id.slice(4)) < 15, test);
