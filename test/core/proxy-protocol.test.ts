/**
 * FD-10 to FD-13 on real loopback sockets: readProxyHeader takes exactly the header off the
 * connection and leaves every later byte for whoever reads next (a session, an HTTP server, TLS);
 * it refuses untrusted peers, connections without a header, and a header that does not come.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { readFileSync, rmSync } from 'node:fs';
import { connect as tlsConnect, createServer as createTlsServer } from 'node:tls';
import { CidrList, readProxyHeader, type ProxyOutcome } from '@hamelin/core';
import { makeCert } from '../helpers/certs.js';
import { tlv, v2, v2Tcp4 } from '../helpers/proxy-v2.js';
import { eventually } from '../helpers/poll.js';
import { tempDir } from '../helpers/temp-dir.js';

interface Accepted {
  outcome: ProxyOutcome;
  socket: Socket;
  ms: number;
}

const servers: Server[] = [];
after(() => servers.forEach((s) => s.close()));

/** A listener that reads the header of each connection; the test takes the outcomes in order. */
async function listener(trusted: string[], host = '127.0.0.1', timeoutMs?: number): Promise<{ port: number; next: () => Promise<Accepted> }> {
  const list = CidrList.parse('--trusted-proxy', trusted);
  const done: Accepted[] = [];
  const server = createServer((socket) => {
    const t0 = performance.now();
    void readProxyHeader(socket, { trusted: list, ...(timeoutMs ? { timeoutMs } : {}) }).then((outcome) => done.push({ outcome, socket, ms: performance.now() - t0 }));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, host, r));
  const port = (server.address() as { port: number }).port;
  return { port, next: () => eventually(() => done.shift(), 'a PROXY outcome', 10_000) };
}

function client(port: number, host = '127.0.0.1'): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host }, () => resolve(s));
    s.once('error', reject);
  });
}

/** Everything the server side reads after the header, until the client's FIN (10 s at most). */
async function readRest(socket: Socket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let ended = false;
  socket.on('data', (d: Buffer) => chunks.push(d));
  socket.once('end', () => (ended = true));
  await eventually(() => ended, `the client's FIN after ${Buffer.concat(chunks).length} payload bytes`);
  return Buffer.concat(chunks);
}

test('FD-13 a v1 header and the payload in one write: the payload reaches the next reader intact, FIN included', async () => {
  const l = await listener(['127.0.0.1']);
  const c = await client(l.port);
  const payload = Buffer.from('first line\r\n\x00binary\xff\n', 'latin1');
  c.end(Buffer.concat([Buffer.from('PROXY TCP4 203.0.113.7 192.0.2.1 51000 443\r\n'), payload]));
  const a = await l.next();
  assert.deepEqual(a.outcome, { ok: true, header: { version: 1, command: 'proxy', source: { address: '203.0.113.7', port: 51000 }, destination: { address: '192.0.2.1', port: 443 }, tlvs: [] } });
  assert.deepEqual(await readRest(a.socket), payload);
});

test('FD-13 byte-at-a-time delivery: the header is found and no payload byte is lost', async () => {
  const l = await listener(['127.0.0.1']);
  const c = await client(l.port);
  c.setNoDelay(true);
  const bytes = Buffer.concat([v2Tcp4('198.51.100.4', 61000, tlv(0x05, 'unique-id-1')), Buffer.from('payload after v2\n')]);
  for (const b of bytes) {
    c.write(Buffer.from([b]));
    await new Promise((r) => setImmediate(r));
  }
  c.end();
  const a = await l.next();
  assert.equal(a.outcome.ok && a.outcome.header.source?.address, '198.51.100.4');
  assert.equal(a.outcome.ok && a.outcome.header.tlvs[0]?.value.toString(), 'unique-id-1');
  assert.equal((await readRest(a.socket)).toString(), 'payload after v2\n');
});

test('FD-13 after a v2 header with TLVs an HTTP server given the socket answers the request that followed', async () => {
  const l = await listener(['127.0.0.1']);
  const http = createHttpServer((req, res) => res.end(`seen ${req.method} ${req.url}`));
  const c = await client(l.port);
  const got: Buffer[] = [];
  c.on('data', (d: Buffer) => got.push(d));
  c.write(Buffer.concat([v2Tcp4('203.0.113.50', 1234, Buffer.concat([tlv(1, 'http/1.1'), tlv(2, 'example.org')])), Buffer.from('GET /path?q=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')]));
  const a = await l.next();
  assert.equal(a.outcome.ok && a.outcome.header.source?.address, '203.0.113.50');
  http.emit('connection', a.socket);
  await eventually(() => Buffer.concat(got).toString().includes('seen GET /path?q=1'), 'the HTTP answer');
  assert.match(Buffer.concat(got).toString(), /^HTTP\/1\.1 200 OK\r\n/);
  c.destroy();
});

test('FD-13 after a v1 header a TLS server given the socket completes the handshake and the data flows', async () => {
  const dir = tempDir('hamelin-pp-');
  after(() => rmSync(dir, { recursive: true, force: true }));
  const pair = makeCert(dir);
  const tls = createTlsServer({ cert: readFileSync(pair.cert), key: readFileSync(pair.key) }, (s) => s.on('data', (d: Buffer) => s.end(`tls got ${d.toString()}`)));
  const l = await listener(['127.0.0.1']);
  const raw = await client(l.port);
  raw.write('PROXY TCP4 203.0.113.8 192.0.2.1 1000 443\r\n');
  const secure = tlsConnect({ socket: raw, rejectUnauthorized: false });
  secure.write('ping');
  const a = await l.next();
  assert.equal(a.outcome.ok && a.outcome.header.source?.address, '203.0.113.8');
  tls.emit('connection', a.socket);
  let text = '';
  secure.on('data', (d: Buffer) => (text += d.toString()));
  await eventually(() => text === 'tls got ping', 'the TLS answer');
  secure.destroy();
});

test('FD-13 IPv6: a TCP6 header over ::1 from a trusted ::1', async () => {
  const l = await listener(['::1'], '::1');
  const c = await client(l.port, '::1');
  c.end('PROXY TCP6 2001:db8::1:2 2001:db8::ff 40000 80\r\nrest');
  const a = await l.next();
  assert.deepEqual(a.outcome.ok && a.outcome.header.source, { address: '2001:db8::1:2', port: 40000 });
  assert.equal((await readRest(a.socket)).toString(), 'rest');
});

test('FD-10 a peer that is not a --trusted-proxy is refused before a byte is read, header or not', async () => {
  const l = await listener(['10.0.0.0/8', '::1']);
  const c = await client(l.port);
  c.write('PROXY TCP4 203.0.113.7 192.0.2.1 51000 443\r\n');
  const a = await l.next();
  assert.equal(a.outcome.ok, false);
  assert.equal(!a.outcome.ok && a.outcome.reason, 'untrusted');
  assert.match(!a.outcome.ok ? a.outcome.detail : '', /127\.0\.0\.1 is not a --trusted-proxy/);
  assert.equal(a.socket.bytesRead, 0);
  c.destroy();
});

test('FD-10 a trusted peer without a header is refused at its first byte, not after the timeout', async () => {
  const l = await listener(['127.0.0.1']);
  const c = await client(l.port);
  c.write('GET / HTTP/1.1\r\n');
  const a = await l.next();
  assert.equal(!a.outcome.ok && a.outcome.reason, 'not-proxy');
  assert.ok(a.ms < 2500, `refused after ${a.ms} ms`);
  c.destroy();
});

test('FD-12 an oversized v2 header is refused once its 16 fixed bytes are in; a truncated one waits, then its close is seen', async () => {
  const l = await listener(['127.0.0.1']);
  const c = await client(l.port);
  c.write(v2(0x21, 0x11, Buffer.alloc(0), 60000));
  const a = await l.next();
  assert.equal(!a.outcome.ok && a.outcome.reason, 'too-long');
  c.destroy();
  const d = await client(l.port);
  const whole = v2Tcp4('203.0.113.9', 9);
  d.end(whole.subarray(0, whole.length - 3));
  const b = await l.next();
  assert.equal(!b.outcome.ok && b.outcome.reason, 'closed');
});

test('FD-11 a header that does not come is refused after the timeout, never under 3 s even when less is asked', async () => {
  const l = await listener(['127.0.0.1'], '127.0.0.1', 500);
  const c = await client(l.port);
  c.write('PROXY TCP4 203.0.113.7');
  const a = await l.next();
  assert.equal(!a.outcome.ok && a.outcome.reason, 'timeout');
  assert.ok(a.ms >= 2990, `timed out after ${a.ms} ms`);
  assert.match(!a.outcome.ok ? a.outcome.detail : '', /within 3 s/);
  c.destroy();
});

test('FD-10 a socket already closed when the header is asked for is refused as closed, not after the timeout', async () => {
  const server = createServer((socket) => {
    socket.destroy();
    void readProxyHeader(socket, { trusted: CidrList.parse('--trusted-proxy', ['127.0.0.1']) }).then((o) => outcomes.push(o));
  });
  const outcomes: ProxyOutcome[] = [];
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const c = await client((server.address() as { port: number }).port);
  const o = await eventually(() => outcomes[0], 'the outcome', 2000);
  assert.equal(!o.ok && o.reason, 'closed');
  c.destroy();
});

test('FD-13 a header followed at once by the FIN: a reader that takes over at once still gets its end', async () => {
  // The server starts reading only once the client has handed its bytes and FIN to the kernel.
  let sent: () => void = () => {};
  const taken: { ok: boolean; bytes: number; ended: boolean }[] = [];
  const server = createServer({ pauseOnConnect: true }, (socket) => {
    void new Promise<void>((r) => (sent = r))
      .then(() => readProxyHeader(socket, { trusted: CidrList.parse('--trusted-proxy', ['127.0.0.1']) }))
      .then((o) => {
        const t = { ok: o.ok, bytes: 0, ended: false };
        socket.on('data', (d: Buffer) => (t.bytes += d.length));
        socket.on('end', () => (t.ended = true));
        taken.push(t);
      });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  for (const header of [Buffer.from('PROXY UNKNOWN\r\n'), v2Tcp4('203.0.113.10', 10), Buffer.from('PROXY TCP4 203.0.113.11 192.0.2.1 11 443\r\n')]) {
    const c = await client(port);
    await new Promise<void>((r) => c.end(header, r));
    sent();
    const t = await eventually(() => taken.shift(), 'the header read');
    assert.ok(t.ok);
    await eventually(() => t.ended, `the end after the header (${header.length} bytes)`);
    assert.equal(t.bytes, 0);
  }
});
