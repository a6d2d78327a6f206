/** The hamelin command serves irc too (OPS-01, OPS-03): one service over net and IRC at once. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon, stopAll } from '../helpers/daemon.js';
import { IrcUser, startNgircd, stopAllNgircd } from '../helpers/ngircd.js';
import { roundTrip } from '../helpers/tcp.js';
import { bin } from '../helpers/paths.js';
import { eventually } from '../helpers/poll.js';
import { connect } from 'node:net';
import { tempDir } from '../helpers/temp-dir.js';

after(async () => {
  await stopAll();
  await stopAllNgircd();
});
/** Each front-end's port from its `listening` log line. */
function ports(d: { stderr(): string }): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of d.stderr().matchAll(/ (\S+) info listening address=\S+ port=(\d+)/g)) out[m[1]!] = Number(m[2]);
  return out;
}
const tmp = tempDir('hamelin-ops-irc-');
/** Answers each line, saying whether the server password reached its environment. */
const script = join(tmp, 'echo-pw.sh');
writeFileSync(script, '#!/bin/sh\nwhile IFS= read -r l; do echo "got $l over $H_TYPE pw=${HAMIRC_TEST_PW:-none}"; done\n');
chmodSync(script, 0o755);

const check = (file: string): { status: number | null; stdout: string; stderr: string } => {
  const r = spawnSync(process.execPath, [bin('hamelin'), '--check-config', file], { encoding: 'utf8', env: { ...process.env, HAMIRC_TEST_PW: 'sesame' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
};

test('OPS-03 OPS-01 CORE-23 one service over net and irc: a line over IRC reaches the child and its answer comes back; net answers too; the password never reaches the child', async () => {
  const irc = await startNgircd({ password: 'sesame' });
  const file = join(tmp, 'net-irc.yaml');
  writeFileSync(
    file,
    `services:\n  echo:\n    command: [${script}]\n    net: { listen: 127.0.0.1:0 }\n    irc:\n      server: 127.0.0.1:${irc.port}\n      nick: echobot\n      channel: ['#t']\n      password-env: HAMIRC_TEST_PW\n`,
  );
  assert.deepEqual([check(file).status, check(file).stdout], [0, `${file}: ok (echo: net+irc)\n`]);
  const d = await startDaemon('hamelin', ['--config', file], { env: { ...process.env, HAMIRC_TEST_PW: 'sesame' }, ready: /echo\/irc info joined channel=#t/, timeoutMs: 45_000 });
  const alice = await IrcUser.connect(irc.port, 'alice', { password: 'sesame' });
  await alice.join('#t');
  alice.say('#t', 'echobot: hi there');
  const answer = await alice.waitPrivmsg('echobot', /got hi there/);
  assert.equal(answer.text, 'alice: got hi there over IRC-0.2-INSECURE pw=none');
  const net = (await roundTrip(ports(d)['echo/net']!, 'yo\n')).toString();
  assert.equal(net, 'got yo over TCP-0.2-INSECURE pw=none\n');
  alice.close();
  assert.equal(await d.stop(), 0);
});

test('OPS-01 OPS-11 hamelin --check-config rejects a bad irc key: one line naming the file, the line and the key', () => {
  const cases: [string, RegExp][] = [
    [`services:\n  s:\n    command: [cat]\n    irc:\n      server: 127.0.0.1:6667\n      channel: '#t'\n`, /:4: services\.s\.irc: missing --nick/],
    [`services:\n  s:\n    command: [cat]\n    irc:\n      server: 127.0.0.1:6667\n      nick: bot\n      channel: [nohash]\n`, /:7: services\.s\.irc\.channel: invalid channel "nohash"/],
    [`services:\n  s:\n    command: [cat]\n    irc:\n      server: 127.0.0.1:6667\n      nick: bot\n      listen: 127.0.0.1:1\n`, /:7: services\.s\.irc\.listen: unknown key/],
    [`services:\n  s:\n    command: [cat]\n    irc:\n      server: 127.0.0.1:6667\n      nick: bot\n      password-env: HAMIRC_TEST_UNSET\n`, /:7: services\.s\.irc\.password-env: server password: environment variable HAMIRC_TEST_UNSET is not set/],
  ];
  for (const [i, [yaml, message]] of cases.entries()) {
    const file = join(tmp, `bad-${i}.yaml`);
    writeFileSync(file, yaml);
    const r = check(file);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, message);
    assert.ok(r.stderr.startsWith(`hamelin: ${file}:`), r.stderr);
    assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
  }
});

test('HUB-18 HUB-17 irc hub-room: service puts the channel in the room net clients join: one process, lines both ways, once each', async () => {
  const irc = await startNgircd();
  const file = join(tmp, 'hub.yaml');
  writeFileSync(
    file,
    `services:\n  room:\n    command: [cat]\n    hub: broadcast\n    net: { listen: 127.0.0.1:0 }\n    irc:\n      server: 127.0.0.1:${irc.port}\n      nick: roombot\n      channel: '#r'\n      listen-all: true\n      hub-room: service\n`,
  );
  const d = await startDaemon('hamelin', ['--config', file], { ready: /room\/irc info joined channel=#r/, timeoutMs: 45_000 });
  const alice = await IrcUser.connect(irc.port, 'alice');
  await alice.join('#r');
  const sock = connect({ port: ports(d)['room/net']!, host: '127.0.0.1' });
  let heard = '';
  sock.on('data', (b: Buffer) => (heard += b.toString()));
  sock.write('from-net\n');
  await alice.waitPrivmsg('roombot', /^from-net$/);
  alice.say('#r', 'from-irc');
  await eventually(() => heard.includes('from-irc\n'), 'the net client hears the IRC line');
  assert.equal(heard.split('\n').filter((l) => l === 'from-net').length, 1);
  assert.equal(alice.privmsgs('roombot').filter((m) => m.text === 'from-net').length, 1, 'the channel hears a line once (HUB-17)');
  assert.equal([...d.stderr().matchAll(/ info hub-start /g)].length, 1, `one room process: ${d.stderr()}`);
  sock.destroy();
  alice.close();
  assert.equal(await d.stop(), 0);
});
