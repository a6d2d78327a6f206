/**
 * hamelin-conformance against the mini daemon broken on purpose, hub requirements (spec/hub.md)
 * on the tty binding, where the daemon's terminal is one client of the shared process: for each
 * break=HUB-xx the mini daemon has on tty, the suite, with the hub options given, fails the
 * check of that requirement. The correct mini daemon passes (mini-good-hub-tty.test.ts).
 */
import { test } from 'node:test';
import { testHubBreaks } from '../helpers/conformance-hub.js';

testHubBreaks('tty', test);
