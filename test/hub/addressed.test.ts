/**
 * Hub mode, addressed (HUB-07 .. HUB-09) with hamelin-net: the process sees join, line and
 * leave events with client ids and answers one client, all, or all but one; lines that break
 * the grammar are logged and dropped, never sent.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon, stopAll } from '../helpers/daemon.js';
import { dial } from '../helpers/tcp.js';
import { tempDir } from '../helpers/temp-dir.js';

after(stopAll);
const dir = tempDir('hamelin-hub-');

/** The spec's sh example (HUB-10), with a `kick` and the join's variables shown. */
const CHAT = `#!/bin/sh
while read -r event id rest; do
  case $event in
    join)  echo "* $id joined: $rest"; echo "$id welcome, you are $id" ;;
    line)  case $rest in
             kick*) echo "close \${rest#kick } kicked by $id" ;;
             *) echo "!$id $id: $rest" ;;
           esac ;;
    leave) echo "* $id left ($rest)" ;;
  esac
done
`;
const chat = join(dir, 'chat.sh');
writeFileSync(chat, CHAT);
chmodSync(chat, 0o755);

test('HUB-08 HUB-09 --hub addressed: join with the client\'s variables, a line to all but its sender, a welcome to one, close and leave with reasons', async () => {
  const d = await startDaemon('net', ['--hub', 'addressed', '127.0.0.1', '0', chat]);
  const a = await dial(d.port);
  await a.waitFor(/^welcome, you are 1\n/m);
  const aText = a.text();
  assert.match(aText, new RegExp(`^1 joined: H-TYPE=TCP-0\\.2-INSECURE H-CLIENT=127\\.0\\.0\\.1:${a.socket.localPort} H-REMOTE-ADDR=127\\.0\\.0\\.1 H-REMOTE-PORT=${a.socket.localPort} `, 'm'));
  const b = await dial(d.port);
  await b.waitFor(/^welcome, you are 2\n/m);
  assert.doesNotMatch(b.text(), /you are 1/, 'a welcome goes to its client alone');
  await a.waitFor(/^2 joined: /m);
  const c = await dial(d.port);
  await c.waitFor(/you are 3/);
  // All but the sender.
  a.socket.write('hello from a\n');
  await b.waitFor(/1: hello from a\n/);
  await c.waitFor(/1: hello from a\n/);
  // The child closes client 2 with a reason: 2 is told and closed, the others hear the leave.
  a.socket.write('kick 2\n');
  assert.match((await b.closed).toString(), /hamelin: closed: kicked by 1\n$/);
  await a.waitFor(/^2 left \(closed-by-child\)\n/m);
  assert.doesNotMatch(a.text(), /hello from a/, 'the sender is left out');
  // A client that goes away: leave with its reason.
  c.socket.resetAndDestroy();
  await a.waitFor(/^3 left \((reset|closed|write-error)\)\n/m);
  await d.waitLog(/ hub-leave client=\S+ hub=\S+ id=3 reason=\S+ clients=1/);
  assert.equal(await d.stop(), 0);
});

test('HUB-09 lines that break the grammar are logged with their length and count, never sent; good lines still go', async () => {
  const garbage = join(dir, 'garbage.sh');
  // On each line from a client: six bad lines, one over --max-line, then a good one.
  writeFileSync(
    garbage,
    `#!/bin/sh
while read -r event id rest; do
  [ "$event" = line ] || continue
  echo "hello world"; echo "nospace"; echo "x1 text"; echo "close"; echo "!a text"; printf '1,2,3,\\n'
  head -c 3000 /dev/zero | tr '\\0' 'z'; echo
  echo "* ok $rest"
done
`,
  );
  chmodSync(garbage, 0o755);
  const d = await startDaemon('net', ['--hub', 'addressed', '--max-line', '1024', '127.0.0.1', '0', garbage]);
  const a = await dial(d.port);
  a.socket.write('ping\n');
  await a.waitFor(/ok ping\n/);
  assert.equal(a.text(), 'ok ping\n', 'only the good line reached the client');
  // How the 3000-byte line is told depends on how the pipe cut it: pieces of --max-line, or a
  // remainder that is no grammar either. Counted once, whichever.
  await d.waitLog(/ warn hub-bad-line hub=\S+ pid=\d+ why=.* bytes=\d+ count=7/);
  assert.equal((d.stderr().match(/ hub-bad-line /g) ?? []).length, 7);
  assert.doesNotMatch(d.stderr(), /hello world|zzzz/, 'never the content');
  assert.equal(await d.stop(), 0);
});
