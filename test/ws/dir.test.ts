/** hamelin-ws --dir: the URL path picks the executable (WS-17, WS-18). */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, stopAll, type Running } from '../helpers/daemon.js';
import { fixture } from '../helpers/paths.js';
import { handshakeStatus, rawResponse, rawStatus, upgradeRequest, wsConnect } from './client.js';

after(stopAll);
let d: Running;
before(async () => {
  d = await startDaemon('ws', ['--port', '0', '--dir', fixture('ws/dir')]);
});

test('WS-17 the URL path picks the script; the rest is H-PATH-INFO', async () => {
  const c = await wsConnect(`ws://127.0.0.1:${d.port}/info.sh/extra/p%20q?x=1`);
  assert.deepEqual(await c.closed, { code: 1000, reason: 'exit status 0' });
  assert.deepEqual(c.messages, ['script=/info.sh', 'info=/extra/p q', 'path=/info.sh/extra/p%20q', 'query=x=1']);
});

test('WS-02 WS-17 scripts in subdirectories are served, one process per connection', async () => {
  const a = await wsConnect(`ws://127.0.0.1:${d.port}/sub/echo.sh`);
  const b = await wsConnect(`ws://127.0.0.1:${d.port}/sub/echo.sh`);
  a.send('to a');
  b.send('to b');
  await a.waitFor(/^to a$/);
  await b.waitFor(/^to b$/);
  assert.deepEqual([a.messages, b.messages], [['to a'], ['to b']]);
  a.ws.close();
  b.ws.close();
});

test('WS-17 missing, not executable, a directory, hidden: 404 before the upgrade', async () => {
  for (const p of ['/nope.sh', '/readme.txt', '/sub', '/sub/', '/', '/.secret.sh'])
    assert.equal(await handshakeStatus(`ws://127.0.0.1:${d.port}${p}`), 404, p);
});

test('WS-18 every 404 is the same answer: the reason is logged, never told to the client', async () => {
  // Missing, not executable, a directory, hidden, a dot segment, an encoded separator, a
  // symlink out: a prober must not learn which names exist.
  const paths = ['/nope.sh', '/readme.txt', '/sub', '/.secret.sh', '/../outside.sh', '/..%2foutside.sh', '/escape.sh'];
  const c = await startDaemon('ws', ['--port', '0', '--console', '--dir', fixture('ws/dir')]);
  for (const daemon of [d, c]) {
    for (const p of paths) {
      for (const request of [upgradeRequest(p), `GET ${p} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`]) {
        const r = await rawResponse(daemon.port, request);
        assert.deepEqual(r, { status: 404, body: '404 Not Found\n' }, `${p} ${request.split('\r\n')[2]}`);
      }
    }
  }
  await d.waitLog(/refused .*status=404 reason="?not executable/);
  await c.waitLog(/refused .*status=404 reason="?outside the directory/);
});

test('WS-18 no escape from DIR: dot segments, encoded separators, symlinks', async () => {
  const cases: [string, number][] = [
    ['/../outside.sh', 404],
    ['/sub/../../outside.sh', 404],
    ['/%2e%2e/outside.sh', 404],
    ['/..%2foutside.sh', 404],
    ['/sub%2f..%2f..%2foutside.sh', 404],
    ['/..%5coutside.sh', 404],
    ['/info.sh%00', 404],
    ['/escape.sh', 404],
    ['/up/outside.sh', 404],
    ['/up/dir/info.sh', 404],
  ];
  const starts = (): number => (d.stderr().match(/ start /g) ?? []).length;
  const before = starts();
  for (const [p, status] of cases) assert.equal(await rawStatus(d.port, upgradeRequest(p)), status, p);
  assert.equal(starts(), before, 'no process was started for any of them');
  await d.waitLog(/refused .*status=404 reason="?dot segment/);
});

test('WS-19 WS-17 with --dir and --console, the page is served where an executable is, 404 elsewhere', async () => {
  const c = await startDaemon('ws', ['--port', '0', '--console', '--dir', fixture('ws/dir')]);
  const status = (path: string): Promise<number> => rawStatus(c.port, `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
  assert.equal(await status('/sub/echo.sh'), 200);
  assert.equal(await status('/nope.sh'), 404);
  assert.equal(await status('/../outside.sh'), 404);
});
