/** Reading the probes' reports (see probe.ts for what they write). */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ProbeEvent {
  e: string;
  t: number;
  [k: string]: unknown;
}

export class ProbeRun {
  readonly pid: number;
  readonly pgid: number;
  readonly argv: string[];
  readonly argv0: string;
  readonly env: Record<string, string>;
  readonly cwd: string;
  readonly mode: string;
  readonly startedAt: number;

  constructor(readonly events: ProbeEvent[]) {
    const s = events[0]!;
    this.pid = s.pid as number;
    this.pgid = s.pgid as number;
    this.argv = s.argv as string[];
    this.argv0 = s.argv0 as string;
    this.env = s.env as Record<string, string>;
    this.cwd = s.cwd as string;
    this.mode = s.mode as string;
    this.startedAt = s.t;
  }

  get isGrandchild(): boolean {
    return this.mode.split('+').includes('gc');
  }

  signals(): { sig: string; t: number }[] {
    return this.events.filter((e) => e.e === 'sig').map((e) => ({ sig: e.sig as string, t: e.t }));
  }

  firstSignal(sig = 'SIGTERM'): number | undefined {
    return this.signals().find((s) => s.sig === sig)?.t;
  }

  /** The stdin bytes recorded in full (the first MiB). */
  stdin(): Buffer {
    return Buffer.concat(this.events.filter((e) => e.e === 'in' && typeof e.b64 === 'string').map((e) => Buffer.from(e.b64 as string, 'base64')));
  }

  stdinTotal(): number {
    return this.events.filter((e) => e.e === 'in').reduce((n, e) => n + (typeof e.b64 === 'string' ? Buffer.from(e.b64, 'base64').length : (e.n as number)), 0);
  }

  eof(): ProbeEvent | undefined {
    return this.events.find((e) => e.e === 'eof');
  }

  exit(): ProbeEvent | undefined {
    return this.events.find((e) => e.e === 'exit');
  }

  grandchildPid(): number | undefined {
    return this.events.find((e) => e.e === 'gc')?.pid as number | undefined;
  }

  /** Bytes the probe had written when it last reported flood progress. */
  outWritten(): { n: number; done: boolean; t: number } {
    const last = this.events.filter((e) => e.e === 'out').pop();
    return { n: (last?.n as number) ?? 0, done: last?.done === true, t: last?.t ?? 0 };
  }
}

/** Every probe run that reported into `dir`, in start order. */
export function readProbes(dir: string): ProbeRun[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => /^p\d+\.jsonl$/.test(f));
  } catch {
    return [];
  }
  const runs: ProbeRun[] = [];
  for (const f of files) {
    const events: ProbeEvent[] = [];
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
      if (!line) continue;
      try {
        events.push(JSON.parse(line) as ProbeEvent);
      } catch {
        /* a line cut by SIGKILL */
      }
    }
    if (events[0]?.e === 'start') runs.push(new ProbeRun(events));
  }
  return runs.sort((a, b) => a.startedAt - b.startedAt);
}
