/** CORE-20 --max-clients refuses with a line; CORE-21 --idle-timeout; CORE-25 --timeout. */
import type { Check } from '../runner.js';
import { within } from '../runner.js';
import { b64, clip, expectNoMoreStarted, fresh, howClosed, pingEcho, session, showOutput, signalsOf, waitSignal } from './common.js';

export const limitChecks: Check[] = [
  {
    id: 'CORE-20',
    level: 'SHOULD',
    title: 'a client over --max-clients is refused with a line, not queued',
    needs: ['max-clients'],
    async run(ctx) {
      const d = await ctx.start({ mode: 'echo+stay', options: { 'max-clients': '2' } });
      const a = await d.dial();
      const b = await d.dial();
      await pingEcho(ctx, a);
      await pingEcho(ctx, b);
      const before = d.startedPids().length;
      ctx.expect(before === 2, 'two processes for the two clients within the limit', () => `${before}`);
      let c;
      try {
        c = await d.dial();
      } catch (e) {
        // A binding may refuse before its handshake (HTTP 503 before a WebSocket upgrade).
        const counted = await expectNoMoreStarted(ctx, d, 2, 'no third process');
        return `refused at the handshake: ${(e as Error).message}; ${counted}`;
      }
      const closed = await within(() => c.endedAt() !== undefined || c.error() !== undefined, ctx.ms(3000));
      const said = c.received().toString();
      ctx.expect(closed && said.trim() !== '', 'the third client to get a line and be closed within 3 s', () => `${closed ? 'closed' : 'still open'} (${howClosed(c)}), got ${clip(said)}`);
      const counted = await expectNoMoreStarted(ctx, d, 2, 'no third process');
      return `refused with ${clip(said.trim(), 100)}; ${counted}`;
    },
  },
  {
    id: 'CORE-21',
    level: 'SHOULD',
    title: '--idle-timeout ends a quiet session with SIGTERM',
    needs: ['idle-timeout'],
    async run(ctx) {
      const idle = 3;
      const { d, c, p } = await session(ctx, { mode: 'echo+stay', options: { 'idle-timeout': String(idle) } });
      await pingEcho(ctx, c).catch(() => undefined);
      const t = await waitSignal(d, p.pid, ctx.ms((idle + 4) * 1000));
      // Quiet since the child's last read, or its start: its own clock, not this busy process's.
      const run = fresh(d, p);
      const quietFrom = run.events.filter((e) => e.e === 'in').pop()?.t ?? run.startedAt;
      ctx.expect(t !== undefined, `SIGTERM after ${idle} s without traffic`, () => signalsOf(d, p.pid));
      ctx.expect(t! - quietFrom >= idle * 500, 'no SIGTERM long before the timeout', () => `SIGTERM after ${t! - quietFrom} ms`);
      return `SIGTERM after ${t! - quietFrom} ms idle (--idle-timeout ${idle})`;
    },
  },
  {
    id: 'CORE-25',
    level: 'SHOULD',
    title: '--timeout ends a busy session with SIGTERM; what the child writes after it still arrives',
    needs: ['timeout'],
    async run(ctx) {
      const limit = 2;
      const last = 'after-the-timeout';
      const d = await ctx.start({ mode: `echo+stay+termsay=${b64(`${last}\n`)}`, options: { timeout: String(limit) } });
      // The session cannot start before the client connects: the clock starts here, not at
      // the probe's own start, which a loaded machine can delay by a second.
      const connectedAt = Date.now();
      const c = await d.dial();
      const [p] = await d.waitSessions(1, ctx.ms(5000));
      await pingEcho(ctx, c);
      const t = await waitSignal(d, p!.pid, ctx.ms((limit + 4) * 1000));
      ctx.expect(t !== undefined, `SIGTERM ${limit} s after the session started`, () => signalsOf(d, p!.pid));
      const after = t! - connectedAt;
      ctx.expect(after >= limit * 1000 - 50, 'no SIGTERM before the timeout', () => `SIGTERM ${after} ms after the client connected`);
      const got = await within(() => c.received().includes(last), ctx.ms(3000));
      ctx.expect(got, `the line the child wrote after the SIGTERM (${last})`, () => `${showOutput(ctx, c)}, ${howClosed(c)}`);
      return `SIGTERM ${after} ms after connecting (--timeout ${limit}), the last line delivered`;
    },
  },
];
