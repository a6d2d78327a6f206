/** hamelin-http --cgi: the script's own status and headers (HTTP-37 .. HTTP-39), query
 * parameters as H-QUERY-NAME (HTTP-40). Real curl and a real Chromium. */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon, stopAll, type Running } from '../helpers/daemon.js';
import { fixture } from '../helpers/paths.js';
import { curl } from '../helpers/curl.js';
import { launchChromium } from '../helpers/foreign-page.js';
import { live } from './client.js';
import { tempDir } from '../helpers/temp-dir.js';

after(stopAll);
let d: Running;
before(async () => {
  d = await startDaemon('http', ['--port', '0', '--cgi', '--pass-header', 'cookie', '--dir', fixture('http/cgi-form')]);
});

const headerValues = (head: string, name: string): string[] =>
  head
    .split('\r\n')
    .filter((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`))
    .map((l) => l.slice(name.length + 1).trim());

test('HTTP-37 Status, Content-Type and repeated headers reach the client; the body follows the blank line', async () => {
  const r = await curl(d.port, '/r/notfound');
  assert.equal(r.status, 'HTTP/1.1 404 Not Found');
  assert.deepEqual(headerValues(r.head, 'Content-Type'), ['application/json']);
  assert.deepEqual(headerValues(r.head, 'X-Extra'), ['a', 'b']);
  assert.deepEqual(headerValues(r.head, 'X-Content-Type-Options'), ['nosniff']);
  assert.match(r.body, /^\{"error":"nope"\}\n/);
  assert.match(r.body, /Hamelin-Exit: 0/, 'the exit trailer still follows');
});

test('HTTP-37 Location without Status is a 302; Set-Cookie lines pass; a script header replaces the default', async () => {
  const r = await curl(d.port, '/r/redirect');
  assert.equal(r.status, 'HTTP/1.1 302 Found');
  assert.deepEqual(headerValues(r.head, 'Location'), ['/r/landing']);
  assert.deepEqual(headerValues(r.head, 'Set-Cookie'), ['seen=yes; Path=/', 'other=2; Path=/']);
  const l = await curl(d.port, '/r/landing');
  assert.deepEqual(headerValues(l.head, 'Cache-Control'), ['max-age=5']);
  assert.deepEqual(headerValues(l.head, 'Content-Type'), ['text/html; charset=utf-8']);
  const e = await curl(d.port, '/r/empty');
  assert.equal(e.status, 'HTTP/1.1 200 OK');
  assert.deepEqual(headerValues(e.head, 'Content-Type'), ['text/plain; charset=utf-8'], 'no Content-Type: the daemon default');
  const n = await curl(d.port, '/r/nocontent');
  assert.equal(n.status, 'HTTP/1.1 204 No Content');
  assert.equal(n.body, '', 'a 204 has no body and no trailer');
});

test('HTTP-37 the body after the header section streams: the first event arrives before the script reads its input', async () => {
  const c = live(d.port, { method: 'POST', path: '/r/stream' });
  const res = await c.response;
  assert.equal(res.statusCode, 201);
  assert.equal(res.headers['content-type'], 'text/event-stream');
  await c.waitFor('data: one\n\n');
  c.req.end('two\n');
  const r = await c.ended;
  assert.equal(r.body, 'data: one\n\ndata: two\n\n');
  assert.equal(r.trailers['hamelin-exit'], '3');
});

test('HTTP-38 HTTP-39 a bad header section is a 502, nothing of the output reaches the client, and one log line says why', async () => {
  const cases: [string, RegExp][] = [
    ['badname', /invalid header line \\"Bad Name: x\\"/],
    ['inject', /invalid value for header X-A/],
    ['fold', /invalid header line \\" X-Folded: 1\\"/],
    ['length', /header Content-Length is the daemon's/],
    ['exitheader', /header Hamelin-Exit is the daemon's/],
    ['status1xx', /invalid Status \\"101 Switching Protocols\\" \(200-599\)/],
    ['status600', /invalid Status \\"600 Nope\\" \(200-599\)/],
    ['twostatus', /Status given twice/],
    ['unended', /output ended before the blank line ending the header section/],
    ['flood', /header section over 16384 bytes \(--max-cgi-header\)/],
  ];
  for (const [name, why] of cases) {
    const r = await curl(d.port, `/r/${name}`, ['-d', 'input']);
    assert.equal(r.status, 'HTTP/1.1 502 Bad Gateway', name);
    assert.equal(r.body, 'hamelin: bad gateway: invalid CGI header section from the script\n', name);
    assert.doesNotMatch(r.head + r.body, /secret|Injected|Folded|X-Many|X-A/, name);
    const line = await d.waitLog(new RegExp(`request client=\\S+ method=POST path=/r/${name} http_status=502 .*error="${why.source}`));
    assert.ok(line, name);
    const mentions = d.stderr().split('\n').filter((l) => why.test(l));
    assert.equal(mentions.length, 1, `${name}: one log line names the problem`);
  }
  // The flooding script was ended, not left writing into nothing.
  await d.waitLog(/end client=\S+ pid=\d+ signal=SIGTERM ended_by=client-protocol bytes_in=\d+ bytes_out=\d{5,}/);
});

test('HTTP-38 no output at all is told by how the script ended, as without --cgi', async () => {
  const r = await curl(d.port, '/r/silent');
  assert.equal(r.status, 'HTTP/1.1 200 OK');
  assert.match(r.head, /\r\nHamelin-Exit: 0/);
});

test('HTTP-40 query parameters arrive decoded as H-QUERY-NAME; _ and - are one name, repeats are joined with commas', async () => {
  const q = 'a=1&user_id=x%20y&User-Id=z&b+c=odd&e=%C3%A9+f&n%2Fm=odd&empty=';
  const r = await curl(d.port, `/r/query?${q}`);
  assert.equal(r.status, 'HTTP/1.1 200 OK');
  const body = Buffer.from(r.body, 'latin1').toString('utf8');
  assert.equal(body.slice(0, body.indexOf('Hamelin-Exit')).trimEnd(), [`H_QUERY=${q}`, 'H_QUERY_A=1', 'H_QUERY_E=é f', 'H_QUERY_EMPTY=', 'H_QUERY_USER_ID=x y,z'].join('\n'));
});

test('HTTP-37 HTTP-40 without --cgi the output is the body as before and no H-QUERY-NAME is set', async () => {
  const plain = await startDaemon('http', ['--port', '0', '--dir', fixture('http/cgi-form')]);
  const r = await curl(plain.port, '/r/notfound');
  assert.equal(r.status, 'HTTP/1.1 200 OK');
  assert.match(r.body, /^Status: 404 Not Found\r\n/);
  const q = await curl(plain.port, '/r/query?a=1');
  assert.match(q.body, /^Content-Type: text\/plain\n\nH_QUERY=a=1\nHamelin-Exit/);
});

test('HTTP-37 HTTP-38 OPS-01 cgi and max-cgi-header are keys of the hamelin command config', async () => {
  const file = join(tempDir('hamelin-cgi-'), 'cgi.yaml');
  writeFileSync(file, `services:\n  cgi:\n    dir: ${fixture('http/cgi-form')}\n    http: { listen: 127.0.0.1:0, cgi: true, max-cgi-header: 100 }\n`);
  const h = await startDaemon('hamelin', ['--config', file]);
  assert.equal((await curl(h.port, '/r/notfound')).status, 'HTTP/1.1 404 Not Found');
  assert.equal((await curl(h.port, '/r/flood')).status, 'HTTP/1.1 502 Bad Gateway');
  await h.waitLog(/error="header section over 100 bytes \(--max-cgi-header\)"/);
});

test('HTTP-37 Chromium keeps the cookies a redirect set and follows it', async () => {
  const browser = await launchChromium();
  try {
    const tab = await browser.newPage();
    const r = await tab.goto(`http://127.0.0.1:${d.port}/r/redirect`);
    assert.equal(r?.status(), 200);
    assert.equal(new URL(tab.url()).pathname, '/r/landing');
    assert.equal(await tab.textContent('#c'), 'cookie=seen=yes; other=2');
  } finally {
    await browser.close();
  }
});
