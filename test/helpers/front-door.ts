/**
 * What the front-door tests share: a child that counts itself and prints what the front door told
 * it, raw connections from a chosen loopback source address, an htpasswd file made with bcrypt,
 * and a CA with a client certificate it signs (real openssl).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { basename, dirname, join } from 'node:path';
import bcrypt from 'bcryptjs';
import { openssl } from './certs.js';

/** A script for `sh -c`: appends a line to `countFile` (one per child started), keeps its whole
 * environment beside it, prints the front door's variables on one line, then reads its input
 * to the end. */
export function reportingChild(countFile: string): string {
  return `echo x >> ${countFile}; env > ${countFile}.env.$$; echo "addr=$H_REMOTE_ADDR port=$H_REMOTE_PORT client=$H_CLIENT user=$H_AUTH_USER subject=$H_TLS_CLIENT_SUBJECT sha=$H_TLS_CLIENT_SHA256 auth=$H_HEADER_AUTHORIZATION"; cat >/dev/null`;
}

/** The environments of every child a reportingChild script has started, as one text. */
export function childEnvironments(countFile: string): string {
  const dir = dirname(countFile);
  const prefix = `${basename(countFile)}.env.`;
  return readdirSync(dir)
    .filter((f) => f.startsWith(prefix))
    .map((f) => readFileSync(join(dir, f), 'utf8'))
    .join('\n');
}

/** How many children a reportingChild script has started. */
export function childCount(countFile: string): number {
  return existsSync(countFile) ? readFileSync(countFile, 'utf8').split('\n').filter(Boolean).length : 0;
}

export interface SourcedClient {
  socket: Socket;
  received(): Buffer;
  /** Every byte the server sent, once it has closed (or reset) the connection. */
  closed: Promise<Buffer>;
}

/** Connect from `from`, a loopback address (127.0.0.2 is not 127.0.0.1), as a client on another
 * host would; the client ends its own side once the server has. */
export function dialFrom(port: number, from: string): Promise<SourcedClient> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', localAddress: from, allowHalfOpen: true });
    const chunks: Buffer[] = [];
    socket.on('data', (d: Buffer) => chunks.push(d));
    const closed = new Promise<Buffer>((done) => {
      socket.on('end', () => {
        socket.end();
        done(Buffer.concat(chunks));
      });
      socket.on('close', () => done(Buffer.concat(chunks)));
      socket.on('error', () => done(Buffer.concat(chunks)));
    });
    socket.once('connect', () => resolve({ socket, received: () => Buffer.concat(chunks), closed }));
    socket.once('error', reject);
  });
}

/** Connect from `from`, send `input`, half-close, and return every byte until the server closes. */
export async function exchangeFrom(port: number, from: string, input: Buffer | string): Promise<Buffer> {
  const c = await dialFrom(port, from);
  c.socket.end(input);
  return c.closed;
}

/** An htpasswd file with one bcrypt entry (cost 4: fast enough for tests, still bcrypt). */
export function htpasswd(dir: string, user: string, password: string): string {
  const file = join(dir, 'users.htpasswd');
  writeFileSync(file, `${user}:${bcrypt.hashSync(password, 4)}\n`);
  return file;
}

/** A token file with one token for `user`. */
export function tokenFile(dir: string, token: string, user: string): string {
  const file = join(dir, 'tokens');
  writeFileSync(file, `# tokens\n${token} ${user}\n`);
  return file;
}

/** A CA in dir/NAME.crt (key NAME.key) and a client certificate it signs, with `subject`. */
export function caAndClient(dir: string, ca: string, client: string, subject: string): { ca: string; cert: string; key: string } {
  const p = (n: string): string => join(dir, n);
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', p(`${ca}.key`), '-out', p(`${ca}.crt`), '-days', '1', '-subj', `/CN=${ca} test CA`]);
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', p(`${client}.key`), '-out', p(`${client}.csr`), '-subj', subject]);
  writeFileSync(p('client.ext'), 'extendedKeyUsage=clientAuth\n');
  openssl(['x509', '-req', '-in', p(`${client}.csr`), '-CA', p(`${ca}.crt`), '-CAkey', p(`${ca}.key`), '-CAcreateserial', '-out', p(`${client}.crt`), '-days', '1', '-extfile', p('client.ext')]);
  return { ca: p(`${ca}.crt`), cert: p(`${client}.crt`), key: p(`${client}.key`) };
}

/** The SHA-256 fingerprint openssl gives, without colons, lower case (FD-20). */
export function opensslFingerprint(cert: string): string {
  const out = execFileSync('openssl', ['x509', '-in', cert, '-noout', '-fingerprint', '-sha256'], { encoding: 'utf8' });
  return out.split('=')[1]!.trim().replace(/:/g, '').toLowerCase();
}
