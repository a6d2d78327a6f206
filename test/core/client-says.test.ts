/**
 * CORE-37: what the daemon itself tells a remote client never names a path on the server: a
 * command that cannot start is named by its last path component; the log keeps the full path.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'node:http';
import { startDaemon, stopAll } from '../helpers/daemon.js';
import { roundTrip } from '../helpers/tcp.js';
import { wsConnect } from '../ws/client.js';
import { tempDir } from '../helpers/temp-dir.js';

after(stopAll);
const dir = tempDir('hamelin-says-');
after(() => rmSync(dir, { recursive: true, force: true }));

/** A script that exists at startup (CORE-18) and is gone when the client comes. */
function vanishing(name: string): { path: string; remove: () => void } {
  const path = join(dir, name);
  writeFileSync(path, '#!/bin/sh\necho fine\n', { mode: 0o755 });
  return { path, remove: () => rmSync(path) };
}

test('CORE-37 hamelin-net: the client is told the command name, the log has the full path', async () => {
  const s = vanishing('gone-net.sh');
  const d = await startDaemon('net', ['127.0.0.1', '0', s.path]);
  s.remove();
  const said = (await roundTrip(d.port, '')).toString();
  assert.equal(said, 'hamelin: cannot start gone-net.sh: ENOENT\n');
  assert.ok(!said.includes(dir));
  await d.waitLog(new RegExp(`spawn-failed .*command=${s.path.replace(/[.]/g, '\\.')} `));
});

test('CORE-37 hamelin-ws: the message names the command, not its path', async () => {
  const s = vanishing('gone-ws.sh');
  const d = await startDaemon('ws', ['--port', '0', s.path]);
  s.remove();
  const c = await wsConnect(`ws://127.0.0.1:${d.port}/`);
  await c.closed;
  assert.deepEqual(c.messages, ['hamelin: cannot start gone-ws.sh: ENOENT']);
});

test('CORE-37 hamelin-http: the 500 body names the command, not its path', async () => {
  const s = vanishing('gone-http.sh');
  const d = await startDaemon('http', ['--port', '0', s.path]);
  s.remove();
  const body = await new Promise<string>((resolve, reject) => {
    request({ port: d.port, host: '127.0.0.1', path: '/' }, (res) => {
      let b = '';
      res.setEncoding('utf8').on('data', (x: string) => (b += x)).on('end', () => resolve(b));
    })
      .on('error', reject)
      .end();
  });
  assert.equal(body, 'hamelin: cannot start gone-http.sh: ENOENT\n');
});
