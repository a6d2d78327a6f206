/**
 * hamelin-conformance's hub checks against hamelin-irc on the irc binding (the suite's own
 * ngircd): every one passes with the hub options given.
 */
import { test } from 'node:test';
import { bin } from '../helpers/paths.js';
import { testHamelinHub } from '../helpers/conformance-hub.js';

testHamelinHub('irc', [process.execPath, bin('irc'), '--server', '{server}', '--nick', '{nick}', '--channel', '{channel}', '{options}', '{command}'], test);
