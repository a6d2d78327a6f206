/** Self-signed certificates made with the real openssl, and what a real s_client sees. */
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';

export function makeCert(dir: string, cn: string): { cert: string; key: string } {
  const cert = join(dir, `${cn}.crt`);
  const key = join(dir, `${cn}.key`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', `/CN=${cn}`], { stdio: 'ignore' });
  return { cert, key };
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
