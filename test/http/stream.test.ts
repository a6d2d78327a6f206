/** hamelin-http plain requests: streaming both ways, status mapping, trailer, env, disconnect. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { readFileSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon, stopAll } from '../helpers/daemon.js';
import { eventually } from '../helpers/poll.js';
import { fixture } from '../helpers/paths.js';
import { fetchText, live } from './client.js';
import { tempDir } from '../helpers/temp-dir.js';

after(stopAll);
const tmp = tempDir('hamelin-http-');

test('HTTP-03 the first line arrives while the script still runs; CORE-03', async () => {
  const d = await startDaemon('http', ['--port', '0', fixture('http/waitfile.sh'), join(tmp, 'go1')]);
  const l = live(d.port);
  l.req.end();
  const res = await l.response;
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['content-type'], 'text/plain; charset=utf-8');
  assert.equal(res.headers['x-accel-buffering'], 'no');
  assert.match(String(res.headers['cache-control']), /no-cache/);
  assert.equal(res.headers['transfer-encoding'], 'chunked');
  await l.waitFor('first\n');
  assert.equal(l.text(), 'first\n', 'the script is still waiting, so only its first line can be here');
  writeFileSync(join(tmp, 'go1'), '');
  const r = await l.ended;
  assert.equal(r.body, 'first\nsecond\n');
  assert.equal(r.trailers['hamelin-exit'], '0');
});

test('HTTP-04 a streamed answer: text/plain UTF-8, no caching, no proxy buffering, nosniff, and the Trailer it ends with', async () => {
  const d = await startDaemon('http', ['--port', '0', 'echo', 'x']);
  const r = await fetchText(d.port);
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-type'], 'text/plain; charset=utf-8');
  assert.equal(r.headers['cache-control'], 'no-cache, no-store');
  assert.equal(r.headers['x-accel-buffering'], 'no');
  assert.equal(r.headers['x-content-type-options'], 'nosniff');
  assert.equal(r.headers.trailer, 'Hamelin-Exit');
  assert.equal(r.headers['transfer-encoding'], 'chunked');
  assert.equal(r.trailers['hamelin-exit'], '0');
});

test('HTTP-02 a Content-Length body is stdin, ended by EOF: sort', async () => {
  const d = await startDaemon('http', ['--port', '0', 'sort']);
  const r = await fetchText(d.port, { method: 'POST', body: 'pear\napple\nfig' });
  assert.equal(r.status, 200);
  assert.equal(r.body, 'apple\nfig\npear\n');
  assert.equal(r.trailers['hamelin-exit'], '0');
});

for (const layer of ['helper', 'child_process'] as const) {
  test(`HTTP-02 a request without a body gives the child /dev/null as its stdin, one with a body a socket (${layer} spawn layer)`, async () => {
    const env = { ...process.env, HAMELIN_SPAWN: layer === 'helper' ? '' : 'child_process' };
    const d = await startDaemon('http', ['--port', '0', 'sh', '-c', 'readlink /proc/self/fd/0; cat'], { env });
    const get = await fetchText(d.port);
    assert.equal(get.status, 200);
    assert.equal(get.body, '/dev/null\n', 'a GET: stdin is /dev/null, read to EOF at once');
    assert.equal(get.trailers['hamelin-exit'], '0');
    const empty = await fetchText(d.port, { method: 'POST', body: '' });
    assert.equal(empty.body, '/dev/null\n', 'Content-Length: 0 is no body either');
    const post = await fetchText(d.port, { method: 'POST', body: 'pear\n' });
    assert.match(post.body, /^socket:\[\d+\]\npear\n$/, 'a body: stdin is a socket carrying it');
    const chunked = await fetchText(d.port, { method: 'PUT', body: '', headers: { 'Transfer-Encoding': 'chunked' } });
    assert.match(chunked.body, /^socket:\[\d+\]\n$/, 'a chunked body, even an empty one, is read from a socket');
  });
}

test('HTTP-02 a chunked upload streams: each line is answered before the next is sent', async () => {
  const d = await startDaemon('http', ['--port', '0', 'sh', '-c', 'while read l; do echo "got $l"; done; echo done']);
  const l = live(d.port, { method: 'PUT', headers: { 'Transfer-Encoding': 'chunked' } });
  for (const word of ['alpha', 'beta', 'gamma']) {
    l.req.write(`${word}\n`);
    await l.waitFor(`got ${word}\n`);
  }
  l.req.end();
  const r = await l.ended;
  assert.equal(r.body, 'got alpha\ngot beta\ngot gamma\ndone\n');
});

const curlBinary = (): string => {
  const curl = ['/usr/bin/curl', '/bin/curl', '/usr/local/bin/curl'].find((p) => existsSync(p));
  assert.ok(curl, 'curl is required for this test (apt-get install curl)');
  return curl;
};

test('HTTP-02 curl -T - feeds stdin and curl -N sees the lines', async () => {
  const d = await startDaemon('http', ['--port', '0', 'sort', '-r']);
  const out = execFileSync(curlBinary(), ['-sS', '-N', '-T', '-', `http://127.0.0.1:${d.port}/`], { input: 'a\nc\nb\n' }).toString();
  assert.equal(out, 'c\nb\na\n');
});

test('HTTP-02 HTTP-03 interactive curl -N -T .: each typed line is answered before the next is typed', async () => {
  const d = await startDaemon('http', ['--port', '0', 'sh', '-c', 'while read l; do echo "you said: $l"; done; echo bye']);
  // `-T .` is stdin read without blocking; with `-T -` curl 7.88 sits in read(2) on stdin and
  // shows each answer only after the next line is typed (packages/http/README.md).
  const curl = spawn(curlBinary(), ['-sS', '--no-progress-meter', '-N', '-T', '.', `http://127.0.0.1:${d.port}/`], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  curl.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  const exited = new Promise<number | null>((r) => curl.once('exit', (code) => r(code)));
  try {
    for (const word of ['one', 'two', 'three']) {
      curl.stdin.write(`${word}\n`);
      await eventually(() => out.endsWith(`you said: ${word}\n`), `the answer to "${word}" while stdin is still open`);
    }
    curl.stdin.end();
    assert.equal(await exited, 0);
    assert.equal(out, 'you said: one\nyou said: two\nyou said: three\nbye\n');
  } finally {
    curl.kill();
  }
});

test('HTTP-05 no output: 200 and empty for status 0, 500 naming the status otherwise', async () => {
  const d = await startDaemon('http', ['--port', '0', 'sh', '-c', 'exit "${H_QUERY#code=}"']);
  const ok = await fetchText(d.port, { path: '/?code=0' });
  assert.equal(ok.status, 200);
  assert.equal(ok.body, '');
  assert.equal(ok.headers['hamelin-exit'], '0');
  const bad = await fetchText(d.port, { path: '/?code=3' });
  assert.equal(bad.status, 500);
  assert.equal(bad.body, 'hamelin: exit status 3\n');
  assert.equal(bad.headers['hamelin-exit'], '3');
});

test('HTTP-06 a streamed answer carries the exit status in the Hamelin-Exit trailer and the log; CORE-05', async () => {
  const d = await startDaemon('http', ['--port', '0', 'sh', '-c', 'echo one; printf last; exit 7']);
  const r = await fetchText(d.port);
  assert.equal(r.status, 200);
  assert.equal(r.body, 'one\nlast');
  assert.equal(r.headers.trailer, 'Hamelin-Exit');
  assert.equal(r.trailers['hamelin-exit'], '7');
  await d.waitLog(/request client=\S+ method=GET path=\/ http_status=200 status=7/);
  await d.waitLog(/warn exit .*status=7/);
});

test('HTTP-07 HTTP-08 HTTP-09 H- variables, H_ aliases, and no credentials or Proxy (httpoxy); CORE-08 CORE-10 CORE-11', async () => {
  const d = await startDaemon('http', ['--port', '0', 'env']);
  const r = await fetchText(d.port, {
    method: 'POST',
    path: '/some/where%20x?a=1&b=2',
    headers: {
      'User-Agent': 'probe/1.0',
      'Content-Type': 'text/x-test',
      'X-Thing': 'v1',
      Authorization: 'Bearer secret',
      Cookie: 'session=secret',
      Proxy: 'http://evil.example:3128',
    },
    body: 'body\n',
  });
  const env = new Map(r.body.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as [string, string]));
  const both = (name: string, value: string): void => {
    assert.equal(env.get(`H-${name}`), value, `H-${name}`);
    assert.equal(env.get(`H_${name.replace(/-/g, '_')}`), value, `H_${name}`);
  };
  both('TYPE', 'HTTP-0.2-INSECURE');
  both('CLIENT', 'probe/1.0');
  both('VERSION', 'hamelin-http/0.2.0');
  both('METHOD', 'POST');
  both('PATH', '/some/where%20x');
  both('QUERY', 'a=1&b=2');
  both('REMOTE-ADDR', '127.0.0.1');
  both('CONTENT-TYPE', 'text/x-test');
  both('CONTENT-LENGTH', '5');
  both('MODE', 'request');
  both('HEADER-X-THING', 'v1');
  both('HEADER-USER-AGENT', 'probe/1.0');
  assert.match(env.get('H_REMOTE_PORT') ?? '', /^\d+$/);
  for (const k of env.keys()) assert.doesNotMatch(k, /AUTHORIZATION|COOKIE|PROXY/, `withheld header leaked as ${k}`);
  assert.ok(![...env.values()].some((v) => v.includes('secret') || v.includes('evil.example')));
  assert.equal(env.get('HTTP_PROXY'), process.env.HTTP_PROXY, 'no HTTP_PROXY from the client');
});

test('HTTP-08 HTTP-09 a header name that is not letters, digits and single dashes is dropped: no spoofing, no withheld header by another name', async () => {
  const d = await startDaemon('http', ['--port', '0', 'env']);
  const r = await new Promise<string>((resolve, reject) => {
    // Raw names, in this order: the look-alikes come after the real header they would override.
    // (Given as an array, the headers are sent as they are: Host is not added for us.)
    const req = request({ host: '127.0.0.1', port: d.port, path: '/', agent: false, headers: [
      'Host', `127.0.0.1:${d.port}`,
      'X-User', 'real',
      'X_User', 'spoofed',
      'X.User', 'spoofed',
      'X--User', 'spoofed',
      'Proxy_Authorization', 'Basic c2VjcmV0',
      'X_Forwarded_For', '6.6.6.6',
      'X-Ok-2', 'fine',
    ] as unknown as Record<string, string> }, (res) => {
      let b = '';
      res.setEncoding('utf8').on('data', (c: string) => (b += c));
      res.on('end', () => resolve(b));
    });
    req.on('error', reject);
    req.end();
  });
  const env = r.trim().split('\n');
  assert.ok(env.includes('H_HEADER_X_USER=real'), 'the real X-User');
  assert.ok(env.includes('H-HEADER-X-USER=real'));
  assert.ok(env.includes('H_HEADER_X_OK_2=fine'), 'an ordinary name with digits');
  assert.deepEqual(env.filter((l) => /spoofed|c2VjcmV0|6\.6\.6\.6/.test(l)), [], 'no look-alike header reached the child');
  assert.deepEqual(env.filter((l) => /PROXY|FORWARDED/.test(l)), []);
});

test('HTTP-09 --pass-header lets a named credential header through', async () => {
  const d = await startDaemon('http', ['--port', '0', '--pass-header', 'Cookie', 'sh', '-c', 'echo "$H_HEADER_COOKIE|$H_HEADER_AUTHORIZATION"']);
  const r = await fetchText(d.port, { headers: { Cookie: 'a=1', Authorization: 'Basic x' } });
  assert.equal(r.body, 'a=1|\n');
});

test('HTTP-10 a client that goes away mid-response: SIGTERM to the process group; CORE-13', async () => {
  const d = await startDaemon('http', ['--port', '0', fixture('http/trap.sh'), join(tmp, 'trap10')]);
  const l = live(d.port);
  l.req.end();
  await l.waitFor('started\n');
  (await l.response).destroy();
  l.req.destroy();
  await eventually(() => existsSync(join(tmp, 'trap10')) && readFileSync(join(tmp, 'trap10'), 'utf8').includes('TERM'), 'the script to trap SIGTERM');
  await d.waitLog(/client-gone .*reason=(closed|reset)/);
});

test('HTTP-10 a client that goes away mid-upload: SIGTERM', async () => {
  // "ready" comes after the trap is set: a SIGTERM that came first would kill sh unrecorded.
  const d = await startDaemon('http', ['--port', '0', 'sh', '-c', `trap 'echo TERM > ${join(tmp, 'trap10b')}; exit 143' TERM; echo ready; while read l; do :; done`]);
  const l = live(d.port, { method: 'POST', headers: { 'Content-Length': '1000' } });
  l.req.write('partial line\n');
  await l.waitFor('ready\n');
  l.req.destroy();
  await eventually(() => existsSync(join(tmp, 'trap10b')), 'the script to trap SIGTERM');
});

test('HTTP-16 --cors: allow-origin on answers, preflight answered by the daemon', async () => {
  const d = await startDaemon('http', ['--port', '0', '--cors', 'https://app.example', 'echo', 'hi']);
  const r = await fetchText(d.port, { headers: { Origin: 'https://app.example' } });
  assert.equal(r.headers['access-control-allow-origin'], 'https://app.example');
  assert.match(String(r.headers['access-control-expose-headers']), /Hamelin-Exit/);
  const other = await fetchText(d.port, { headers: { Origin: 'https://other.example' } });
  assert.equal(other.headers['access-control-allow-origin'], undefined);
  assert.equal(other.status, 403, 'and an origin --cors does not name runs nothing (HTTP-34)');
  const pre = await fetchText(d.port, {
    method: 'OPTIONS',
    headers: { Origin: 'https://app.example', 'Access-Control-Request-Method': 'DELETE', 'Access-Control-Request-Headers': 'content-type' },
  });
  assert.equal(pre.status, 204);
  assert.match(String(pre.headers['access-control-allow-methods']), /DELETE/);
  assert.equal(pre.headers['access-control-allow-headers'], 'content-type');
  assert.equal((d.stderr().match(/ start client=/g) ?? []).length, 1, 'the preflight ran nothing');
});

test('HTTP-17 TLS: HTTPS with --tls-cert/--tls-key, H-TYPE HTTP-0.2-TLS', async () => {
  const key = join(tmp, 'key.pem');
  const cert = join(tmp, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
  const d = await startDaemon('http', ['--port', '0', '--tls-cert', cert, '--tls-key', key, 'sh', '-c', 'echo "$H_TYPE"']);
  const r = await fetchText(d.port, { https: true });
  assert.equal(r.body, 'HTTP-0.2-TLS\n');
});

test('HTTP-01 --unix: HTTP on a unix socket, H-TYPE HTTP-0.2-LOCAL', async () => {
  const sock = join(tmp, 'http.sock');
  const d = await startDaemon('http', ['--unix', sock, 'sh', '-c', 'echo "$H_TYPE"']);
  const r = await fetchText(0, { socketPath: sock });
  assert.equal(r.body, 'HTTP-0.2-LOCAL\n');
  assert.equal(await d.stop(), 0);
  assert.equal(existsSync(sock), false, 'socket file removed at shutdown');
});

test('HTTP-01 startup errors: one line, status 2, before listening; CORE-18', async () => {
  const d = await startDaemon('http', ['--port', '0', 'no-such-command-xyz'], { ready: null });
  const { code } = await d.exited;
  assert.equal(code, 2);
  assert.equal(d.stderr(), 'hamelin-http: command not found in PATH: no-such-command-xyz\n');
  const e = await startDaemon('http', ['--dir', join(tmp, 'missing')], { ready: null });
  assert.equal((await e.exited).code, 2);
  assert.match(e.stderr(), /^hamelin-http: --dir .*not a directory\n$/);  const cases: [string[], string][] = [
    [['--host', '', 'echo'], 'hamelin-http: --host needs an address\n'],
    [['--host'], 'hamelin-http: --host needs a value (see --help)\n'],
    [['--port'], 'hamelin-http: --port needs a value (see --help)\n'],
    [['--port', '0', '--dir'], 'hamelin-http: --dir needs a value (see --help)\n'],
    [['--dir', ''], 'hamelin-http: --dir needs a directory\n'],
    [['--max-body'], 'hamelin-http: --max-body needs a value (see --help)\n'],
    [['--kill-after'], 'hamelin-http: --kill-after needs a value (see --help)\n'],
    [['--port', 'http', 'echo'], 'hamelin-http: bad port: "http" (0-65535)\n'],
    [['--timeout', 'soon', 'echo'], 'hamelin-http: --timeout must be a number of seconds from 0 to 2147483 (24.8 days), 0 or at least 0.001 (given: not a number)\n'],
    [['--abandon-timeout', '-1', 'echo'], 'hamelin-http: --abandon-timeout must be a number of seconds from 0 to 2147483 (24.8 days), 0 or at least 0.001 (given: -1)\n'],
  ];
  for (const [args, line] of cases) {
    const p = await startDaemon('http', args, { ready: null });
    assert.equal((await p.exited).code, 2, args.join(' '));
    assert.equal(p.stderr(), line, args.join(' '));
  }
  // After the command, `--port` is the child's argument, not an option missing its value.
  const ok = await startDaemon('http', ['--port', '0', 'echo', 'x', '--port']);
  assert.equal((await fetchText(ok.port)).body, 'x --port\n');
});

test('HTTP-11 each request on one keep-alive connection gets its own process; CORE-01', async () => {
  const d = await startDaemon('http', ['--port', '0', 'sh', '-c', 'echo $$']);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const pids: string[] = [];
  const ports = new Set<number>();
  for (let i = 0; i < 3; i++) {
    const r = await new Promise<string>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: d.port, path: '/', agent }, (res) => {
        let b = '';
        ports.add(res.socket.localPort!);
        res.setEncoding('utf8').on('data', (c: string) => (b += c));
        res.on('end', () => resolve(b));
      });
      req.on('error', reject);
      req.end();
    });
    pids.push(r.trim());
  }
  agent.destroy();
  assert.equal(ports.size, 1, 'one connection');
  assert.equal(new Set(pids).size, 3, `three processes: ${pids.join(' ')}`);
});

test('HTTP-05 a command that cannot be started: 500 with the hamelin line, daemon stays up; CORE-19', async () => {
  // The command exists when the daemon starts (a missing one is a startup error, CORE-18, CORE-36)
  // and is gone by the time a client comes.
  const script = join(tmp, 'vanishing.sh');
  writeFileSync(script, '#!/bin/sh\necho fine\n', { mode: 0o755 });
  const d = await startDaemon('http', ['--port', '0', script]);
  rmSync(script);
  const r = await fetchText(d.port);
  assert.equal(r.status, 500);
  assert.equal(r.body, 'hamelin: cannot start vanishing.sh: ENOENT\n', 'the name, not the server path (CORE-37)');
  assert.equal(r.headers['hamelin-exit'], 'spawn-failed ENOENT');
  await d.waitLog(/spawn-failed /);
  assert.equal((await fetchText(d.port)).status, 500, 'still serving');
});

test('HTTP-22 wrong methods on the daemon URLs are 405 with Allow', async () => {
  const d = await startDaemon('http', ['--port', '0', 'cat']);
  const r = await fetchText(d.port, { method: 'PUT', path: '/.hamelin/poll' });
  assert.equal(r.status, 405);
  assert.equal(r.headers.allow, 'GET, POST');
  const id = (await fetchText(d.port, { path: '/.hamelin/poll' })).body.trim();
  const e = await fetchText(d.port, { method: 'GET', path: `/.hamelin/session/${id}/end` });
  assert.equal(e.status, 405);
  assert.equal((await fetchText(d.port, { method: 'DELETE', path: `/.hamelin/session/${id}` })).status, 204);
});

test('HTTP-27 SIGTERM to the daemon ends open streams and sessions, exit 0, no orphans; CORE-22', async () => {
  const mark = join(tmp, 'shutdown');
  const d = await startDaemon('http', ['--port', '0', '--heartbeat', '0', fixture('http/trap.sh'), mark]);
  const l = live(d.port);
  l.req.end();
  await l.waitFor('started\n');
  const id = (await fetchText(d.port, { path: '/.hamelin/poll?x' })).body.trim();
  assert.match(id, /^[A-Za-z0-9_-]{24}$/);
  await eventually(() => existsSync(`${mark}.pid`) && readFileSync(`${mark}.pid`, 'utf8').trim() !== '', 'pid file');
  await eventually(() => (d.stderr().match(/ start client=/g) ?? []).length === 2, 'two sessions');
  assert.equal(await d.stop(), 0);
  const r = await l.ended;
  assert.equal(r.body, 'started\n');
  assert.equal(r.trailers['hamelin-exit'], '143');
  assert.match(readFileSync(mark, 'utf8'), /^TERM\nTERM\n$/);
});

test('HTTP-08 an IPv6 client: H-REMOTE-ADDR is the bare address', async () => {
  const d = await startDaemon('http', ['--host', '::1', '--port', '0', 'sh', '-c', 'echo "$H_REMOTE_ADDR"']);
  const r = await new Promise<string>((resolve, reject) => {
    const req = request({ host: '::1', port: d.port, path: '/', agent: false }, (res) => {
      let b = '';
      res.setEncoding('utf8').on('data', (c: string) => (b += c));
      res.on('end', () => resolve(b));
    });
    req.on('error', reject);
    req.end();
  });
  assert.equal(r, '::1\n');
  await d.waitLog(/request client=\[::1\]:\d+ /);
});
