/**
 * FD-07, FD-10, FD-18: the words and statuses of every front-door refusal come from one table. The
 * bindings' tests (phase 2) check that the daemons send them; these check the table itself.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { authenticate, refusalHttp, refusalLine, refusalReason, SourceLimits, type FrontDoorRefusal } from '@hamelin/core';

test('FD-07 limit refusals: one net line, 403 or 429 with Retry-After, the log reason as the limit names it', () => {
  const now = 0;
  const limits = new SourceLimits({ maxPerSource: 1, rate: { perSecond: 0.25, burst: 2 }, now: () => now });
  limits.admit('192.0.2.1');
  const perSource = limits.admit('192.0.2.1');
  assert.ok(!perSource.ok);
  const r: FrontDoorRefusal = { kind: 'limit', reason: perSource.reason, limit: 1, ...(perSource.retryAfterS ? { retryAfterS: perSource.retryAfterS } : {}) };
  assert.equal(refusalLine(r), 'hamelin: refused: too many sessions from your address (limit 1)\n');
  assert.deepEqual(refusalHttp(r), { status: 429, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', 'retry-after': '1' }, body: 'too many sessions from your address (limit 1)\n' });
  assert.equal(refusalReason(r), 'per-source');
  const rate = new SourceLimits({ rate: { perSecond: 0.25, burst: 1 }, now: () => now });
  rate.admit('192.0.2.3');
  const second = rate.admit('192.0.2.3');
  assert.ok(!second.ok && second.reason === 'rate');
  const rr: FrontDoorRefusal = { kind: 'limit', reason: 'rate', retryAfterS: second.retryAfterS! };
  assert.equal(refusalLine(rr), 'hamelin: refused: too many new sessions from your address; retry in 4 s\n');
  assert.equal(refusalHttp(rr)?.headers['retry-after'], '4');
  const denied: FrontDoorRefusal = { kind: 'limit', reason: 'denied' };
  assert.equal(refusalLine(denied), 'hamelin: refused: your address is not allowed\n');
  assert.equal(refusalHttp(denied)?.status, 403);
  assert.equal(refusalHttp(denied)?.headers['retry-after'], undefined, 'no point retrying a denial');
});

test('FD-10 a PROXY refusal writes nothing on any transport, and is logged as proxy-REASON', () => {
  const r: FrontDoorRefusal = { kind: 'proxy', reason: 'timeout' };
  assert.equal(refusalLine(r), undefined);
  assert.equal(refusalHttp(r), undefined);
  assert.equal(refusalReason(r), 'proxy-timeout');
});

test('FD-18 an authentication refusal is 401 with every challenge, logged as auth-REASON', async () => {
  const a = await authenticate({ bearer: [], realm: 'hamelin-ws' }, { authorization: 'Digest x' }, '127.0.0.1');
  assert.ok('refuse' in a);
  const r: FrontDoorRefusal = { kind: 'auth', reason: a.reason, wwwAuthenticate: a.wwwAuthenticate };
  assert.deepEqual(refusalHttp(r), { status: 401, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', 'www-authenticate': ['Bearer realm="hamelin-ws"'] }, body: 'authentication required\n' });
  assert.equal(refusalReason(r), 'auth-unknown-scheme');
  assert.equal(refusalLine(r), undefined);
});
