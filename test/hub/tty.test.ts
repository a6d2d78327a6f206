/**
 * Hub mode on hamelin-tty (HUB-02, HUB-04, HUB-07, HUB-08) with a real terminal (a pty driven by
 * ptyrun.py): the terminal is one client of a hub; the process's end is a line on the terminal
 * and the daemon's exit status; ^D leaves the room once the terminal's grace has passed (TTY-08),
 * since a terminal whose user is done must not hold the line.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { scratchDir, ttyDaemon, stopAllPty } from '../helpers/pty.js';

after(stopAllPty);

// Says whose environment it has, echoes lines; `quit` ends it with status 4.
const ECHO = 'echo "hub $H_TYPE $H_HUB room=$H_HUB_ROOM tty=${H_TTY_SESSION:-none}"; while read -r l; do [ "$l" = quit ] && exit 4; echo "got [$l]"; done';

test('HUB-02 HUB-04 a terminal joined to a broadcast hub: the hub\'s environment, lines both ways, the end as a line and the daemon\'s status', async () => {
  const d = await ttyDaemon(['--hub', 'broadcast', 'sh', '-c', ECHO]);
  await d.waitFor('hub HUB-0.2 broadcast room=sh tty=none\r\n');
  d.type('hello\r');
  await d.waitFor('got [hello]\r\n');
  d.type('quit\r');
  await d.waitFor('hamelin: hub ended: exit status 4\r\n');
  assert.equal((await d.exited).code, 4, 'without --respawn the daemon exits with the process\'s status');
  await d.waitLog(/ warn hub-exit hub=sh pid=\d+ status=4 clients=1/);
});

test('HUB-08 a terminal\'s join carries its H-TTY- variables; HUB-07 ^D leaves the room after the grace, as `closed`, and the daemon exits 0', async () => {
  const script = 'while read -r event id rest; do echo "$id $event $id $rest"; [ "$event" = leave ] && echo "left $id $rest" >&2; done';
  const d = await ttyDaemon(['--hub', 'addressed', '--kill-after', '0.5', 'sh', '-c', script], { rows: 30, cols: 100 });
  const join = await d.waitFor(/join 1 [^\r]*\r\n/);
  assert.match(join, /join 1 H-TYPE=TTY-0\.2-LOCAL H-CLIENT=\S+ H-TTY-SESSION=1 /);
  assert.match(join, / H-TTY-ROWS=30 H-TTY-COLS=100/);
  d.type('hi\r');
  await d.waitFor('line 1 hi\r\n');
  d.type('\x04');
  await d.waitFor('hamelin: closed: end of input\r\n');
  assert.equal((await d.exited).code, 0);
  await d.waitLog(/ hub-leave client=\S+ hub=sh id=1 reason=closed clients=0/);
});

test('HUB-04 HUB-07 --hub with hamelin-tty\'s --respawn: the process restarts and the terminal stays; after ^D the next session joins the same room', async () => {
  const d = await ttyDaemon(['--hub', 'broadcast', '--respawn', '--kill-after', '0.5', '--banner', '*** next ***', 'sh', '-c', 'echo "up $$"; while read -r l; do [ "$l" = quit ] && exit 4; echo "got [$l]"; done']);
  const first = (await d.waitFor(/up \d+\r\n/)).match(/up (\d+)/)![1]!;
  d.type('quit\r');
  await d.waitFor(/hamelin: hub restarting in \d+ ms after exit status 4\r\nup \d+\r\n/);
  const second = [...d.text().matchAll(/up (\d+)/g)].map((m) => m[1]).at(-1)!;
  assert.notEqual(second, first, 'a new process');
  d.type('still\r');
  await d.waitFor('got [still]\r\n');
  d.type('\x04');
  await d.waitFor(/hamelin: closed: end of input\r\n\*\*\* next \*\*\*\r\n/);
  await d.waitLog(/ hub-join client=\S+ hub=sh id=2 clients=1/);
  d.type('again\r');
  await d.waitFor('got [again]\r\n');
  assert.equal((d.log().match(/ hub-start /g) ?? []).length, 2, 'the restart only: the second session joined the running process');
});

test('HUB-03 --hub-eager on hamelin-tty: with --wait the process runs before the first line is typed; that line joins it', async () => {
  const d = await ttyDaemon(['--hub', 'broadcast', '--hub-eager', '--wait', 'sh', '-c', 'echo "started $$" >&2; exec cat']);
  await d.waitLog(/ hub-start hub=sh pid=\d+ mode=broadcast clients=0/);
  await d.waitLog(/ info waiting /);
  assert.doesNotMatch(d.log(), / hub-join /, 'no client yet');
  d.type('first\r');
  await d.waitFor(/first\r\n(.*\r\n)?first\r\n/);
  await d.waitLog(/ hub-join client=\S+ hub=sh id=1 clients=1/);
  assert.equal((d.log().match(/ hub-start /g) ?? []).length, 1);
});

// Ends on EOF, or traps SIGTERM: either way, its file `ends` says which happened.
const ENDS = (f: string, after: string): string =>
  `trap 'echo TERM >> ${f}; exit 7' TERM; echo up; while read -r l; do echo "got [$l]"; done; echo eof >> ${f}; ${after}`;

/** hamelin-tty in a hub with ENDS(…, after) as its process; ^D, and the terminal leaves. Once the
 * daemon has exited: its status, its log and what the process wrote in `ends`. */
async function leaveHub(after: string): Promise<{ code: number | null; log: string; ends: string }> {
  const f = join(scratchDir(), 'ends');
  const d = await ttyDaemon(['--hub', 'broadcast', '--kill-after', '0.5', 'sh', '-c', ENDS(f, after)]);
  await d.waitFor('up\r\n');
  d.type('\x04');
  await d.waitFor('hamelin: closed: end of input\r\n');
  const { code } = await d.exited;
  return { code, log: d.log(), ends: readFileSync(f, 'utf8') };
}

test('HUB-07 TTY-13 hamelin-tty leaving its hub without --respawn: the process gets its end of input and is not signalled; the daemon exits 0 after it ended', async () => {
  const r = await leaveHub('exit 0');
  assert.equal(r.code, 0);
  assert.match(r.log, / hub-end hub=sh pid=\d+ status=0 clients=0/, 'the process ended before the daemon exited');
  assert.equal(r.ends, 'eof\n', 'its end of input, and no SIGTERM');
});

test('HUB-07 TTY-13 hamelin-tty leaving its hub: a process that outlives its end of input gets SIGTERM --kill-after later; the daemon still exits 0', async () => {
  const r = await leaveHub('while :; do sleep 0.1; done');
  assert.equal(r.code, 0, 'the terminal left: 0, whatever the process ended with');
  assert.match(r.log, / hub-end hub=sh pid=\d+ status=7 clients=0/);
  assert.equal(r.ends, 'eof\nTERM\n');
});
