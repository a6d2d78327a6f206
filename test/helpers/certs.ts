/** Throwaway certificates and keys made with openssl (part of every Debian base system), and
 * what a real `openssl s_client` sees. */
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';

export interface CertPair {
  cert: string;
  key: string;
}

/** A self-signed certificate whose CN is `name`, valid for localhost and 127.0.0.1, and its
 * unencrypted key, in `dir`. */
export function makeCert(dir: string, name = 'server'): CertPair {
  const cert = join(dir, `${name}.crt.pem`);
  const key = join(dir, `${name}.key.pem`);
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', key, '-out', cert, '-days', '1', '-subj', `/CN=${name}`, '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'pipe' });
  } catch (e) {
    throw new Error(`openssl could not make a test certificate (Debian's openssl package is needed): ${String(e)}`);
  }
  return { cert, key };
}

/** Run openssl with these arguments (for the bad files the startup tests need). */
export function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: 'pipe' });
}

/**
 * Connect with `openssl s_client` (asynchronously: the test's own event loop keeps reading its
 * daemons meanwhile), and return the served certificate's CN and what the server sent. With
 * `quiet`, s_client waits for the server to close (a command that exits); without, it closes at
 * the end of its input.
 */
export function servedSubject(port: number, quiet = false): Promise<{ cn: string; stdout: string }> {
  return new Promise((resolve, reject) => {
    const args = ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'localhost', ...(quiet ? ['-quiet'] : [])];
    const p = spawn('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const t = setTimeout(() => p.kill(), 20_000);
    p.on('error', reject);
    p.on('close', () => {
      clearTimeout(t);
      const all = `${out}${err}`;
      resolve({ cn: /subject=.*CN\s*=\s*(\S+)|depth=0 CN\s*=\s*(\S+)/.exec(all)?.slice(1).find(Boolean) ?? `none: ${all}`, stdout: out });
    });
  });
}
