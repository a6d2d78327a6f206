/** The child ending: CORE-15 all output then a graceful close, leftovers terminated; NET-04
 * half-close; NET-07 FIN after all output while the client still sends. */
import type { Check } from '../runner.js';
import { sleep } from '../runner.js';
import { pattern } from '../pattern.js';
import { eventually, howClosed, outputIs, session, showBytes, showOutput, signalsOf, waitGrandchild, waitSignal } from './common.js';

const OUT = 300_000; // bytes of output, ending in a partial line

export const exitChecks: Check[] = [
  {
    id: 'CORE-15',
    level: 'MUST',
    title: 'child exits => every byte delivered, then a graceful close; leftover group members terminated',
    async run(ctx) {
      const want = pattern(OUT);
      const { d, c } = await session(ctx, { mode: `noread+grandchild+delay=200+lines=${OUT}+exit=0` });
      const gc = await waitGrandchild(ctx, d);
      await eventually(() => c.endedAt() ?? c.error(), 'the connection to end', ctx.ms(5000)).catch(() => undefined);
      ctx.expect(outputIs(ctx, c, want), `all ${OUT} bytes the child wrote`, () => `${showOutput(ctx, c, 60)}, ${howClosed(c)}`);
      ctx.expect(c.endedAt() !== undefined && c.error() === undefined, 'a graceful close (TCP: FIN, no reset; WebSocket: a close frame)', () => howClosed(c));
      const t = await waitSignal(d, gc.pid, ctx.ms(3000));
      ctx.expect(t !== undefined, 'SIGTERM to the grandchild left in the group', () => `grandchild ${gc.pid}: ${signalsOf(d, gc.pid)}`);
      return `${OUT} bytes, ${howClosed(c)}, grandchild got SIGTERM`;
    },
  },
  {
    id: 'NET-04',
    level: 'MUST',
    title: 'client half-close (FIN) => EOF on stdin, output still delivered (cat file | nc to sort)',
    async run(ctx) {
      const { c } = await session(ctx, { mode: 'sort' });
      await c.write('pear\napple\nfig\n');
      c.halfClose();
      await eventually(() => c.endedAt() ?? c.error(), 'the connection to end', ctx.ms(5000)).catch(() => undefined);
      const got = c.received().toString();
      ctx.expect(got === 'apple\nfig\npear\n', 'the sorted lines after the half-close, then FIN', () => `${JSON.stringify(got)}, ${howClosed(c)}`);
    },
  },
  {
    id: 'NET-07',
    level: 'MUST',
    title: 'after the child exits: FIN after all output, unread client input discarded (no RST)',
    async run(ctx) {
      const want = pattern(OUT);
      const { c } = await session(ctx, { mode: `noread+delay=300+lines=${OUT}+exit=0` });
      // Keep sending what the child never reads until the daemon's FIN arrives.
      const chunk = Buffer.alloc(16384, 'u');
      const deadline = Date.now() + ctx.ms(6000);
      let sent = 0;
      while (c.endedAt() === undefined && c.error() === undefined && Date.now() < deadline) {
        if (c.tryWrite(chunk)) sent += chunk.length;
        else await Promise.race([c.drained(), sleep(20)]);
        await sleep(2);
      }
      // NET-07: after its FIN the daemon still reads and drops what the client sends (for about
      // 2 s, or until the client closes), so these writes must not meet a reset.
      const finAt = c.endedAt();
      const after = Date.now() + 300;
      while (finAt !== undefined && c.error() === undefined && Date.now() < after) {
        c.tryWrite(chunk);
        await sleep(20);
      }
      await sleep(50);
      const got = c.received();
      ctx.expect(got.equals(want), `all ${OUT} bytes while the client kept sending (${sent} unread bytes sent)`, () => `${showBytes(got, 60)}, ${howClosed(c)}`);
      ctx.expect(c.endedAt() !== undefined && c.error() === undefined, 'FIN, and no reset while the client still sends for 300 ms after it', () => howClosed(c));
      c.halfClose();
      const closed = await Promise.race([c.closed.then(() => true), sleep(ctx.ms(4000)).then(() => false)]);
      ctx.expect(closed, 'the daemon to close once the client closes too', () => 'still open after 4 s');
      ctx.expect(c.error() === undefined, 'no reset at the end', () => howClosed(c));
      return `${OUT} bytes and FIN while ${sent} unread bytes were sent`;
    },
  },
];
