/** The client's close frame ends the session at once, whatever its TCP connection does (WS-09). */
import { test, after } from 'node:test';
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { startDaemon, stopAll } from '../helpers/daemon.js';
import { eventually } from '../helpers/poll.js';
import { fixture } from '../helpers/paths.js';
import { upgradeRequest } from './client.js';
import { tempDir } from '../helpers/temp-dir.js';

after(stopAll);

test('WS-09 a close frame from a client that then keeps its TCP connection open: SIGTERM at once, not when the connection ends', async () => {
  const mark = join(tempDir('hamelin-ws-closeframe-'), 'term');
  const d = await startDaemon('ws', ['--port', '0', fixture('ws/trap-term.sh'), mark]);
  const s = connect({ port: d.port, host: '127.0.0.1' }, () => s.write(upgradeRequest('/')));
  let seen = '';
  s.setEncoding('latin1').on('data', (t: string) => (seen += t));
  await eventually(() => seen.includes('ready'), 'the child to be ready');
  // A masked close frame, 1000; then nothing: no FIN, and the daemon's close frame unread.
  s.write(Buffer.from([0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8]));
  try {
    // The connection would end only when the daemon gives up waiting for the client (30 s).
    await eventually(() => existsSync(mark) && readFileSync(mark, 'utf8') === 'TERM\n', 'the child to get SIGTERM', 15_000);
    await d.waitLog(/client-gone .*reason=closed/);
  } finally {
    s.destroy();
  }
});
