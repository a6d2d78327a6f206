/** The core's reader of a --cgi header section (HTTP-37, HTTP-38): pieces of any size, the limit
 * at its exact edge, CRLF or LF. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CgiHeadReader, parseCgiHead } from '@hamelin/core';

test('HTTP-37 a header section split into one-byte pieces gives the same head and the body after it', () => {
  const text = Buffer.from('Status: 404 Not Found\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\nX-Y:  spaced value \r\n\r\nbody\n');
  const r = new CgiHeadReader(16384);
  let step;
  let i = 0;
  for (; i < text.length && step === undefined; i++) step = r.push(text.subarray(i, i + 1));
  assert.ok(step && 'head' in step);
  assert.equal(step.head.status, 404);
  assert.equal(step.head.reason, 'Not Found');
  assert.deepEqual(step.head.headers, [['Set-Cookie', 'a=1'], ['Set-Cookie', 'b=2'], ['X-Y', 'spaced value']]);
  assert.equal(Buffer.concat([step.rest, text.subarray(i)]).toString(), 'body\n');
});

test('HTTP-38 the limit counts the header section with its blank line, to the byte', () => {
  const text = Buffer.from('X-A: 1\n\nbody');
  const fits = new CgiHeadReader(8).push(text);
  assert.ok(fits && 'head' in fits);
  assert.equal(fits.rest.toString(), 'body');
  assert.deepEqual(new CgiHeadReader(7).push(text), { error: 'header section over 7 bytes (--max-cgi-header)' });
  const r = new CgiHeadReader(7);
  assert.equal(r.push(Buffer.from('X-A: 1')), undefined, 'under the limit and unfinished: wait');
  assert.deepEqual(r.push(Buffer.from('23')), { error: 'header section over 7 bytes (--max-cgi-header)' });
});

test('HTTP-37 HTTP-38 HTTP-39 Status and Location defaults; what is refused', () => {
  const head = (s: string) => parseCgiHead(Buffer.from(s));
  assert.deepEqual(head(''), { status: 200, reason: undefined, headers: [] });
  assert.deepEqual(head('Location: /x\n'), { status: 302, reason: undefined, headers: [['Location', '/x']] });
  assert.deepEqual(head('Status: 303\nLocation: /x\n'), { status: 303, reason: undefined, headers: [['Location', '/x']] });
  for (const bad of ['Status: 199\n', 'Status: 600\n', 'Status: 20x\n', 'Status: 2000\n', 'X A: 1\n', ': 1\n', 'X-A 1\n', 'X-A: a\x01b\n', 'X-A: a\rb\n', ' folded\n', 'Content-Length: 1\n', 'transfer-encoding: chunked\n', 'Trailer: X\n', 'Connection: close\n', 'hamelin-exit: 0\n', 'Hamelin-Session: x\n']) {
    assert.ok('error' in head(bad), JSON.stringify(bad));
  }
});
