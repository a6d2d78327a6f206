/**
 * Hub mode on the tty binding (spec/hub.md; spec/bindings/tty.md TTY-13), opt-in as the other
 * HUB checks are. The daemon's terminal is one client of the shared process, the probe in its
 * `hub` mode (probe-hub.ts), which writes back every line it reads. With a single client the
 * checks are the ones a terminal can show: the hub's environment, when the process starts
 * (--hub-eager, --wait), the process's end told on the terminal with its status as the
 * daemon's, and the terminal leaving after ^D without signalling the process. The HUB MUSTs
 * about several clients are not run on tty: coverage.test.ts lists them with the reason.
 */
import type { Check, Ctx, DaemonRun } from '../runner.js';
import { sleep, within } from '../runner.js';
import type { ProbeRun } from '../probe-report.js';
import type { OptionName } from '../types.js';
import { kill, running } from '../proc.js';
import { b64, clip, eventually, fresh, SETTLE_MS } from './common.js';
import { onTerminal } from './tty.js';

const stdinOf = (d: DaemonRun, p: ProbeRun): string => fresh(d, p).stdin().toString('latin1');
const HUB = { 'hub-broadcast': '' };
/** How long HUB-07's process lives on after its EOF: well inside --kill-after (1 s). */
const LINGER_MS = 400;

/** The daemon's exit, or undefined after `ms`. */
const exitWithin = (d: DaemonRun, ms: number): Promise<{ code: number | null; signal: string | null } | undefined> => Promise.race([d.exited, sleep(ms).then(() => undefined)]);

const hub = (id: string, title: string, needs: OptionName[], run: (ctx: Ctx) => Promise<string>): Check => ({
  id,
  level: 'MUST',
  title,
  bindings: ['tty'],
  needs: needs.includes('hub-addressed') ? needs : ['hub-broadcast', ...needs],
  optIn: 'hub',
  timeoutMs: 40_000,
  run,
});

export const hubTtyChecks: Check[] = [
  hub('HUB-02', "the hub's process has H-TYPE HUB-0.2, H-HUB and H-HUB-ROOM, and none of the terminal's variables", [], async (ctx) => {
    const t = await onTerminal(ctx, { mode: 'hub', options: HUB });
    const env = t.p.env;
    const want: Record<string, string> = { 'H-TYPE': 'HUB-0.2', H_TYPE: 'HUB-0.2', 'H-HUB': 'broadcast', H_HUB: 'broadcast' };
    const bad = Object.entries(want).filter(([k, v]) => env[k] !== v);
    ctx.expect(bad.length === 0, 'H-TYPE=HUB-0.2 H-HUB=broadcast (and the H_ aliases)', () => bad.map(([k]) => `${k}=${JSON.stringify(env[k] ?? null)}`).join(' '));
    ctx.expect(!!env['H-HUB-ROOM'] && env['H-HUB-ROOM'] === env.H_HUB_ROOM, 'H-HUB-ROOM set (the room), with its alias', () => `H-HUB-ROOM=${JSON.stringify(env['H-HUB-ROOM'] ?? null)}`);
    const client = Object.keys(env).filter((k) => /^H[-_](CLIENT|TTY[-_])/.test(k));
    ctx.expect(client.length === 0, "none of the terminal's variables (H-CLIENT, H-TTY-SESSION, H-TTY-ROWS...)", () => client.map((k) => `${k}=${JSON.stringify(env[k])}`).join(' '));
    t.type('hello hub\r');
    await eventually(() => stdinOf(t.d, t.p) === 'hello hub\n', 'the process to read "hello hub"', ctx.ms(5000));
    // The terminal's echo of the line, then the process's copy of it.
    const shown = await within(() => t.screen().includes('hello hub\r\nhello hub\r\n'), ctx.ms(5000));
    ctx.expect(shown, 'the line typed, then the process\'s copy of it, on the screen', () => clip(JSON.stringify(t.screen().slice(-120))));
    return `H-TYPE=HUB-0.2 H-HUB=broadcast H-HUB-ROOM=${clip(env['H-HUB-ROOM']!, 60)}, none of the terminal's variables; a line typed came back`;
  }),

  hub('HUB-03', 'with --wait the process starts with the first line typed; with --hub-eager as well, before it', ['hub-eager', 'wait'], async (ctx) => {
    const d = await ctx.start({ mode: 'hub', options: { ...HUB, wait: '' }, noWait: true });
    await eventually(() => /ptyrun: pid=\d+/.test(d.stderr().toString()), 'the daemon to run on its terminal', ctx.ms(8000));
    const early = await within(() => d.startedPids().length > 0, ctx.ms(SETTLE_MS));
    ctx.expect(!early, 'without --hub-eager, no process before the first line typed (--wait)', () => `${d.startedPids().length} started`);
    d.proc.stdin!.write('first\r');
    const [p] = await d.waitSessions(1, ctx.ms(5000));
    await eventually(() => stdinOf(d, p!) === 'first\n', 'the process started by the first line to read it', ctx.ms(5000));
    const e = await ctx.start({ mode: 'hub', options: { ...HUB, wait: '', 'hub-eager': '' }, noWait: true });
    const started = await within(() => e.sessions().length > 0, ctx.ms(8000));
    ctx.expect(started, 'with --hub-eager, the process to start with the daemon, before the first line typed', () => `${e.startedPids().length} processes 8 s after the daemon started`);
    const [q] = e.sessions();
    e.proc.stdin!.write('eager\r');
    await eventually(() => stdinOf(e, q!) === 'eager\n', 'the process started with the daemon to read the first line', ctx.ms(5000));
    ctx.expect(e.startedPids().length === 1, 'the terminal joins the process started with the daemon (no second one)', () => `${e.startedPids().length} processes`);
    return '--wait: the process started with the first line; --hub-eager: before it, and the terminal joined it';
  }),

  hub('HUB-04', "the process's exit told on the terminal (hamelin: hub ended: exit status N), and the daemon exits with its status", [], async (ctx) => {
    const t = await onTerminal(ctx, { mode: 'hub', options: HUB });
    t.type('!exit 3\r');
    const exit = await exitWithin(t.d, ctx.ms(8000));
    const line = 'hamelin: hub ended: exit status 3';
    await within(() => t.screen().includes(line), ctx.ms(2000));
    ctx.expect(t.screen().trimEnd().endsWith(line), `the line "${line}" last on the screen`, () => clip(JSON.stringify(t.screen().slice(-120))));
    ctx.expect(exit?.code === 3, 'the daemon to exit with the status of the process, 3 (TTY-13)', () => (exit ? `status ${exit.code ?? exit.signal}` : 'still running after 8 s'));
    return `"${line}" shown, the daemon exited 3`;
  }),

  hub('HUB-08', "addressed: the terminal joins as 1 with its H- variables, its lines come as line 1 TEXT, ^D brings leave 1 closed", ['hub-addressed', 'kill-after'], async (ctx) => {
    const t = await onTerminal(ctx, { mode: 'hub=addressed', options: { 'hub-addressed': '', 'kill-after': '1' } });
    const events = (): string[] => stdinOf(t.d, t.p).split('\n');
    const join = await eventually(() => events().find((l) => l === 'join 1' || l.startsWith('join 1 ')), 'the event "join 1 ..."', ctx.ms(5000));
    const words = join.split(' ').slice(2);
    const want = [`H-CLIENT=${t.device()}`, 'H-TTY-SESSION=1', `H-TYPE=${ctx.binding.hType(t.d.addr)}`];
    ctx.expect(want.every((w) => words.includes(w)), `join 1 carries ${want.join(' ')}`, () => clip(join));
    ctx.expect(words.every((w) => /^H-[A-Za-z0-9-]+=[^\s%]*(%[0-9A-F]{2}[^\s%]*)*$/.test(w)), 'join 1: words H-NAME=VALUE, VALUE percent-encoded', () => clip(join));
    // The process writes what it reads as its own line: `1 TEXT` is TEXT for the terminal.
    t.type('1 to me\r');
    await eventually(() => events().includes('line 1 1 to me'), 'the event "line 1 1 to me"', ctx.ms(5000));
    const shown = await within(() => t.screen().includes('1 to me\r\nto me\r\n'), ctx.ms(5000));
    ctx.expect(shown, 'the line typed, then "to me" from the process, on the screen', () => clip(JSON.stringify(t.screen().slice(-120))));
    t.type('\x04');
    const leave = await eventually(() => events().find((l) => l.startsWith('leave 1 ')), 'the event "leave 1 REASON" after ^D and --kill-after', ctx.ms(8000));
    ctx.expect(leave === 'leave 1 closed', 'leave 1 closed', () => leave);
    return `${clip(join, 100)}; "line 1 1 to me" answered "to me"; ^D: ${leave}`;
  }),

  hub('HUB-14', "SIGTERM to the daemon: SIGTERM to the hub's process, its last line shown, then its end, and the daemon exits", [], async (ctx) => {
    const t = await onTerminal(ctx, { mode: `hub+stay+termsay=${b64('last words\n')}`, options: HUB });
    t.type('ready\r');
    await eventually(() => stdinOf(t.d, t.p) === 'ready\n', 'the process to read "ready"', ctx.ms(5000));
    kill(t.daemonPid(), 'SIGTERM');
    const sig = await within(() => fresh(t.d, t.p).firstSignal('SIGTERM') !== undefined, ctx.ms(5000));
    ctx.expect(sig, "SIGTERM to the hub's process at the daemon's shutdown", () => fresh(t.d, t.p).signals().map((s) => s.sig).join(', ') || 'no signal');
    const exit = await exitWithin(t.d, ctx.ms(8000));
    ctx.expect(exit !== undefined, 'the daemon to exit once its hub has ended', () => 'still running after 8 s');
    const tail = t.screen().trimEnd().split('\r\n').slice(-2);
    const want = ['last words', 'hamelin: hub ended: exit status 0'];
    ctx.expect(tail.join('|') === want.join('|'), `the process's last line, then its end, last on the screen: ${JSON.stringify(want)}`, () => clip(JSON.stringify(t.screen().slice(-120))));
    return `SIGTERM to the process; "last words", then "${want[1]}"; the daemon exited ${exit?.code ?? exit?.signal}`;
  }),

  hub('HUB-07', "after ^D and --kill-after the terminal leaves, told so; the shared process gets its end of input, is not signalled, and has ended when the daemon exits 0", ['kill-after'], async (ctx) => {
    // The process outlives its end of input by LINGER_MS: a daemon that exits without waiting
    // for it is seen doing so, and one whose helper then ends it, signalling it.
    const t = await onTerminal(ctx, { mode: `hub+linger=${LINGER_MS}`, options: { ...HUB, 'kill-after': '1' } });
    t.type('still here\r');
    await eventually(() => stdinOf(t.d, t.p) === 'still here\n', 'the process to read "still here"', ctx.ms(5000));
    const pid = t.daemonPid();
    t.type('\x04');
    // Looked at the moment the daemon is gone: ptyrun tells its exit only once every process has
    // closed the terminal, the shared one included.
    const gone = await within(() => !running(pid), ctx.ms(8000), 5);
    const endedFirst = !gone || fresh(t.d, t.p).exit() !== undefined;
    const exit = await exitWithin(t.d, ctx.ms(3000));
    ctx.expect(endedFirst, `the process, given its end of input, to have ended (${LINGER_MS} ms after it) before the daemon exits`, () => (fresh(t.d, t.p).eof() ? 'the daemon exited while the process was still running after its EOF' : 'the daemon exited before the process had its EOF'));
    const line = 'hamelin: closed: end of input';
    ctx.expect(t.screen().trimEnd().endsWith(line), `the line "${line}" last on the screen`, () => clip(JSON.stringify(t.screen().slice(-120))));
    ctx.expect(exit?.code === 0, 'the daemon to exit 0 once the terminal left (TTY-13)', () => (exit ? `status ${exit.code ?? exit.signal}` : 'still running after 8 s'));
    const sig = await within(() => fresh(t.d, t.p).signals().length > 0, ctx.ms(SETTLE_MS));
    ctx.expect(!sig, 'no signal to the shared process when the terminal leaves', () => fresh(t.d, t.p).signals().map((s) => s.sig).join(', '));
    return `^D: "${line}"; the process ended on its end of input, unsignalled, before the daemon exited 0`;
  }),
];
