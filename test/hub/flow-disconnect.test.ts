/**
 * Hub flow control (HUB-11, NET-07) with hamelin-net and real sockets, --slow disconnect: the
 * reader that falls behind is closed with "too slow", gets what was queued for it and the notice
 * however slowly it reads after that, and the others go on.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, stopAll } from '../helpers/daemon.js';
import { dial } from '../helpers/tcp.js';
import { eventually } from '../helpers/poll.js';
import { FLOOD, endsWithDone, within } from '../helpers/hub-flow.js';

after(stopAll);

test('HUB-11 NET-07 --slow disconnect: the reader that falls behind is closed with "too slow" and leaves with reason slow; the others go on', async () => {
  const d = await startDaemon('net', ['--hub', 'broadcast', '--slow', 'disconnect', '--hub-queue', '65536', '127.0.0.1', '0', 'sh', '-c', FLOOD]);
  const a = await dial(d.port);
  const slow = await dial(d.port);
  // It reads nothing until the hub has given it up: a stopped reader falls behind a 20 MB flood
  // however slowly the flood is made, where one that reads a little might keep up on a loaded
  // machine and never be given up.
  slow.socket.pause();
  await d.waitLog(/ hub-join client=\S+ hub=sh id=2 /);
  const aDone = endsWithDone(a);
  a.socket.write('go 200000\n');
  await d.waitLog(/ hub-leave client=\S+ hub=sh id=2 reason=slow clients=1/, 60_000);
  // Then it sips (one read, at most 64 KiB, every 50 ms) for 3 s, longer than the 2 s linger:
  // the daemon must keep sending to a reader that takes bytes (NET-07 counts the linger from its
  // FIN, which is still queued behind megabytes), then it reads at full speed, and what was
  // queued for it ends with the notice.
  const sipOne = (): void => void slow.socket.pause();
  slow.socket.on('data', sipOne);
  const sip = setInterval(() => slow.socket.resume(), 50);
  await new Promise((r) => setTimeout(r, 3000));
  clearInterval(sip);
  slow.socket.off('data', sipOne);
  slow.socket.resume();
  assert.match((await within(slow.closed, 60_000, 'the slow client to be closed')).toString(), /hamelin: closed: too slow\n$/);
  await eventually(() => aDone.seen, 'the reading client to get "done"', 60_000, 100);
  a.socket.write('go 1\n');
  await eventually(() => a.text().split('done\n').length === 3, 'the next answer');
  assert.equal(await d.stop(), 0);
});
