/**
 * NET-11, CORE-18: a TLS certificate or key that cannot be used is one line naming the file and the
 * problem, exit status 1, before listening, on every daemon that serves TLS. The bad files are made
 * here with openssl.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bin } from '../helpers/paths.js';
import { makeCert, openssl } from '../helpers/certs.js';
import { eventually } from '../helpers/poll.js';
import { tempDir } from '../helpers/temp-dir.js';

const tmp = tempDir('hamelin-tls-files-');
chmodSync(tmp, 0o755); // the unreadable case runs the daemon as another user, who must reach the other files
const good = makeCert(tmp, 'good');
const other = makeCert(tmp, 'other');
const rsaKey = join(tmp, 'rsa.key.pem');
openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', rsaKey]);
const junk = join(tmp, 'junk.txt');
writeFileSync(junk, 'this is not PEM\n');
const der = join(tmp, 'cert.der');
openssl(['x509', '-in', good.cert, '-outform', 'DER', '-out', der]);
const encrypted = join(tmp, 'encrypted.key.pem');
openssl(['pkey', '-in', good.key, '-aes256', '-passout', 'pass:secret', '-out', encrypted]);
const unreadable = join(tmp, 'unreadable.crt.pem');
copyFileSync(good.cert, unreadable);
chmodSync(unreadable, 0o000);

const q = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

const cases: [string, string, string, RegExp][] = [
  ['cert and key swapped', good.key, good.cert, new RegExp(`--tls-cert ${q(good.key)} holds a private key, not a certificate \\(are --tls-cert and --tls-key swapped\\?\\)`)],
  ['a key where the certificate belongs', good.key, good.key, new RegExp(`--tls-cert ${q(good.key)} holds a private key, not a certificate`)],
  ['a certificate where the key belongs', good.cert, good.cert, new RegExp(`--tls-key ${q(good.cert)} holds a certificate, not a private key`)],
  ['a non-PEM certificate', junk, good.key, new RegExp(`--tls-cert ${q(junk)} is not a PEM certificate`)],
  ['a non-PEM key', good.cert, junk, new RegExp(`--tls-key ${q(junk)} is not a PEM private key`)],
  ['a DER certificate', der, good.key, new RegExp(`--tls-cert ${q(der)} is a DER certificate; PEM is needed`)],
  ['another EC key than the certificate\'s', good.cert, other.key, new RegExp(`--tls-key ${q(other.key)} is not the key of the certificate in --tls-cert ${q(good.cert)}`)],
  ['an RSA key for an EC certificate', good.cert, rsaKey, new RegExp(`--tls-key ${q(rsaKey)} is not the key of the certificate in --tls-cert ${q(good.cert)}`)],
  ['an encrypted key', good.cert, encrypted, new RegExp(`--tls-key ${q(encrypted)} is encrypted; an unencrypted key is needed`)],
  ['a missing certificate', join(tmp, 'missing.pem'), good.key, new RegExp(`cannot read --tls-cert ${q(join(tmp, 'missing.pem'))}: ENOENT \\(no such file\\)`)],
  ['a directory as key', good.cert, tmp, new RegExp(`cannot read --tls-key ${q(tmp)}: EISDIR \\(a directory\\)`)],
  ['an unreadable certificate', unreadable, good.key, new RegExp(`cannot read --tls-cert ${q(unreadable)}: EACCES \\(permission denied\\)`)],
];

const daemons: [string, string[]][] = [
  ['net', ['127.0.0.1', '0', 'cat']],
  ['ws', ['--port', '0', 'cat']],
  ['http', ['--port', '0', 'cat']],
];

/** Run a daemon to its exit; as root, the unreadable case needs another user (root reads anything). */
function run(args: string[], asNobody: boolean): Promise<{ status: number | null; stderr: string }> {
  const argv = asNobody && process.getuid?.() === 0 ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, ...args] : [process.execPath, ...args];
  return new Promise((resolve) => {
    const p = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => p.kill('SIGKILL'), 15_000);
    p.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stderr });
    });
  });
}

for (const [name, tail] of daemons) {
  test(`NET-11 CORE-18 hamelin-${name}: each unusable TLS file is one line naming it, exit 1, before listening`, async (t) => {
    await Promise.all(
      cases.map(([what, cert, key, re]) =>
        t.test(`NET-11 hamelin-${name}: ${what}`, async () => {
          const r = await run([bin(name), '--tls-cert', cert, '--tls-key', key, ...tail], cert === unreadable);
          const lines = r.stderr.split('\n').filter(Boolean);
          assert.equal(lines.length, 1, `exactly one line, got: ${JSON.stringify(r.stderr)}`);
          assert.match(lines[0]!, new RegExp(`^hamelin-${name}: `));
          assert.match(lines[0]!, re);
          assert.equal(r.status, 1, r.stderr);
        }),
      ),
    );
  });
}

test('NET-11 the good pair still serves (the checks refuse nothing valid, a combined PEM file included)', async () => {
  const combined = join(tmp, 'combined.pem');
  writeFileSync(combined, Buffer.concat([readFileSync(good.key), readFileSync(good.cert)]));
  for (const [cert, key] of [[good.cert, good.key], [combined, combined]] as const) {
    const p = spawn(process.execPath, [bin('net'), '--tls-cert', cert, '--tls-key', key, '127.0.0.1', '0', 'cat'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    try {
      await eventually(() => / listening .*tls=true/.test(err) || p.exitCode !== null, 'the daemon to listen or exit');
      assert.match(err, /listening .*tls=true/, err);
    } finally {
      p.kill('SIGTERM');
    }
  }
});
