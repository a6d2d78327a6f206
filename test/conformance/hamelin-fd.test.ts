/**
 * The front-door checks (FD-07, FD-10..FD-14, FD-18) against hamelin's own daemons, hamelin-net,
 * hamelin-ws and hamelin-http, with their front-door options; and the checks are opt-in: a run
 * without an FD option neither lists nor runs them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bin } from '../helpers/paths.js';
import { runSuite, suitePool } from '../helpers/conformance.js';

const FD_OPTS = ['proxy-protocol=--proxy-protocol --trusted-proxy {value}', 'proxy-timeout=--proxy-timeout {value}', 'deny=--deny {value}', 'max-per-source=--max-per-source {value}', 'auth-basic=--auth-basic {file}'].flatMap((o) => ['--opt', o]);
const FD = ['FD-07', 'FD-10', 'FD-11', 'FD-12', 'FD-13', 'FD-14'];
const DAEMONS = {
  net: [process.execPath, bin('net'), '{host}', '{port}', '{command}'],
  ws: [process.execPath, bin('ws'), '--host', '{host}', '--port', '{port}', '{command}'],
  http: [process.execPath, bin('http'), '--host', '{host}', '--port', '{port}', '{command}'],
};
const pool = suitePool(2);
const runs = Object.fromEntries(Object.entries(DAEMONS).map(([binding, daemon]) => [binding, pool([binding, '--hamelin', '--jobs', '3', '--slow', '2', ...FD_OPTS, '--only', (binding === 'net' ? FD : [...FD, 'FD-18']).join(',')], daemon)]));
for (const r of Object.values(runs)) r.catch(() => undefined);

for (const binding of ['net', 'ws', 'http'] as const) {
  test(`FD-07 FD-10..FD-14${binding === 'net' ? '' : ' FD-18'}: hamelin-${binding} passes every front-door check`, async () => {
    const r = await runs[binding]!;
    const want = binding === 'net' ? FD : [...FD, 'FD-18'];
    assert.deepEqual(r.ids('pass'), want, r.explain());
    assert.equal(r.code, 0, r.explain());
    assert.match(r.stdout, new RegExp(`\\n${want.length} passed, 0 failed, 0 skipped\\n$`));
    // The exact values the checks saw, as evidence.
    assert.match(r.stdout, binding === 'net' ? /"hamelin: refused: your address is not allowed", then closed/ : /HTTP 403 "your address is not allowed"/);
    assert.match(r.stdout, /v2 TCP\/IPv6: 2001:db8::5 port 6666/);
    assert.match(r.stdout, /behind the proxy: 203\.0\.113\.66 denied .*, a second 198\.51\.100\.10 refused .*, 198\.51\.100\.11 served/);
  });
}

test('the FD checks are opt-in: --list names them on a last line without an FD option, lists them with one', async () => {
  const plain = await runSuite(['http', '--list'], []);
  assert.doesNotMatch(plain.stdout, /^FD-/m);
  assert.match(plain.stdout, /^\(opt-in, not listed: FD-07, FD-10, FD-11, FD-12, FD-13, FD-14, FD-18; give their --opt: proxy-protocol, proxy-timeout, deny, max-per-source, auth-basic\)$/m);
  const withOpt = await runSuite(['http', '--list', '--opt', 'deny=--deny {value}'], []);
  assert.match(withOpt.stdout, /^FD-07 +MUST .*\[needs --opt deny, max-per-source\]$/m);
  assert.match(withOpt.stdout, /^FD-18 +MUST /m);
  const unix = await runSuite(['unix', '--list', '--opt', 'deny=--deny {value}'], []);
  assert.doesNotMatch(unix.stdout, /FD-/);
});
