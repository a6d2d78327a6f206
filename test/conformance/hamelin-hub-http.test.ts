/**
 * hamelin-conformance's hub checks against hamelin-http on the http binding: every one passes with the
 * hub options given. One binding per file, to stay well inside the runner's per-file time.
 */
import { test } from 'node:test';
import { bin } from '../helpers/paths.js';
import { testHamelinHub } from '../helpers/conformance-hub.js';

testHamelinHub('http', [process.execPath, bin('http'), '--host', '{host}', '--port', '{port}', '{command}'], test);
