/** hamelin-http --dir: URL paths name executables in DIR, and nothing outside DIR can run. */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { startDaemon, stopAll, type Running } from '../helpers/daemon.js';
import { fixture } from '../helpers/paths.js';
import { fetchText } from './client.js';

after(stopAll);
let d: Running;
before(async () => {
  d = await startDaemon('http', ['--port', '0', '--dir', fixture('http/cgi')]);
});

/** Send a request line exactly as written: no client library normalises the path. */
function raw(port: number, target: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let got = '';
    s.on('data', (b) => (got += b.toString()));
    s.on('end', () => resolve(got));
    s.on('error', reject);
    s.write(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
  });
}

test('HTTP-31 --dir runs the script the path names, with H-SCRIPT-NAME and H-PATH-INFO', async () => {
  const r = await fetchText(d.port, { path: '/hello/extra/bits?q=1' });
  assert.equal(r.status, 200);
  assert.equal(r.body, 'hello script=/hello info=/extra/bits path=/hello/extra/bits query=q=1\n');
  assert.equal((await fetchText(d.port, { path: '/sub/deep' })).body, 'deep\n');
});

test('HTTP-31 --dir traversal attempts never run anything outside DIR', async () => {
  const cases: [string, number][] = [
    ['/../outside.sh', 404],
    ['/sub/../../outside.sh', 404],
    ['/%2e%2e/outside.sh', 404],
    ['/sub%2f..%2f..%2foutside.sh', 404],
    ['/sub%5cdeep', 404],
    ['/escape', 404], // a symlink leaving DIR
    ['/.hidden', 404],
    ['/notexec', 404],
    ['/missing', 404],
    ['/sub', 404], // a directory names no script
    ['/', 404],
  ];
  const startsBefore = (d.stderr().match(/ start client=/g) ?? []).length;
  for (const [target, status] of cases) {
    const answer = await raw(d.port, target);
    assert.match(answer, new RegExp(`^HTTP/1\\.1 ${status} `), `${target} -> ${answer.split('\r\n')[0]}`);
    assert.doesNotMatch(answer, /outside|hidden|nope/, target);
  }
  assert.equal((d.stderr().match(/ start client=/g) ?? []).length, startsBefore, 'no process was started');
});

test('HTTP-31 --dir with SSE and long-poll sessions', async () => {
  const open = await fetchText(d.port, { path: '/.hamelin/poll/hello/x' });
  assert.equal(open.status, 200);
  const id = open.body.trim();
  let body = '';
  let exit: string | undefined;
  while (exit === undefined) {
    const r = await fetchText(d.port, { path: `/.hamelin/session/${id}` });
    assert.ok(r.status === 200 || r.status === 204, `poll answered ${r.status}`);
    body += r.body;
    exit = r.headers['hamelin-exit'] as string | undefined;
  }
  assert.equal(body, 'hello script=/hello info=/x path=/hello/x query=\n');
  assert.equal(exit, '0');
  assert.equal((await fetchText(d.port, { path: '/.hamelin/poll/escape' })).status, 404);
});
