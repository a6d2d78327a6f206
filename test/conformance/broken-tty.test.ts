/**
 * hamelin-conformance against the mini daemon broken on purpose, TTY- requirements: for each break=ID
 * (test/fixtures/conformance/mini-daemon.mjs --tty, run on a pseudo-terminal), the suite fails the
 * check of requirement ID. The correct one passes (mini-good-tty.test.ts); coverage.test.ts holds
 * every MUST to a break.
 */
import { test } from 'node:test';
import { testBreaks } from '../helpers/conformance.js';

testBreaks('tty', (id) => id.startsWith('TTY-'), test);
