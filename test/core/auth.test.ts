/**
 * FD-15 to FD-19: --auth-basic (a real htpasswd -B file), --auth-bearer, --auth-trust-header, and
 * the 401 that refuses; a credential never appears in a refusal or a file error.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { authenticate, CidrList, readBearerTokens, readHtpasswd, StartupError, type AuthConfig } from '@hamelin/core';
import { tempDir } from '../helpers/temp-dir.js';

const dir = tempDir('hamelin-auth-');
after(() => rmSync(dir, { recursive: true, force: true }));

/** htpasswd from Debian's apache2-utils: the file a user would really write. */
function htpasswd(file: string, user: string, password: string, create = false): void {
  try {
    execFileSync('htpasswd', [...(create ? ['-c'] : []), '-B', '-C', '4', '-b', file, user, password], { stdio: 'pipe' });
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    assert.fail(missing ? 'htpasswd is not installed: .ci/run installs apache2-utils; this test cannot run without it' : String(e));
  }
}

const basicFile = join(dir, 'users');
htpasswd(basicFile, 'alice', 'wonder:land', true);
htpasswd(basicFile, 'bob', 'пароль');
const TOKEN_A = 'tA9fK2mQ7xL4vB8nR1cW6yZ3hJ5pS0dG';
const TOKEN_B = 'u8Hq-3_zX.p~v+W/2kL9mN4bV7cR1tY6=';
const tokenFile = join(dir, 'tokens');
writeFileSync(tokenFile, `# service tokens\n${TOKEN_A} deploy-bot\n\n${TOKEN_B}\n`);

const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const config: AuthConfig = { basic: readHtpasswd(basicFile), bearer: readBearerTokens(tokenFile), realm: 'hamelin-http' };

test('FD-15 --auth-basic: an htpasswd -B user with the right password is the user, the scheme in any case', async () => {
  assert.deepEqual(await authenticate(config, { authorization: basic('alice', 'wonder:land') }, '192.0.2.1'), { user: 'alice', via: 'basic' });
  assert.deepEqual(await authenticate(config, { authorization: basic('bob', 'пароль').replace('Basic', 'bASIC') }, '192.0.2.1'), { user: 'bob', via: 'basic' });
});

test('FD-18 a wrong password and an unknown user get the same 401, and no refusal shows the credential', async () => {
  const wrong = await authenticate(config, { authorization: basic('alice', 'wonder') }, '192.0.2.1');
  const unknown = await authenticate(config, { authorization: basic('mallory', 'wonder:land') }, '192.0.2.1');
  const challenge = ['Basic realm="hamelin-http", charset="UTF-8"', 'Bearer realm="hamelin-http"'];
  assert.deepEqual(wrong, { refuse: 401, wwwAuthenticate: challenge, reason: 'bad-password' });
  assert.deepEqual(unknown, wrong);
  const none = await authenticate(config, {}, '192.0.2.1');
  assert.deepEqual(none, { refuse: 401, wwwAuthenticate: challenge, reason: 'no-credentials' });
  assert.equal(!('user' in none) && none.reason, 'no-credentials');
  for (const [header, reason] of [['Digest username="alice"', 'unknown-scheme'], ['Basic not*base64', 'malformed'], ['Basic ' + Buffer.from('nocolon').toString('base64'), 'bad-password'], ['Basic', 'malformed']] as const) {
    const r = await authenticate(config, { authorization: header }, '192.0.2.1');
    assert.equal('reason' in r && r.reason, reason, header);
  }
  const texts = JSON.stringify([wrong, unknown]);
  for (const secret of ['wonder', Buffer.from('alice:wonder').toString('base64'), 'mallory']) assert.ok(!texts.includes(secret), secret);
});

test('FD-16 --auth-bearer: a listed token is its user, or token-LINE; another token is refused as invalid_token', async () => {
  assert.deepEqual(await authenticate(config, { authorization: `Bearer ${TOKEN_A}` }, '192.0.2.1'), { user: 'deploy-bot', via: 'bearer' });
  assert.deepEqual(await authenticate(config, { authorization: `bearer ${TOKEN_B}` }, '192.0.2.1'), { user: 'token-4', via: 'bearer' });
  const near = TOKEN_A.slice(0, -1) + 'H';
  const r = await authenticate(config, { authorization: `Bearer ${near}` }, '192.0.2.1');
  assert.deepEqual(r, { refuse: 401, wwwAuthenticate: ['Basic realm="hamelin-http", charset="UTF-8"', 'Bearer realm="hamelin-http", error="invalid_token"'], reason: 'bad-token' });
  assert.ok(!JSON.stringify(r).includes(near.slice(0, 10)));
  assert.equal('reason' in (await authenticate(config, { authorization: `Bearer ${TOKEN_A}x` }, '192.0.2.1')) && 'bad-token', 'bad-token', 'a longer token');
  assert.equal('reason' in (await authenticate(config, { authorization: 'Bearer a b' }, '192.0.2.1')) && 'malformed', 'malformed');
  const basicOnly = { basic: config.basic! };
  const b = await authenticate(basicOnly, { authorization: `Bearer ${TOKEN_A}` }, '192.0.2.1');
  assert.deepEqual(b, { refuse: 401, wwwAuthenticate: ['Basic realm="hamelin", charset="UTF-8"'], reason: 'unknown-scheme' }, 'a scheme not configured');
});

test('FD-17 --auth-trust-header: believed from a --trusted-proxy only; from anyone else it is ignored', async () => {
  const trusted = CidrList.parse('--trusted-proxy', ['10.0.0.0/8']);
  const c: AuthConfig = { ...config, trustHeader: { name: 'x-forwarded-user', trusted } };
  assert.deepEqual(await authenticate(c, { 'x-forwarded-user': 'carol@example.org' }, '10.1.2.3'), { user: 'carol@example.org', via: 'header' });
  assert.deepEqual(await authenticate(c, { 'x-forwarded-user': 'carol@example.org' }, '::ffff:10.1.2.3'), { user: 'carol@example.org', via: 'header' });
  const spoof = await authenticate(c, { 'x-forwarded-user': 'admin' }, '192.0.2.66');
  assert.equal('reason' in spoof && spoof.reason, 'untrusted-header');
  assert.deepEqual(await authenticate(c, { 'x-forwarded-user': 'admin', authorization: basic('alice', 'wonder:land') }, '192.0.2.66'), { user: 'alice', via: 'basic' }, 'the untrusted header is ignored, other credentials still count');
  for (const v of ['', 'two words', 'ctl\x01', 'a:b', 'x'.repeat(257)]) {
    const r = await authenticate(c, { 'x-forwarded-user': v }, '10.1.2.3');
    assert.equal('reason' in r && r.reason, 'malformed', JSON.stringify(v));
  }
  const headerOnly = await authenticate({ trustHeader: { name: 'x-forwarded-user', trusted } }, {}, '10.1.2.3');
  assert.deepEqual(headerOnly, { refuse: 401, wwwAuthenticate: ['Bearer realm="hamelin"'], reason: 'no-credentials' });
});

/** The StartupError a file gives, checked to name option, file and line and to quote no secret. */
function fileError(read: (f: string) => unknown, content: string, expected: RegExp, secret?: string): void {
  const f = join(dir, `bad-${Math.random().toString(36).slice(2)}`);
  writeFileSync(f, content);
  assert.throws(() => read(f), (e: unknown) => {
    assert.ok(e instanceof StartupError, String(e));
    assert.match(e.message, expected);
    assert.ok(e.message.includes(f), `names the file: ${e.message}`);
    assert.ok(!e.message.includes('\n'), 'one line');
    if (secret) assert.ok(!e.message.includes(secret), `quotes no secret: ${e.message}`);
    return true;
  });
}

test('FD-19 a bad --auth-basic file is one error naming the file and line, never the hash', () => {
  const md5 = 'eve:$apr1$x1y2z3$4Vh0HLj8Tk4aTz9dXgLr01';
  fileError(readHtpasswd, `# users\n${md5}\n`, /^--auth-basic .* line 2: user eve has an MD5 \(\$apr1\$\) hash; only bcrypt is accepted \(make it with htpasswd -B\)$/, '4Vh0HLj8');
  fileError(readHtpasswd, 'frank:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n', /line 1: user frank has a SHA-1 \(\{SHA\}\) hash/, 'W6ph5Mm5');
  fileError(readHtpasswd, 'gina:plaintext\n', /line 1: user gina has a crypt or plain-text entry/, 'plaintext');
  fileError(readHtpasswd, 'no colon here\n', /line 1: not "user:hash"/);
  fileError(readHtpasswd, '# nothing\n\n', /has no users$/);
  const line = execFileSync('htpasswd', ['-nbB', '-C', '4', 'hal', 'x'], { encoding: 'utf8' }).trim();
  fileError(readHtpasswd, `${line}\n${line}\n`, /line 2: user hal is listed twice/, line.slice(10));
  assert.throws(() => readHtpasswd(join(dir, 'missing')), (e: StartupError) => e.status === 1 && /^cannot read --auth-basic .*missing: ENOENT \(no such file\)$/.test(e.message));
});

test('FD-19 a bad --auth-bearer file is one error naming the file and line, never the token', () => {
  fileError(readBearerTokens, 'short-token\n', /line 1: the token is shorter than 22 characters/, 'short-token');
  fileError(readBearerTokens, `${TOKEN_A}\n${TOKEN_A} again\n`, /line 2: the same token as an earlier line$/, TOKEN_A);
  fileError(readBearerTokens, `${TOKEN_A}"quoted\n`, /line 1: the token has characters a Bearer token cannot carry/, TOKEN_A);
  fileError(readBearerTokens, `${TOKEN_A} user extra\n`, /line 1: more than a token and a user name/, TOKEN_A);
  fileError(readBearerTokens, `${TOKEN_A} us:er\n`, /line 1: the user name/, TOKEN_A);
  fileError(readBearerTokens, '\n# none\n', /has no tokens$/);
});
