/** TLS and unix sockets. */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { connect as tlsConnect } from 'node:tls';
import { connect } from 'node:net';
import { existsSync, readFileSync, lstatSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon, stopAll } from '../helpers/daemon.js';
import { roundTrip } from '../helpers/tcp.js';
import { tempDir } from '../helpers/temp-dir.js';

after(stopAll);
const tmp = tempDir('hamelin-net-transport-');
const cert = join(tmp, 'cert.pem');
const key = join(tmp, 'key.pem');

before(() => {
  // A throwaway self-signed certificate (openssl is part of every Debian base system).
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
});

function tlsRoundTrip(port: number, input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ port, host: '127.0.0.1', ca: readFileSync(cert), servername: 'localhost' }, () => s.end(input));
    let out = '';
    s.setEncoding('utf8').on('data', (d: string) => (out += d));
    s.on('end', () => resolve(out));
    s.on('error', reject);
  });
}

test('NET-09 NET-02 TLS: a verified client, half-close to sort, H-TYPE TCP-0.2-TLS and the TLS details', async () => {
  const d = await startDaemon('net', ['--tls-cert', cert, '--tls-key', key, '127.0.0.1', '0', 'sh', '-c',
    'echo "$H_TYPE $H_TLS_PROTOCOL $H_TLS_SERVER_NAME $H_TLS_CIPHER"; sort']);
  const out = await tlsRoundTrip(d.port, 'b\na\nc\n');
  assert.match(out, /^TCP-0\.2-TLS TLSv1\.[23] localhost (TLS_|ECDHE-)[A-Z0-9_-]+\na\nb\nc\n$/);
});

test('NET-09 a client that fails the TLS handshake is logged and the daemon stays up', async () => {
  const d = await startDaemon('net', ['--tls-cert', cert, '--tls-key', key, '127.0.0.1', '0', 'cat']);
  const plain = connect(d.port, '127.0.0.1');
  plain.on('error', () => {});
  plain.end('this is not TLS\r\n\r\n');
  await d.waitLog(/warn tls-error/);
  assert.equal(await tlsRoundTrip(d.port, 'still here\n'), 'still here\n');
});

test('NET-01 NET-02 NET-03 unix socket: echo, H-TYPE UNIX-0.2-LOCAL, H-CLIENT unix:PATH', async () => {
  const path = join(tmp, 'echo.sock');
  const d = await startDaemon('net', [`unix:${path}`, 'sh', '-c', 'echo "$H_TYPE $H_CLIENT $H_UNIX_PATH"; cat']);
  assert.equal((await roundTrip(path, 'hello\n')).toString(), `UNIX-0.2-LOCAL unix:${path} ${path}\nhello\n`);
  await d.stop();
  assert.equal(existsSync(path), false, 'NET-08 the socket file is removed at shutdown');
});

test('NET-08 a stale unix socket left by a dead daemon is replaced', async () => {
  const path = join(tmp, 'stale.sock');
  const first = await startDaemon('net', [`unix:${path}`, 'cat']);
  await first.stop('SIGKILL'); // dies without cleaning up
  assert.ok(lstatSync(path).isSocket(), 'the stale socket file is still there');
  const second = await startDaemon('net', [`unix:${path}`, 'sh', '-c', 'echo second']);
  assert.equal((await roundTrip(path, '')).toString(), 'second\n');
  await second.stop();
});
