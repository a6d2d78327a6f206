/**
 * NET-01 on unix sockets: a daemon that runs but does not listen at unix:PATH is one failure of
 * the run, NET-01's, saying where it listens instead; not a setup error, and not thirty
 * checks timing out. The mini daemon's break=NET-01 listens on the abstract socket @PATH.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listed, miniDaemon, runSuite } from '../helpers/conformance.js';

test('NET-01 (unix): a daemon listening at @PATH, not PATH, fails NET-01 alone, naming both; every other check is left unrun; exit 1', async () => {
  const r = await runSuite(['unix'], miniDaemon('unix', ['NET-01']));
  assert.deepEqual(r.ids('fail'), ['NET-01'], r.explain());
  assert.equal(r.code, 1, r.explain());
  const net01 = r.results.find((x) => x.id === 'NET-01')!;
  assert.match(net01.evidence, /expected a unix stream socket listening at (\/\S+\/s\.sock) .*the daemon runs, listening on unix:@\1$/, net01.evidence);
  assert.deepEqual(r.ids('skip'), listed('unix').filter((id) => id !== 'NET-01'), r.explain());
  for (const s of r.results.filter((x) => x.status === 'skip')) assert.match(s.evidence, /^not run: NET-01 failed first/, s.evidence);
  assert.match(r.stdout, /MUST failed: NET-01\n/);
  assert.match(r.stdout, /\n0 passed, 1 failed, \d+ skipped\n$/);
});
