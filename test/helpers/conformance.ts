/** Run hamelin-conformance as a user would (its CLI, a real daemon) and read its JSON report. */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { bin, fixture } from './paths.js';
import { tempDir } from './temp-dir.js';

export interface SuiteResult {
  id: string;
  level: string;
  status: 'pass' | 'fail' | 'skip' | 'info';
  evidence: string;
}

export interface SuiteRun {
  code: number | null;
  stdout: string;
  stderr: string;
  results: SuiteResult[];
  ids(status: SuiteResult['status']): string[];
  /** One line per non-passing check, for assertion messages. */
  explain(): string;
}

export async function runSuite(args: string[], daemon: string[], opts: { env?: NodeJS.ProcessEnv } = {}): Promise<SuiteRun> {
  const dir = tempDir('hc-test-');
  const json = join(dir, 'report.json');
  const child = spawn(process.execPath, [bin('conformance'), ...args, '--json', json, '--', ...daemon], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: opts.env ?? process.env,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  let results: SuiteResult[] = [];
  try {
    results = (JSON.parse(readFileSync(json, 'utf8')) as { results: SuiteResult[] }).results;
  } catch {
    /* no report: the assertion on code/stdout says why */
  }
  rmSync(dir, { recursive: true, force: true });
  return {
    code,
    stdout,
    stderr,
    results,
    ids: (status) => results.filter((r) => r.status === status).map((r) => r.id).sort(),
    explain: () =>
      results
        .filter((r) => r.status !== 'pass')
        .map((r) => `${r.id} ${r.status}: ${r.evidence}`)
        .join('\n') + `\n--- stdout:\n${stdout}\n--- stderr:\n${stderr}`,
  };
}

/** At most `n` suite runs at once in this test file: each runs several checks in parallel. */
export function suitePool(n: number): (args: string[], daemon: string[]) => Promise<SuiteRun> {
  let running = 0;
  const queue: (() => void)[] = [];
  return (args, daemon) =>
    new Promise<SuiteRun>((resolve, reject) => {
      const go = (): void => {
        running++;
        runSuite(args, daemon)
          .then(resolve, reject)
          .finally(() => {
            running--;
            queue.shift()?.();
          });
      };
      if (running < n) go();
      else queue.push(go);
    });
}

/** Every check the net binding has: the CORE ones and NET-01..NET-07, NET-09. */
export const ALL_NET = ['CORE-01', 'CORE-02', 'CORE-03', 'CORE-04', 'CORE-05', 'CORE-06', 'CORE-07', 'CORE-08', 'CORE-09', 'CORE-10', 'CORE-11', 'CORE-12', 'CORE-13', 'CORE-14', 'CORE-15', 'CORE-16', 'CORE-17', 'CORE-18', 'CORE-19', 'CORE-20', 'CORE-21', 'CORE-22', 'CORE-23', 'CORE-24', 'CORE-25', 'CORE-26', 'CORE-27', 'NET-01', 'NET-02', 'NET-03', 'NET-04', 'NET-05', 'NET-06', 'NET-07', 'NET-09'];
export const CORE = ALL_NET.filter((x) => x.startsWith('CORE-'));
export const range = (area: string, from: number, to: number): string[] => Array.from({ length: to - from + 1 }, (_, i) => `${area}-${String(from + i).padStart(2, '0')}`);

/** The checks the suite has for a binding (`--list`), so that a check added there is held to
 * passing here without the test file knowing it. */
export function listed(binding: string, extra: string[] = []): string[] {
  const out = execFileSync(process.execPath, [bin('conformance'), binding, '--list', ...extra], { encoding: 'utf8' });
  return [...new Set(out.split('\n').map((l) => /^([A-Z]+-\d+)\s/.exec(l)?.[1]).filter((x): x is string => x !== undefined))].sort();
}

/** Our own daemon under the suite: three checks at a time, timeouts doubled for a loaded CI machine. */
export const runOwn = (binding: string, daemon: string[], extra: string[] = []): Promise<SuiteRun> => runSuite([binding, '--hamelin', '--jobs', '3', '--slow', '2', ...extra], daemon);

/** The checks of issue 15's options (--cgi, --static), run in files of their own (hamelin-cgi-static,
 * mini-good-cgi-static) so that the whole-binding runs stay inside the per-file timeout. */
export const CGI_STATIC = ['HTTP-37', 'HTTP-38', 'HTTP-39', 'HTTP-40', 'HTTP-41'];
/** `--opt NAME` without a template takes an option away, even from --hamelin's spellings. */
export const WITHOUT_CGI_STATIC = ['--opt', 'cgi', '--opt', 'static'];

/** The run failed exactly `failed` (and so exited 1, or 0 when none), and printed its summary line. */
export function expectFailures(r: SuiteRun, failed: string[]): void {
  assert.deepEqual(r.ids('fail'), failed.slice().sort(), r.explain());
  assert.equal(r.code, failed.length ? 1 : 0, r.explain());
  assert.match(r.stdout, /\n\d+ passed, \d+ failed, \d+ skipped\n$/);
}

/** The suite's own broken-on-purpose daemon (test/fixtures/conformance/mini-daemon.mjs). */
export const MINI = fixture('conformance/mini-daemon.mjs');
export type MiniBinding = 'net' | 'unix' | 'ws' | 'http' | 'irc' | 'tty';

/** How the mini daemon spells every option a check may ask for, per binding. */
export function miniOpts(binding: MiniBinding): string[] {
  const common = ['kill-after=--kill-after={n}', 'max-clients=--max-clients={n}', 'idle-timeout=--idle-timeout={n}', 'timeout=--timeout={n}', 'max-line=--max-line={n}', 'cwd=--cwd={dir}'];
  const ws = ['binary=--binary', 'origin=--origin={value}', 'ping-interval=--ping-interval={n}', 'dir=--dir={dir}', 'tls=--tls-cert={cert} --tls-key={key}', 'header-timeout=--header-timeout={n}', 'max-handshakes=--max-handshakes={n}', 'static=--static={dir}'];
  const http = ['max-body=--max-body={n}', 'header-timeout=--header-timeout={n}', 'origin=--origin={value}', 'tls=--tls-cert={cert} --tls-key={key}', 'dir=--dir={dir}', 'poll-timeout=--poll-timeout={n}', 'abandon-timeout=--abandon-timeout={n}', 'cgi=--cgi', 'static=--static={dir}'];
  const irc = ['trigger=--trigger={value}', 'password-env=--password-env={value}'];
  const tty = ['wait=--wait', 'banner=--banner={value}', 'device=--device={value}'];
  const more: Record<MiniBinding, string[]> = { net: ['unbuffer=--unbuffer'], unix: [], ws, http, irc, tty };
  return [...common, ...more[binding]].flatMap((o) => ['--opt', o]);
}

/** How the mini daemon spells the front-door options; giving them opts the FD checks in. */
export function miniFdOpts(binding: MiniBinding): string[] {
  const proxy = ['proxy-protocol=--proxy-protocol --trusted-proxy={value}', 'proxy-timeout=--proxy-timeout={value}', 'deny=--deny={value}', 'max-per-source=--max-per-source={value}'];
  const auth = binding === 'ws' || binding === 'http' ? ['auth-basic=--auth-basic={file}'] : [];
  return [...proxy, ...auth].flatMap((o) => ['--opt', o]);
}

/** The mini daemon's argv for the suite, with these breaks. */
export function miniDaemon(binding: MiniBinding, breaks: string[] = []): string[] {
  const words = [process.execPath, MINI, ...breaks.map((id) => `break=${id}`)];
  if (binding === 'unix') return [...words, '{options}', 'unix:{path}', '{command}'];
  if (binding === 'irc') return [...words, '--irc', '{options}', '{server}', '{nick}', '{channel}', '{command}'];
  // TTY-12 checks respawning, and is skipped without --respawn (TTY-13 with it).
  if (binding === 'tty') return [...words, '--tty', ...(breaks.includes('TTY-12') ? ['--respawn'] : []), '{options}', '--log-file', '{log}', '{command}'];
  return [...words, ...(binding === 'net' ? [] : [`--${binding}`]), '{options}', '{host}', '{port}', '{command}'];
}

export interface Break {
  /** The break word's id: a requirement, or a requirement and a variant (`FD-10/any-peer`). */
  id: string;
  /** The requirement it breaks. */
  req: string;
  bindings: string[];
  how: string;
}

/** Every break the mini daemon has (`--list-breaks`): the requirement, its bindings, how. */
export function miniBreaks(): Break[] {
  const out = execFileSync(process.execPath, [MINI, '--list-breaks'], { encoding: 'utf8' });
  return out
    .trim()
    .split('\n')
    .map((l) => l.split('\t'))
    .map(([id, bindings, how]) => ({ id: id!, req: id!.split('/')[0]!, bindings: bindings!.split(' '), how: how! }));
}

/**
 * One test per break of `binding` whose id is in `ids`: the suite, run on the check of that
 * requirement against the mini daemon with that one break, fails that check (a MUST: exit 1).
 */
export function testBreaks(binding: MiniBinding, ids: (id: string) => boolean, define: (name: string, fn: () => Promise<void>) => void): void {
  const pool = suitePool(3);
  const levels = new Map(execFileSync(process.execPath, [bin('conformance'), binding, '--list', ...miniFdOpts(binding)], { encoding: 'utf8' }).split('\n').map((l) => l.split(/\s+/) as [string, string]));
  for (const b of miniBreaks().filter((x) => x.bindings.includes(binding) && ids(x.id))) {
    const fd = b.req.startsWith('FD-') ? miniFdOpts(binding) : [];
    const run = pool([binding, '--jobs', '2', '--slow', '2', ...miniOpts(binding), ...fd, '--only', b.req], miniDaemon(binding, [b.id]));
    run.catch(() => undefined);
    define(`${b.id} (${binding}): the suite fails a daemon that ${b.how}`, async () => {
      const r = await run;
      assert.deepEqual(r.ids('fail'), [b.req], r.explain());
      assert.equal(r.code, levels.get(b.req) === 'MUST' ? 1 : 0, r.explain());
    });
  }
}

/** A peer's binary must be installed: a missing one fails the test loudly (.ci/run installs it). */
export function need(binary: string): void {
  try {
    execFileSync('sh', ['-c', `command -v ${binary}`], { stdio: 'pipe' });
  } catch {
    assert.fail(`${binary} is not installed: .ci/run installs it (apt-get); this test cannot run without it`);
  }
}

/** None of socat, tcpserver, ncat sets H- variables (CORE-08..11, NET-02, NET-03) but its own (CORE-26), passes the
 * daemon's inherited H- ones on (CORE-23), has no --help/--version on stdout (CORE-27), logs no
 * abnormal exit (CORE-16), accepts a command that does not exist (CORE-18), and sends no signal
 * to the group when the client goes (CORE-13, CORE-14) or at shutdown (CORE-22). */
export const PEERS_FAIL = ['CORE-08', 'CORE-09', 'CORE-10', 'CORE-11', 'CORE-13', 'CORE-14', 'CORE-15', 'CORE-16', 'CORE-18', 'CORE-22', 'CORE-23', 'CORE-26', 'CORE-27', 'NET-02', 'NET-03', 'NET-07'];
