/**
 * hamelin-conformance's hub checks against hamelin-tty on the tty binding (a pseudo-terminal the
 * suite runs it on): every one passes with the hub options given.
 */
import { test } from 'node:test';
import { bin } from '../helpers/paths.js';
import { testHamelinHub } from '../helpers/conformance-hub.js';

testHamelinHub('tty', [process.execPath, bin('tty'), '--log-file', '{log}', '{options}', '{command}'], test);
