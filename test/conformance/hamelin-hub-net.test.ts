/**
 * hamelin-conformance's hub checks against hamelin-net on the net binding: every one passes with the
 * hub options given. One binding per file, to stay well inside the runner's per-file time.
 */
import { test } from 'node:test';
import { bin } from '../helpers/paths.js';
import { testHamelinHub } from '../helpers/conformance-hub.js';

testHamelinHub('net', [process.execPath, bin('net'), '{host}', '{port}', '{command}'], test);
