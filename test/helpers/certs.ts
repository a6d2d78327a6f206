/** Throwaway certificates and keys made with openssl (part of every Debian base system). */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

export interface CertPair {
  cert: string;
  key: string;
}

/** A self-signed certificate for localhost and 127.0.0.1, and its unencrypted key, in `dir`. */
export function makeCert(dir: string, name = 'server'): CertPair {
  const cert = join(dir, `${name}.crt.pem`);
  const key = join(dir, `${name}.key.pem`);
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'pipe' });
  } catch (e) {
    throw new Error(`openssl could not make a test certificate (Debian's openssl package is needed): ${String(e)}`);
  }
  return { cert, key };
}

/** Run openssl with these arguments (for the bad files the startup tests need). */
export function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: 'pipe' });
}
