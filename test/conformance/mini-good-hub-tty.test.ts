/**
 * The mini daemon without breaks passes every hub check of the tty binding with the hub options
 * given: the broken fixtures (broken-hub-tty.test.ts) fail for their break, not for being small.
 */
import { test } from 'node:test';
import { testMiniGoodHub } from '../helpers/conformance-hub.js';

testMiniGoodHub('tty', test);
