/** The daemon's own life: CORE-18 startup errors, CORE-19 spawn failure, CORE-22 shutdown. */
import { symlinkSync, unlinkSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Check, Ctx, DaemonRun, StartSpec } from '../runner.js';
import { PROBE_ARGV } from '../probe-binary.js';
import { isRunning, sleep, within } from '../runner.js';
import { clip, eventually, howClosed, pingEcho, signalsOf } from './common.js';

/** Start a daemon that must refuse to start: exit non-zero, one stderr line, never listening. */
export async function mustRefuse(ctx: Ctx, what: string, spec: StartSpec): Promise<string> {
  const d = await ctx.start({ ...spec, noWait: true });
  let listened = false;
  const exited = await within(() => {
    if (!spec.addr && ctx.binding.listening(d.addr, d.pid)) listened = true;
    return d.exitInfo !== undefined;
  }, ctx.ms(8000), 10);
  if (exited) await Promise.race([d.drained, sleep(1000)]);
  const err = d.stderr().toString();
  const lines = err.split('\n').filter((l) => l.trim() !== '');
  const seen = `${exited ? `exit ${d.exitInfo!.code ?? d.exitInfo!.signal}` : `still running after ${ctx.ms(8000) / 1000} s`}${listened ? ', listened' : ''}; stderr ${clip(err, 200)}`;
  ctx.expect(exited && d.exitInfo!.code !== 0 && !listened, `${what}: a non-zero exit before listening`, () => seen);
  ctx.expect(lines.length === 1, `${what}: exactly one line on stderr`, () => seen);
  return `${what}: exit ${d.exitInfo!.code}, ${clip(lines[0]!, 80)}`;
}

async function shutdownWith(ctx: Ctx, sig: NodeJS.Signals, grace: number, options: StartSpec['options']): Promise<string> {
  const d: DaemonRun = await ctx.start({ mode: 'grandchild+echo+stay', options });
  const conns = await Promise.all([d.dial(), d.dial()]);
  for (const c of conns) await pingEcho(ctx, c);
  await eventually(() => d.probes().length >= 4 || undefined, 'two sessions with a grandchild each', ctx.ms(5000));
  const probes = d.probes();
  d.signal(sig);
  const exited = await Promise.race([d.exited, sleep(ctx.ms(grace * 1000 + 4000)).then(() => undefined)]);
  ctx.expect(exited !== undefined && exited.code === 0, `${sig}: the daemon exits with status 0 within ${grace + 4} s`, () =>
    exited ? `status ${exited.code ?? exited.signal}` : 'still running',
  );
  const left = async (): Promise<number[]> => {
    await within(() => probes.every((p) => !isRunning(p.pid)), ctx.ms(1000));
    return probes.filter((p) => isRunning(p.pid)).map((p) => p.pid);
  };
  const alive = await left();
  const unsignalled = probes.filter((p) => !d.probe(p.pid)?.firstSignal('SIGTERM'));
  ctx.expect(alive.length === 0, `${sig}: no process left behind`, () => `still running: ${alive.map((pid) => `${pid} (${signalsOf(d, pid)})`).join(', ')}`);
  ctx.expect(unsignalled.length === 0, `${sig}: SIGTERM to every session's group (children and grandchildren)`, () =>
    unsignalled.map((p) => `${p.pid}${p.isGrandchild ? ' (grandchild)' : ''}: ${signalsOf(d, p.pid)}`).join(', '),
  );
  for (const c of conns) await Promise.race([c.closed, sleep(1000)]);
  return `${sig}: exit 0, ${probes.length} processes signalled and gone`;
}

/** Children that ignore SIGTERM: one signal means SIGKILL after the grace period and exit 0;
 * a second signal meanwhile means SIGKILL at once and exit 1. */
async function stubbornShutdown(ctx: Ctx, grace: number, options: StartSpec['options'], twice: boolean): Promise<string> {
  const d = await ctx.start({ mode: 'grandchild+ignoreterm+echo+stay', options });
  const c = await d.dial();
  await pingEcho(ctx, c);
  await eventually(() => d.probes().length >= 2 || undefined, 'a session with a grandchild', ctx.ms(5000));
  const probes = d.probes();
  let at = Date.now();
  d.signal('SIGTERM');
  if (twice) {
    // The second signal comes while the daemon waits out the grace period for the stubborn children.
    await sleep(300);
    if (d.exitInfo) return `a second SIGTERM during shutdown: not tried, the daemon had already exited (status ${d.exitInfo.code ?? d.exitInfo.signal})`;
    at = Date.now();
    d.signal('SIGTERM');
  }
  const limit = ctx.ms(twice ? 2000 : grace * 1000 + 4000);
  const exited = await Promise.race([d.exited, sleep(limit).then(() => undefined)]);
  const want = twice ? 1 : 0;
  const what = twice ? 'a second SIGTERM during shutdown' : 'SIGTERM with children that ignore it';
  ctx.expect(exited !== undefined && exited.code === want, `${what}: exit status ${want} within ${limit / 1000} s`, () =>
    exited ? `status ${exited.code ?? exited.signal} after ${exited.at - at} ms` : 'still running',
  );
  await within(() => probes.every((p) => !isRunning(p.pid)), ctx.ms(1000));
  const alive = probes.filter((p) => isRunning(p.pid));
  ctx.expect(alive.length === 0, `${what}: every process killed`, () => `still running: ${alive.map((p) => p.pid).join(', ')}`);
  return `${what}: exit ${want} after ${exited!.at - at} ms, none left`;
}

/** The daemon command line up to its first option or placeholder: the program itself, with an
 * interpreter's script if there is one (`python3 their_daemon.py`, `node cli.js`). */
function programWords(daemon: string[]): string[] {
  const end = daemon.findIndex((w, i) => i > 0 && (w.startsWith('-') || w.includes('{')));
  return end < 0 ? daemon.slice(0, 1) : daemon.slice(0, end);
}

function runFor(argv: string[], ms: number): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const timer = setTimeout(() => {
      err += `[killed by the suite: no exit within ${ms} ms]`;
      p.kill('SIGKILL');
    }, ms);
    p.once('error', (e) => {
      clearTimeout(timer);
      resolve({ code: null, out, err: e.message });
    });
    p.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

export const lifeChecks: Check[] = [
  {
    id: 'CORE-27',
    level: 'MUST',
    title: '--help and --version answer on stdout and exit 0',
    async run(ctx) {
      const words = programWords(ctx.config.daemon);
      const seen: string[] = [];
      for (const flag of ['--help', '--version']) {
        const r = await runFor([...words, flag], ctx.ms(10_000));
        ctx.expect(r.code === 0 && r.out.trim() !== '', `${[...words.slice(-1), flag].join(' ')}: exit 0 with its answer on stdout`, () => `exit ${r.code}, stdout ${clip(r.out)}, stderr ${clip(r.err)}`);
        seen.push(`${flag}: ${clip(r.out.trim().split('\n')[0]!, 50)}`);
      }
      return seen.join('; ');
    },
  },
  {
    id: 'CORE-18',
    level: 'MUST',
    title: 'startup errors: one line on stderr and a non-zero exit before listening',
    async run(ctx) {
      const cases: Promise<string>[] = [mustRefuse(ctx, 'unknown command', { commandFor: () => ['/nonexistent/hamelin-conformance-no-such-command', 'x'] })];
      if (ctx.binding.transport === 'tcp') {
        cases.push(mustRefuse(ctx, 'bad port', { port: '99999' }));
        cases.push(
          (async () => {
            const addr = await ctx.binding.allocate(ctx.dir);
            const blocker = createServer();
            await new Promise<void>((r) => blocker.listen(addr.port, addr.host, () => r()));
            try {
              return await mustRefuse(ctx, 'busy port', { addr });
            } finally {
              blocker.close();
            }
          })(),
        );
      }
      const notes = await Promise.all(cases);
      return notes.join('; ');
    },
  },
  {
    id: 'CORE-19',
    level: 'MUST',
    title: 'a spawn failure at connect time keeps the daemon up (SHOULD: the client gets an error line)',
    async run(ctx) {
      // A link to the probe's program (node, or the C probe), removed once the daemon listens.
      const link = join(ctx.dir, 'hamelin-probe-link');
      symlinkSync(PROBE_ARGV[0]!, link);
      const d = await ctx.start({ commandFor: (dir) => [link, ...PROBE_ARGV.slice(1), dir, 'echo'] });
      unlinkSync(link);
      const c1 = await d.dial();
      await c1.write('hello\n').catch(() => undefined);
      const ended = await within(() => c1.endedAt() !== undefined || c1.error() !== undefined, ctx.ms(5000));
      const said = c1.received().toString();
      if (said.includes('hello\n')) ctx.info('could not provoke a spawn failure: the command still ran after its file was removed');
      ctx.expect(ended, 'the failed client closed', () => `still open after 5 s, got ${clip(said)}`);
      ctx.expect(d.exitInfo === undefined, 'the daemon still running', () => `it exited with ${d.exitInfo!.code ?? d.exitInfo!.signal}; stderr ${clip(d.stderr().toString())}`);
      const logged = await within(() => /ENOENT|No such file or directory/.test(d.stderr().toString()), ctx.ms(2000));
      ctx.expect(logged, 'a log line with the error code (ENOENT)', () => clip(d.stderr().toString(), 300));
      symlinkSync(PROBE_ARGV[0]!, link);
      const c2 = await d.dial();
      await pingEcho(ctx, c2).catch(() => ctx.fail('the next client served normally', `${clip(c2.received().toString())}, ${howClosed(c2)}`));
      return `daemon stayed up; failed client got ${said.trim() ? clip(said.trim(), 100) : 'no error line (SHOULD send one)'}`;
    },
  },
  {
    id: 'CORE-22',
    level: 'MUST',
    title: "SIGTERM/SIGINT to the daemon: every session's group gets SIGTERM, none left, exit 0",
    timeoutMs: 30_000,
    async run(ctx) {
      const grace = ctx.has('kill-after') ? 1 : 5;
      const options = ctx.has('kill-after') ? { 'kill-after': '1' } : {};
      const notes = await Promise.all([
        // Children that obey SIGTERM: the default grace, so that a loaded machine has time to
        // let them record the signal before any SIGKILL (they exit at once anyway).
        shutdownWith(ctx, 'SIGTERM', 5, {}),
        shutdownWith(ctx, 'SIGINT', 5, {}),
        stubbornShutdown(ctx, grace, options, false),
        // The default grace (5 s), so that the second signal surely comes before it ends.
        stubbornShutdown(ctx, 5, {}, true),
      ]);
      return notes.join('; ');
    },
  },
];
