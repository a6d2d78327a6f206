/** CORE-07 backpressure both ways, with the daemon's memory bounded. */
import type { Check, Ctx } from '../runner.js';
import { sleep, within } from '../runner.js';
import { fresh, session } from './common.js';

const MiB = 1 << 20;
const FLOOD = 32 * MiB;
/** No progress for this long means blocked. */
const STALL_MS = 800;

/** How a binding's backpressure is probed: the daemon's memory growth allowed, and what the
 * client pushes at a child that reads nothing (a WebSocket message must stay under 1 MiB). */
export interface FlowProbe {
  boundKb: number;
  chunk: number;
  push: number;
}

/** Growth of the daemon's resident memory CORE-07 accepts while 32 MiB wait to move each way: the
 * line limit (1 MiB) and the transport's buffers per direction, with room for the allocator (hamelin
 * measured +1 to +6.4 MiB on net, ws and http; a daemon holding 32 MiB per direction fails). */
const CORE_FLOW: FlowProbe = { boundKb: 12 * 1024, chunk: MiB, push: FLOOD };

/** The child writes 32 MiB of lines to a client that reads nothing: it must block with the
 * daemon's memory bounded, and all of it must arrive once the client reads. */
export async function slowClient(ctx: Ctx, f: FlowProbe = CORE_FLOW): Promise<string> {
  const d = await ctx.start({ mode: `noread+stay+flood=${FLOOD}` });
  const base = d.rssKb();
  const c = await d.dial();
  c.pause();
  const [p] = await d.waitSessions(1);
  let last = -1;
  let since = Date.now();
  const deadline = Date.now() + ctx.ms(15_000);
  let peak = base;
  for (;;) {
    const w = fresh(d, p!).outWritten();
    peak = Math.max(peak, d.rssKb());
    if (w.done) ctx.fail('the child to block writing while the client reads nothing', `it wrote all ${FLOOD / MiB} MiB; daemon RSS grew ${((peak - base) / 1024).toFixed(1)} MiB`);
    if (w.n !== last) {
      last = w.n;
      since = Date.now();
    } else if (Date.now() - since > STALL_MS) break;
    if (Date.now() > deadline) ctx.fail('the child to block writing', `still writing after 15 s (${(w.n / MiB).toFixed(1)} MiB)`);
    await sleep(50);
  }
  peak = Math.max(peak, d.rssKb());
  const grew = peak - base;
  ctx.expect(grew < f.boundKb, `daemon RSS growth under ${f.boundKb / 1024} MiB`, () => `${(grew / 1024).toFixed(1)} MiB`);
  c.resume();
  const all = await within(() => c.receivedLength() >= FLOOD, ctx.ms(30_000), 50);
  ctx.expect(all, `all ${FLOOD} bytes once the client reads`, () => `${c.receivedLength()} bytes`);
  return `slow client: child blocked after ${(last / MiB).toFixed(1)} of ${FLOOD / MiB} MiB, daemon RSS +${(grew / 1024).toFixed(1)} MiB`;
}

/** The child reads nothing while the client pushes: the daemon must stop reading the client
 * (its writes stop draining) with its memory bounded. */
export async function childNotReading(ctx: Ctx, f: FlowProbe = CORE_FLOW): Promise<string> {
  const { d, c } = await session(ctx, { mode: 'noread+stay' });
  const base = d.rssKb();
  const chunk = Buffer.alloc(f.chunk, 'q');
  chunk[chunk.length - 1] = 0x0a;
  let queued = 0;
  let peak = base;
  let blocked = false;
  const deadline = Date.now() + ctx.ms(15_000);
  while (queued < f.push && Date.now() < deadline) {
    queued += chunk.length;
    if (!c.tryWrite(chunk)) {
      const drained = await Promise.race([c.drained().then(() => true), sleep(STALL_MS).then(() => false)]);
      peak = Math.max(peak, d.rssKb());
      if (!drained) {
        blocked = true;
        break;
      }
    }
  }
  peak = Math.max(peak, d.rssKb());
  const grew = peak - base;
  ctx.expect(blocked, 'the daemon to stop reading from the client while the child reads nothing', () => `it took ${(queued / MiB).toFixed(0)} MiB; RSS +${(grew / 1024).toFixed(1)} MiB`);
  ctx.expect(grew < f.boundKb, `daemon RSS growth under ${f.boundKb / 1024} MiB`, () => `${(grew / 1024).toFixed(1)} MiB`);
  c.reset();
  return `child not reading: client blocked after ~${(queued / MiB).toFixed(0)} MiB, daemon RSS +${(grew / 1024).toFixed(1)} MiB`;
}

export const flowChecks: Check[] = [
  {
    id: 'CORE-07',
    level: 'MUST',
    title: 'backpressure both ways: slow client blocks the child, non-reading child pauses the client; memory bounded',
    timeoutMs: 45_000,
    async run(ctx) {
      const [a, b] = await Promise.all([slowClient(ctx), childNotReading(ctx)]);
      return `${a}; ${b}`;
    },
  },
];
