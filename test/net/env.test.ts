/** The child's environment and stderr, as the child sees them. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, stopAll } from '../helpers/daemon.js';
import { dial, roundTrip } from '../helpers/tcp.js';
import { eventually } from '../helpers/poll.js';

after(stopAll);

const parseEnv = (buf: Buffer): Map<string, string> => {
  const m = new Map<string, string>();
  for (const entry of buf.toString('utf8').split('\0')) {
    const i = entry.indexOf('=');
    if (i > 0) m.set(entry.slice(0, i), entry.slice(i + 1));
  }
  return m;
};

test('CORE-08 CORE-09 CORE-10 NET-02 NET-03 every H- variable over TCP, as the child sees it', async () => {
  const d = await startDaemon('net', ['127.0.0.1', '0', 'env', '-0']);
  const c = await dial(d.port);
  const port = String(c.socket.localPort);
  c.socket.end();
  const env = parseEnv(await c.closed);
  assert.equal(env.get('H-VERSION'), 'hamelin-net/0.2.0');
  assert.equal(env.get('H-TYPE'), 'TCP-0.2-INSECURE');
  assert.match(env.get('H-TYPE')!, /^[A-Z0-9]+-\d+\.\d+-(INSECURE|TLS|LOCAL)$/);
  assert.equal(env.get('H-CLIENT'), `127.0.0.1:${port}`);
  assert.equal(env.get('H-REMOTE-ADDR'), '127.0.0.1');
  assert.equal(env.get('H-REMOTE-PORT'), port);
  assert.equal(env.get('H-LOCAL-ADDR'), '127.0.0.1');
  assert.equal(env.get('H-LOCAL-PORT'), String(d.port));
});

test('CORE-11 every H-NAME has its H_NAME alias, and a dash script sees the aliases', async () => {
  const d = await startDaemon('net', ['127.0.0.1', '0', 'env', '-0']);
  const env = parseEnv(await roundTrip(d.port, ''));
  const hNames = [...env.keys()].filter((k) => k.startsWith('H-'));
  assert.ok(hNames.length >= 7);
  for (const k of hNames) assert.equal(env.get(k.replace(/-/g, '_')), env.get(k), `${k} alias`);
  const d2 = await startDaemon('net', ['127.0.0.1', '0', 'sh', '-c', 'echo "$H_TYPE|$H_CLIENT|$H_VERSION"']);
  const c = await dial(d2.port);
  const port = c.socket.localPort;
  c.socket.end();
  assert.equal((await c.closed).toString(), `TCP-0.2-INSECURE|127.0.0.1:${port}|hamelin-net/0.2.0\n`);
});

test('CORE-11 CORE-23 inherited H- variables do not leak; the daemon env is passed on', async () => {
  const env = { ...process.env, 'H-CLIENT': 'forged', H_TYPE: 'forged', 'H-OTHER': 'x', HAMELIN_TEST_VAR: 'kept' };
  const d = await startDaemon('net', ['127.0.0.1', '0', 'env', '-0'], { env });
  const seen = parseEnv(await roundTrip(d.port, ''));
  assert.notEqual(seen.get('H-CLIENT'), 'forged');
  assert.equal(seen.get('H_TYPE'), 'TCP-0.2-INSECURE');
  assert.equal(seen.has('H-OTHER'), false);
  assert.equal(seen.get('HAMELIN_TEST_VAR'), 'kept');
});

test('CORE-23 --env-clear keeps only PATH, --pass-env names and the H- variables', async () => {
  const env = { ...process.env, KEEP_ME: 'yes', DROP_ME: 'no' };
  const d = await startDaemon('net', ['--env-clear', '--pass-env', 'KEEP_ME', '127.0.0.1', '0', 'env', '-0'], { env });
  const seen = parseEnv(await roundTrip(d.port, ''));
  const names = [...seen.keys()].filter((k) => !k.startsWith('H-') && !k.startsWith('H_')).sort();
  assert.deepEqual(names, ['KEEP_ME', 'PATH']);
});

test('CORE-24 --cwd sets the working directory of the child', async () => {
  const d = await startDaemon('net', ['--cwd', '/usr/share', '127.0.0.1', '0', 'pwd']);
  assert.equal((await roundTrip(d.port, '')).toString(), '/usr/share\n');
});

test('CORE-12 stderr reaches the daemon stderr byte for byte, never the client', async () => {
  const bytes = '\\0001\\377\\376 no newline';
  const d = await startDaemon('net', ['--quiet', '127.0.0.1', '0', 'sh', '-c', `printf '${bytes}' >&2; echo out`]);
  assert.equal((await roundTrip(d.port, '')).toString(), 'out\n');
  const expected = Buffer.concat([Buffer.from([0x00, 0x31, 0xff, 0xfe]), Buffer.from(' no newline')]);
  // The child writes the daemon's stderr itself, a pipe this process reads on its own time:
  // the client's answer can come first.
  await eventually(() => d.stderrBytes().includes(expected), 'the raw bytes on the daemon stderr');
});

test('NET-01 NET-03 IPv6: H-CLIENT is [::1]:port', async () => {
  const d = await startDaemon('net', ['::1', '0', 'sh', '-c', 'echo "$H_CLIENT $H_REMOTE_ADDR"']);
  const c = await dial(d.port, '::1');
  const port = c.socket.localPort;
  c.socket.end();
  assert.equal((await c.closed).toString(), `[::1]:${port} ::1\n`);
});

test('CORE-26 the daemon adds only H- names (upper case, digits, dashes) and their H_ aliases to its own environment', async () => {
  const d = await startDaemon('net', ['127.0.0.1', '0', 'env', '-0']);
  const seen = parseEnv(await roundTrip(d.port, ''));
  const added = [...seen.keys()].filter((k) => process.env[k] === undefined);
  assert.ok(added.length >= 14, `added: ${added.join(' ')}`);
  for (const k of added) assert.match(k, /^H[-_][A-Z0-9]+([-_][A-Z0-9]+)*$/, `${k} is a hamelin name`);
  for (const k of added.filter((n) => n.startsWith('H-'))) assert.ok(added.includes(k.replace(/-/g, '_')), `${k} has its alias`);
});

test('NET-01 NET-03 a dual-stack listener (::) shows an IPv4 client as IPv4, not ::ffff:', async () => {
  const d = await startDaemon('net', ['::', '0', 'sh', '-c', 'echo "$H_CLIENT $H_REMOTE_ADDR"']);
  const c = await dial(d.port, '127.0.0.1');
  const port = c.socket.localPort;
  c.socket.end();
  assert.equal((await c.closed).toString(), `127.0.0.1:${port} 127.0.0.1\n`);
});

test('NET-01 HOST may be a name (localhost) or a bracketed IPv6 address ([::1])', async () => {
  const byName = await startDaemon('net', ['localhost', '0', 'echo', 'named']);
  await byName.waitLog(/listening address=localhost port=\d+/);
  // localhost is 127.0.0.1 or ::1, whichever the resolver gives first.
  const c = await dial(byName.port, '127.0.0.1').catch(() => dial(byName.port, '::1'));
  c.socket.end();
  assert.equal((await c.closed).toString(), 'named\n');
  const bracketed = await startDaemon('net', ['[::1]', '0', 'echo', 'v6']);
  const c6 = await dial(bracketed.port, '::1');
  c6.socket.end();
  assert.equal((await c6.closed).toString(), 'v6\n');
});
