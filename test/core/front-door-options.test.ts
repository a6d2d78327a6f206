/**
 * FD-21: every front-door option checked before listening; a bad value is one StartupError line
 * naming the option. (Phase 2 adds these tables to each daemon's cli-spec.ts and tests the exit.)
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkOptions, frontDoorOptions, httpFrontDoorOptions, parseRate, readFrontDoorOptions, StartupError, type FrontDoorArgs } from '@hamelin/core';
import { tempDir } from '../helpers/temp-dir.js';

const dir = tempDir('hamelin-fdopt-');
after(() => rmSync(dir, { recursive: true, force: true }));

function refused(args: FrontDoorArgs, re: RegExp): void {
  assert.throws(() => readFrontDoorOptions(args), (e: unknown) => e instanceof StartupError && re.test(e.message) && !e.message.includes('\n'), JSON.stringify(args));
}

test('FD-21 nothing given: no front door at all', () => {
  assert.deepEqual(Object.keys(readFrontDoorOptions({ trustedProxy: [], allow: [], deny: [], maxPerSource: 0 })), ['trusted']);
});

test('FD-21 --proxy-protocol, --forwarded-header and --auth-trust-header need --trusted-proxy', () => {
  refused({ proxyProtocol: true }, /^--proxy-protocol needs --trusted-proxy/);
  refused({ forwardedHeader: 'forwarded' }, /^--forwarded-header needs --trusted-proxy/);
  refused({ authTrustHeader: 'X-Forwarded-User' }, /^--auth-trust-header needs --trusted-proxy/);
  refused({ trustedProxy: ['10.0.0.0/8'], authTrustHeader: 'X User' }, /^--auth-trust-header must be a header name/);
  const c = readFrontDoorOptions({ trustedProxy: ['10.0.0.0/8,192.0.2.1', '::1'], proxyProtocol: true, proxyTimeout: 5, forwardedHeader: 'forwarded', authTrustHeader: 'X-Forwarded-User' });
  assert.equal(c.trusted.ranges.length, 3, 'comma-separated and repeated');
  assert.deepEqual(c.proxyProtocol, { timeoutMs: 5000 });
  assert.equal(c.forwardedHeader, 'forwarded');
  assert.equal(c.auth?.trustHeader?.name, 'x-forwarded-user');
});

test('FD-21 address lists, rates and bursts: a bad value names its option', () => {
  refused({ trustedProxy: ['10.0.0.1/8'] }, /^--trusted-proxy "10\.0\.0\.1\/8" has host bits set/);
  refused({ allow: ['localhost'] }, /^--allow "localhost" is not an IPv4 or IPv6 address/);
  refused({ deny: ['::/200'] }, /^--deny "::\/200" has a bad prefix length/);
  for (const r of ['10', '10/h', '0/s', '-1/s', 'x/s', '10/s:5', '']) refused({ rate: r }, /^--rate must be new sessions per second or minute, such as 10\/s or 30\/m/);
  refused({ rateBurst: 5 }, /^--rate-burst needs --rate$/);
  assert.equal(parseRate('30/m'), 0.5);
  assert.equal(parseRate('2.5/s'), 2.5);
  const c = readFrontDoorOptions({ allow: ['10.0.0.0/8'], deny: ['10.6.0.0/16'], maxPerSource: 4, rate: '2.5/s' });
  assert.deepEqual(c.limits?.rate, { perSecond: 2.5, burst: 3 }, 'the default burst is one second\'s worth');
  assert.equal(c.limits?.maxPerSource, 4);
  assert.ok(c.limits?.deny?.contains('10.6.1.1') && c.limits.allow?.contains('10.1.1.1'));
  assert.deepEqual(readFrontDoorOptions({ rate: '30/m' }).limits?.rate, { perSecond: 0.5, burst: 1 });
  assert.deepEqual(readFrontDoorOptions({ rate: '10/s', rateBurst: 50 }).limits?.rate, { perSecond: 10, burst: 50 });
});

test('FD-21 numeric rules: --proxy-timeout at least 3 s, --max-per-source and --rate-burst whole numbers', () => {
  assert.match(checkOptions(frontDoorOptions, { 'proxy-timeout': 1 }) ?? '', /^--proxy-timeout must be a number of seconds from 3 to 2147483/);
  assert.equal(checkOptions(frontDoorOptions, { 'proxy-timeout': 3 }), undefined);
  assert.match(checkOptions(frontDoorOptions, { 'max-per-source': -1 }) ?? '', /^--max-per-source must be a whole number from 0/);
  assert.match(checkOptions(frontDoorOptions, { 'max-per-source': 1.5 }) ?? '', /^--max-per-source must be a whole number/);
  assert.match(checkOptions(frontDoorOptions, { 'rate-burst': 0 }) ?? '', /^--rate-burst must be a whole number from 1/);
  assert.ok('auth-basic' in httpFrontDoorOptions && !('auth-basic' in frontDoorOptions), 'auth and forwarded headers are for the HTTP front-ends');
});

test('FD-21 the credential files are read when the options are: a bad one stops startup', () => {
  const tokens = join(dir, 'tokens');
  writeFileSync(tokens, 'abcdefghijklmnopqrstuvwxyz012345 ci\n');
  const c = readFrontDoorOptions({ authBearer: tokens }, 'hamelin-ws');
  assert.equal(c.auth?.bearer?.[0]?.user, 'ci');
  assert.equal(c.auth?.realm, 'hamelin-ws');
  refused({ authBasic: join(dir, 'nope') }, /^cannot read --auth-basic .*nope: ENOENT/);
  writeFileSync(join(dir, 'md5'), 'u:$apr1$abc$def\n');
  refused({ authBasic: join(dir, 'md5') }, /^--auth-basic .*md5 line 1: user u has an MD5/);
});
