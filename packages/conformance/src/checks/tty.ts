/**
 * Terminal binding (spec/bindings/tty.md): the daemon runs on a pseudo-terminal of its own;
 * the checks type into it and read its screen. Each names the core requirements it covers.
 * Not covered: --device, --baud, --wait, --respawn, --banner, the line settings and editing
 * (TTY-01..06, 12, 14..17).
 */
import type { Check, Ctx, DaemonRun, StartSpec } from '../runner.js';
import { isRunning, sleep, within } from '../runner.js';
import type { ProbeRun } from '../probe-report.js';
import { NASTY_ARGS } from './processes.js';
import { pattern } from '../pattern.js';
import { clip, eventually, fresh, signalsOf, waitGrandchild, waitSignal } from './common.js';

interface Term {
  d: DaemonRun;
  p: ProbeRun;
  type(keys: string): void;
  screen(): string;
  /** The pty's path, from ptyrun's status line. */
  device(): string;
  hangup(): void;
}

async function onTerminal(ctx: Ctx, spec: StartSpec = {}): Promise<Term> {
  const d = await ctx.start(spec);
  const [p] = await d.waitSessions(1, ctx.ms(8000));
  return {
    d,
    p: p!,
    type: (keys) => void d.proc.stdin!.write(keys),
    screen: () => d.stdout().toString('utf8'),
    device: () => /ptyrun: pid=\d+ tty=(\S+)/.exec(d.stderr().toString())?.[1] ?? '',
    hangup: () => void d.proc.stdin!.end(),
  };
}

export const ttyChecks: Check[] = [
  {
    id: 'TTY-07',
    level: 'MUST',
    title: 'each typed line is one stdin line (Enter arrives as NL); stdout reaches the screen (CORE-02 CORE-03)',
    async run(ctx) {
      const t = await onTerminal(ctx, { mode: 'echo+stay', extra: NASTY_ARGS });
      t.type('hello tty\r');
      const want = 'hello tty\n';
      await within(() => fresh(t.d, t.p).stdin().toString() === want, ctx.ms(4000));
      ctx.expect(fresh(t.d, t.p).stdin().toString() === want, 'stdin "hello tty\\n"', () => JSON.stringify(fresh(t.d, t.p).stdin().toString()));
      // The kernel echoes the typed line, then the child's output follows, \n shown as \r\n.
      await within(() => t.screen().includes('hello tty\r\nhello tty\r\n'), ctx.ms(4000));
      ctx.expect(t.screen().includes('hello tty\r\nhello tty\r\n'), 'the echo, then the output, on the screen', () => clip(t.screen()));
      ctx.expect(JSON.stringify(t.p.argv.slice(2)) === JSON.stringify(NASTY_ARGS), 'argv untouched (CORE-02)', () => JSON.stringify(t.p.argv.slice(2)));
    },
  },
  {
    id: 'TTY-08',
    level: 'MUST',
    title: '^D at the start of a line ends the child\'s input, not the session: its output still shows (CORE-05)',
    async run(ctx) {
      const t = await onTerminal(ctx, { mode: 'sort' });
      t.type('pear\r');
      t.type('apple\r');
      await within(() => fresh(t.d, t.p).stdin().toString() === 'pear\napple\n', ctx.ms(4000));
      t.type('\x04');
      await eventually(() => fresh(t.d, t.p).eof(), 'EOF on the child stdin after ^D', ctx.ms(4000)).catch(() => ctx.fail('EOF after ^D', JSON.stringify(fresh(t.d, t.p).stdin().toString())));
      await within(() => t.screen().includes('apple\r\npear\r\n'), ctx.ms(4000));
      ctx.expect(t.screen().includes('apple\r\npear\r\n'), 'the sorted lines on the screen after ^D', () => clip(t.screen()));
    },
  },
  {
    id: 'TTY-09',
    level: 'MUST',
    title: "a hangup is the client going away: SIGTERM to the child's process group (CORE-13)",
    async run(ctx) {
      const t = await onTerminal(ctx, { mode: 'grandchild+echo+stay' });
      const gc = await waitGrandchild(ctx, t.d);
      t.hangup();
      const [a, b] = await Promise.all([waitSignal(t.d, t.p.pid, ctx.ms(4000)), waitSignal(t.d, gc.pid, ctx.ms(4000))]);
      ctx.expect(a !== undefined && b !== undefined, 'SIGTERM to the child and its grandchild', () => `child: ${signalsOf(t.d, t.p.pid)}; grandchild: ${signalsOf(t.d, gc.pid)}`);
    },
  },
  {
    id: 'TTY-10',
    level: 'MUST',
    title: 'H-TYPE TTY-0.2-LOCAL, H-CLIENT the terminal device, H-TTY-SESSION 1 (TTY-11; CORE-08..11)',
    async run(ctx) {
      const t = await onTerminal(ctx, { mode: 'echo+stay' });
      const env = t.p.env;
      const want: Record<string, string> = { 'H-TYPE': 'TTY-0.2-LOCAL', 'H-CLIENT': t.device(), 'H-TTY-SESSION': '1' };
      const bad = Object.entries(want).filter(([k, v]) => env[k] !== v);
      ctx.expect(bad.length === 0, Object.entries(want).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' '), () => bad.map(([k]) => `${k}=${JSON.stringify(env[k] ?? null)}`).join(' '));
      ctx.expect(/^[^/\s]+\/\d+\.\d+\.\d+/.test(env['H-VERSION'] ?? ''), 'H-VERSION NAME/x.y.z', () => `H-VERSION=${JSON.stringify(env['H-VERSION'] ?? null)}`);
      const noAlias = Object.keys(env).filter((k) => k.startsWith('H-') && !k.includes('CONFORMANCE') && env[k.replace(/-/g, '_')] !== env[k]);
      ctx.expect(noAlias.length === 0, 'an H_ alias for each', () => noAlias.join(' '));
    },
  },
  {
    id: 'TTY-13',
    level: 'MUST',
    title: 'without --respawn: one session, its output shown, then the daemon exits (CORE-15)',
    async run(ctx) {
      const t = await onTerminal(ctx, { mode: `noread+delay=100+lines=2000+exit=0` });
      const exited = await Promise.race([t.d.exited, sleep(ctx.ms(8000)).then(() => undefined)]);
      ctx.expect(exited !== undefined, 'the daemon to exit after the session', () => 'still running after 8 s');
      ctx.expect(!isRunning(t.p.pid), 'the child gone', () => 'still running');
      const screen = t.screen().replace(/\r\n/g, '\n');
      ctx.expect(screen.endsWith(pattern(2000).toString('latin1')), 'all 2000 bytes of output on the screen, the final partial line included', () => clip(screen.slice(-120)));
    },
  },
];
