/**
 * OPS-04 health and OPS-05 drain (spec/operations.md): the operations promises another
 * implementation can share. They need the daemon's admin endpoint ({admin} in DAEMON ARGV) or
 * its drain signal (--drain-signal), so they are opt-in: asked for without either, they are
 * skipped with the reason (and --strict fails them).
 */
import type { Check, Ctx, DaemonRun } from '../runner.js';
import { sleep } from '../runner.js';
import { adminRequest, showReply, wantsAdmin, type AdminReply } from '../admin-client.js';
import { pattern } from '../pattern.js';
import { descendants, kill, running } from '../proc.js';
import type { Conn } from '../types.js';
import type { ProbeRun } from '../probe-report.js';
import { b64, eventually, expectNoMoreStarted, outputIs, pingEcho, showOutput, within } from './common.js';

/** Where a client's session starts with its connection and an admin endpoint makes sense
 * (hamelin-tty refuses --admin; an IRC bot has no listener to close). */
const OPS_BINDINGS = ['net', 'unix', 'ws', 'http'];

const NO_ADMIN = 'needs the admin endpoint: put {admin} (HOST:PORT) or {admin-port} in DAEMON ARGV, e.g. --admin {admin}';

const health = (ctx: Ctx, d: DaemonRun): Promise<AdminReply | Error> => adminRequest(d.addr, 'GET', '/healthz', ctx.ms(3000)).catch((e: Error) => e);
const isOk = (r: AdminReply | Error): boolean => !(r instanceof Error) && r.status === 200 && r.body.trim() === 'ok';
const isDraining = (r: AdminReply | Error): boolean => !(r instanceof Error) && r.status === 503 && ['draining', 'stopping'].includes(r.body.trim());

/** Start a drain the way the user said: their signal, or POST /drain (which must answer 202). */
async function startDrain(ctx: Ctx, d: DaemonRun): Promise<string> {
  const sig = ctx.config.drainSignal;
  if (sig) {
    d.signal(sig);
    return sig;
  }
  const r = await adminRequest(d.addr, 'POST', '/drain', ctx.ms(3000)).catch((e: Error) => e);
  ctx.expect(!(r instanceof Error) && r.status === 202, 'POST /drain answered 202', () => showReply(r));
  return 'POST /drain (202)';
}

/** Wait until the drain shows: /healthz stops answering 200, or without an admin endpoint the
 * listener closes. Asserts nothing (OPS-04 judges /healthz): a daemon that never shows it is
 * judged by what follows. */
async function drainShows(ctx: Ctx, d: DaemonRun): Promise<void> {
  const deadline = Date.now() + ctx.ms(3000);
  while (Date.now() < deadline) {
    if (wantsAdmin(ctx.config.daemon) ? !isOk(await health(ctx, d)) : !ctx.binding.listening(d.addr, d.pid)) return;
    await sleep(25);
  }
}

const health04: Check = {
  id: 'OPS-04',
  level: 'MUST',
  title: 'GET /healthz on the admin endpoint: 200 ok while accepting, 503 draining/stopping from the start of a drain',
  bindings: OPS_BINDINGS,
  optIn: 'ops',
  async run(ctx) {
    if (!wantsAdmin(ctx.config.daemon)) ctx.skip(NO_ADMIN);
    const d = await ctx.start({ mode: 'echo' });
    // A live session, so that the drain lasts while /healthz is asked.
    const c = await d.dial();
    await pingEcho(ctx, c);
    const before = await health(ctx, d);
    ctx.expect(isOk(before), 'GET /healthz: 200 "ok" while accepting', () => showReply(before));
    const how = await startDrain(ctx, d);
    let first = await health(ctx, d);
    if (ctx.config.drainSignal) {
      // A signal is handled when the daemon gets to it: the first answer that is not 200 counts.
      const deadline = Date.now() + ctx.ms(3000);
      while (isOk(first) && Date.now() < deadline) first = await sleep(25).then(() => health(ctx, d));
    }
    const after = [first, ...(await Promise.all([1, 2].map(() => health(ctx, d))))];
    ctx.expect(after.every(isDraining), `GET /healthz after ${how}${ctx.config.drainSignal ? '' : ' was answered'}: 503 "draining" or "stopping", every time`, () => after.map(showReply).join(', '));
    ctx.expect(d.startedPids().length === 1, 'no process started by /healthz or /drain (1 session)', () => `${d.startedPids().length} processes`);
    return `before: ${showReply(before)}; after ${how}: ${after.map(showReply).join(', ')}`;
  },
};

/** A live session of OPS-05: its connection, its probe, and what it must receive in full. */
interface Live {
  name: string;
  c: Conn;
  p: ProbeRun;
  want: Buffer;
}

const BYE = Buffer.concat([pattern(3000), Buffer.from('\nbye\n')]);

/** End a session from outside the daemon: the check's own SIGTERM, on which the probe writes
 * BYE and exits 0 (termsay). Resolves with the time it was sent. */
async function endSession(ctx: Ctx, d: DaemonRun, s: Live): Promise<number> {
  const at = Date.now();
  kill(s.p.pid, 'SIGTERM');
  await eventually(() => outputIs(ctx, s.c, s.want), `session ${s.name}'s output in full (${s.want.length} bytes) after its child ended`, ctx.ms(5000)).catch(() =>
    ctx.fail(`session ${s.name}'s output in full: ${s.want.length} bytes ending in "bye"`, showOutput(ctx, s.c)),
  );
  await eventually(() => !running(s.p.pid), `session ${s.name}'s child to end`, ctx.ms(3000));
  // All its output is in: the client goes, as a client would (the daemon need not linger).
  s.c.close();
  return at;
}

const drain05: Check = {
  id: 'OPS-05',
  level: 'MUST',
  title: 'drain: no new client, live sessions run to their end with all their output, then exit 0 with no process left',
  bindings: OPS_BINDINGS,
  optIn: 'ops',
  timeoutMs: 40_000,
  async run(ctx) {
    if (!wantsAdmin(ctx.config.daemon) && !ctx.config.drainSignal) ctx.skip(`needs a way to start a drain: --drain-signal SIG, or ${NO_ADMIN} (POST /drain)`);
    const d = await ctx.start({ mode: `termsay=${b64(BYE)}` });
    const live: Live[] = [];
    for (const name of ['A', 'B']) {
      const c = await d.dial();
      await pingEcho(ctx, c, `${name}1\n`);
      const p = await eventually(() => d.sessions().find((x) => x.stdin().toString().startsWith(`${name}1\n`)), `session ${name}'s probe`, ctx.ms(5000));
      live.push({ name, c, p, want: Buffer.concat([Buffer.from(`${name}1\n${name}2\n`), BYE]) });
    }
    const tree = descendants(d.pid);
    const how = await startDrain(ctx, d);
    await drainShows(ctx, d);

    // No new client: refused, or connected but never given a session.
    const late = await d.dial().catch((e: Error) => e);
    let lateSeen = late instanceof Error ? `a new client refused (${late.message})` : 'a new client connected';
    if (!(late instanceof Error)) {
      lateSeen += `, ${await expectNoMoreStarted(ctx, d, 2, 'no session for a client that connects after the drain began')}`;
      late.close();
    }

    // The live sessions still run and echo.
    for (const s of live) {
      await pingEcho(ctx, s.c, `${s.name}2\n`).catch(() => ctx.fail(`session ${s.name} still echoes after ${how}`, showOutput(ctx, s.c)));
    }
    ctx.expect(d.exitInfo === undefined, 'the daemon still running while 2 sessions are live', () => `exit ${d.exitInfo!.code ?? d.exitInfo!.signal}`);

    const [a, b] = live as [Live, Live];
    const endA = await endSession(ctx, d, a);
    const early = await within(() => d.exitInfo !== undefined, ctx.ms(500));
    ctx.expect(!early, 'the daemon still running while session B is live', () => `exit ${d.exitInfo!.code ?? d.exitInfo!.signal} after session A ended`);
    const endB = await endSession(ctx, d, b);
    const ex = await Promise.race([d.exited, sleep(ctx.ms(5000)).then(() => undefined)]);
    ctx.expect(ex !== undefined && ex.code === 0, 'exit status 0 within 5 s of the last session ending', () => (ex ? `exit ${ex.code ?? ex.signal}` : 'still running'));

    // Live sessions are not signalled: the only signal each child got is the check's own.
    for (const [s, at] of [[a, endA], [b, endB]] as const) {
      const before = (d.probe(s.p.pid)?.signals() ?? []).filter((x) => x.t < at);
      ctx.expect(before.length === 0, `no signal to session ${s.name}'s child during the drain`, () => before.map((x) => x.sig).join(', '));
    }

    // No process left: everything the daemon had started has ended.
    const left = await within(() => tree.every((pid) => !running(pid)), ctx.ms(3000)).then(() => tree.filter(running));
    ctx.expect(left.length === 0, 'no process of the daemon left once it exited', () => `still running: ${left.join(', ')}`);
    return `${how}: ${lateSeen}; both sessions echoed and got their ${a.want.length} bytes; exit 0 ${ex!.at - endB} ms after the last ended; ${tree.length} processes, none left`;
  },
};

export const opsChecks: Check[] = [health04, drain05];
