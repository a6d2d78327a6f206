/**
 * TLS for every socket front-end: the certificate and key checked at startup (CORE-18, NET-11),
 * a handshake that cannot hold a descriptor for ever (NET-10), and client certificates with
 * `--tls-ca` (FD-20).
 */
import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Server, Socket } from 'node:net';
import { createSecureContext, type TLSSocket } from 'node:tls';
import { StartupError } from './command.js';
import type { ListenTarget } from './listen.js';
import type { Logger } from './log.js';
import { peerLabel } from './peer-address.js';

/** How long a connection may take to complete its TLS handshake (NET-10); Node's default is 120 s,
 * two minutes of a descriptor for a client that says nothing. */
export const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

/** What a TLS server is created with: spread into `tls.createServer` or `https.createServer`. */
export interface TlsServerOptions {
  cert: Buffer;
  key: Buffer;
  handshakeTimeout: number;
  /** With `--tls-ca`: only clients with a certificate this CA signed complete the handshake. */
  ca?: Buffer;
  requestCert?: boolean;
  rejectUnauthorized?: boolean;
}

const CERT_LINE = /-----BEGIN CERTIFICATE-----/;
const KEY_LINE = /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----/;

/**
 * Read and check `--tls-cert` and `--tls-key` at startup, so that a bad file is one line and exit 1
 * before listening, naming the file and what is wrong with it, instead of a stack trace from the
 * server's constructor (or, for a key that does not match, a failed handshake per client).
 */
export function readTlsFiles(certFile: string | undefined, keyFile: string | undefined, caFile?: string): TlsServerOptions | undefined {
  if (caFile && (!certFile || !keyFile)) throw new StartupError('--tls-ca needs --tls-cert and --tls-key: client certificates are asked for in a TLS handshake');
  if (!certFile && !keyFile) return undefined;
  if (!certFile || !keyFile) throw new StartupError('--tls-cert and --tls-key go together');
  const cert = readFile('--tls-cert', certFile);
  const key = readFile('--tls-key', keyFile);
  const problem = certProblem(cert) ?? keyProblem(key);
  if (problem) throw new StartupError(problem(certFile, keyFile), 1);
  // OpenSSL notices a mismatch only between keys of one type (two EC keys), not an EC key for an
  // RSA certificate: check it here for every pair.
  if (keyMatches(cert, key) === false) throw new StartupError(`--tls-key ${keyFile} is not the key of the certificate in --tls-cert ${certFile}`, 1);
  try {
    createSecureContext({ cert, key });
  } catch (e) {
    throw new StartupError(`--tls-cert ${certFile} and --tls-key ${keyFile} cannot be used: ${(e as Error).message.replace(/\s+/g, ' ').trim()}`, 1);
  }
  const server = { cert, key, handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS };
  return caFile ? { ...server, ca: readTlsCa(caFile), requestCert: true, rejectUnauthorized: true } : server;
}

/**
 * Read `--tls-ca`: one or more PEM certificates, every one of them parseable, so that a wrong file
 * is one line at startup rather than every client refused with "unable to verify".
 */
export function readTlsCa(caFile: string): Buffer {
  const ca = readFile('--tls-ca', caFile);
  const text = ca.toString('latin1');
  const pems = text.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? [];
  if (pems.length === 0) {
    if (KEY_LINE.test(text)) throw new StartupError(`--tls-ca ${caFile} holds a private key, not a CA certificate`, 1);
    throw new StartupError(`--tls-ca ${caFile} is not a PEM certificate (no "-----BEGIN CERTIFICATE-----" line)`, 1);
  }
  pems.forEach((pem, i) => {
    if (!parses(() => new X509Certificate(pem))) throw new StartupError(`--tls-ca ${caFile}: certificate ${i + 1} cannot be parsed`, 1);
  });
  try {
    createSecureContext({ ca });
  } catch (e) {
    throw new StartupError(`--tls-ca ${caFile} cannot be used: ${(e as Error).message.replace(/\s+/g, ' ').trim()}`, 1);
  }
  return ca;
}

/** What the child learns of a client's certificate (FD-20): H-TLS-CLIENT-SUBJECT and -SHA256. */
export interface ClientCertificate {
  /** The subject as RFC 4514 writes a name on one line: `CN=alice,O=Example,C=DE`. */
  subject: string;
  /** SHA-256 of the certificate's DER bytes, 64 lower-case hex digits (`openssl x509
   * -fingerprint -sha256` without the colons). */
  sha256: string;
}

/** The verified client certificate of a TLS socket, or undefined when it has none. */
export function clientCertificate(socket: TLSSocket): ClientCertificate | undefined {
  const cert = socket.getPeerCertificate();
  if (!cert || !cert.raw) return undefined;
  return { subject: rfc4514(cert.subject as unknown as Record<string, string | string[]>), sha256: createHash('sha256').update(cert.raw).digest('hex') };
}

// Node gives the subject in certificate order, most general first, with a repeated attribute as
// an array; RFC 4514 writes the most specific first.
function rfc4514(subject: Record<string, string | string[]> | undefined): string {
  if (!subject) return '';
  const parts: string[] = [];
  for (const [type, value] of Object.entries(subject)) for (const v of Array.isArray(value) ? value : [value]) parts.push(`${type}=${escapeDnValue(v)}`);
  return parts.reverse().join(',');
}

/** RFC 4514 section 2.4, plus every control character as `\XX`, so the subject stays one line. */
function escapeDnValue(v: string): string {
  const escaped = v.replace(/[\\"+,;<>]|[\x00-\x1f\x7f]/g, (c) => (c.charCodeAt(0) < 0x20 || c === '\x7f' ? `\\${c.charCodeAt(0).toString(16).padStart(2, '0').toUpperCase()}` : `\\${c}`));
  return escaped.replace(/^[ #]/, '\\$&').replace(/ $/, '\\ ');
}

function readFile(flag: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'a directory' : undefined;
    throw new StartupError(`cannot read ${flag} ${file}: ${code ?? (e as Error).message}${why ? ` (${why})` : ''}`, 1);
  }
}

type Problem = (certFile: string, keyFile: string) => string;

function certProblem(cert: Buffer): Problem | undefined {
  const text = cert.toString('latin1');
  if (!CERT_LINE.test(text)) {
    if (KEY_LINE.test(text)) return (c) => `--tls-cert ${c} holds a private key, not a certificate (are --tls-cert and --tls-key swapped?)`;
    if (parses(() => new X509Certificate(cert))) return (c) => `--tls-cert ${c} is a DER certificate; PEM is needed (openssl x509 -in ${c} -out cert.pem)`;
    return (c) => `--tls-cert ${c} is not a PEM certificate (no "-----BEGIN CERTIFICATE-----" line)`;
  }
  if (!parses(() => new X509Certificate(cert))) return (c) => `--tls-cert ${c} holds a certificate that cannot be parsed`;
  return undefined;
}

function keyProblem(key: Buffer): Problem | undefined {
  const text = key.toString('latin1');
  if (!KEY_LINE.test(text)) {
    if (CERT_LINE.test(text)) return (_, k) => `--tls-key ${k} holds a certificate, not a private key (are --tls-cert and --tls-key swapped?)`;
    return (_, k) => `--tls-key ${k} is not a PEM private key (no "-----BEGIN PRIVATE KEY-----" line)`;
  }
  if (/ENCRYPTED/.test(text)) return (_, k) => `--tls-key ${k} is encrypted; an unencrypted key is needed (openssl pkey -in ${k} -out key.pem)`;
  if (!parses(() => createPrivateKey(key))) return (_, k) => `--tls-key ${k} holds a private key that cannot be parsed`;
  return undefined;
}

/** false when the key is not the certificate's; undefined when that cannot be told. */
function keyMatches(cert: Buffer, key: Buffer): boolean | undefined {
  try {
    return new X509Certificate(cert).checkPrivateKey(createPrivateKey(key));
  } catch {
    return undefined;
  }
}

function parses(f: () => unknown): boolean {
  try {
    f();
    return true;
  } catch {
    return false;
  }
}

/**
 * A connection that fails its handshake (bad bytes, a timeout, a close before its ClientHello) is
 * logged and destroyed (NET-10). Node emits `tlsClientError` and leaves the socket to the listener:
 * with a listener that only logs, a handshake timeout leaves the descriptor open for ever.
 */
export function endFailedHandshakes(server: Server, target: ListenTarget, log: Logger): void {
  // A socket that closed before its handshake no longer knows its peer. The TCP socket under it
  // does if asked while open (Node caches the address): ask it now, and read it from there later.
  server.on('connection', (raw: Socket) => void raw.remoteAddress);
  server.on('tlsClientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    const tcp = socket.remoteAddress ? socket : ((socket as Socket & { _parent?: Socket })._parent ?? socket);
    log.warn('tls-error', { client: peerLabel(tcp, target), error: handshakeFailure(err, socket) });
    socket.destroy();
  });
}

/**
 * Why a handshake failed, as a code. A client certificate from another CA completes the TLS 1.3
 * handshake in OpenSSL; Node then checks it, records why on the socket and destroys it, and
 * reports only "ECONNRESET": the socket's `authorizationError` (UNABLE_TO_VERIFY_LEAF_SIGNATURE,
 * CERT_HAS_EXPIRED, ...) is the reason worth logging (FD-20).
 */
export function handshakeFailure(err: NodeJS.ErrnoException, socket: Socket): string {
  const verify = (socket as Socket & { authorizationError?: Error | string }).authorizationError;
  if (verify) return typeof verify === 'string' ? verify : ((verify as NodeJS.ErrnoException).code ?? verify.message);
  return err.code ?? err.message;
}
