/**
 * hamelin-http against pages of other origins (HTTP-34, HTTP-35), header bytes (HTTP-36),
 * absolute-form targets (HTTP-08) and requests that cannot be parsed (HTTP-13).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import { promisify } from 'node:util';
import { startDaemon, stopAll } from '../helpers/daemon.js';
import { bin, fixture } from '../helpers/paths.js';
import { descriptors, halfOpen, rawExchange, settledDescriptors } from '../helpers/raw-http.js';
import { eventually } from '../helpers/poll.js';
import { fetchText } from './client.js';

after(stopAll);
const run = promisify(execFile);
const starts = (s: string): number => (s.match(/ start client=/g) ?? []).length;

/** curl, as a page's request would reach the daemon: the status and the body. */
async function curl(port: number, args: string[], path = '/'): Promise<{ status: number; body: string }> {
  const r = await run('curl', ['-s', '--max-time', '5', '-w', '\n%{http_code}', ...args, `http://127.0.0.1:${port}${path}`]);
  const at = r.stdout.lastIndexOf('\n');
  return { status: Number(r.stdout.slice(at + 1)), body: r.stdout.slice(0, at) };
}

test('HTTP-34 a request from another origin runs nothing: 403, logged, no process (POST, GET, SSE, poll, session)', async () => {
  const d = await startDaemon('http', ['--port', '0', 'cat']);
  const evil = ['-H', 'Origin: http://evil.example'];
  const post = await curl(d.port, [...evil, '--data-binary', 'rm -rf ~']);
  assert.equal(post.status, 403);
  assert.equal(post.body, "hamelin: forbidden: Origin http://evil.example not allowed (see --origin)\n");
  assert.equal((await curl(d.port, evil)).status, 403, 'a GET runs the command too');
  assert.equal((await curl(d.port, [...evil, '-H', 'Accept: text/event-stream'])).status, 403, 'an SSE session');
  assert.equal((await curl(d.port, [...evil, '-X', 'POST'], '/.hamelin/poll')).status, 403, 'a long-poll session');
  assert.equal((await curl(d.port, ['-H', 'Origin: null', '-X', 'POST'])).status, 403, 'an opaque origin (sandboxed frame)');
  assert.equal((await curl(d.port, ['-H', `Origin: http://127.0.0.1:${d.port + 1}`, '-X', 'POST'])).status, 403, 'another port');
  // What a browser sends for an <img>, a <script> or a link from another site: no Origin.
  assert.equal((await curl(d.port, ['-H', 'Sec-Fetch-Site: cross-site'])).status, 403);
  assert.equal((await curl(d.port, ['-H', 'Sec-Fetch-Site: same-site', '-H', 'Sec-Fetch-Mode: navigate'])).status, 403);
  await d.waitLog(/warn refused client=127\.0\.0\.1:\d+ http_status=403 reason="Origin http:\/\/evil\.example not allowed/);
  assert.equal(starts(d.stderr()), 0, 'no process for any of them');

  // A session opened by the daemon's own page is not reachable from another origin either.
  const own = `http://127.0.0.1:${d.port}`;
  const opened = await curl(d.port, ['-H', `Origin: ${own}`, '-X', 'POST'], '/.hamelin/poll');
  assert.equal(opened.status, 200);
  const id = opened.body.trim();
  assert.equal((await curl(d.port, [...evil, '--data-binary', 'x'], `/.hamelin/session/${id}`)).status, 403);
  assert.equal((await curl(d.port, [...evil, '-X', 'DELETE'], `/.hamelin/session/${id}`)).status, 403);
  assert.equal((await curl(d.port, ['-H', `Origin: ${own}`, '-X', 'DELETE'], `/.hamelin/session/${id}`)).status, 204);
});

test('HTTP-34 what stays open: the own origin, programs (no Origin), same-origin fetch metadata, HEAD and OPTIONS', async () => {
  const d = await startDaemon('http', ['--port', '0', 'echo', 'ran']);
  assert.deepEqual(await curl(d.port, ['-H', `Origin: http://127.0.0.1:${d.port}`, '-X', 'POST']), { status: 200, body: 'ran\n' });
  assert.deepEqual(await curl(d.port, []), { status: 200, body: 'ran\n' }, 'curl sends no Origin');
  assert.equal((await curl(d.port, ['-H', 'Sec-Fetch-Site: same-origin'])).status, 200);
  assert.equal((await curl(d.port, ['-H', 'Sec-Fetch-Site: none'])).status, 200, 'typed in the address bar');
  assert.equal((await curl(d.port, ['-I', '-H', 'Origin: http://evil.example'])).status, 200, 'HEAD runs nothing, so it is answered');
  assert.equal(starts(d.stderr()), 4);
});

test('HTTP-34 --origin and --cors allow further origins; --origin \'*\' any', async () => {
  const d = await startDaemon('http', ['--port', '0', '--origin', 'https://app.example', '--origin', '*.good.test', '--cors', 'https://reader.example', 'echo', 'ran']);
  for (const o of ['https://app.example', 'http://a.good.test', 'https://reader.example']) {
    assert.equal((await curl(d.port, ['-H', `Origin: ${o}`, '-X', 'POST'])).status, 200, o);
  }
  for (const o of ['http://app.example', 'https://app.example:444', 'http://good.test', 'http://reader.example']) {
    assert.equal((await curl(d.port, ['-H', `Origin: ${o}`, '-X', 'POST'])).status, 403, o);
  }
  const any = await startDaemon('http', ['--port', '0', '--origin', '*', 'echo', 'ran']);
  assert.equal((await curl(any.port, ['-H', 'Origin: http://evil.example', '-X', 'POST'])).status, 200);
  assert.equal((await curl(any.port, ['-H', 'Sec-Fetch-Site: cross-site'])).status, 200);
});

test('HTTP-34 TLS: the own origin is https://', async () => {
  const d = await startDaemon('http', ['--port', '0', '--tls-cert', fixture('ws/cert.pem'), '--tls-key', fixture('ws/key.pem'), 'echo', 'ran']);
  const status = async (origin: string): Promise<number> =>
    (await fetchText(d.port, { https: true, method: 'POST', headers: { Origin: origin } })).status;
  assert.equal(await status(`https://127.0.0.1:${d.port}`), 200);
  assert.equal(await status(`http://127.0.0.1:${d.port}`), 403);
});

test('HTTP-35 CORE-18 an --origin or --cors that is not an origin: one line, exit 2', () => {
  const cases: [string[], RegExp][] = [
    [['--origin', 'https://app.example/app'], /^hamelin-http: --origin https:\/\/app\.example\/app: a path is not part of an origin/],
    [['--origin', 'https://u:p@app.example'], /^hamelin-http: --origin https:\/\/u:p@app\.example: user info/],
    [['--origin', 'https://%61pp.example'], /^hamelin-http: --origin https:\/\/%61pp\.example: percent-encoding/],
    [['--cors', 'https://app.example/x'], /^hamelin-http: --cors https:\/\/app\.example\/x: a path/],
  ];
  for (const [args, re] of cases) {
    const r = spawnSync(process.execPath, [bin('http'), '--port', '0', ...args, 'cat'], { encoding: 'utf8', timeout: 10_000 });
    assert.equal(r.status, 2, args.join(' '));
    assert.match(r.stderr, re);
    assert.equal(r.stderr.split('\n').length, 2, `one line: ${r.stderr}`);
  }
});

/** The body of a chunked answer, de-chunked (the child's output). */
function dechunk(raw: Buffer): string {
  const text = raw.toString('latin1');
  let rest = text.slice(text.indexOf('\r\n\r\n') + 4);
  let out = '';
  for (;;) {
    const nl = rest.indexOf('\r\n');
    const n = parseInt(rest.slice(0, nl), 16);
    if (!n) return out;
    out += rest.slice(nl + 2, nl + 2 + n);
    rest = rest.slice(nl + 2 + n + 2);
  }
}

test('HTTP-36 header values reach the child as the bytes the client sent (UTF-8), not encoded twice', async () => {
  const d = await startDaemon('http', ['--port', '0', fixture('ws/env-hex.sh'), 'H_CLIENT', 'H_HEADER_USER_AGENT', 'H_HEADER_X_NAME', 'H_CONTENT_TYPE', 'H_HEADER_X_BAD']);
  const request = Buffer.concat([
    Buffer.from('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nUser-Agent: café\r\nX-Name: 日本 ü\r\nContent-Type: text/plain; name="ü"\r\nX-Bad: a'),
    Buffer.from([0xff, 0x62]),
    Buffer.from('\r\n\r\n'),
  ]);
  const hex = (s: string | Buffer): string => Buffer.from(s).toString('hex');
  assert.equal(
    dechunk(await rawExchange(d.port, request)),
    [
      `H_CLIENT=${hex('café')}`,
      `H_HEADER_USER_AGENT=${hex('café')}`,
      `H_HEADER_X_NAME=${hex('日本 ü')}`,
      `H_CONTENT_TYPE=${hex('text/plain; name="ü"')}`,
      `H_HEADER_X_BAD=${hex(Buffer.from([0x61, 0xef, 0xbf, 0xbd, 0x62]))}`,
      '',
    ].join('\n'),
  );
});

test('HTTP-08 an absolute-form request target: H-PATH is the path, without scheme and host; --dir routes on it', async () => {
  const d = await startDaemon('http', ['--port', '0', fixture('ws/echo-env.sh'), 'H_PATH', 'H_QUERY']);
  const req = (target: string): Buffer => Buffer.from(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${d.port}\r\nConnection: close\r\n\r\n`);
  assert.equal(dechunk(await rawExchange(d.port, req(`http://127.0.0.1:${d.port}/a/b%20c?x=1`))), 'H_PATH=/a/b%20c\nH_QUERY=x=1\n');
  assert.equal(dechunk(await rawExchange(d.port, req(`http://127.0.0.1:${d.port}?x=2`))), 'H_PATH=/\nH_QUERY=x=2\n');
  const dir = await startDaemon('http', ['--port', '0', '--dir', fixture('http/cgi')]);
  const viaProxy = await rawExchange(dir.port, Buffer.from(`GET http://127.0.0.1:${dir.port}/hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
  assert.match(viaProxy.toString('latin1'), /^HTTP\/1\.1 200 /);
});

test('HTTP-13 a request that cannot be parsed is logged once, however much more the client sends', async () => {
  const d = await startDaemon('http', ['--port', '0', 'cat']);
  // Resolves on the answer's status line, or on the close: a client still sending when the
  // daemon closes may see a reset instead of the answer (seen under load in a CI run).
  const flood = (head: string, tail: string): Promise<void> =>
    new Promise((resolve) => {
      const s = connect({ port: d.port, host: '127.0.0.1' }, () => {
        s.write(head);
        for (let i = 0; i < 20; i++) s.write('a'.repeat(10_000));
        s.write(tail);
      });
      s.on('error', () => {});
      s.on('close', () => resolve());
      s.on('data', (b: Buffer) => {
        if (!b.toString('latin1').startsWith('HTTP/1.1 4')) return;
        s.destroy();
        resolve();
      });
    });
  await flood('GET / HTTP/1.1\r\nHost: x\r\nX-Big: ', '\r\n\r\n');
  await flood('POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1;', '\r\nx\r\n0\r\n\r\n');
  // A third bad request, logged after any repeat of the first two could have been.
  await flood('BREW / HTTP/1.1\r\n', '\r\n');
  await d.waitLog(/bad-request .*error=HPE_INVALID_METHOD/);
  assert.equal((d.stderr().match(/error=HPE_HEADER_OVERFLOW/g) ?? []).length, 1, d.stderr());
  assert.equal((d.stderr().match(/error=HPE_CHUNK_EXTENSIONS_OVERFLOW/g) ?? []).length, 1, d.stderr());
});

test('HTTP-13 with TLS: a connection that never starts its TLS handshake is closed by --header-timeout, its descriptor freed', async () => {
  const d = await startDaemon('http', ['--port', '0', '--header-timeout', '0.5', '--tls-cert', fixture('ws/cert.pem'), '--tls-key', fixture('ws/key.pem'), 'cat']);
  const pid = d.proc.pid!;
  const base = await settledDescriptors(pid);
  const idle = [halfOpen(d.port, ''), halfOpen(d.port, '')];
  await Promise.all(idle.map((c) => c.closed));
  await d.waitLog(/tls-error client=127\.0\.0\.1:\d+ error=ERR_TLS_HANDSHAKE_TIMEOUT/);
  await eventually(() => descriptors(pid) <= base, `descriptors back to ${base}`);
});
