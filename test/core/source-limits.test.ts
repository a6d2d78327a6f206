/**
 * FD-03 to FD-06: allow and deny, sessions per source, the token bucket of new sessions and the
 * bound on what is remembered. The clock is the test's own, so no test waits for time to pass.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allowed, CidrList, SourceLimits, type Admission } from '@hamelin/core';

const cidrs = (...t: string[]): CidrList => CidrList.parse('--allow', t);
const refusal = (a: Admission): string => (a.ok ? 'admitted' : a.reason);

test('FD-03 deny wins over allow; with any --allow only allowed addresses pass; without either, all do', () => {
  const allow = cidrs('10.0.0.0/8', '2001:db8::/32');
  const deny = cidrs('10.6.6.0/24');
  assert.ok(allowed('10.1.1.1', allow, deny));
  assert.ok(!allowed('10.6.6.6', allow, deny), 'denied inside an allowed range');
  assert.ok(!allowed('192.0.2.1', allow, deny), 'outside every --allow');
  assert.ok(allowed('2001:db8::5', allow, deny));
  assert.ok(!allowed('unix:/tmp/s', allow, deny), 'no address is in no --allow range');
  assert.ok(allowed('192.0.2.1', undefined, deny));
  assert.ok(!allowed('::ffff:10.6.6.1', undefined, deny), 'a mapped address is denied as IPv4');
  assert.ok(allowed('anything', undefined, undefined));
  const limits = new SourceLimits({ allow, deny });
  const d = limits.admit('10.6.6.7');
  assert.deepEqual(d, { ok: false, source: '10.6.6.7', reason: 'denied' }, 'denied carries no retry hint');
});

test('FD-04 --max-per-source counts concurrent sessions per source; an IPv6 /64 is one source', () => {
  const limits = new SourceLimits({ maxPerSource: 2 });
  const a = limits.admit('192.0.2.1');
  const b = limits.admit('::ffff:192.0.2.1');
  const c = limits.admit('192.0.2.1');
  assert.ok(a.ok && b.ok);
  assert.deepEqual(c, { ok: false, source: '192.0.2.1', reason: 'per-source', retryAfterS: 1 });
  assert.ok(limits.admit('192.0.2.2').ok, 'another source is not affected');
  if (a.ok) {
    a.release();
    a.release();
  }
  assert.ok(limits.admit('192.0.2.1').ok, 'a released session frees its slot');
  assert.equal(refusal(limits.admit('192.0.2.1')), 'per-source', 'a second release of one session frees nothing');
  assert.ok(limits.admit('2001:db8:0:1::a').ok && limits.admit('2001:db8:0:1:ffff::b').ok);
  assert.equal(refusal(limits.admit('2001:db8:0:1:1234::c')), 'per-source', 'the third address of one /64');
  assert.ok(limits.admit('2001:db8:0:2::a').ok, 'the next /64 is another source');
});

test('FD-05 --rate is a token bucket per source: a burst at once, then the rate, with a Retry-After hint', () => {
  let now = 1_000;
  const limits = new SourceLimits({ rate: { perSecond: 2, burst: 3 }, now: () => now });
  const take = (n: number, who = '192.0.2.9'): string[] => Array.from({ length: n }, () => refusal(limits.admit(who)));
  assert.deepEqual(take(4), ['admitted', 'admitted', 'admitted', 'rate']);
  const r = limits.admit('192.0.2.9');
  assert.deepEqual(r, { ok: false, source: '192.0.2.9', reason: 'rate', retryAfterS: 1 });
  assert.deepEqual(take(1, '192.0.2.10'), ['admitted'], 'each source has its own bucket');
  now += 499;
  assert.deepEqual(take(1), ['rate'], 'one token takes 500 ms at 2/s');
  now += 1;
  assert.deepEqual(take(2), ['admitted', 'rate']);
  now += 60_000;
  assert.deepEqual(take(4), ['admitted', 'admitted', 'admitted', 'rate'], 'a quiet spell refills to the burst, not past it');
  const slow = new SourceLimits({ rate: { perSecond: 1 / 60, burst: 1 }, now: () => now });
  assert.ok(slow.admit('192.0.2.1').ok);
  const s = slow.admit('192.0.2.1');
  assert.equal(!s.ok && s.retryAfterS, 60, '30/m... 1/m: a minute to wait');
});

test('FD-05 a session refused for --max-per-source takes no token; one refused for the rate takes no slot', () => {
  let now = 0;
  const limits = new SourceLimits({ maxPerSource: 1, rate: { perSecond: 1, burst: 2 }, now: () => now });
  const first = limits.admit('192.0.2.1');
  assert.equal(refusal(limits.admit('192.0.2.1')), 'per-source');
  if (first.ok) first.release();
  const second = limits.admit('192.0.2.1');
  assert.ok(second.ok, 'the per-source refusal left the second token');
  if (second.ok) second.release();
  assert.equal(refusal(limits.admit('192.0.2.1')), 'rate');
  now += 1000;
  assert.ok(limits.admit('192.0.2.1').ok, 'the rate refusal took no slot');
});

test('FD-06 idle sources are forgotten and at most maxTracked are kept, busy ones never dropped', () => {
  let now = 0;
  const limits = new SourceLimits({ maxPerSource: 1, rate: { perSecond: 10, burst: 10 }, maxTracked: 100, now: () => now });
  const busy = limits.admit('198.51.100.1');
  for (let i = 0; i < 10_000; i++) {
    const a = limits.admit(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    if (a.ok) a.release();
  }
  assert.ok(limits.tracked <= 100, `tracked ${limits.tracked}`);
  assert.equal(refusal(limits.admit('198.51.100.1')), 'per-source', 'the busy source was kept through the flood');
  // Sources with sessions are never forgotten (their count would be lost); --max-clients bounds them.
  const held = new SourceLimits({ maxPerSource: 1, maxTracked: 10 });
  for (let i = 0; i < 50; i++) held.admit(`10.2.0.${i}`);
  assert.equal(held.tracked, 50);
  assert.equal(refusal(held.admit('10.2.0.0')), 'per-source');
  // Without a cap in reach, only sources without sessions and with a full bucket are forgotten.
  const ended = new SourceLimits({ rate: { perSecond: 10, burst: 10 }, now: () => now });
  for (let i = 0; i < 1000; i++) {
    const a = ended.admit(`10.1.${i >> 8}.${i & 255}`);
    if (a.ok) a.release();
  }
  assert.equal(ended.tracked, 1000, 'refilling buckets are remembered');
  now += 1000;
  for (let i = 0; i < 200; i++) ended.admit('192.0.2.200');
  assert.ok(ended.tracked <= 2, `after the refill time the old ones are swept: ${ended.tracked} left`);
  if (busy.ok) busy.release();
});
