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
      ctx.expect(closed && said.includes('\n'), 'the third client to get a line and be closed within 3 s', () => `${closed ? 'closed' : 'still open'} (${howClosed(c)}), got ${clip(said)}`);
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
      const { d, c, p } = await session(ctx, { mode: 'echo+stay', options: { 'idle-timeout': '2' } });
      await pingEcho(ctx, c);
      // Quiet from the child's last read (its own clock), not from when this busy process saw the echo.
      const quietFrom = fresh(d, p).events.filter((e) => e.e === 'in').pop()?.t ?? Date.now();
      const t = await waitSignal(d, p.pid, ctx.ms(6000));
      ctx.expect(t !== undefined, 'SIGTERM after 2 s without traffic', () => signalsOf(d, p.pid));
      ctx.expect(t! - quietFrom >= 1200, 'no SIGTERM before the timeout', () => `SIGTERM after ${t! - quietFrom} ms`);
      return `SIGTERM after ${t! - quietFrom} ms idle (--idle-timeout 2)`;
    },
  },
];
