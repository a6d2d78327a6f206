/**
 * The hamelin command serves a terminal too (OPS-01, OPS-03): one service on a --device line
 * (a socat pty pair, as hamelin-tty's own tests use) and over TCP at once, each client with its
 * own process; the line respawns, a SIGTERM restores it and ends the line's session.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon, stopAll } from '../helpers/daemon.js';
import { scratchDir, socatLine, stopAllPty, trapped, SESSION } from '../helpers/pty.js';
import { roundTrip } from '../helpers/tcp.js';
import { bin } from '../helpers/paths.js';
import { eventually } from '../helpers/poll.js';

after(async () => {
  await stopAll();
  await stopAllPty();
});

const check = (file: string): { status: number | null; stdout: string; stderr: string } => {
  const r = spawnSync(process.execPath, [bin('hamelin'), '--check-config', file], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
};

const netPort = (d: { stderr(): string }): number => Number(/ menu\/net info listening address=\S+ port=(\d+)/.exec(d.stderr())![1]);

test('OPS-03 TTY-11 TTY-12 one service on a terminal line and over TCP: each has its own process; the line respawns after an exit; SIGTERM ends its session and exits 0', async () => {
  const dir = scratchDir();
  const line = await socatLine(dir);
  const file = join(dir, 'tty.yaml');
  writeFileSync(file, `services:\n  menu:\n    command: [${SESSION}, ${dir}]\n    env-clear: true\n    net: { listen: 127.0.0.1:0 }\n    tty: { device: ${line.link}, respawn: true, banner: welcome }\n`);
  assert.deepEqual([check(file).status, check(file).stdout], [0, `${file}: ok (menu: net+tty)\n`]);
  const d = await startDaemon('hamelin', ['--config', file], { env: { ...process.env, TERM: 'vt100' }, ready: / menu\/tty info listening address=\S+ respawn=true wait=false/ });
  await line.waitFor(/welcome\r?\n/);
  const first = await line.waitFor(/ready pid=(\d+) type=TTY-0\.2-LOCAL client=\/dev\/pts\/\d+ session=1 .*term=vt100 /);
  const pid = Number(/ready pid=(\d+)/.exec(first)![1]);
  line.type('hello\r');
  await line.waitFor('got [hello]');
  // The same service over TCP, beside the line's session.
  assert.match((await roundTrip(netPort(d), 'over tcp\n')).toString(), /^ready pid=\d+ type=TCP-0\.2-INSECURE .*\ngot \[over tcp\]\neof\n$/);
  // An exit: a new session on the line (respawn), its banner first.
  line.type('exit 3\r');
  await line.waitFor(/ready pid=\d+ type=TTY-0\.2-LOCAL client=\S+ session=2 /);
  assert.equal(line.shown().match(/welcome/g)?.length, 2);
  const second = Number(/ready pid=(\d+)[^\n]*session=2/.exec(line.shown())?.[1]);
  assert.ok(second > 0 && second !== pid, 'a new process');
  // SIGTERM: the line's session ends with SIGTERM (its trap says so) and hamelin exits 0.
  assert.equal(await d.stop('SIGTERM'), 0);
  await eventually(() => trapped(dir).length === 1, 'the second session to see SIGTERM');
  await d.waitLog(/ menu\/tty info start client=\/dev\/pts\/\d+ pid=\d+/);
});

test('OPS-03 TTY-13 without respawn the line is served once: its session ends, the line is done (logged), and the TCP front-end goes on', async () => {
  const dir = scratchDir();
  const line = await socatLine(dir);
  const file = join(dir, 'once.yaml');
  writeFileSync(file, `services:\n  menu:\n    command: [${SESSION}, ${dir}]\n    net: { listen: 127.0.0.1:0 }\n    tty: { device: ${line.link} }\n`);
  const d = await startDaemon('hamelin', ['--config', file], { ready: / menu\/tty info listening / });
  await line.waitFor('ready pid=');
  line.type('exit 5\r');
  await d.waitLog(/ menu\/tty info line-done client=\/dev\/pts\/\d+ status=5/);
  assert.match((await roundTrip(netPort(d), 'still\n')).toString(), /got \[still\]/);
  assert.equal(d.proc.exitCode, null, 'hamelin still runs');
  assert.equal(await d.stop('SIGTERM'), 0);
});

test('OPS-01 OPS-11 hamelin --check-config rejects a bad tty key: one line naming the file, the line and the key', () => {
  const dir = scratchDir();
  const cases: [string, RegExp][] = [
    [`services:\n  s:\n    command: [cat]\n    tty: { baud: 9600 }\n`, /:4: services\.s\.tty: needs device: PATH/],
    [`services:\n  s:\n    command: [cat]\n    tty: { device: /dev/null, baud: 1234 }\n`, /:4: services\.s\.tty\.baud: --baud must be a standard line speed/],
    [`services:\n  s:\n    command: [cat]\n    tty: { device: /nonexistent/tty }\n`, /:4: services\.s\.tty\.device: cannot open --device \/nonexistent\/tty: ENOENT/],
    [`services:\n  s:\n    dir: /tmp\n    tty: { device: /dev/null }\n`, /:4: services\.s\.tty: tty has no URL path/],
    [`services:\n  s:\n    command: [cat]\n    tty: { device: /dev/null, listen: 127.0.0.1:1 }\n`, /services\.s\.tty\.listen: unknown key/],
    [`services:\n  a:\n    command: [cat]\n    tty: { device: /dev/tty }\n  b:\n    command: [cat]\n    tty: { device: /dev/tty }\n`, /services\.b\.tty\.device: \/dev\/tty is already served by services\.a\.tty/],
  ];
  for (const [yaml, want] of cases) {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, yaml);
    const r = check(file);
    assert.equal(r.status, 2, yaml);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr.split('\n').length, 2, `one line: ${r.stderr}`);
    assert.match(r.stderr, want);
    assert.ok(r.stderr.startsWith(`hamelin: ${file}:`), r.stderr);
  }
});
