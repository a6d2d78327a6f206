/** hamelin-ws --static DIR (WS-27): files for plain GET and HEAD, with --dir's traversal rules. */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, stopAll, type Running } from '../helpers/daemon.js';
import { fixture } from '../helpers/paths.js';
import { curl, header, TRAVERSAL } from '../helpers/curl.js';
import { wsConnect } from './client.js';

after(stopAll);
let d: Running;
before(async () => {
  d = await startDaemon('ws', ['--port', '0', '--console', '--static', fixture('static'), 'cat']);
});

test('WS-27 a file, Range, If-None-Match and HEAD, by send', async () => {
  const r = await curl(d.port, '/hello.txt');
  assert.equal(r.status, 'HTTP/1.1 200 OK');
  assert.equal(r.body, 'hello static\n');
  assert.match(header(r.head, 'Content-Type') ?? '', /^text\/plain; charset=utf-8$/i);
  assert.ok(header(r.head, 'Last-Modified'));
  const etag = header(r.head, 'ETag')!;
  assert.equal((await curl(d.port, '/hello.txt', ['-H', `If-None-Match: ${etag}`])).status, 'HTTP/1.1 304 Not Modified');
  const part = await curl(d.port, '/hello.txt', ['-r', '6-11']);
  assert.equal(part.status, 'HTTP/1.1 206 Partial Content');
  assert.equal(part.body, 'static');
  const head = await curl(d.port, '/hello.txt', ['-I']);
  assert.deepEqual([head.status, header(head.head, 'Content-Length'), head.body], ['HTTP/1.1 200 OK', '13', '']);
});

test('WS-27 WS-19 index.html wins over the console page; where no file is, the console page; upgrades are untouched', async () => {
  assert.match((await curl(d.port, '/')).body, /home page/);
  assert.equal((await curl(d.port, '/docs/')).body, '<p>docs</p>\n');
  assert.match((await curl(d.port, '/sub/')).body, /<!doctype html>/i, 'no index.html: the console page, not a listing');
  assert.doesNotMatch((await curl(d.port, '/sub/')).body, /page\.html/);
  const c = await wsConnect(`ws://127.0.0.1:${d.port}/hello.txt`);
  c.send('still a session');
  await c.waitFor(/^still a session$/);
  c.ws.close();
});

test('WS-27 WS-17 the --dir traversal list is a 404 for --static', async () => {
  const plain = await startDaemon('ws', ['--port', '0', '--static', fixture('static'), 'cat']);
  for (const target of TRAVERSAL) {
    const r = await curl(plain.port, target);
    assert.match(r.status, /^HTTP\/1\.1 (404|426) /, target);
    assert.doesNotMatch(r.body, /outside|secret/, target);
  }
  assert.equal((await curl(plain.port, '/hello.txt')).body, 'hello static\n');
});
