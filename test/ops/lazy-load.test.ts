/**
 * A daemon loads what it was asked for (issue 16: a fresh hamelin-ws loaded yaml and prom-client,
 * about 5 MiB and 70 ms of its start, for flags it was not given). The trace is every CommonJS
 * require() of the daemon process (fixtures/load-trace.mjs); both packages are CommonJS, and so is
 * send (with mime-db's table), which only --static and --dir use. The daemons run as their bins
 * do, bundled (scripts/bundle.mjs), where these three are left out of the bundle on purpose.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon, stopAll, type Running } from '../helpers/daemon.js';
import { fixture } from '../helpers/paths.js';
import { scratchDir } from '../helpers/pty.js';

after(stopAll);

/** What the daemon required by the time it listens, as "REQUEST\tFROM" lines. */
async function loaded(pkg: string, args: string[], during?: (d: Running) => Promise<void>): Promise<string> {
  const trace = join(scratchDir(), 'requires.txt');
  writeFileSync(trace, '');
  const env = { ...process.env, NODE_OPTIONS: `--import ${fixture('load-trace.mjs')}`, HAMELIN_TEST_LOAD_TRACE: trace };
  const d = await startDaemon(pkg, args, { env });
  await during?.(d);
  await d.stop();
  return readFileSync(trace, 'utf8');
}

const promClient = /(^prom-client\t|\/node_modules\/prom-client\/)/m;
const yaml = /(^yaml\t|\/node_modules\/yaml\/)/m;
const send = /(^send\t|\/node_modules\/send\/)/m;
const hooked = /^\(hook\)\t/m;

test('hamelin-ws and hamelin-net with no --admin, --agent, --config or --static load neither prom-client, yaml nor send', async () => {
  for (const [pkg, args] of [
    ['ws', ['--quiet', '--host', '127.0.0.1', '--port', '0', 'cat']],
    ['net', ['--quiet', '127.0.0.1', '0', 'cat']],
  ] as const) {
    const trace = await loaded(pkg, [...args]);
    assert.match(trace, hooked, `${pkg}: the trace recorded nothing (the hook did not run)`);
    assert.doesNotMatch(trace, promClient, `${pkg} loaded prom-client`);
    assert.doesNotMatch(trace, yaml, `${pkg} loaded yaml`);
    assert.doesNotMatch(trace, send, `${pkg} loaded send`);
  }
});

test('OPS-04 OPS-06 OPS-01 --admin loads prom-client and serves /metrics with it; --config loads yaml', async () => {
  const withAdmin = await loaded('ws', ['--quiet', '--admin', '127.0.0.1:0', '--host', '127.0.0.1', '--port', '0', 'cat'], async (d) => {
    const port = Number((await d.waitLog(/ admin address=\S+ port=(\d+)/))[1]);
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /^# TYPE hamelin_\w+ /m);
  });
  assert.match(withAdmin, promClient);
  assert.doesNotMatch(withAdmin, yaml);
  const dir = scratchDir();
  const config = join(dir, 'net.yaml');
  writeFileSync(config, 'quiet: true\n');
  const withConfig = await loaded('net', ['--config', config, '127.0.0.1', '0', 'cat']);
  assert.match(withConfig, yaml);
  assert.doesNotMatch(withConfig, promClient);
});

test('WS-27 hamelin-ws --static loads send with the first file it serves, and serves it', async () => {
  const www = scratchDir();
  writeFileSync(join(www, 'index.html'), '<p>hello</p>\n');
  const trace = await loaded('ws', ['--quiet', '--static', www, '--host', '127.0.0.1', '--port', '0', 'cat'], async (d) => {
    const port = Number((await d.waitLog(/ listening address=\S+ port=(\d+)/))[1]);
    const res = await fetch(`http://127.0.0.1:${port}/index.html`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), '<p>hello</p>\n');
  });
  assert.match(trace, send);
});
