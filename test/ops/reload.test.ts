/** SIGHUP (OPS-08): the config file read again, TLS certificates reloaded, live sessions untouched. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon, stopAll } from '../helpers/daemon.js';
import { dial, roundTrip } from '../helpers/tcp.js';
import { requireTool } from '../helpers/tools.js';
import { makeCert, servedSubject } from '../helpers/certs.js';
import { tempDir } from '../helpers/temp-dir.js';

after(stopAll);
const tmp = tempDir('hamelin-ops-reload-');

const script = (name: string, version: string): string => {
  const path = join(tmp, name);
  writeFileSync(path, `#!/bin/sh\necho "${version} ready"\nread -r x\necho "${version} got $x"\n`, { mode: 0o755 });
  return path;
};

test('OPS-08 config edit + SIGHUP: the next client runs the new command while an old session still runs the old one', async () => {
  const v1 = script('v1.sh', 'v1');
  const v2 = script('v2.sh', 'v2');
  const file = join(tmp, 'reload.yaml');
  const config = (cmd: string, listen = '127.0.0.1:0', maxClients = 10): string =>
    `services:\n  greet:\n    command: [${cmd}]\n    max-clients: ${maxClients}\n    net:\n      listen: ${listen}\n`;
  writeFileSync(file, config(v1));
  const d = await startDaemon('hamelin', ['--config', file]);
  const old = await dial(d.port);
  await old.waitFor('v1 ready\n');

  writeFileSync(file, config(v2, '127.0.0.1:0', 20));
  d.proc.kill('SIGHUP');
  await d.waitLog(/ hamelin info reloaded services=1/);
  assert.equal((await roundTrip(d.port, 'new\n')).toString(), 'v2 ready\nv2 got new\n');
  old.socket.end('old\n');
  assert.equal((await old.closed).toString(), 'v1 ready\nv1 got old\n', 'the live session kept its command');

  // Refused, one line each, and the running configuration stays.
  writeFileSync(file, config(v1, '127.0.0.1:1'));
  d.proc.kill('SIGHUP');
  await d.waitLog(/ warn reload-refused error="services\.greet\.net\.listen cannot change without a restart"/);
  writeFileSync(file, config(v1).replace('max-clients: 10', 'max-clients: plenty'));
  d.proc.kill('SIGHUP');
  const bad = await d.waitLog(/warn reload-refused error="(\S+:4: services\.greet\.max-clients: must be a number)"/);
  assert.ok(bad[1]!.startsWith(file));
  assert.equal((await roundTrip(d.port, 'still\n')).toString(), 'v2 ready\nv2 got still\n');
  assert.equal((d.stderr().match(/reload-refused/g) ?? []).length, 2);
  assert.equal(await d.stop(), 0);
});

test('OPS-08 cert swap + SIGHUP: a new openssl s_client sees the new certificate (hamelin-net and hamelin ws)', async () => {
  requireTool('openssl', 'openssl');
  const one = makeCert(tmp, 'one');
  const two = makeCert(tmp, 'two');
  const live = { cert: join(tmp, 'live.crt'), key: join(tmp, 'live.key') };
  const use = (c: { cert: string; key: string }): void => {
    copyFileSync(c.cert, live.cert);
    copyFileSync(c.key, live.key);
  };
  use(one);
  const file = join(tmp, 'tls.yaml');
  writeFileSync(file, `services:\n  echo:\n    command: [cat]\n    ws:\n      listen: 127.0.0.1:0\n      tls-cert: ${live.cert}\n      tls-key: ${live.key}\n`);
  const net = await startDaemon('net', ['--tls-cert', live.cert, '--tls-key', live.key, '127.0.0.1', '0', 'cat']);
  const ham = await startDaemon('hamelin', ['--config', file]);
  for (const d of [net, ham]) assert.equal((await servedSubject(d.port)).cn, 'one');
  use(two);
  for (const d of [net, ham]) {
    d.proc.kill('SIGHUP');
    await d.waitLog(/ info reloaded /);
    assert.equal((await servedSubject(d.port)).cn, 'two');
  }
  // A key that does not exist is refused; the current pair stays.
  writeFileSync(file, `services:\n  echo:\n    command: [cat]\n    ws:\n      listen: 127.0.0.1:0\n      tls-cert: ${live.cert}\n      tls-key: ${join(tmp, 'missing.key')}\n`);
  ham.proc.kill('SIGHUP');
  await ham.waitLog(/ warn reload-refused error=".*missing\.key/);
  assert.equal((await servedSubject(ham.port)).cn, 'two');
});
