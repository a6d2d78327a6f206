/**
 * hamelin-conformance against the mini daemon broken on purpose, IRC-15 and later: flood pacing,
 * rejoining and reconnecting after the suite restarts its server, the nick in use, the connection
 * log, the trigger. For each break=ID the suite fails the check of requirement ID. IRC-21 and
 * IRC-23, against the suite's scripted server, are in broken-irc-wire.test.ts.
 */
import { test } from 'node:test';
import { testBreaks } from '../helpers/conformance.js';

const WIRE = ['IRC-21', 'IRC-23'];

testBreaks('irc', (id) => id.startsWith('IRC-') && Number(id.slice(4)) >= 15 && !WIRE.includes(id), test);
