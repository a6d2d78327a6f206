import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, stopAll } from './helpers/daemon.js';
import { roundTrip } from './helpers/tcp.js';

after(stopAll);

test('NET-01 smoke: the seed example, grep --line-buffered filter fed a word list', async () => {
  const d = await startDaemon('net', ['127.0.0.1', '0', 'grep', '--line-buffered', 'filter']);
  const out = await roundTrip(d.port, 'alpha\nfilter\nprefilter\nomega\nunfiltered');
  assert.equal(out.toString(), 'filter\nprefilter\nunfiltered\n');
});
