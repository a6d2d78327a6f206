/** hamelin-conformance's hub checks (spec/hub.md), opt-in: the options that run them. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { bin } from './paths.js';
import { expectFailures, listed, miniBreaks, miniDaemon, miniOpts, runSuite, suitePool, type MiniBinding } from './conformance.js';

/** The HUB MUSTs the suite checks, on net, unix, ws and http (HUB-16, a SHOULD, has no check). */
export const HUB_CHECKED = ['HUB-01', 'HUB-02', 'HUB-03', 'HUB-04', 'HUB-05', 'HUB-06', 'HUB-07', 'HUB-08', 'HUB-09', 'HUB-10', 'HUB-11', 'HUB-12', 'HUB-13', 'HUB-14', 'HUB-15'];

/** The HUB MUSTs checked per binding: irc's and tty's are their own (checks/hub-irc.ts,
 * checks/hub-tty.ts), the rest not run
 * there for the reasons coverage.test.ts gives. */
export const HUB_CHECKED_ON: Record<string, string[]> = {
  irc: ['HUB-01', 'HUB-02', 'HUB-03', 'HUB-04', 'HUB-07', 'HUB-08', 'HUB-09', 'HUB-17'],
  tty: ['HUB-02', 'HUB-03', 'HUB-04', 'HUB-07', 'HUB-08', 'HUB-14'],
};
const checkedOn = (binding: string): string[] => HUB_CHECKED_ON[binding] ?? HUB_CHECKED;
/** irc's checks mostly wait out the bot's flood pacing, idle: more of them at once keeps a file
 * inside its time on a loaded machine. */
const jobsOn = (binding: string): string => (binding === 'irc' ? '4' : '2');

/** How the mini daemon and hamelin's daemons spell the hub options; giving them opts the checks in. */
export const HUB_OPTS = ['hub-broadcast=--hub broadcast', 'hub-addressed=--hub addressed', 'replay=--replay {value}', 'slow=--slow {value}', 'hub-queue=--hub-queue {value}', 'respawn=--respawn', 'hub-eager=--hub-eager'].flatMap((o) => ['--opt', o]);

/**
 * One test per HUB break of `binding`: the suite, run on that requirement's check against the
 * mini daemon with that one break, fails exactly that check, exit status 1.
 */
export function testHubBreaks(binding: MiniBinding, define: (name: string, fn: () => Promise<void>) => void): void {
  const pool = suitePool(binding === 'irc' ? 3 : 2);
  for (const b of miniBreaks().filter((x) => x.bindings.includes(binding) && x.req.startsWith('HUB-'))) {
    const run = pool([binding, '--jobs', '1', '--slow', '2', ...miniOpts(binding), ...HUB_OPTS, '--only', b.req], miniDaemon(binding, [b.id]));
    run.catch(() => undefined);
    define(`${b.id} (${binding}): the suite fails a hub that ${b.how}`, async () => {
      const r = await run;
      assert.deepEqual(r.ids('fail'), [b.req], r.explain());
      assert.equal(r.code, 1, r.explain());
    });
  }
}

/** The checks the suite lists for a binding with the hub options given. */
export function listedHub(binding: string): string[] {
  const out = execFileSync(process.execPath, [bin('conformance'), binding, '--list', ...HUB_OPTS], { encoding: 'utf8' });
  return out.split('\n').map((l) => /^(HUB-\d+)\s/.exec(l)?.[1]).filter((x): x is string => x !== undefined).sort();
}

/** The correct mini daemon passes every hub check of `binding`, and --list names them all; without
 * a hub option, --list names none (a run without them changes nothing). */
export function testMiniGoodHub(binding: MiniBinding, define: (name: string, fn: () => Promise<void>) => void): void {
  const checked = checkedOn(binding);
  const run = runSuite([binding, '--jobs', jobsOn(binding), '--slow', '2', ...miniOpts(binding), ...HUB_OPTS, '--only', checked.join(',')], miniDaemon(binding));
  run.catch(() => undefined);
  define(`${checked.join(' ')}: the correct mini daemon passes every hub check of the ${binding} binding`, async () => {
    const r = await run;
    expectFailures(r, []);
    assert.deepEqual(r.ids('skip'), [], r.explain());
    assert.deepEqual(r.ids('pass'), checked, r.explain());
    assert.deepEqual(listedHub(binding), checked);
    assert.deepEqual(listed(binding).filter((id) => id.startsWith('HUB-')), [], 'no HUB check without a hub option');
  });
}

/** hamelin's own daemon (`daemon`) passes every hub check of `binding`. */
export function testHamelinHub(binding: string, daemon: string[], define: (name: string, fn: () => Promise<void>) => void): void {
  const checked = checkedOn(binding);
  const run = runSuite([binding, '--hamelin', '--jobs', jobsOn(binding), '--slow', '2', ...HUB_OPTS, '--only', checked.join(',')], daemon);
  run.catch(() => undefined);
  define(`${checked.join(' ')}: hamelin passes every hub check of the ${binding} binding`, async () => {
    const r = await run;
    expectFailures(r, []);
    assert.deepEqual(r.ids('pass'), checked, r.explain());
  });
}
