/** hamelin-http: HTTP/1.0 clients (HTTP-32) and the safe methods HEAD and OPTIONS (HTTP-33). */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon, stopAll, type Running } from '../helpers/daemon.js';
import { dial } from '../helpers/tcp.js';
import { fixture } from '../helpers/paths.js';
import { fetchText } from './client.js';
import { tempDir } from '../helpers/temp-dir.js';

after(stopAll);
const tmp = tempDir('hamelin-http-methods-');
const starts = (d: Running): number => (d.stderr().match(/ start client=/g) ?? []).length;

/** Send a request exactly as written and read until the daemon closes the connection. */
async function raw(port: number, request: string): Promise<{ head: string; body: string }> {
  const c = await dial(port);
  c.socket.write(request);
  const all = (await c.closed).toString('latin1');
  const i = all.indexOf('\r\n\r\n');
  return { head: i < 0 ? all : all.slice(0, i), body: i < 0 ? '' : all.slice(i + 4) };
}

/** A plain request that runs the command: once it is logged, anything an earlier request
 * started has been logged before it, since the daemon logs `start` before it answers. */
async function ranSince(d: Running, before: number): Promise<number> {
  const r = await fetchText(d.port, { path: '/?probe' });
  assert.equal(r.status, 200);
  return starts(d) - before - 1;
}

test('HTTP-32 an HTTP/1.0 request: streamed without chunks or trailer, Connection: close, body until EOF; the daemon stays up', async () => {
  const d = await startDaemon('http', ['--port', '0', 'sh', '-c', 'echo one; printf two; exit 3']);
  const r = await raw(d.port, 'GET / HTTP/1.0\r\nUser-Agent: old/1\r\n\r\n');
  assert.match(r.head, /^HTTP\/1\.1 200 /);
  assert.doesNotMatch(r.head, /transfer-encoding|trailer|content-length/i);
  assert.match(r.head, /\r\nConnection: close/i);
  assert.equal(r.body, 'one\ntwo', 'the output as it is, ended by the close');
  await d.waitLog(/request client=\S+ method=GET path=\/ http_status=200 status=3/);
  const again = await fetchText(d.port);
  assert.equal(again.trailers['hamelin-exit'], '3', 'still serving HTTP/1.1 with its trailer');
});

test('HTTP-32 HTTP/1.0 with keep-alive and a body: the answer still streams to EOF; CORE-03', async () => {
  const go = join(tmp, 'go-10');
  const d = await startDaemon('http', ['--port', '0', 'sh', '-c', `read l; echo "got $l"; while [ ! -e ${go} ]; do sleep 0.05; done; echo end`]);
  const c = await dial(d.port);
  c.socket.write('POST / HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 3\r\n\r\nab\n');
  await c.waitFor('got ab\n');
  assert.doesNotMatch(c.text(), /end/, 'the first line came while the script still ran');
  writeFileSync(go, '');
  const all = (await c.closed).toString();
  assert.match(all, /\r\n\r\ngot ab\nend\n$/);
  assert.match(all, /\r\nConnection: close/i);
});

test('HTTP-32 an HTTP/1.0 answer with nothing written keeps its Content-Length and Hamelin-Exit header; HTTP-05', async () => {
  const d = await startDaemon('http', ['--port', '0', 'sh', '-c', 'exit 4']);
  const r = await raw(d.port, 'GET / HTTP/1.0\r\n\r\n');
  assert.match(r.head, /^HTTP\/1\.1 500 /);
  assert.match(r.head, /\r\nHamelin-Exit: 4\r\n/);
  assert.equal(r.body, 'hamelin: exit status 4\n');
});

test('HTTP-33 HEAD runs nothing: 200 with the head of a streamed answer and no body; the daemon stays up', async () => {
  const d = await startDaemon('http', ['--port', '0', 'echo', 'side effect']);
  const before = starts(d);
  const r = await raw(d.port, 'HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  assert.match(r.head, /^HTTP\/1\.1 200 /);
  assert.match(r.head, /\r\nContent-Type: text\/plain; charset=utf-8/i);
  assert.match(r.head, /\r\nX-Content-Type-Options: nosniff/i);
  assert.doesNotMatch(r.head, /trailer/i);
  assert.equal(r.body, '');
  await d.waitLog(/request client=\S+ method=HEAD path=\/ http_status=200 ran=nothing/);
  // HTTP/1.0 HEAD (curl -0 -I) was the other way to crash the daemon.
  const old = await raw(d.port, 'HEAD / HTTP/1.0\r\n\r\n');
  assert.match(old.head, /^HTTP\/1\.1 200 /);
  assert.equal(await ranSince(d, before), 0, 'no HEAD ran the command');
});

test('HTTP-33 OPTIONS runs nothing: 204 with Allow, also for OPTIONS *; HTTP-16', async () => {
  const d = await startDaemon('http', ['--port', '0', 'echo', 'side effect']);
  const before = starts(d);
  const r = await fetchText(d.port, { method: 'OPTIONS' });
  assert.equal(r.status, 204);
  assert.equal(r.headers.allow, 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS');
  const star = await raw(d.port, 'OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  assert.match(star.head, /^HTTP\/1\.1 204 /);
  assert.equal(await ranSince(d, before), 0, 'no OPTIONS ran the command');
});

test('HTTP-33 HTTP-31 with --dir, HEAD and OPTIONS are 404 where no script is, and run nothing where one is', async () => {
  const d = await startDaemon('http', ['--port', '0', '--dir', fixture('http/cgi')]);
  assert.equal((await fetchText(d.port, { method: 'HEAD', path: '/missing' })).status, 404);
  assert.equal((await fetchText(d.port, { method: 'OPTIONS', path: '/missing' })).status, 404);
  assert.equal((await fetchText(d.port, { method: 'HEAD', path: '/hello' })).status, 200);
  assert.equal((await fetchText(d.port, { method: 'OPTIONS', path: '/hello' })).status, 204);
  const r = await fetchText(d.port, { path: '/hello' });
  assert.match(r.body, /^hello /);
  assert.equal(starts(d), 1, 'only the GET ran a script');
});

test('HTTP-33 HTTP-26 a HEAD of a long-poll session is 405 and hands over no output', async () => {
  const d = await startDaemon('http', ['--port', '0', 'sh', '-c', 'echo kept; read l']);
  const id = (await fetchText(d.port, { path: '/.hamelin/poll' })).body.trim();
  const at = `/.hamelin/session/${id}`;
  await d.waitLog(/ start client=/);
  const head = await fetchText(d.port, { method: 'HEAD', path: at });
  assert.equal(head.status, 405);
  assert.equal(head.headers.allow, 'GET, POST, DELETE');
  const poll = await fetchText(d.port, { path: at });
  assert.equal(poll.body, 'kept\n');
  await fetchText(d.port, { method: 'DELETE', path: at });
});
