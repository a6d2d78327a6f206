/** The installed entry point (what `npx hamelin-ws` runs) starts the daemon with its V8 options (WS-01). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../helpers/paths.js';
import { eventually } from '../helpers/poll.js';
import { wsConnect } from './client.js';

test('WS-01 node_modules/.bin/hamelin-ws: listens and serves, as one node process with --max-semi-space-size (sh execs it), and SIGTERM reaches it', async () => {
  const proc = spawn(join(ROOT, 'node_modules', '.bin', 'hamelin-ws'), ['--port', '0', 'cat'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  try {
    const port = Number(await eventually(() => /listening address=127\.0\.0\.1 port=(\d+)/.exec(err)?.[1], 'the listening line'));
    // The pid we started is the daemon itself: the sh line exec'd node, nothing sits between.
    const argv = readFileSync(`/proc/${proc.pid}/cmdline`, 'utf8').split('\0');
    assert.ok(/(^|\/)node$/.test(argv[0]!), `argv ${JSON.stringify(argv)}`);
    assert.ok(argv.includes('--max-semi-space-size=4'), `argv ${JSON.stringify(argv)}`);
    const c = await wsConnect(`ws://127.0.0.1:${port}/`);
    c.send('through the bin');
    await c.waitFor(/^through the bin$/);
    c.ws.close();
    await c.closed;
    proc.kill('SIGTERM');
    assert.equal(await exited, 0, err);
  } finally {
    proc.kill('SIGKILL');
  }
});
