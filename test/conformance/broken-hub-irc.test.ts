/**
 * hamelin-conformance against the mini daemon broken on purpose, hub requirements (spec/hub.md)
 * on the irc binding, where a channel is a room and each nick a client: for each break=HUB-xx
 * (and variant) the mini bot has, the suite, with the hub options given, fails the check of that
 * requirement. The correct mini bot passes (mini-good-hub-irc.test.ts).
 */
import { test } from 'node:test';
import { testHubBreaks } from '../helpers/conformance-hub.js';

testHubBreaks('irc', test);
