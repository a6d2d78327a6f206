/**
 * hamelin-conformance's hub checks against hamelin-ws on the ws binding: every one passes with the
 * hub options given. One binding per file, to stay well inside the runner's per-file time.
 */
import { test } from 'node:test';
import { bin } from '../helpers/paths.js';
import { testHamelinHub } from '../helpers/conformance-hub.js';

testHamelinHub('ws', [process.execPath, bin('ws'), '--host', '{host}', '--port', '{port}', '{command}'], test);
