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

/** Connection end as text, for evidence. */
export function howClosed(c: Conn): string {
  const e = c.error();
  return `${c.endedAt() ? 'FIN received' : 'no FIN'}${e ? `, error ${e}` : ''}`;
}

export function showBytes(b: Buffer, n = 120): string {
  return `${b.length} bytes ${clip(b.toString('latin1'), n)}`;
}
