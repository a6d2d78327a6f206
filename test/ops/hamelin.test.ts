/** The hamelin command (OPS-03), its config file (OPS-01, OPS-11) and precedence (OPS-02). */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon, stopAll, type Running } from '../helpers/daemon.js';
import { roundTrip } from '../helpers/tcp.js';
import { httpRequest } from '../helpers/http-get.js';
import { wsExchange } from '../helpers/ws-client.js';
import { bin, fixture } from '../helpers/paths.js';
import { tempDir } from '../helpers/temp-dir.js';

after(stopAll);
const tmp = tempDir('hamelin-ops-cmd-');
const chat = fixture('ops/chat.sh');
/** ws and http share one address only on a fixed port (port 0 would give each its own). */
const SHARED_PORT = 23740;

export function ports(d: Running): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of d.stderr().matchAll(/ (\S+) info listening address=\S+ port=(\d+)/g)) out[m[1]!] = Number(m[2]);
  return out;
}

const run = (args: string[]): { status: number | null; stdout: string; stderr: string } => {
  const r = spawnSync(process.execPath, [bin('hamelin'), ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
};

test('OPS-03 quick form: one script over net, ws and http at once (ws and http on one port), one process, one spawn helper', async () => {
  const d = await startDaemon('hamelin', ['--net', '127.0.0.1:0', '--ws', `127.0.0.1:${SHARED_PORT}`, '--http', `127.0.0.1:${SHARED_PORT}`, '--', chat]);
  await d.waitLog(/chat\.sh\/http info listening/);
  const p = ports(d);
  assert.equal(p['chat.sh/http'], SHARED_PORT);
  assert.equal(p['chat.sh/ws'], undefined, 'ws has no listener of its own');
  const net = (await roundTrip(p['chat.sh/net']!, 'hi\n')).toString();
  const [wsHello, wsAnswer] = await wsExchange(`ws://127.0.0.1:${SHARED_PORT}/`, ['yo'], 2);
  const http = (await httpRequest(`http://127.0.0.1:${SHARED_PORT}/`)).body;
  const hello = /^hello over (\S+) from (\S+) parent (\d+)$/m;
  const [n, w, h] = [net, wsHello!, http].map((s) => hello.exec(s)!);
  assert.deepEqual([n![1], w![1], h![1]], ['TCP-0.2-INSECURE', 'WS-0.2-INSECURE', 'HTTP-0.2-INSECURE']);
  assert.deepEqual([n![2], w![2], h![2]].map((v) => v!.split('/')[0]), ['hamelin-net', 'hamelin-ws', 'hamelin-http']);
  assert.equal(new Set([n![3], w![3], h![3]]).size, 1, 'every child has the same parent: one spawn helper');
  assert.match(net, /you said: hi\n/);
  assert.equal(wsAnswer, 'you said: yo');
  assert.equal(await d.stop(), 0);
});

test('OPS-03 OPS-01 a config file with two services; hamelin --check-config accepts it', async () => {
  const file = join(tmp, 'two.yaml');
  writeFileSync(
    file,
    `# two services\nlog-format: json\nservices:\n  chat:\n    command: [${chat}]\n    max-clients: 5\n    net:\n      listen: 127.0.0.1:0\n  upper:\n    command: [tr, a-z, A-Z]\n    net: { listen: 127.0.0.1:0 }\n    http: { listen: 127.0.0.1:0, max-body: 100 }\n`,
  );
  const check = run(['--check-config', file]);
  assert.deepEqual([check.status, check.stdout], [0, `${file}: ok (chat: net, upper: net+http)\n`]);
  const d = await startDaemon('hamelin', ['--config', file], { ready: /"event":"listening"[^]*"event":"listening"[^]*"event":"listening"/ });
  const p: Record<string, number> = {};
  for (const m of d.stderr().matchAll(/"hamelin":"([^"]+)",.*"event":"listening","address":"[^"]+","port":(\d+)/g)) p[m[1]!] = Number(m[2]);
  assert.match((await roundTrip(p['chat/net']!, 'x\n')).toString(), /you said: x/);
  assert.equal((await roundTrip(p['upper/net']!, 'shout\n')).toString(), 'SHOUT\n');
  const big = await new Promise<number>((resolve, reject) => {
    import('node:http').then(({ request }) => {
      const req = request({ port: p['upper/http'], method: 'POST', host: '127.0.0.1' }, (res) => resolve(res.statusCode ?? 0));
      req.on('error', reject);
      req.end('y'.repeat(200));
    });
  });
  assert.equal(big, 413, 'the http front-end took its max-body from the file');
});

test('OPS-01 OPS-11 a bad config file: one line naming the file, the line and the key, non-zero exit, nothing listens', () => {
  const cases: [string, RegExp][] = [
    [`services:\n  chat:\n    command: [${chat}]\n    net:\n      listen: 127.0.0.1:${SHARED_PORT + 1}\n      max-clientz: 3\n`, /:6: services\.chat\.net\.max-clientz: unknown key/],
    [`services:\n  chat:\n    command: [${chat}]\n    max-clients: lots\n    net: { listen: 127.0.0.1:${SHARED_PORT + 1} }\n`, /:4: services\.chat\.max-clients: must be a number/],
    [`services:\n  chat:\n    command: [${chat}]\n    max-line: 0\n    net: { listen: 127.0.0.1:${SHARED_PORT + 1} }\n`, /:4: services\.chat\.max-line: must be a whole number from 1 to 1073741824 \(given: 0\)/],
    [`services:\n  chat:\n    command: [${chat}]\n    ws:\n      listen: 127.0.0.1:${SHARED_PORT + 1}\n      max-message: -1\n`, /:6: services\.chat\.ws\.max-message: must be a whole number from 1 to 1073741824 \(given: -1\)/],
    [`services:\n  chat:\n    command: [/nonexistent/cmd]\n    net: { listen: 127.0.0.1:${SHARED_PORT + 1} }\n`, /:3: services\.chat\.command: .*nonexistent/],
    [`services:\n  a:\n    command: [cat]\n    net: { listen: 127.0.0.1:${SHARED_PORT + 1} }\n  b:\n    command: [cat]\n    http: { listen: 127.0.0.1:${SHARED_PORT + 1} }\n`, /:7: services\.b\.http\.listen: 127\.0\.0\.1:\d+ is already served by services\.a\.net/],
    [`services:\n  chat:\n    command: [cat]\n    net: { listen: 127.0.0.1:1\n`, /:\d+: /],
  ];
  for (const [text, re] of cases) {
    const file = join(tmp, 'bad.yaml');
    writeFileSync(file, text);
    for (const args of [['--check-config', file], ['--config', file]]) {
      const r = run(args);
      assert.equal(r.status, 2, `${args[0]} ${text}: ${r.stderr}`);
      const lines = r.stderr.split('\n').filter(Boolean);
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0]!, new RegExp(`^hamelin: ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}${re.source}`));
      assert.doesNotMatch(r.stderr, /listening/);
    }
  }
});

test('OPS-02 precedence: a flag over HAMELIN_* over --config FILE over the default (hamelin-net)', async () => {
  const file = join(tmp, 'net.yaml');
  writeFileSync(file, `host: 127.0.0.1\nport: 0\ncommand: [cat]\nmax-clients: 11\nadmin: 127.0.0.1:0\n`);
  const maxClients = async (args: string[], env: NodeJS.ProcessEnv = {}): Promise<number> => {
    const d = await startDaemon('net', args, { env: { ...process.env, ...env } });
    const admin = Number((await d.waitLog(/ admin address=\S+ port=(\d+)/))[1]);
    const m = /hamelin_max_clients\{service="cat",frontend="net"\} (\d+)/.exec((await httpRequest(`http://127.0.0.1:${admin}/metrics`)).body);
    await d.stop();
    return Number(m![1]);
  };
  assert.equal(await maxClients(['--config', file]), 11, 'the file over the default');
  assert.equal(await maxClients(['--config', file], { HAMELIN_MAX_CLIENTS: '22' }), 22, 'HAMELIN_* over the file');
  assert.equal(await maxClients(['--config', file, '--max-clients', '33'], { HAMELIN_MAX_CLIENTS: '22' }), 33, 'the flag over HAMELIN_*');
  const bad = spawnSync(process.execPath, [bin('net'), '--config', file], { encoding: 'utf8', env: { ...process.env, HAMELIN_MAX_CLIENTS: 'many' } });
  assert.deepEqual([bad.status, bad.stderr], [2, 'hamelin-net: HAMELIN_MAX_CLIENTS: must be a number\n']);
});
