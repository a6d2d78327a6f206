/**
 * The two probes (probe/hamelin-probe.c, which the suite runs where its binary runs, and
 * src/probe.ts, which it runs elsewhere) record the same events, write the same bytes and end
 * the same way for every mode the checks use; and a run says which one it used.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { bin, ROOT } from '../helpers/paths.js';
import { eventually } from '../helpers/poll.js';
import { tempDir } from '../helpers/temp-dir.js';

const C_PROBE = join(ROOT, 'packages', 'conformance', 'prebuilt', `hamelin-probe-linux-${process.arch}`);
const NODE_PROBE = [process.execPath, join(ROOT, 'packages', 'conformance', 'dist', 'probe.js')];
const QEMU = 'qemu-aarch64-static';
const ARM64_PROBE = join(ROOT, 'packages', 'conformance', 'prebuilt', 'hamelin-probe-linux-arm64');
const PROBES = { c: [C_PROBE], node: NODE_PROBE, arm64: [QEMU, ARM64_PROBE] } as const;

/** An environment with bytes that are not UTF-8 (as a header value may be): set by sh, since
 * Node would encode a string. Each maximal invalid part must become one U+FFFD, as Node decodes. */
const RAW_ENV = 'export H_RAW="$(printf "a\\303(\\340\\200b\\355\\240\\200z\\364\\220\\200\\200\\377")"; exec "$@"';

interface Run {
  status: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  events: Record<string, unknown>[];
}

/** Run a probe to its end on this stdin; its events without what differs by process (pids, times). */
function runProbe(which: keyof typeof PROBES, mode: string, input: Buffer): Run {
  const dir = tempDir('hc-probe-');
  try {
    const env = { PATH: process.env.PATH, WEIRD: 'caf\u00e9 \u0001 "q" \\ \u2028 end' };
    const r = spawnSync('sh', ['-c', RAW_ENV, 'sh', ...PROBES[which], dir, mode], { input, env, maxBuffer: 1 << 26, timeout: 20_000 });
    const events: Record<string, unknown>[] = [];
    for (const f of readdirSync(dir).sort()) {
      for (const line of readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean)) {
        const e = JSON.parse(line) as Record<string, unknown>;
        for (const k of ['t', 'pid', 'ppid', 'pgid', 'sid', 'argv0', 'argv']) delete e[k];
        events.push(e);
      }
    }
    return { status: r.status, signal: r.signal, stdout: r.stdout.toString('base64'), stderr: r.stderr.toString(), events };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('conformance probe: the C probe is built for this machine', () => {
  const r = spawnSync(C_PROBE, [], { encoding: 'utf8' });
  assert.equal(r.status, 64, `${C_PROBE}: ${r.error?.message ?? r.stderr}`);
  assert.match(r.stderr, /usage: hamelin-probe REPORT_DIR MODE/);
});

const input = Buffer.concat([Buffer.from('zeta\nalpha\n'), Buffer.from([0xff, 0xfe, 0x20, 0x0a, 0xe2, 0x82, 0x0a, 0xf0, 0x9f, 0x98, 0x80, 0x0a]), Buffer.from('beta')]);
const none = Buffer.alloc(0);
const cases: [string, Buffer][] = [
  ['echo', input],
  ['sort', input],
  ['lines=3000', none],
  ['print=aGVsbG8K+exit=3', none],
  ['stderr=ZXJyb3IK+exit=0', none],
  ['longline=70000', Buffer.from('x')],
  ['flood=300000', none],
  ['hub', Buffer.from('hello\n!flood 600 20\nx y z w v\n!exit 4\n')],
  ['hub=addressed', Buffer.from('line 3 hi there\njunk\nline 12 !flood 3 30\nline 1 !partial tail\n')],
  ['hub+linger=100', Buffer.from('hello\n')],
  ['noread+delay=50+die=SIGTERM', none],
  ['noread+delay=50+die=SIGKILL', none],
];

for (const [mode, stdin] of cases) {
  test(`conformance probe: the C and Node probes agree on ${mode}: events, stdout, stderr, exit`, () => {
    const c = runProbe('c', mode, stdin);
    const node = runProbe('node', mode, stdin);
    assert.ok(c.events.length > 0, 'the C probe reported');
    assert.deepEqual(c, node);
  });
}

test('conformance probe: the C and Node probes agree on more than a MiB of input (lengths past the first MiB, the digest)', () => {
  const big = Buffer.alloc(1_500_000, 'a');
  const digest = (r: Run) => ({
    read: r.events.filter((e) => e.e === 'in').reduce((n, e) => n + (typeof e.b64 === 'string' ? Buffer.from(e.b64, 'base64').length : (e.n as number)), 0),
    tail: r.events.filter((e) => e.e === 'eof' || e.e === 'exit'),
    out: r.stdout.length,
  });
  const c = runProbe('c', 'echo', big);
  assert.deepEqual(digest(c), digest(runProbe('node', 'echo', big)));
  assert.deepEqual(c.events.find((e) => e.e === 'eof'), { e: 'eof', total: 1_500_000, sha256: 'f30207a92765493dcdd80a5a2b541b3f67073c413676ab523b30c4feb12fac90' });
});

test('conformance probe: linger=MS holds the exit that long after EOF, in both probes', () => {
  for (const which of ['c', 'node'] as const) {
    const dir = tempDir('hc-probe-');
    try {
      const r = spawnSync(PROBES[which][0]!, [...PROBES[which].slice(1), dir, 'hub+linger=300'], { input: 'x\n', timeout: 20_000 });
      assert.equal(r.status, 0, which);
      const events = readFileSync(join(dir, readdirSync(dir)[0]!), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { e: string; t: number });
      const at = (e: string): number => events.find((x) => x.e === e)!.t;
      assert.ok(at('exit') - at('eof') >= 290, `${which}: exit ${at('exit') - at('eof')} ms after eof`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});

test('conformance probe: the linux-arm64 C probe (under qemu-aarch64-static) agrees with the Node probe on every mode above', (t) => {
  if (spawnSync(QEMU, ['--version']).status !== 0) {
    if (process.env.CI === 'true') assert.fail(`${QEMU} is missing: .ci/run installs qemu-user-static`);
    return t.diagnostic(`SKIPPED LOUDLY: ${QEMU} is missing`);
  }
  for (const [mode, stdin] of cases) {
    const arm64 = runProbe('arm64', mode, stdin);
    assert.ok(arm64.events.length > 0, `${mode}: the arm64 probe reported`);
    assert.deepEqual(arm64, runProbe('node', mode, stdin), mode);
  }
});

/** Start a probe, feed it a line, send it signals one at a time once each is on record. */
async function signalled(which: keyof typeof PROBES, mode: string, sigs: NodeJS.Signals[]): Promise<{ end: string; stdout: string; events: string[] }> {
  const dir = tempDir('hc-probe-');
  const [file, ...args] = PROBES[which];
  const child = spawn(file!, [...args, dir, mode], { stdio: ['pipe', 'pipe', 'inherit'], detached: true });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const end = new Promise<string>((resolve) => child.on('exit', (code, sig) => resolve(String(code ?? sig))));
  const events = (): string[] =>
    readdirSync(dir)
      .sort()
      .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean))
      .map((l) => JSON.parse(l) as Record<string, string>)
      .map((e) => (e.e === 'start' ? `start ${e.mode}` : [e.e, e.sig, e.code].filter((x) => x !== undefined).join(' ')));
  try {
    await eventually(() => events().some((e) => e.startsWith('start')) || undefined, 'the probe to start', 10_000);
    child.stdin.write('hi\n');
    await eventually(() => stdout.includes('hi\n') || undefined, 'the echo', 10_000);
    if (mode.includes('grandchild')) await eventually(() => events().filter((e) => e.startsWith('start')).length === 2 || undefined, 'the grandchild', 10_000);
    for (const sig of sigs) {
      const before = events().length;
      process.kill(child.pid!, sig);
      await eventually(() => events().length > before || undefined, `${sig} on record`, 10_000);
    }
    const ended = await Promise.race([end, new Promise<string>((r) => setTimeout(() => r('running'), 500))]);
    return { end: ended, stdout, events: events() };
  } finally {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const [mode, sigs] of [
  ['echo+stay', ['SIGTERM']],
  ['echo+stay+ignoreterm', ['SIGTERM', 'SIGINT']],
  ['echo+stay+termsay=Ynll', ['SIGTERM']],
  ['echo+stay', ['SIGUSR1', 'SIGHUP']],
  ['grandchild+echo+stay', ['SIGTERM']],
] as [string, NodeJS.Signals[]][]) {
  test(`conformance probe: the C and Node probes agree on ${sigs.join(', ')} to ${mode}`, async () => {
    const c = await signalled('c', mode, sigs);
    assert.notEqual(c.end, 'running', `the C probe ended: ${c.events.join('; ')}`);
    assert.deepEqual(c, await signalled('node', mode, sigs));
  });
}

test('CORE-02 conformance probe: the --json report names the probe the run used, HAMELIN_PROBE=node chooses the Node one, and CORE-02 passes with each', () => {
  const dir = tempDir('hc-probe-');
  try {
    const daemon = [process.execPath, bin('net'), '{host}', '{port}', '{command}'];
    for (const [env, want] of [[{}, [C_PROBE]], [{ HAMELIN_PROBE: 'node' }, NODE_PROBE]] as const) {
      const json = join(dir, 'r.json');
      const r = spawnSync(process.execPath, [bin('conformance'), 'net', '--hamelin', '--only', 'CORE-02', '--json', json, '--', ...daemon], { encoding: 'utf8', env: { ...process.env, ...env } });
      assert.equal(r.status, 0, r.stdout + r.stderr);
      const report = JSON.parse(readFileSync(json, 'utf8')) as { probe: string[]; results: { id: string; status: string }[] };
      assert.deepEqual(report.probe, want);
      assert.deepEqual(report.results.map((x) => [x.id, x.status]), [['CORE-02', 'pass']], 'CORE-02 checks argv[0] against the probe in use');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
