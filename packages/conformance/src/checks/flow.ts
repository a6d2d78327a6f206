/** CORE-07 backpressure both ways, with the daemon's memory bounded. */
import type { Check, Ctx } from '../runner.js';
import { sleep, within } from '../runner.js';
import { groupRssKb } from '../proc.js';
import { fresh, session } from './common.js';

const MiB = 1 << 20;
const FLOOD = 32 * MiB;
/** Growth of the daemon's resident memory we accept while 64 MiB wait to move. */
const RSS_BOUND_KB = 32 * 1024;
/** No progress for this long means blocked. */
const STALL_MS = 800;

async function slowClient(ctx: Ctx): Promise<string> {
  const d = await ctx.start({ mode: `noread+stay+flood=${FLOOD}` });
  const base = groupRssKb(d.pid, ctx.dir);
  const c = await d.dial();
  c.pause();
  const [p] = await d.waitSessions(1);
  let last = -1;
  let since = Date.now();
  const deadline = Date.now() + ctx.ms(15_000);
  let peak = base;
  for (;;) {
    const w = fresh(d, p!).outWritten();
    peak = Math.max(peak, groupRssKb(d.pid, ctx.dir));
    if (w.done) ctx.fail('the child to block writing while the client reads nothing', `it wrote all ${FLOOD / MiB} MiB; daemon RSS grew ${((peak - base) / 1024).toFixed(1)} MiB`);
    if (w.n !== last) {
      last = w.n;
      since = Date.now();
    } else if (Date.now() - since > STALL_MS) break;
    if (Date.now() > deadline) ctx.fail('the child to block writing', `still writing after 15 s (${(w.n / MiB).toFixed(1)} MiB)`);
    await sleep(50);
  }
  const grew = peak - base;
  ctx.expect(grew < RSS_BOUND_KB, `daemon RSS growth under ${RSS_BOUND_KB / 1024} MiB`, () => `${(grew / 1024).toFixed(1)} MiB`);
  c.resume();
  const all = await within(() => c.receivedLength() >= FLOOD, ctx.ms(30_000), 50);
  ctx.expect(all, `all ${FLOOD} bytes once the client reads`, () => `${c.receivedLength()} bytes`);
  return `slow client: child blocked after ${(last / MiB).toFixed(1)} of ${FLOOD / MiB} MiB, daemon RSS +${(grew / 1024).toFixed(1)} MiB`;
}

async function childNotReading(ctx: Ctx): Promise<string> {
  const { d, c } = await session(ctx, { mode: 'noread+stay' });
  const base = groupRssKb(d.pid, ctx.dir);
  const chunk = Buffer.alloc(MiB, 'q');
  chunk[chunk.length - 1] = 0x0a;
  let queued = 0;
  let peak = base;
  const deadline = Date.now() + ctx.ms(15_000);
  while (queued < FLOOD) {
    queued += chunk.length;
    if (!c.tryWrite(chunk)) {
      const drained = await Promise.race([c.drained().then(() => true), sleep(STALL_MS).then(() => false)]);
      peak = Math.max(peak, groupRssKb(d.pid, ctx.dir));
      if (!drained) break;
    }
    if (Date.now() > deadline) break;
  }
  const grew = peak - base;
  ctx.expect(queued < FLOOD, 'the daemon to stop reading from the client while the child reads nothing', () => `it took all ${FLOOD / MiB} MiB; RSS +${(grew / 1024).toFixed(1)} MiB`);
  ctx.expect(grew < RSS_BOUND_KB, `daemon RSS growth under ${RSS_BOUND_KB / 1024} MiB`, () => `${(grew / 1024).toFixed(1)} MiB`);
  c.reset();
  return `child not reading: client blocked after ~${queued / MiB} MiB, daemon RSS +${(grew / 1024).toFixed(1)} MiB`;
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
