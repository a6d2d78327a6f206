/**
 * FD-20: --tls-ca asks every client for a certificate that CA signed; a client without one, or with
 * one from another CA, never completes the handshake; the subject and SHA-256 fingerprint of an
 * accepted one are what H-TLS-CLIENT-SUBJECT and H-TLS-CLIENT-SHA256 will carry. Real openssl-made
 * CAs and certificates, real TLS on loopback.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, createServer, type TLSSocket } from 'node:tls';
import { clientCertificate, handshakeFailure, readTlsCa, readTlsFiles, StartupError, type ClientCertificate } from '@hamelin/core';
import { makeCert, openssl } from '../helpers/certs.js';
import { eventually } from '../helpers/poll.js';
import { tempDir } from '../helpers/temp-dir.js';

const dir = tempDir('hamelin-mtls-');
after(() => rmSync(dir, { recursive: true, force: true }));
const p = (name: string): string => join(dir, name);

/** A CA, and a client certificate it signs with `subject`. */
function makeCa(name: string): void {
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', p(`${name}.key`), '-out', p(`${name}.crt`), '-days', '1', '-subj', `/CN=${name} test CA`]);
}
function makeClient(ca: string, name: string, subject: string): void {
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', p(`${name}.key`), '-out', p(`${name}.csr`), '-subj', subject]);
  writeFileSync(p('client.ext'), 'extendedKeyUsage=clientAuth\n');
  openssl(['x509', '-req', '-in', p(`${name}.csr`), '-CA', p(`${ca}.crt`), '-CAkey', p(`${ca}.key`), '-CAcreateserial', '-out', p(`${name}.crt`), '-days', '1', '-extfile', p('client.ext')]);
}

makeCa('ca');
makeCa('other');
makeClient('ca', 'alice', '/C=DE/O=Example, Inc./OU=ops/CN=alice\\+test');
makeClient('other', 'mallory', '/CN=alice');
const server = makeCert(dir);

interface Result {
  accepted: ClientCertificate[];
  failed: string[];
  port: number;
}

async function mtlsServer(): Promise<Result> {
  const opts = readTlsFiles(server.cert, server.key, p('ca.crt'))!;
  assert.equal(opts.requestCert, true);
  assert.equal(opts.rejectUnauthorized, true);
  const r: Result = { accepted: [], failed: [], port: 0 };
  const s = createServer(opts, (socket: TLSSocket) => {
    const c = clientCertificate(socket);
    if (c) r.accepted.push(c);
    socket.end(`hello ${c?.subject ?? 'nobody'}\n`);
  });
  s.on('tlsClientError', (err: NodeJS.ErrnoException, socket) => {
    r.failed.push(handshakeFailure(err, socket));
    socket.destroy();
  });
  after(() => s.close());
  await new Promise<void>((res) => s.listen(0, '127.0.0.1', res));
  r.port = (s.address() as { port: number }).port;
  return r;
}

/** Connect with or without a client certificate; what the client read, or its error code. */
function dialTls(port: number, name?: string): Promise<string> {
  return new Promise((resolve) => {
    const c = connect({ port, host: '127.0.0.1', ca: readFileSync(server.cert), servername: 'localhost', ...(name ? { cert: readFileSync(p(`${name}.crt`)), key: readFileSync(p(`${name}.key`)) } : {}) });
    let text = '';
    c.on('data', (d: Buffer) => (text += d.toString()));
    c.on('end', () => resolve(text));
    c.on('error', (e: NodeJS.ErrnoException) => resolve(`error ${e.code ?? e.message}`));
  });
}

test('FD-20 a certificate the --tls-ca signed is accepted; subject in RFC 4514 and SHA-256 as openssl gives them', async () => {
  const r = await mtlsServer();
  const text = await dialTls(r.port, 'alice');
  const subject = execFileSync('openssl', ['x509', '-in', p('alice.crt'), '-noout', '-subject', '-nameopt', 'RFC2253'], { encoding: 'utf8' }).trim().replace(/^subject=/, '');
  const fingerprint = execFileSync('openssl', ['x509', '-in', p('alice.crt'), '-noout', '-fingerprint', '-sha256'], { encoding: 'utf8' }).trim().replace(/^.*=/, '').replace(/:/g, '').toLowerCase();
  assert.equal(subject, 'CN=alice\\+test,OU=ops,O=Example\\, Inc.,C=DE');
  assert.deepEqual(r.accepted, [{ subject, sha256: fingerprint }]);
  assert.match(fingerprint, /^[0-9a-f]{64}$/);
  assert.equal(text, `hello ${subject}\n`);
});

test('FD-20 a client without a certificate, or with one from another CA, is refused in the handshake', async () => {
  const r = await mtlsServer();
  const none = await dialTls(r.port);
  const other = await dialTls(r.port, 'mallory');
  assert.ok(!none.startsWith('hello') && !other.startsWith('hello'), `${none} / ${other}`);
  await eventually(() => r.failed.length === 2, 'two failed handshakes on the server');
  assert.deepEqual(r.accepted, []);
  assert.deepEqual(r.failed.sort(), ['ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'], 'the log can say why, not ECONNRESET');
});

test('FD-20 a plain TLS server has no client certificate to report', async () => {
  const opts = readTlsFiles(server.cert, server.key)!;
  assert.equal(opts.requestCert, undefined);
  const s = createServer(opts, (socket: TLSSocket) => socket.end(`cert ${JSON.stringify(clientCertificate(socket) ?? null)}\n`));
  after(() => s.close());
  await new Promise<void>((res) => s.listen(0, '127.0.0.1', res));
  assert.equal(await dialTls((s.address() as { port: number }).port, 'alice'), 'cert null\n');
});

test('FD-20 a bad --tls-ca is one startup error naming the file; --tls-ca alone is refused', () => {
  const bad = (f: () => unknown, re: RegExp): void => {
    assert.throws(f, (e: unknown) => e instanceof StartupError && re.test(e.message) && !e.message.includes('\n'));
  };
  writeFileSync(p('garbage.pem'), 'not a certificate\n');
  writeFileSync(p('broken.pem'), '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
  bad(() => readTlsCa(p('garbage.pem')), /^--tls-ca .*garbage\.pem is not a PEM certificate/);
  bad(() => readTlsCa(p('ca.key')), /^--tls-ca .*ca\.key holds a private key, not a CA certificate$/);
  bad(() => readTlsCa(p('broken.pem')), /^--tls-ca .*broken\.pem: certificate 1 cannot be parsed$/);
  bad(() => readTlsCa(p('missing.pem')), /^cannot read --tls-ca .*missing\.pem: ENOENT \(no such file\)$/);
  bad(() => readTlsFiles(undefined, undefined, p('ca.crt')), /^--tls-ca needs --tls-cert and --tls-key/);
  writeFileSync(p('both.pem'), readFileSync(p('ca.crt'), 'utf8') + readFileSync(p('other.crt'), 'utf8'));
  assert.ok(readTlsCa(p('both.pem')).length > 0, 'a bundle of CAs is one file');
});
