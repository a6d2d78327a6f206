/** examples/hamelin.yaml serves its chat script over net, ws and http at once; the shipped schema is current. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configSchema } from 'hamelin';
import { startDaemon, stopAll } from '../helpers/daemon.js';
import { dial } from '../helpers/tcp.js';
import { httpRequest } from '../helpers/http-get.js';
import { wsExchange } from '../helpers/ws-client.js';
import { ROOT } from '../helpers/paths.js';
import { tempDir } from '../helpers/temp-dir.js';

after(stopAll);

test('OPS-03 examples/hamelin.yaml: one chat script over net, ws and http at once, with /healthz', async () => {
  // The example's ports moved into the ops test range; everything else as shipped.
  const text = readFileSync(join(ROOT, 'examples/hamelin.yaml'), 'utf8')
    .replace(/127\.0\.0\.1:7000/g, '127.0.0.1:23760')
    .replace(/127\.0\.0\.1:8080/g, '127.0.0.1:23761')
    .replace(/127\.0\.0\.1:9100/g, '127.0.0.1:23762')
    .replace(/127\.0\.0\.1:9101/g, '127.0.0.1:23763');
  assert.doesNotMatch(text, /127\.0\.0\.1:(7000|8080|9100|9101)\b/, 'every address of the example was moved');
  const file = join(tempDir('hamelin-ops-example-'), 'hamelin.yaml');
  writeFileSync(file, text);
  const d = await startDaemon('hamelin', ['--config', file], { cwd: ROOT, ready: /chat\/http info listening/ });
  const c = await dial(23760);
  await c.waitFor(/over TCP-0\.2-INSECURE/);
  c.socket.write('hi\n/quit\n');
  assert.match((await c.closed).toString(), /you said: hi\nbye\n$/);
  const [hello, answer] = await wsExchange('ws://127.0.0.1:23761/', ['hey'], 2);
  assert.match(hello!, /over WS-0\.2-INSECURE/);
  assert.equal(answer, 'you said: hey');
  const page = await httpRequest('http://127.0.0.1:23761/.hamelin/console');
  assert.equal(page.status, 200);
  assert.match((await httpRequest('http://127.0.0.1:23761/')).body, /over HTTP-0\.2-INSECURE/);
  assert.deepEqual([(await httpRequest('http://127.0.0.1:23762/healthz')).status], [200]);
  assert.equal(await d.stop(), 0);
});

test('OPS-01 packages/hamelin/hamelin.schema.json is the schema the option tables make', () => {
  const shipped = JSON.parse(readFileSync(join(ROOT, 'packages/hamelin/hamelin.schema.json'), 'utf8')) as unknown;
  assert.deepEqual(shipped, configSchema(), 'regenerate it: node -e "import(\'hamelin\').then(m => console.log(JSON.stringify(m.configSchema(), null, 2)))"');
});
