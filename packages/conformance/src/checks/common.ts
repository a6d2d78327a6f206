/** Small helpers the checks share. */
import type { Ctx, DaemonRun, StartSpec } from '../runner.js';
import { clip, eventually, isRunning, within } from '../runner.js';
import type { ProbeRun } from '../probe-report.js';
import type { Conn } from '../types.js';

export { clip, eventually, isRunning, within };

export const b64 = (s: string | Buffer): string => Buffer.from(s).toString('base64url');

/** Start a daemon, connect one client, and wait for its probe. */
export async function session(ctx: Ctx, spec: StartSpec = {}): Promise<{ d: DaemonRun; c: Conn; p: ProbeRun }> {
  const d = await ctx.start(spec);
  const c = await d.dial();
  const [p] = await d.waitSessions(1, ctx.ms(5000));
  return { d, c, p: p! };
}

/** Send one line and wait for its echo: proves the session is live. */
export async function pingEcho(ctx: Ctx, c: Conn, line = 'ping\n'): Promise<void> {
  const before = c.received().length;
  await c.write(line);
  await c.waitFor((b) => b.subarray(before).includes(line), `the echo of ${JSON.stringify(line)}`, ctx.ms(3000));
}

/** The probe run re-read (reports grow while the check runs). */
export function fresh(d: DaemonRun, p: ProbeRun): ProbeRun {
  return d.probe(p.pid) ?? p;
}

/** Wait until the probe has recorded a signal; resolves with its time or undefined. */
export async function waitSignal(d: DaemonRun, pid: number, timeoutMs: number, sig = 'SIGTERM'): Promise<number | undefined> {
  let at: number | undefined;
  await within(() => (at = d.probe(pid)?.firstSignal(sig)) !== undefined, timeoutMs);
  return at;
}

export function signalsOf(d: DaemonRun, pid: number): string {
  const s = d.probe(pid)?.signals() ?? [];
  return s.length ? [...new Set(s.map((x) => x.sig))].join(', ') : 'no signal';
}

export function grandchild(d: DaemonRun): ProbeRun | undefined {
  return d.probes().find((p) => p.isGrandchild);
}

export async function waitGrandchild(ctx: Ctx, d: DaemonRun): Promise<ProbeRun> {
  return eventually(() => grandchild(d), 'the grandchild probe to start', ctx.ms(5000));
}

/** How long a child the daemon started by mistake gets to show up, before "nothing was
 * started" is believed: a process started the moment before a refusal is still loading then. */
export const SETTLE_MS = 1500;

/**
 * After a refusal: poll the sessions started (reported probes and probe processes still loading)
 * until the settle deadline, and expect exactly `n` (the ones before the refusal). Fails as soon
 * as one more appears.
 */
export async function expectNoMoreStarted(ctx: Ctx, d: DaemonRun, n: number, what: string): Promise<string> {
  let seen = d.startedPids().length;
  await within(() => (seen = Math.max(seen, d.startedPids().length)) > n, ctx.ms(SETTLE_MS), 25);
  ctx.expect(seen === n, `${what}: ${n} process${n === 1 ? '' : 'es'} before and ${ctx.ms(SETTLE_MS)} ms after the refusal`, () => `${seen} after it`);
  return `${n} process${n === 1 ? '' : 'es'} before the refusal, ${seen} after ${ctx.ms(SETTLE_MS)} ms`;
}

/** Connection end as text, for evidence. */
export function howClosed(c: Conn): string {
  const e = c.error();
  if (c.closeFrame) {
    const f = c.closeFrame();
    return `${f ? `close frame ${f.code}${f.reason ? ` ${JSON.stringify(f.reason)}` : ''}` : 'no close frame'}${e ? `, error ${e}` : ''}`;
  }
  return `${c.endedAt() ? 'FIN received' : 'no FIN'}${e ? `, error ${e}` : ''}`;
}

export function showBytes(b: Buffer, n = 120): string {
  return `${b.length} bytes ${clip(b.toString('latin1'), n)}`;
}

/** Bytes as a message binding carries them: one element per line, without its newline, and a
 * final partial line as the last element. */
export function linesOf(b: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (let i = b.indexOf(0x0a); i >= 0; i = b.indexOf(0x0a, start)) {
    out.push(b.subarray(start, i));
    start = i + 1;
  }
  if (start < b.length) out.push(b.subarray(start));
  return out;
}

/** Did the client receive exactly `want` (stream), or exactly its lines as messages (message)? */
export function outputIs(ctx: Ctx, c: Conn, want: Buffer): boolean {
  if (ctx.binding.framing === 'stream' || !c.messages) return c.received().equals(want);
  const got = c.messages();
  const lines = linesOf(want);
  return got.length === lines.length && got.every((m, i) => m.equals(lines[i]!));
}

/** What the client received, for evidence. */
export function showOutput(ctx: Ctx, c: Conn, n = 120): string {
  if (ctx.binding.framing === 'stream' || !c.messages) return showBytes(c.received(), n);
  const m = c.messages();
  return `${m.length} messages ${clip(m.slice(0, 4).map((x) => x.toString('latin1')).join(' | '), n)}`;
}

/** The child's environment has each of these variables, each H- one also as its H_ alias. */
export function expectVars(ctx: Ctx, env: Record<string, string>, want: Record<string, string>): void {
  const alias = (k: string): string => k.replace(/-/g, '_');
  const bad = Object.entries(want).filter(([k, v]) => env[k] !== v || (k.startsWith('H-') && env[alias(k)] !== v));
  const show = (k: string): string => `${k}=${JSON.stringify(env[k] ?? null)}${k.startsWith('H-') ? ` ${alias(k)}=${JSON.stringify(env[alias(k)] ?? null)}` : ''}`;
  ctx.expect(bad.length === 0, Object.entries(want).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ') + ' (and the H_ aliases)', () => bad.map(([k]) => show(k)).join(' '));
}

/** The child's H- variables (not the suite's own) whose H_ alias is missing or differs (CORE-11). */
export function aliasMismatches(env: Record<string, string>): string[] {
  return Object.keys(env).filter((k) => k.startsWith('H-') && !k.includes('CONFORMANCE') && env[k.replace(/-/g, '_')] !== env[k]);
}
