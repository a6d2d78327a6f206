/**
 * hamelin-conformance against the mini daemon broken on purpose, IRC-21 and IRC-23, whose checks
 * run the bot against the suite's scripted IRC server (it records every line the bot sends, and
 * holds or leaves out the end of the welcome): a PONG that jumps the flood bucket, and a bot that
 * counts itself registered at 001. For each break=ID the suite fails the check of requirement ID.
 */
import { test } from 'node:test';
import { testBreaks } from '../helpers/conformance.js';

testBreaks('irc', (id) => id === 'IRC-21' || id === 'IRC-23', test);
