/** The hamelin-conformance command line itself: listing, argument errors, the report, Ctrl-C. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { bin } from '../helpers/paths.js';
import { eventually } from '../helpers/poll.js';
import { miniDaemon } from '../helpers/conformance.js';
import { tempDir } from '../helpers/temp-dir.js';

const cli = (...args: string[]) => spawnSync(process.execPath, [bin('conformance'), ...args], { encoding: 'utf8' });
/** The same, with the report directories (kept by --keep) under `tmp`. */
const cliIn = (tmp: string, ...args: string[]) => spawnSync(process.execPath, [bin('conformance'), ...args], { encoding: 'utf8', env: { ...process.env, TMPDIR: tmp } });
const NET = [process.execPath, bin('net'), '{host}', '{port}', '{command}'];

test('--list names every check with its level; --only narrows it', () => {
  const r = cli('net', '--list');
  assert.equal(r.status, 0, r.stderr);
  for (const id of ['CORE-01', 'CORE-14', 'CORE-24', 'NET-07', 'NET-09']) assert.match(r.stdout, new RegExp(`^${id} +(MUST|SHOULD|MAY) `, 'm'));
  assert.doesNotMatch(r.stdout, /^NET-08/m, 'NET-08 is unix only');
  assert.match(cli('unix', '--list').stdout, /^NET-08 +MUST/m);
  assert.equal(cli('net', '--list', '--only', 'core-01,NET-04').stdout.trim().split('\n').length, 2);
});

test('usage errors are one line and status 2', () => {
  for (const [args, re] of [
    [['net', '--only', 'CORE-99', '--', ...NET], /unknown check id for net: CORE-99/],
    [['net', '--', process.execPath, bin('net'), '{host}', '8080', '{command}'], /needs \{port\}/],
    [['nope', '--', ...NET], /unknown binding "nope"/],
    [['net'], /missing the daemon command line/],
    [['net', '--opt', 'colour=--red', '--', ...NET], /unknown option name "colour"/],
  ] as [string[], RegExp][]) {
    const r = cli(...args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});

test('the report: table ending in the summary line, --json, exit 0 when every MUST passed', () => {
  const dir = tempDir('hc-cli-');
  try {
    const json = join(dir, 'r.json');
    const r = cli('net', '--hamelin', '--only', 'CORE-08,CORE-20', '--json', json, '--', ...NET);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^CORE-08 +MUST +pass +H-VERSION/m);
    assert.match(r.stdout, /H-VERSION=hamelin-net\/\d+\.\d+\.\d+/);
    assert.match(r.stdout, /\n2 passed, 0 failed, 0 skipped\n$/);
    const report = JSON.parse(readFileSync(json, 'utf8')) as { summary: { passed: number; ok: boolean }; results: { id: string; status: string }[] };
    assert.equal(report.summary.passed, 2);
    assert.equal(report.summary.ok, true);
    assert.deepEqual(report.results.map((x) => [x.id, x.status]), [['CORE-08', 'pass'], ['CORE-20', 'pass']]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('Ctrl-C: the suite kills the daemon under test and every probe it started, then exits 130', async () => {
  const tmp = tempDir('hc-ctrlc-');
  try {
    // CORE-14 without --kill-after waits 5 s with children that ignore SIGTERM: interrupt it.
    const child = spawn(process.execPath, [bin('conformance'), 'net', '--only', 'CORE-14', '--', ...NET], {
      env: { ...process.env, TMPDIR: tmp },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    const withToken = (): number[] =>
      readdirSync('/proc')
        .filter((n) => /^\d+$/.test(n))
        .filter((pid) => {
          try {
            return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(tmp);
          } catch {
            return false;
          }
        })
        .map(Number);
    // The daemon, the child and its grandchild all carry the check's directory in their argv.
    await eventually(() => withToken().length >= 3, 'the daemon, a probe and its grandchild', 10_000);
    child.kill('SIGINT');
    assert.equal(await exited, 130);
    await eventually(() => withToken().length === 0, 'no process left with the suite token', 10_000);
    assert.deepEqual(readdirSync(tmp).filter((f) => f.startsWith('hc-')), [], 'the check directory is removed');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('options needed by a check go where the daemon command line can take them', async () => {
  const { expand, bindings } = await import('@hamelin/conformance');
  const addr = { host: '127.0.0.1', port: 4000, path: '/tmp/s', tls: false, extra: { log: '/tmp/l' } };
  const place = (daemon: string[]): string[] =>
    expand({ binding: bindings.net!, daemon, opts: { 'kill-after': '--kill-after={n}' }, hamelin: true, jobs: 1, keep: false, slow: 1 }, addr, ['probe', 'x'], { 'kill-after': '2' });
  assert.deepEqual(place(['d', '{host}', '{port}', '{command}']), ['d', '--kill-after=2', '127.0.0.1', '4000', 'probe', 'x']);
  assert.deepEqual(place(['d', '--port', '{port}', '{command}']), ['d', '--kill-after=2', '--port', '4000', 'probe', 'x']);
  assert.deepEqual(place(['node', 'tty.js', '--log-file', '{log}', '{command}']), ['node', 'tty.js', '--kill-after=2', '--log-file', '/tmp/l', 'probe', 'x']);
  assert.deepEqual(place(['node', 'daemon.js', '{command}']), ['node', 'daemon.js', '--kill-after=2', 'probe', 'x']);
  assert.deepEqual(place(['d', '{options}', '-p', '{port}', '{command}']), ['d', '--kill-after=2', '-p', '4000', 'probe', 'x']);
});

test('--version: the suite\'s version on stdout, as every daemon prints it, exit 0 (CORE-27 asks it of every daemon)', () => {
  const r = cli('--version');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^\d+\.\d+\.\d+\n$/);
});

test('a daemon that cannot start at all is one line on stderr and exit 2 before any check, not a failure of every check', () => {
  for (const daemon of [
    ['hamelin-net-mistyped', '{host}', '{port}', '{command}'],
    [process.execPath, bin('net'), '--no-such-flag', '{host}', '{port}', '{command}'],
  ]) {
    const started = Date.now();
    const r = cli('net', '--', ...daemon);
    assert.equal(r.status, 2, r.stdout + r.stderr);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /^hamelin-conformance: the daemon cannot start, so no check can run: /);
    assert.ok(Date.now() - started < 15_000, `${Date.now() - started} ms`);
  }
});

test('--json: version, times, argv per daemon, {expected, seen} per failure, stderr with --keep; --ports keeps the daemons in the range; --strict fails a skip', () => {
  const dir = tempDir('hc-cli-');
  try {
    const json = join(dir, 'r.json');
    // The mini daemon without TLS: NET-09 is skipped, and --strict makes that a failure.
    const r = cliIn(dir, 'net', '--strict', '--keep', '--ports', '23600-23699', '--only', 'CORE-08,NET-09', '--json', json, '--', ...miniDaemon('net', ['CORE-08']));
    assert.equal(r.status, 1, r.stdout + r.stderr);
    const report = JSON.parse(readFileSync(json, 'utf8')) as {
      version: string;
      started: string;
      finished: string;
      daemon: string[];
      results: { id: string; status: string; expected?: string; seen?: string; daemons: { argv: string[]; stderr?: string }[] }[];
    };
    assert.match(report.version, /^\d+\.\d+\.\d+$/);
    assert.ok(Date.parse(report.started) <= Date.parse(report.finished));
    assert.deepEqual(report.daemon, miniDaemon('net', ['CORE-08']));
    const [core08, net09] = report.results;
    assert.equal(core08!.status, 'fail');
    assert.equal(core08!.expected, 'H-VERSION=/^[^/\\s]+\\/\\d+\\.\\d+\\.\\d+\\S*$/');
    assert.equal(core08!.seen, 'H-VERSION="mini-daemon"');
    const argv = core08!.daemons[0]!.argv;
    const port = Number(argv[argv.indexOf('127.0.0.1') + 1]);
    assert.ok(port >= 23600 && port <= 23699, `port ${port}`);
    assert.match(core08!.daemons[0]!.stderr!, /mini-daemon: listening on 127\.0\.0\.1:236\d\d/);
    assert.equal(net09!.status, 'fail');
    assert.match(net09!.seen!, /needs the daemon's tls option/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('root cause: a daemon that buffers its output fails CORE-03, and the failures that follow from it say so', () => {
  const r = cli('net', '--only', 'CORE-01,CORE-03,CORE-04,CORE-13', '--', ...miniDaemon('net', ['CORE-03']));
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /^CORE-03 +MUST +FAIL /m);
  assert.match(r.stdout, /^CORE-01 +MUST +FAIL .*\n +\(follows from CORE-03\) /m);
  assert.match(r.stdout, /^Likely root cause: CORE-03 \(\d other failures? follows? from it\)$/m);
});
