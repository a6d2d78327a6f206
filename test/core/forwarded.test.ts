/**
 * FD-08, FD-09: X-Forwarded-For and Forwarded (RFC 7239) name the client only when the direct peer
 * is a trusted proxy, read from the right: the first untrusted address is the client.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CidrList, realClient, type ForwardedHeader } from '@hamelin/core';

const trusted = CidrList.parse('--trusted-proxy', ['10.0.0.0/8', '2001:db8:ffff::/48']);
const proxy = { address: '10.0.0.2', port: 40000 };
const of = (header: ForwardedHeader, value: string | string[] | undefined, peer = proxy): ReturnType<typeof realClient> =>
  realClient(value === undefined ? {} : { [header]: value }, peer, trusted, header);

test('FD-08 from an untrusted peer the headers are ignored: the peer is the client', () => {
  const peer = { address: '198.51.100.9', port: 5555 };
  assert.deepEqual(of('x-forwarded-for', '203.0.113.1', peer), { address: '198.51.100.9', port: 5555, via: 'peer' });
  assert.deepEqual(of('forwarded', 'for=203.0.113.1', peer), { address: '198.51.100.9', port: 5555, via: 'peer' });
  assert.deepEqual(of('x-forwarded-for', '203.0.113.1', { address: '::ffff:198.51.100.9', port: 1 }), { address: '198.51.100.9', port: 1, via: 'peer' });
});

test('FD-08 X-Forwarded-For: the right-most untrusted address, whatever the client prepended', () => {
  assert.deepEqual(of('x-forwarded-for', '203.0.113.1'), { address: '203.0.113.1', via: 'x-forwarded-for' });
  assert.equal(of('x-forwarded-for', '1.1.1.1, 203.0.113.1').address, '203.0.113.1', 'a spoofed left entry is not believed');
  assert.equal(of('x-forwarded-for', '1.1.1.1, 203.0.113.1, 10.1.1.1, 10.2.2.2').address, '203.0.113.1', 'trusted hops are walked past');
  assert.equal(of('x-forwarded-for', ['1.1.1.1', '203.0.113.1, 10.9.9.9']).address, '203.0.113.1', 'several header lines are one list');
  assert.equal(of('x-forwarded-for', '10.1.1.1, 10.2.2.2').address, '10.1.1.1', 'all trusted: the left-most');
  assert.deepEqual(of('x-forwarded-for', '[2001:db8::7]:4711'), { address: '2001:db8::7', port: 4711, via: 'x-forwarded-for' });
  assert.equal(of('x-forwarded-for', '2001:DB8:0::8').address, '2001:db8::8');
  assert.deepEqual(of('x-forwarded-for', '203.0.113.5:8080'), { address: '203.0.113.5', port: 8080, via: 'x-forwarded-for' });
  assert.equal(of('x-forwarded-for', '::ffff:203.0.113.6').address, '203.0.113.6');
});

test('FD-08 an entry that is no address ends the walk at the trusted hop to its right, never at a made-up address', () => {
  assert.deepEqual(of('x-forwarded-for', 'garbage'), { address: '10.0.0.2', port: 40000, via: 'peer' });
  assert.deepEqual(of('x-forwarded-for', '1.1.1.1, unknown, 10.3.3.3'), { address: '10.3.3.3', via: 'x-forwarded-for' });
  assert.equal(of('x-forwarded-for', 'garbage, 203.0.113.1').address, '203.0.113.1', 'garbage left of the client does not matter');
  assert.equal(of('x-forwarded-for', '').address, '10.0.0.2');
  assert.equal(of('x-forwarded-for', undefined).via, 'peer');
});

test('FD-08 Forwarded: for= of each element, quoted IPv6 and ports, from the right', () => {
  assert.deepEqual(of('forwarded', 'for=192.0.2.60;proto=http;by=203.0.113.43'), { address: '192.0.2.60', via: 'forwarded' });
  assert.deepEqual(of('forwarded', 'For="[2001:db8:cafe::17]:4711"'), { address: '2001:db8:cafe::17', port: 4711, via: 'forwarded' });
  assert.equal(of('forwarded', 'for=1.1.1.1, for=192.0.2.43, for=10.0.0.9').address, '192.0.2.43');
  assert.equal(of('forwarded', 'for="192.0.2.44:_hidden"').address, '192.0.2.44', 'an obfuscated port leaves the address');
  assert.equal(of('forwarded', 'for=unknown').address, '10.0.0.2', 'unknown: the proxy that said so is the client');
  assert.equal(of('forwarded', 'for=_hidden, for=10.0.0.5').address, '10.0.0.5');
  assert.equal(of('forwarded', 'proto=https').address, '10.0.0.2', 'an element without for=');
  assert.equal(of('forwarded', 'for="1.1.1.1, for=192.0.2.45').address, '192.0.2.45', "a client's unbalanced quote cannot swallow the proxy's entry");
  assert.equal(of('forwarded', 'for=[2001:db8:ffff::1]').address, '2001:db8:ffff::1', 'unquoted brackets are not RFC 7239 but still an address; all trusted, so the left-most');
  assert.equal(of('forwarded', 'for="[2001:db8::1"').address, '10.0.0.2', 'an unclosed bracket is no address');
});

test('FD-09 only the configured header is read: a client-sent Forwarded does not count when X-Forwarded-For is configured', () => {
  const headers = { forwarded: 'for=1.1.1.1', 'x-forwarded-for': '203.0.113.1' };
  assert.equal(realClient(headers, proxy, trusted, 'x-forwarded-for').address, '203.0.113.1');
  assert.equal(realClient(headers, proxy, trusted, 'forwarded').address, '1.1.1.1');
  assert.equal(realClient({ forwarded: 'for=1.1.1.1' }, proxy, trusted, 'x-forwarded-for').address, '10.0.0.2');
});
