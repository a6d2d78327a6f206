/**
 * hamelin-tty on real terminals: a pty made by packages/conformance/ptyrun.py (the daemon's own
 * terminal) or by socat (--device). Keystrokes go in as typed; assertions are on what the
 * terminal shows, on the child's TERM trap files, on exit statuses and on the daemon's log.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, readFileSync, realpathSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { ttyDaemon, onPty, stopAllPty, scratchDir, socatLine, trapped, SESSION, logEvents } from '../helpers/pty.js';
import { startDaemon, stopAll, gone } from '../helpers/daemon.js';
import { eventually } from '../helpers/poll.js';
import { bin } from '../helpers/paths.js';

after(async () => {
  await stopAllPty();
  await stopAll();
});

test('TTY-01 TTY-07 TTY-10 TTY-11 CORE-08 CORE-09 CORE-10: a typed line is a stdin line, output comes back as CR LF, with the H- environment', async () => {
  const dir = scratchDir();
  const d = await ttyDaemon([SESSION, dir], { rows: 30, cols: 100, env: { ...process.env, TERM: 'vt220' } });
  const ready = await d.waitFor(/ready pid=\d+ .*\r\n/);
  assert.match(ready, new RegExp(`type=TTY-0\\.2-LOCAL client=${d.tty} session=1 baud=\\d+ rows=30 cols=100 term=vt220 version=hamelin-tty/0\\.2\\.0\\r\\n`));
  d.type('hello world\r');
  // The kernel echoes the line (CR LF after Enter), then the child's answer arrives with its
  // \n turned into \r\n by ONLCR.
  const shown = await d.waitFor('got [hello world]\r\n');
  assert.ok(shown.includes('hello world\r\ngot [hello world]\r\n'), JSON.stringify(shown));
  await d.waitLog(/info start client=\/dev\/pts\/\d+ pid=\d+/);
  assert.ok(d.log().includes(`listening address=${d.tty}`));
});

test('TTY-06 canonical mode line editing: erase (DEL) and kill (^U) are done by the kernel, the child gets the edited line', async () => {
  const d = await ttyDaemon([SESSION, scratchDir()]);
  await d.waitFor('ready');
  d.type('abx\x7fc\r');
  await d.waitFor('got [abc]\r\n');
  d.type('junk\x15real\r');
  const t = await d.waitFor('got [real]\r\n');
  assert.ok(!t.includes('got [abxc]') && !t.includes('got [junkreal]'), JSON.stringify(t));
});

test('TTY-08 ^D at the start of a line is EOF on stdin: output continues until the child exits (sort)', async () => {
  const d = await ttyDaemon(['sort']);
  await d.waitLog(/info start /);
  d.type('pear\r');
  d.type('apple\r');
  d.type('fig\r');
  await d.waitFor('fig\r\n');
  d.type('\x04');
  const t = await d.waitFor('apple\r\nfig\r\npear\r\n');
  assert.ok(t.endsWith('fig\r\napple\r\nfig\r\npear\r\n'), JSON.stringify(t));
  assert.equal((await d.exited).code, 0);
  assert.match(d.log(), /info end client=\S+ pid=\d+ status=0 ended_by=exit/);
});

test('TTY-08 ^D after typed characters passes them on without a newline; ^D on an empty line ends input', async () => {
  const d = await ttyDaemon([SESSION, scratchDir()]);
  await d.waitFor('ready');
  d.type('par\x04');
  await d.waitFor('par');
  d.type('tial\r');
  await d.waitFor('got [partial]\r\n');
  d.type('\x04');
  await d.waitFor('eof\r\n');
  assert.equal((await d.exited).code, 0);
});

test('TTY-09 TTY-16 CORE-13 hangup (the terminal closes): SIGTERM to the process group, seen by the child trap', async () => {
  const dir = scratchDir();
  const d = await ttyDaemon([SESSION, dir]);
  const pid = Number((await d.waitFor(/ready pid=(\d+)/)).match(/ready pid=(\d+)/)![1]);
  d.hangup();
  await eventually(() => trapped(dir).includes(pid), 'the child trap to see SIGTERM');
  await d.exited;
  await d.waitLog(/client-gone client=\S+ pid=\d+ reason=closed/);
  assert.match(d.log(), /warn exit client=\S+ pid=\d+ status=143 ended_by=client-closed/);
  await gone(d.pid, 'the daemon to exit');
});

test('TTY-09 TTY-12 TTY-16 SIGHUP to the daemon serving its own terminal ends the session with SIGTERM; --respawn then starts the next one', async () => {
  const dir = scratchDir();
  const d = await ttyDaemon(['--respawn', SESSION, dir]);
  const first = Number((await d.waitFor(/ready pid=(\d+) .*session=1/)).match(/ready pid=(\d+)/)![1]);
  process.kill(d.pid, 'SIGHUP');
  await eventually(() => trapped(dir).includes(first), 'the first child trap to see SIGTERM');
  await d.waitFor(/session=2/);
  d.type('still here\r');
  await d.waitFor('got [still here]\r\n');
  assert.match(d.log(), /info hangup client=\S+ signal=SIGHUP had_session=true/);
});

test('TTY-12 --respawn with --banner: the banner before each session, a new process for each', async () => {
  const d = await ttyDaemon(['--respawn', '--banner', '*** Welcome ***', SESSION, scratchDir()]);
  const t1 = await d.waitFor(/\*\*\* Welcome \*\*\*\r\nready pid=(\d+) .*session=1/);
  const pid1 = t1.match(/ready pid=(\d+)/)![1];
  d.type('exit 0\r');
  const t2 = await d.waitFor(/exiting 0\r\n\*\*\* Welcome \*\*\*\r\nready pid=(\d+) .*session=2/);
  const pid2 = t2.match(/session=2/) && t2.match(/ready pid=(\d+) [^\n]*session=2/)![1];
  assert.notEqual(pid1, pid2);
  d.type('\x04');
  await d.waitFor(/eof\r\n\*\*\* Welcome \*\*\*\r\nready pid=\d+ .*session=3/);
});

test('TTY-04 TTY-16 --wait: the daemon waits after the banner, and the first line typed starts the child as its first input', async () => {
  const d = await ttyDaemon(['--wait', '--banner', 'press Enter', SESSION, scratchDir()]);
  // The daemon says it waits; only then is a line typed. A child started at once would have
  // printed its ready line before the typed line's echo.
  await d.waitLog(/info waiting client=\S+ session=1\n/);
  await d.waitFor('press Enter\r\n');
  d.type('first\r');
  const t = await d.waitFor('got [first]\r\n');
  assert.match(t, /^press Enter\r\nfirst\r\nready pid=\d+ [^\n]*session=1[^\n]*\r\ngot \[first\]\r\n$/);
  assert.deepEqual(logEvents(d.log(), ['listening', 'waiting', 'start']), ['listening', 'waiting', 'start']);
});

test('TTY-13 CORE-15 a child that exits: its output is delivered, the daemon exits with its status', async () => {
  const d = await ttyDaemon([SESSION, scratchDir()]);
  await d.waitFor('ready');
  d.type('exit 7\r');
  await d.waitFor('exiting 7\r\n');
  assert.equal((await d.exited).code, 7);
  assert.match(d.log(), /warn exit client=\S+ pid=\d+ status=7 ended_by=exit/);
});

test('TTY-09 TTY-12 TTY-16 CORE-13 CORE-15 a grandchild is killed: on the child exit and on hangup', async () => {
  const d = await ttyDaemon(['--respawn', SESSION, scratchDir()]);
  await d.waitFor(/session=1/);
  d.type('bg\r');
  const g1 = Number((await d.waitFor(/bg pid=(\d+)/)).match(/bg pid=(\d+)/)![1]);
  d.type('exit 0\r');
  await gone(g1, 'the grandchild of session 1 to be killed after the child exit');
  await d.waitFor(/session=2/);
  d.type('bg\r');
  const t = await d.waitFor(/bg pid=\d+\r\n[^]*bg pid=(\d+)/);
  const g2 = Number(t.match(/bg pid=(\d+)\r\n[^]*bg pid=(\d+)/)![2]);
  d.hangup();
  await gone(g2, 'the grandchild of session 2 to be killed on hangup');
  // The line is gone for good: with --respawn the daemon logs it and exits 1.
  assert.equal((await d.exited).code, 1);
  assert.match(d.log(), /warn line-gone client=\S+ detail=/);
});

test('TTY-15 CORE-12 no log line on the served terminal; the child stderr does reach it', async () => {
  const dir = scratchDir();
  const t = await onPty([process.execPath, bin('tty'), SESSION, dir]);
  await t.waitFor('ready');
  t.type('err\r');
  await t.waitFor('err-line\r\n');
  t.type('exit 0\r');
  await t.waitFor('exiting 0\r\n');
  assert.equal((await t.exited).code, 0);
  assert.doesNotMatch(t.text(), /hamelin:/);
});

/** Run hamelin-tty with pipes (no terminal) and collect its status and stderr. */
function runPlain(args: string[]): Promise<{ code: number | null; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [bin('tty'), ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let err = '';
    p.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    p.on('close', (code) => resolve({ code, err }));
  });
}

test('TTY-03 CORE-18 startup errors: one line on stderr and the documented status, nothing started', async () => {
  assert.deepEqual(await runPlain(['cat']), {
    code: 2,
    err: 'hamelin-tty: stdin is not a terminal: run it in a terminal, or serve a device with --device PATH\n',
  });
  assert.deepEqual(await runPlain(['--device', '/dev/null', 'cat']), { code: 2, err: 'hamelin-tty: /dev/null is not a terminal\n' });
  assert.deepEqual(await runPlain(['--device', '/nonexistent/tty', 'cat']), { code: 1, err: 'hamelin-tty: cannot open /nonexistent/tty: ENOENT\n' });
  assert.deepEqual(await runPlain(['--device', '/dev/null', '--baud', '1234', 'cat']), {
    code: 2,
    err: 'hamelin-tty: --baud must be a standard line speed such as 9600 or 115200, not 1234\n',
  });
  // On a terminal, but with stdout redirected: the served terminal must be both.
  const t = await onPty(['sh', '-c', `exec "$0" "$1" cat > /dev/null`, process.execPath, bin('tty')]);
  assert.equal((await t.exited).code, 2);
  assert.ok(t.text().includes('hamelin-tty: stdout is not the terminal on stdin: the served terminal must be both\r\n'), JSON.stringify(t.text()));
});

test('TTY-05 CORE-22 SIGTERM to the daemon: the child gets SIGTERM, the daemon exits 0 and puts the terminal settings back', async () => {
  const dir = scratchDir();
  const line = await socatLine(dir);
  const before = execFileSync('stty', ['-F', line.link, '-g'], { encoding: 'utf8' }).trim();
  const d = await startDaemon('tty', ['--device', line.link, SESSION, dir]);
  const pid = Number((await d.waitLog(/info start client=\S+ pid=(\d+)/))[1]);
  // While serving: canonical mode with echo, whatever socat left.
  const during = execFileSync('stty', ['-F', line.link, '-a'], { encoding: 'utf8' });
  assert.match(during, /(^|\s)icanon(\s|$)/);
  assert.match(during, /(^|\s)echo(\s|$)/);
  assert.match(during, /(^|\s)onlcr(\s|$)/);
  assert.equal(await d.stop('SIGTERM'), 0);
  await eventually(() => trapped(dir).includes(pid), 'the child trap to see SIGTERM');
  assert.equal(execFileSync('stty', ['-F', line.link, '-g'], { encoding: 'utf8' }).trim(), before);
});

test('TTY-02 TTY-05 TTY-09 TTY-11 --device on a socat pty with --baud, --term and --env-clear: a session on the line, then the device goes away', async () => {
  const dir = scratchDir();
  const line = await socatLine(dir);
  const real = realpathSync(line.link);
  const d = await startDaemon('tty', ['--device', line.link, '--baud', '9600', '--term', 'vt100', '--env-clear', SESSION, dir]);
  assert.match(d.stderr(), new RegExp(`listening address=${real}`));
  const shown = await line.waitFor('ready');
  assert.match(shown, new RegExp(`ready pid=\\d+ type=TTY-0\\.2-LOCAL client=${real} session=1 baud=9600 rows= cols= term=vt100 `));
  const pid = Number(shown.match(/ready pid=(\d+)/)![1]);
  line.type('on the line\r');
  await line.waitFor('on the line\r\ngot [on the line]\r\n');
  line.hangup();
  await eventually(() => trapped(dir).includes(pid), 'the child trap to see SIGTERM');
  const { code } = await d.exited;
  assert.equal(code, 143);
  assert.match(d.stderr(), /client-gone client=\S+ pid=\d+ reason=closed detail=hangup/);
  assert.ok(!readFileSync(join(dir, `signals.${pid}`), 'utf8').includes('HUP'));
});

test('TTY-14 CORE-22 ^C on its own terminal stops the daemon cleanly: the child gets SIGTERM, exit 0', async () => {
  const dir = scratchDir();
  const d = await ttyDaemon(['--respawn', SESSION, dir]);
  const pid = Number((await d.waitFor(/ready pid=(\d+)/)).match(/ready pid=(\d+)/)![1]);
  d.type('half a line\x03');
  await eventually(() => trapped(dir).includes(pid), 'the child trap to see SIGTERM');
  assert.equal((await d.exited).code, 0);
  assert.match(d.log(), /info signal signal=SIGINT/);
  assert.doesNotMatch(d.text(), /got \[half a line/);
});

test('TTY-17 CORE-07 a terminal stopped with ^S holds the child on its stdout pipe; ^Q delivers every line in order', async () => {
  const dir = scratchDir();
  const N = 300_000;
  // The child waits for a `start` line, so that ^S is typed once the session runs: typed before,
  // it raced with the session's start (a CI run saw seq finish while "stopped").
  const script = 'echo $$ > "$1/pid"; while read -r x; do [ "$x" = start ] && break; done; exec seq 1 "$2"';
  const d = await ttyDaemon(['--wait', 'sh', '-c', script, 'sh', dir, String(N)]);
  d.type('go\r');
  const pid = await eventually(() => {
    try {
      return Number(readFileSync(join(dir, 'pid'), 'utf8'));
    } catch {
      return undefined;
    }
  }, 'the child to start');
  d.type('\x13'); // ^S: the terminal stops output (ixon)
  d.type('start\r');
  // Backpressure: the daemon stops reading the child's stdout, so seq blocks writing to its
  // pipe instead of the daemon buffering 2 MB. If it did buffer, seq would exit first.
  const wchan = await eventually(() => {
    if (!existsSync(`/proc/${pid}`)) throw new Error('seq finished while the terminal was stopped: no backpressure');
    const w = readFileSync(`/proc/${pid}/wchan`, 'utf8');
    if (w === '0' || w === '') throw new Error('/proc/PID/wchan is not readable on this kernel');
    // Node's stdio "pipes" are unix socketpairs: sock_alloc_send_pskb; a real pipe: pipe_write.
    return /pipe|sock|unix/.test(w) ? w : undefined;
  }, 'seq to block on its stdout');
  assert.match(wchan, /pipe|sock|unix/);
  d.type('\x11'); // ^Q: output resumes
  await d.waitFor(`\r\n${N}\r\n`, 30_000);
  assert.equal((await d.exited).code, 0);
  const numbers = d
    .text()
    .split('\r\n')
    .filter((l) => /^\d+$/.test(l));
  assert.equal(numbers.length, N);
  assert.ok(numbers.every((l, i) => Number(l) === i + 1), 'every line once, in order');
});

test('TTY-12 TTY-13 TTY-16 CORE-19 a command that cannot start: the terminal gets one line per try, and --respawn slows down', async () => {
  const dir = scratchDir();
  const script = join(dir, 'gone.sh');
  copyFileSync(SESSION, script);
  chmodSync(script, 0o755);
  const d = await ttyDaemon(['--respawn', script, dir]);
  await d.waitFor(/session=1/);
  unlinkSync(script);
  d.type('exit 0\r');
  await d.waitFor('hamelin: cannot start gone.sh: ENOENT\r\n');
  await d.waitLog(/warn respawn-too-fast client=\S+ sessions=10 within_ms=\d+ pause_ms=5000/);
  assert.match(d.log(), /error spawn-failed client=\S+ command=\S+ code=ENOENT/);
  d.type('\x03'); // ^C still stops it at once, during the pause
  assert.equal((await d.exited).code, 0);
});

test('CORE-21 --idle-timeout on a terminal: no line typed and no output for that long ends the session with SIGTERM', async () => {
  const dir = scratchDir();
  const d = await ttyDaemon(['--idle-timeout', '1', SESSION, dir]);
  const pid = Number((await d.waitFor(/ready pid=(\d+)/)).match(/ready pid=(\d+)/)![1]);
  await eventually(() => trapped(dir).includes(pid), 'the child trap to see SIGTERM after the idle timeout', 15_000);
  assert.equal((await d.exited).code, 143);
  assert.match(d.log(), /info terminate client=\S+ pid=\d+ reason=idle-timeout/);
});
