/**
 * TLS for every socket front-end: the certificate and key checked at startup (CORE-18, NET-11),
 * and a handshake that cannot hold a descriptor for ever (NET-10).
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Server, Socket } from 'node:net';
import { createSecureContext } from 'node:tls';
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
}

const CERT_LINE = /-----BEGIN CERTIFICATE-----/;
const KEY_LINE = /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----/;

/**
 * Read and check `--tls-cert` and `--tls-key` at startup, so that a bad file is one line and exit 1
 * before listening, naming the file and what is wrong with it, instead of a stack trace from the
 * server's constructor (or, for a key that does not match, a failed handshake per client).
 */
export function readTlsFiles(certFile: string | undefined, keyFile: string | undefined): TlsServerOptions | undefined {
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
  return { cert, key, handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS };
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
    log.warn('tls-error', { client: peerLabel(tcp, target), error: err.code ?? err.message });
    socket.destroy();
  });
}
