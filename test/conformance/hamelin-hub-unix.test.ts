/**
 * hamelin-conformance's hub checks against hamelin-net on the unix binding: every one passes with the
 * hub options given. One binding per file, to stay well inside the runner's per-file time.
 */
import { test } from 'node:test';
import { bin } from '../helpers/paths.js';
import { testHamelinHub } from '../helpers/conformance-hub.js';

testHamelinHub('unix', [process.execPath, bin('net'), 'unix:{path}', '{command}'], test);
