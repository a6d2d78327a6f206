/** CORE-20 --max-clients refuses with a line; CORE-21 --idle-timeout. */
import type { Check } from '../runner.js';
import { within } from '../runner.js';
import { clip, fresh, howClosed, pingEcho, session, signalsOf, waitSignal } from './common.js';

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
      let c;
      try {
        c = await d.dial();
      } catch (e) {
        // A binding may refuse before its handshake (HTTP 503 before a WebSocket upgrade).
        ctx.expect(d.sessions().length === 2, 'no third process', () => `${d.sessions().length} processes`);
        return `refused at the handshake: ${(e as Error).message}`;
      }
      const closed = await within(() => c.endedAt() !== undefined || c.error() !== undefined, ctx.ms(3000));
      const said = c.received().toString();
      ctx.expect(closed && said.trim() !== '', 'the third client to get a line and be closed within 3 s', () => `${closed ? 'closed' : 'still open'} (${howClosed(c)}), got ${clip(said)}`);
      ctx.expect(d.sessions().length === 2, 'no third process', () => `${d.sessions().length} processes`);
      return `refused with ${clip(said.trim(), 100)}`;
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
];
