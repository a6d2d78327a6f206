/** CORE-20: with --max-clients 0 (no limit) the open-files limit is the only bound: said at startup. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { bin } from '../helpers/paths.js';
import { eventually } from '../helpers/poll.js';
import { roundTrip } from '../helpers/tcp.js';

test('CORE-20 --max-clients 0: one fd-limit warning at startup naming the room the open-files limit leaves', async () => {
  const p = spawn('sh', ['-c', 'ulimit -n 4096 && exec "$@"', 'sh', process.execPath, bin('net'), '--max-clients', '0', '127.0.0.1', '0', 'true'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  p.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  try {
    const port = Number((await eventually(() => / listening .* port=(\d+)/.exec(err), 'the listening line'))[1]);
    await roundTrip(port, '');
    await eventually(() => / end /.test(err), 'a probe session to end');
    assert.match(err, /warn fd-limit limit=4096 open=\d+ sessions=\d+ max_clients=0 message="--max-clients 0 sets no limit, but the open-files limit leaves room for about \d+ sessions/);
    assert.equal(err.match(/fd-limit/g)?.length, 1);
  } finally {
    p.kill('SIGTERM');
  }
});
