/**
 * Hub mode (spec/hub.md) at scale, driven by bench/hubgen.c:
 * - memory with 10,000 idle WebSocket clients: hamelin-ws --hub broadcast (one `cat` for all)
 *   beside websocketd serving the same 10,000 clients with 10,000 `cat` processes (its only way);
 *   RSS and PSS of each daemon's whole tree, the children included this time, since one process
 *   against ten thousand is the point;
 * - fan-out: one line from one client until all 10,000 have it, p50 and p99 over repeated lines;
 * - fan-in: lines per second from 1,000 clients into one process (a python3 that counts them).
 * websocketd has no shared process, so the fan-out and fan-in rows have no peer figure.
 */
import { execFile, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { BenchRow, Suite } from '../types.js';
import { BENCH_DIR, log, ROOT, startDaemon, treeMemory, which, type RunningDaemon } from '../lib.js';

const execFileP = promisify(execFile);
const QUICK = process.env.BENCH_QUICK === '1';
const IDLE = QUICK ? 1000 : 10_000;
const ROUNDS = QUICK ? 20 : 100;
const FANIN_CLIENTS = QUICK ? 100 : 1000;
const FANIN_LINES = QUICK ? 20 : 100;

/** Says "done" once it has read argv[1] lines. */
const COUNTER = 'import sys\nn = int(sys.argv[1])\nfor i, _ in enumerate(sys.stdin, 1):\n    if i == n:\n        print("done", flush=True)\n';

const HAMELIN_WS = join(ROOT, 'packages', 'ws', 'bin', 'hamelin-ws.js');

let hubgenPath: Promise<string> | undefined;
function hubgen(): Promise<string> {
  hubgenPath ??= (async () => {
    const out = join(BENCH_DIR, 'dist', 'hubgen');
    mkdirSync(join(BENCH_DIR, 'dist'), { recursive: true });
    await execFileP(which('cc') ?? 'gcc', ['-O2', '-o', out, join(BENCH_DIR, 'hubgen.c')]);
    return out;
  })();
  return hubgenPath;
}

interface Held {
  opened: Record<string, number>;
  fanout(rounds: number): Promise<Record<string, number>>;
  release(): Promise<void>;
}

/** hubgen ws-hold: N connections held open until release(). */
async function hold(port: number, n: number): Promise<Held> {
  const p = spawn(await hubgen(), ['ws-hold', '127.0.0.1', String(port), String(n)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: p.stdout! })[Symbol.asyncIterator]();
  const next = async (): Promise<Record<string, number>> => {
    const r = await lines.next();
    if (r.done) throw new Error('hubgen ended early');
    return JSON.parse(r.value) as Record<string, number>;
  };
  const opened = await next();
  if (opened.open !== n) throw new Error(`${opened.open} of ${n} connections opened`);
  return {
    opened,
    fanout: async (rounds) => {
      p.stdin!.write(`fanout ${rounds}\n`);
      return next();
    },
    release: async () => {
      p.stdin!.end();
      await new Promise((r) => p.once('exit', r));
    },
  };
}

function memory(d: RunningDaemon): { rss: number; pss: number; processes: number } {
  const m = treeMemory(d.proc.pid!, []);
  return { rss: m.rssMiB, pss: m.pssMiB, processes: m.processes };
}

const suite: Suite = async () => {
  const f: Record<string, Record<string, number | null>> = { hamelin: {}, websocketd: {} };
  // hamelin-ws, one hub: idle memory, then fan-out over the same 10,000.
  {
    const d = await startDaemon('hamelin', (p) => [HAMELIN_WS, '--quiet', '--hub', 'broadcast', '--max-clients', String(IDLE + 100), '--host', '127.0.0.1', '--port', String(p), 'cat']);
    try {
      const h = await hold(d.port, IDLE);
      const m = memory(d);
      log(`hamelin-ws --hub: ${IDLE} idle in ${h.opened.setup_ms} ms: RSS ${m.rss.toFixed(1)} MiB, PSS ${m.pss.toFixed(1)} MiB, ${m.processes} processes`);
      f.hamelin!.idle_rss = m.rss;
      f.hamelin!.idle_pss = m.pss;
      f.hamelin!.procs = m.processes;
      const r = await h.fanout(ROUNDS);
      log(`hamelin-ws --hub fan-out to ${IDLE}: ${JSON.stringify(r)}`);
      if (r.rounds === ROUNDS) {
        f.hamelin!.fan_p50 = r.p50_ms!;
        f.hamelin!.fan_p99 = r.p99_ms!;
      }
      await h.release();
    } finally {
      await d.stop();
    }
  }
  {
    const d = await startDaemon('hamelin', (p) => [
      HAMELIN_WS, '--quiet', '--hub', 'broadcast', '--max-clients', String(FANIN_CLIENTS + 100), '--host', '127.0.0.1', '--port', String(p),
      // Not awk: Debian's mawk reads its input in blocks and would sit on the last lines.
      'python3', '-c', COUNTER, String(FANIN_CLIENTS * FANIN_LINES),
    ]);
    try {
      const { stdout } = await execFileP(await hubgen(), ['ws-fanin', '127.0.0.1', String(d.port), String(FANIN_CLIENTS), String(FANIN_LINES)], { timeout: 180_000 });
      const r = JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, number>;
      log(`hamelin-ws --hub fan-in: ${JSON.stringify(r)}`);
      if (r.done === 1) f.hamelin!.fanin = r.lines_per_s!;
    } finally {
      await d.stop();
    }
  }
  // websocketd: the same 10,000 clients, a `cat` each.
  if (which('websocketd')) {
    const d = await startDaemon('websocketd', (p) => ['websocketd', '--address', '127.0.0.1', '--port', String(p), '--loglevel', 'error', '--maxforks', String(IDLE + 100), 'cat']);
    try {
      const h = await hold(d.port, IDLE);
      // It forks after the handshake: wait for every child, or until their number has not
      // grown for 5 s (90 s at most), before measuring; the row shows how many there were.
      const until = Date.now() + 90_000;
      let last = 0;
      let steadySince = Date.now();
      for (;;) {
        const n = memory(d).processes;
        if (n > last) [last, steadySince] = [n, Date.now()];
        if (n >= IDLE + 1 || Date.now() - steadySince > 5000 || Date.now() > until) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      const m = memory(d);
      log(`websocketd: ${IDLE} idle in ${h.opened.setup_ms} ms: RSS ${m.rss.toFixed(1)} MiB, PSS ${m.pss.toFixed(1)} MiB, ${m.processes} processes`);
      f.websocketd!.idle_rss = m.rss;
      f.websocketd!.idle_pss = m.pss;
      f.websocketd!.procs = m.processes;
      await h.release();
    } catch (e) {
      log(`websocketd with ${IDLE} clients failed: ${(e as Error).message}`);
    } finally {
      await d.stop();
    }
  } else log('websocketd is not installed: its column stays empty');
  const row = (key: string, metric: string, unit: string, higherIsBetter: boolean, note: string): BenchRow => ({
    group: 'hub',
    metric,
    unit,
    higherIsBetter,
    hamelin: f.hamelin![key] ?? null,
    peers: { websocketd: f.websocketd![key] ?? null },
    note,
  });
  return [
    row('idle_pss', `${IDLE} idle ws clients, PSS`, 'MiB', false, 'whole tree, children included: hamelin-ws --hub broadcast (one cat) against websocketd (a cat each)'),
    row('idle_rss', `${IDLE} idle ws clients, RSS sum`, 'MiB', false, 'the same as an RSS sum (shared pages counted in each process)'),
    row('procs', `${IDLE} idle ws clients, processes`, 'procs', false, 'processes in the daemon tree'),
    row('fan_p50', `fan-out to ${IDLE}, p50`, 'ms', false, `one 23-byte line from one client until all ${IDLE} have it (${ROUNDS} lines; hubgen.c)`),
    row('fan_p99', `fan-out to ${IDLE}, p99`, 'ms', false, 'the same, p99'),
    row('fanin', `fan-in from ${FANIN_CLIENTS}`, 'lines/s', true, `${FANIN_CLIENTS} clients x ${FANIN_LINES} messages into one python3 that counts them, until it has read them all`),
  ];
};

export default suite;
