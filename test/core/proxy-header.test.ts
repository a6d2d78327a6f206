/**
 * FD-12, FD-13: the PROXY header parser on its own: every byte sequence gives "more", a header and
 * its exact length, or a refusal with a reason; never an exception, never a guess.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseProxyHeader, PROXY_V2_MAX_BYTES, type ProxyParse } from '@hamelin/core';
import { inet4, inet6, tlv, v2, V2_SIGNATURE, v2Tcp4 } from '../helpers/proxy-v2.js';

/** Feed `bytes` one at a time: every proper prefix must ask for more, the whole must answer. */
function byteByByte(bytes: Buffer): ProxyParse {
  for (let i = 1; i < bytes.length; i++) {
    const p = parseProxyHeader(bytes.subarray(0, i));
    if (p.state !== 'more') return p;
  }
  return parseProxyHeader(bytes);
}

const bad = (p: ProxyParse): string => (p.state === 'bad' ? p.reason : `not refused: ${p.state}`);

test('FD-13 v1 TCP4 and TCP6 lines give the client and the exact header length, byte by byte too', () => {
  const line = Buffer.from('PROXY TCP4 203.0.113.7 192.0.2.1 51000 443\r\nHELLO');
  const p = byteByByte(line.subarray(0, line.length - 5));
  assert.deepEqual(p, { state: 'done', length: line.length - 5, header: { version: 1, command: 'proxy', source: { address: '203.0.113.7', port: 51000 }, destination: { address: '192.0.2.1', port: 443 }, tlvs: [] } });
  assert.deepEqual(parseProxyHeader(line), p, 'bytes after the line are not part of it');
  const six = parseProxyHeader(Buffer.from('PROXY TCP6 2001:DB8::7 2001:db8::1 65535 0\r\n'));
  assert.equal(six.state === 'done' && six.header.source?.address, '2001:db8::7');
  assert.equal(six.state === 'done' && six.header.source?.port, 65535);
  const unknown = parseProxyHeader(Buffer.from('PROXY UNKNOWN whatever follows\r\n'));
  assert.deepEqual(unknown, { state: 'done', length: 32, header: { version: 1, command: 'local', tlvs: [] } });
});

test('FD-12 a v1 line is at most 107 bytes: the longest passes, one more is refused without waiting for its end', () => {
  const longest = Buffer.from('PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n');
  assert.equal(longest.length, 104);
  assert.equal(parseProxyHeader(longest).state, 'done');
  const unknown107 = Buffer.from(`PROXY UNKNOWN ${'x'.repeat(107 - 16)}\r\n`);
  assert.equal(unknown107.length, 107);
  assert.equal(byteByByte(unknown107).state, 'done');
  const unknown108 = Buffer.from(`PROXY UNKNOWN ${'x'.repeat(108 - 16)}\r\n`);
  assert.equal(bad(byteByByte(unknown108)), 'too-long');
  // A sender that never ends its line is refused once 106 bytes have no CR.
  assert.equal(bad(parseProxyHeader(Buffer.from(`PROXY TCP4 ${'1'.repeat(95)}`))), 'too-long');
  assert.equal(parseProxyHeader(Buffer.from(`PROXY TCP4 ${'1'.repeat(94)}`)).state, 'more');
});

test('FD-12 a malformed v1 line is refused', () => {
  const lines = [
    'PROXY TCP4 203.0.113.7 192.0.2.1 51000\r\n',
    'PROXY TCP4 203.0.113.7  192.0.2.1 51000 443\r\n',
    'PROXY TCP4 2001:db8::1 192.0.2.1 51000 443\r\n',
    'PROXY TCP6 203.0.113.7 192.0.2.1 51000 443\r\n',
    'PROXY TCP4 203.0.113.256 192.0.2.1 51000 443\r\n',
    'PROXY TCP4 203.0.113.07 192.0.2.1 51000 443\r\n',
    'PROXY TCP4 203.0.113.7 192.0.2.1 65536 443\r\n',
    'PROXY TCP4 203.0.113.7 192.0.2.1 0443 443\r\n',
    'PROXY UDP4 203.0.113.7 192.0.2.1 1 2\r\n',
    'PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n',
    'PROXY TCP4 203.0.113.7 192.0.2.1 1 2\n',
    'PROXY TCP4 203.0.113.7 192.0.2.1 1 2\rX',
  ];
  for (const l of lines) assert.equal(bad(parseProxyHeader(Buffer.from(l))), 'malformed', JSON.stringify(l));
  for (const l of ['GET / HTTP/1.1\r\n', 'PROXX ', 'proxy TCP4', '\x16\x03\x01', '\r\n\r\n\x00\r\nQUIX\n']) {
    assert.equal(bad(parseProxyHeader(Buffer.from(l, 'latin1'))), 'not-proxy', JSON.stringify(l));
  }
  assert.equal(bad(parseProxyHeader(Buffer.from('G'))), 'not-proxy', 'refused at the first byte');
});

test('FD-13 v2 PROXY over IPv4 and IPv6 with TLVs, byte by byte, exact length', () => {
  const tlvs = Buffer.concat([tlv(0x01, 'h2'), tlv(0x02, 'example.com'), tlv(0x04, Buffer.alloc(0)), tlv(0x20, Buffer.alloc(300, 7))]);
  const header = v2Tcp4('203.0.113.9', 40001, tlvs);
  const p = byteByByte(header);
  assert.equal(p.state, 'done');
  if (p.state !== 'done') return;
  assert.equal(p.length, header.length);
  assert.deepEqual(p.header.source, { address: '203.0.113.9', port: 40001 });
  assert.deepEqual(p.header.destination, { address: '192.0.2.1', port: 443 });
  assert.deepEqual(p.header.tlvs.map((t) => [t.type, t.value.length]), [[1, 2], [2, 11], [4, 0], [0x20, 300]]);
  assert.equal(p.header.tlvs[1]!.value.toString(), 'example.com');
  const src = Buffer.from('20010db8000000000000000000000042', 'hex');
  const six = parseProxyHeader(Buffer.concat([v2(0x21, 0x21, inet6(src, Buffer.alloc(16, 0), 5, 6)), Buffer.from('payload')]));
  assert.equal(six.state === 'done' && six.length, 16 + 36);
  assert.deepEqual(six.state === 'done' && six.header.source, { address: '2001:db8::42', port: 5 });
  const mapped = Buffer.from('00000000000000000000ffffcb007101', 'hex');
  const m = parseProxyHeader(v2(0x21, 0x21, inet6(mapped, mapped, 7, 8)));
  assert.equal(m.state === 'done' && m.header.source?.address, '203.0.113.1', 'an IPv4-mapped source is IPv4');
});

test('FD-13 v2 LOCAL, UNSPEC and AF_UNIX keep the real endpoints; the block is skipped whole', () => {
  const local = parseProxyHeader(v2(0x20, 0x00, Buffer.alloc(0)));
  assert.deepEqual(local, { state: 'done', length: 16, header: { version: 2, command: 'local', tlvs: [] } });
  // LOCAL with any family byte and any block, even one too short for its family: discarded.
  const localJunk = parseProxyHeader(v2(0x20, 0xff, Buffer.alloc(5, 1)));
  assert.deepEqual(localJunk.state === 'done' && [localJunk.length, localJunk.header.command, localJunk.header.source], [21, 'local', undefined]);
  const unspec = parseProxyHeader(v2(0x21, 0x00, Buffer.alloc(0)));
  assert.equal(unspec.state === 'done' && unspec.header.command, 'local');
  const unix = parseProxyHeader(v2(0x21, 0x31, Buffer.alloc(216)));
  assert.deepEqual(unix.state === 'done' && [unix.length, unix.header.command], [16 + 216, 'local']);
});

test('FD-12 truncated, oversized and invalid v2 headers are refused, never read past', () => {
  // Truncated: fewer bytes than the length says only ever asks for more.
  const full = v2Tcp4('203.0.113.9', 1, tlv(1, 'h2'));
  assert.equal(parseProxyHeader(full.subarray(0, full.length - 1)).state, 'more');
  // The length does not cover the address block.
  assert.equal(bad(parseProxyHeader(v2(0x21, 0x11, Buffer.alloc(11)))), 'malformed');
  assert.equal(bad(parseProxyHeader(v2(0x21, 0x21, Buffer.alloc(35)))), 'malformed');
  // A TLV cut short, or one whose length runs past the header.
  assert.equal(bad(parseProxyHeader(v2(0x21, 0x11, Buffer.concat([inet4('1.2.3.4', '5.6.7.8', 1, 2), Buffer.from([0x01, 0x00])])))), 'malformed');
  assert.equal(bad(parseProxyHeader(v2(0x21, 0x11, Buffer.concat([inet4('1.2.3.4', '5.6.7.8', 1, 2), tlv(0x02, 'abc', 4)])))), 'malformed');
  assert.equal(bad(parseProxyHeader(v2(0x21, 0x11, Buffer.concat([inet4('1.2.3.4', '5.6.7.8', 1, 2), tlv(0x02, 'abc', 65535)])))), 'malformed');
  // Oversized: refused as soon as the 16 fixed bytes are in, before the rest arrives.
  const huge = v2(0x21, 0x11, Buffer.alloc(0), PROXY_V2_MAX_BYTES - 16 + 1);
  assert.equal(bad(parseProxyHeader(huge)), 'too-long');
  assert.equal(parseProxyHeader(v2(0x21, 0x11, Buffer.alloc(0), PROXY_V2_MAX_BYTES - 16)).state, 'more', 'the largest allowed waits for its bytes');
  assert.equal(bad(parseProxyHeader(v2(0x21, 0x11, Buffer.alloc(0), 100), 64)), 'too-long', 'the bound is the caller\'s');
  // Bad version, command, family or transport.
  assert.equal(bad(parseProxyHeader(v2(0x11, 0x11, inet4('1.2.3.4', '5.6.7.8', 1, 2)))), 'malformed');
  assert.equal(bad(parseProxyHeader(v2(0x22, 0x11, inet4('1.2.3.4', '5.6.7.8', 1, 2)))), 'malformed');
  assert.equal(bad(parseProxyHeader(v2(0x21, 0x41, Buffer.alloc(12)))), 'malformed');
  assert.equal(bad(parseProxyHeader(v2(0x21, 0x13, Buffer.alloc(12)))), 'malformed');
  assert.equal(bad(parseProxyHeader(v2(0x21, 0x12, inet4('1.2.3.4', '5.6.7.8', 1, 2)))), 'unsupported', 'UDP');
  // A signature that goes wrong at its last byte.
  const sig = Buffer.from(V2_SIGNATURE);
  sig[11] = 0x0b;
  assert.equal(bad(parseProxyHeader(sig)), 'not-proxy');
  assert.equal(parseProxyHeader(V2_SIGNATURE.subarray(0, 11)).state, 'more');
});

test('FD-12 no byte sequence throws: random and mutated headers give more, done or bad', () => {
  const seeds = [v2Tcp4('203.0.113.9', 1, tlv(1, 'h2')), Buffer.from('PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n')];
  let x = 12345;
  const rnd = (n: number): number => ((x = (x * 1103515245 + 12345) & 0x7fffffff), x % n);
  for (let i = 0; i < 20000; i++) {
    const b = Buffer.from(seeds[i % 2]!);
    for (let k = 0; k < 1 + rnd(4); k++) b[rnd(b.length)] = rnd(256);
    const cut = b.subarray(0, rnd(b.length + 1));
    const p = parseProxyHeader(cut);
    assert.ok(['more', 'done', 'bad'].includes(p.state));
    if (p.state === 'done') assert.ok(p.length <= cut.length);
  }
});
