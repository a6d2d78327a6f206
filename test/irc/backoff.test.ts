/** The reconnect and rejoin waits of hamelin-irc, as pure functions (IRC-16, IRC-17). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reconnectDelayMs, rejoinDelayMs } from '@hamelin/irc';

test('IRC-17 the n-th reconnect wait is drawn from [d/2, d], d = 2^(n-1) s, capped at --reconnect-max', () => {
  const low = (): number => 0;
  const high = (): number => 1 - Number.EPSILON;
  const d = [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300];
  for (const [i, want] of d.entries()) {
    const n = i + 1;
    assert.equal(reconnectDelayMs(n, 300, low), (want * 1000) / 2, `n=${n}, lowest`);
    assert.equal(reconnectDelayMs(n, 300, high), want * 1000, `n=${n}, highest`);
  }
  // Far beyond the cap the number stays finite and capped.
  assert.equal(reconnectDelayMs(10_000, 300, high), 300_000);
  // The jitter spreads a fleet: many draws for one n are not one value, and all in range.
  const draws = Array.from({ length: 200 }, () => reconnectDelayMs(4, 300));
  assert.ok(new Set(draws).size > 20, 'random, not fixed');
  assert.ok(draws.every((x) => x >= 4000 && x <= 8000));
  assert.equal(reconnectDelayMs(3, 1, high), 1000, 'a cap below the growth wins at once');
});

test('IRC-16 a channel\'s n-th JOIN retry waits 5 s, doubling, capped at --reconnect-max', () => {
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6, 7, 8, 50].map((n) => rejoinDelayMs(n, 300)),
    [5000, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000],
  );
  assert.equal(rejoinDelayMs(1, 2), 2000);
});
