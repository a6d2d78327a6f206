/**
 * The mini daemon without breaks passes every hub check of the irc binding with the hub options
 * given: the broken fixtures (broken-hub-irc.test.ts) fail for their break, not for being small.
 * One binding per file, so that each file stays well inside the runner's per-file time.
 */
import { test } from 'node:test';
import { testMiniGoodHub } from '../helpers/conformance-hub.js';

testMiniGoodHub('irc', test);
