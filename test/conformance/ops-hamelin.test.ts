/**
 * The opt-in operations checks (OPS-04 health, OPS-05 drain) against hamelin's own daemons:
 * each passes with its admin endpoint at {admin}, the drain started by POST /drain, and on
 * hamelin-net also by --drain-signal SIGUSR2.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bin } from '../helpers/paths.js';
import { runSuite, suitePool } from '../helpers/conformance.js';

const OPS = ['OPS-04', 'OPS-05'];
const pool = suitePool(2);
const own = (binding: string, extra: string[], daemon: string[]) => pool([binding, '--hamelin', '--slow', '2', '--only', OPS.join(','), ...extra], daemon);

const DAEMONS: Record<string, string[]> = {
  net: [process.execPath, bin('net'), '--admin', '{admin}', '{host}', '{port}', '{command}'],
  unix: [process.execPath, bin('net'), '--admin', '{admin}', 'unix:{path}', '{command}'],
  ws: [process.execPath, bin('ws'), '--admin', '{admin}', '--host', '{host}', '--port', '{port}', '{command}'],
  http: [process.execPath, bin('http'), '--admin', '{admin}', '--host', '{host}', '--port', '{port}', '{command}'],
};

const runs = Object.entries(DAEMONS).map(([binding, daemon]) => [binding, own(binding, [], daemon)] as const);
const bySignal = own('net', ['--drain-signal', 'SIGUSR2'], [process.execPath, bin('net'), '--admin', '{admin-port}', '{host}', '{port}', '{command}']);
for (const [, r] of runs) r.catch(() => undefined);
bySignal.catch(() => undefined);

for (const [binding, run] of runs) {
  test(`OPS-04 OPS-05: hamelin on the ${binding} binding passes health and drain (POST /drain on {admin})`, async () => {
    const r = await run;
    assert.deepEqual(r.ids('pass'), OPS, r.explain());
    assert.equal(r.code, 0, r.explain());
    assert.match(r.stdout, /after POST \/drain \(202\): 503 "draining\\n", 503 "draining\\n", 503 "draining\\n"/);
    assert.match(r.stdout, /a new client refused .*both sessions echoed and got their 3011 bytes; exit 0 \d+ ms after the last ended/);
    assert.match(r.stdout, /\n2 passed, 0 failed, 0 skipped\n$/);
  });
}

test('OPS-04 OPS-05: hamelin-net passes with the drain started by --drain-signal SIGUSR2 ({admin-port} for its admin endpoint)', async () => {
  const r = await bySignal;
  assert.deepEqual(r.ids('pass'), OPS, r.explain());
  assert.equal(r.code, 0, r.explain());
  assert.match(r.stdout, /after SIGUSR2: 503 "draining\\n"/);
  assert.match(r.stdout, /SIGUSR2: a new client refused/);
});

test('OPS-04 OPS-05 are opt-in: not run or listed without {admin} or --drain-signal; named by --only they are skipped with the reason, and --strict fails them', async () => {
  const plain = [process.execPath, bin('net'), '{host}', '{port}', '{command}'];
  const listed = await runSuite(['net', '--list'], []);
  assert.doesNotMatch(listed.stdout, /^OPS-/m);
  assert.match(listed.stdout, /^\(opt-in, not listed: OPS-04, OPS-05; put \{admin\} in DAEMON ARGV or give --drain-signal\)$/m);
  const withAdmin = await runSuite(['net', '--list'], [process.execPath, bin('net'), '--admin', '{admin}', '{host}', '{port}', '{command}']);
  assert.match(withAdmin.stdout, /^OPS-04 +MUST /m);
  assert.match(withAdmin.stdout, /^OPS-05 +MUST /m);
  const skipped = await runSuite(['net', '--only', OPS.join(',')], plain);
  assert.deepEqual(skipped.ids('skip'), OPS, skipped.explain());
  assert.equal(skipped.code, 0, skipped.explain());
  assert.match(skipped.stdout, /needs the admin endpoint: put \{admin\} \(HOST:PORT\) or \{admin-port\} in DAEMON ARGV/);
  assert.match(skipped.stdout, /needs a way to start a drain: --drain-signal SIG, or needs the admin endpoint/);
  const strict = await runSuite(['net', '--strict', '--only', OPS.join(',')], plain);
  assert.deepEqual(strict.ids('fail'), OPS, strict.explain());
  assert.equal(strict.code, 1, strict.explain());
  const bad = await runSuite(['net', '--drain-signal', 'SIGNOPE'], plain);
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr, 'hamelin-conformance: bad --drain-signal "SIGNOPE": a signal name such as SIGUSR2\n');
});
