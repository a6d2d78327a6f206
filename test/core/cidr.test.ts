/**
 * FD-01: one reading of addresses and CIDR ranges for --trusted-proxy, --allow and --deny.
 * FD-02: the source key per-source limits count under (IPv4 address, IPv6 /64).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CidrList, formatIp, parseCidr, parseIp, sourceKey } from '@hamelin/core';

const list = (...t: string[]): CidrList => CidrList.parse('--allow', t);

test('FD-01 IPv4 ranges match IPv4 clients, plain or as IPv4-mapped IPv6, and nothing else', () => {
  const l = list('10.0.0.0/8', '192.0.2.7');
  for (const a of ['10.0.0.1', '10.255.255.255', '::ffff:10.1.2.3', '192.0.2.7', '::FFFF:192.0.2.7']) assert.ok(l.contains(a), a);
  for (const a of ['11.0.0.1', '192.0.2.8', '::a00:1', '', 'unknown', 'unix:/tmp/s', '10.0.0.1.5']) assert.ok(!l.contains(a), a);
});

test('FD-01 IPv6 ranges match IPv6 clients; ::/0 does not cover IPv4, a mapped range is its IPv4 range', () => {
  const l = list('2001:db8::/32', 'fe80::/10');
  assert.ok(l.contains('2001:db8:ffff::1'));
  assert.ok(l.contains('2001:DB8::1'));
  assert.ok(l.contains('fe80::1%eth0'), 'a zone id is dropped from a peer address');
  assert.ok(!l.contains('2001:db9::1'));
  assert.ok(!list('::/0').contains('127.0.0.1'));
  assert.ok(!list('::/0').contains('::ffff:127.0.0.1'));
  assert.ok(list('::/0').contains('::1'));
  assert.ok(list('::ffff:10.0.0.0/104').contains('10.9.9.9'));
  assert.ok(list('0.0.0.0/0').contains('::ffff:8.8.8.8'));
});

test('FD-01 a bad range is refused with a message naming the option and the fix', () => {
  const bad: [string, RegExp][] = [
    ['10.0.0.1/8', /host bits set past \/8 \(did you mean 10\.0\.0\.0\/8\?\)/],
    ['10.0.0.0/33', /bad prefix length \(0 to 32/],
    ['2001:db8::/129', /bad prefix length \(0 to 128/],
    ['10.0.0.0/08', /bad prefix length/],
    ['example.com', /not an IPv4 or IPv6 address/],
    ['10.0.0', /not an IPv4 or IPv6 address/],
    ['fe80::1%eth0', /zone id/],
    ['::ffff:0.0.0.0/95', /spans IPv4-mapped/],
    ['', /not an IPv4 or IPv6/],
  ];
  for (const [text, why] of bad) {
    assert.throws(() => CidrList.parse('--deny', [text]), (e: Error) => e.message.startsWith('--deny "') && why.test(e.message), text);
  }
  assert.deepEqual(parseCidr('::ffff:10.0.0.0/104'), { family: 4, bytes: Uint8Array.from([10, 0, 0, 0]), prefix: 8 });
});

test('FD-01 addresses are written as RFC 5952 says, a mapped one as IPv4', () => {
  const cases: [string, string][] = [
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['::', '::'],
    ['::1', '::1'],
    ['1::', '1::'],
    ['::ffff:1.2.3.4', '1.2.3.4'],
    ['::1.2.3.4', '::102:304'],
    ['192.0.2.1', '192.0.2.1'],
  ];
  for (const [input, out] of cases) assert.equal(formatIp(parseIp(input)!.bytes), out, input);
});

test('FD-02 a source is its IPv4 address, or its IPv6 /64', () => {
  assert.equal(sourceKey('192.0.2.1'), '192.0.2.1');
  assert.equal(sourceKey('::ffff:192.0.2.1'), '192.0.2.1');
  assert.equal(sourceKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
  assert.equal(sourceKey('2001:db8:1:2:bbbb:cccc:dddd:eeee'), '2001:db8:1:2::/64');
  assert.notEqual(sourceKey('2001:db8:1:3::1'), sourceKey('2001:db8:1:2::1'));
  assert.equal(sourceKey('::1'), '::/64');
});
