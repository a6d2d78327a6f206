/** hamelin-http --static DIR (HTTP-41): files by send, with --dir's traversal rules. Real curl. */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { curl, header, TRAVERSAL } from '../helpers/curl.js';
import { startDaemon, stopAll, type Running } from '../helpers/daemon.js';
import { fixture } from '../helpers/paths.js';

after(stopAll);
let d: Running;
before(async () => {
  d = await startDaemon('http', ['--port', '0', '--static', fixture('static'), 'echo', 'ran the command']);
});

const starts = (r: Running): number => (r.stderr().match(/ start client=/g) ?? []).length;

test('HTTP-41 a file: 200 with its MIME type, ETag, Last-Modified and Accept-Ranges; nothing runs', async () => {
  const before = starts(d);
  const r = await curl(d.port, '/hello.txt');
  assert.equal(r.status, 'HTTP/1.1 200 OK');
  assert.equal(r.body, 'hello static\n');
  assert.match(header(r.head, 'Content-Type') ?? '', /^text\/plain; charset=utf-8$/i);
  assert.match(header(r.head, 'ETag') ?? '', /^W\/"[^"]+"$/);
  assert.ok(header(r.head, 'Last-Modified'));
  assert.equal(header(r.head, 'Accept-Ranges'), 'bytes');
  assert.match(header((await curl(d.port, '/style.css')).head, 'Content-Type') ?? '', /^text\/css/);
  assert.equal(starts(d), before, 'no process was started');
  await d.waitLog(/request client=\S+ method=GET path=\/hello\.txt http_status=200 ran=static/);
});

test('HTTP-41 Range gives 206, If-None-Match 304, HEAD the head alone', async () => {
  const part = await curl(d.port, '/hello.txt', ['-r', '0-4']);
  assert.equal(part.status, 'HTTP/1.1 206 Partial Content');
  assert.equal(header(part.head, 'Content-Range'), 'bytes 0-4/13');
  assert.equal(part.body, 'hello');
  const etag = header((await curl(d.port, '/hello.txt')).head, 'ETag')!;
  const same = await curl(d.port, '/hello.txt', ['-H', `If-None-Match: ${etag}`]);
  assert.equal(same.status, 'HTTP/1.1 304 Not Modified');
  assert.equal(same.body, '');
  const head = await curl(d.port, '/hello.txt', ['-I']);
  assert.equal(head.status, 'HTTP/1.1 200 OK');
  assert.equal(header(head.head, 'Content-Length'), '13');
  assert.equal(head.body, '');
  const bad = await curl(d.port, '/hello.txt', ['-r', '100-200']);
  assert.equal(bad.status, 'HTTP/1.1 416 Range Not Satisfiable');
});

test('HTTP-41 a directory serves its index.html, else the command as without --static; never a listing', async () => {
  assert.match((await curl(d.port, '/')).body, /home page/);
  assert.equal((await curl(d.port, '/docs/')).body, '<p>docs</p>\n');
  assert.equal((await curl(d.port, '/docs')).body, '<p>docs</p>\n');
  const sub = await curl(d.port, '/sub/');
  assert.doesNotMatch(sub.body, /page\.html/);
  assert.match(sub.body, /^ran the command\n/, 'no file: the request runs the command');
});

test('HTTP-41 HTTP-31 the --dir traversal list never reaches a file outside DIR or a hidden one', async () => {
  const only = await startDaemon('http', ['--port', '0', '--static', fixture('static'), '--dir', fixture('static/docs')]);
  for (const target of TRAVERSAL) {
    const r = await curl(only.port, target);
    assert.equal(r.status, 'HTTP/1.1 404 Not Found', target);
    assert.doesNotMatch(r.body, /outside|secret/, target);
  }
  assert.equal(starts(only), 0, 'no process was started');
});

test('HTTP-41 precedence: a --dir script first, then a --static file; a POST never reads a file', async () => {
  const both = await startDaemon('http', ['--port', '0', '--static', fixture('static'), '--dir', fixture('http/cgi')]);
  assert.match((await curl(both.port, '/hello')).body, /^hello script=\/hello /, 'the script, not the file named hello');
  assert.equal((await curl(both.port, '/hello.txt')).body, 'hello static\n');
  const post = await curl(d.port, '/hello.txt', ['-d', 'x']);
  assert.match(post.body, /^ran the command\n/);
});

test('HTTP-41 a --static that is not a directory: one stderr line, non-zero exit, nothing listens', async () => {
  const out = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const p = execFile(process.execPath, [fixture('../../packages/http/dist/cli.js'), '--port', '0', '--static', fixture('static/hello.txt'), 'cat'], (err, _o, stderr) =>
      resolve({ code: err ? (err as { code?: number }).code ?? 1 : 0, stderr }),
    );
    p.stdin?.end();
  });
  assert.notEqual(out.code, 0);
  assert.match(out.stderr, /--static \S+hello\.txt: not a directory/);
  assert.equal(out.stderr.trim().split('\n').length, 1);
});
