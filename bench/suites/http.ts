/**
 * hamelin-http against `websocketd --cgidir`, both serving the same shell scripts on loopback
 * (for websocketd as CGI, so they print a Content-Type header first), one daemon at a time.
 *
 * Rows: requests per second at concurrency 1 and 8 from loadgen.c's http-churn (each request a
 * new connection with `Connection: close`, a POST of one line to a script that runs `cat`, whose
 * answer must carry the line back: one process per request), the CPU time the daemon's own
 * processes spend per request at c=8 (warm, and in a fresh daemon's first seconds), and time to
 * first byte of a streaming script that prints a line, sleeps 300 ms and prints another (median
 * of N requests, node:http in this process: a latency, not a rate), and the keep-alive GET rows
 * of the first table of issue 16 (loadgen.c http-ka), for comparison. The C client, as for ws,
 * so that a Node client does not take the daemon's CPU on the same 2 cores (the Node
 * keep-alive client used until this stop spent most of a core). The CPU row is there because on
 * a shared machine req/s moves with everyone else's load, while the daemon's own CPU per
 * request says what the daemon costs.
 */
import { Agent, request } from 'node:http';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { BenchRow, Suite } from '../types.js';
import { daemonCpuMs, log, ROOT, runLoad, startDaemon, which, type RunningDaemon } from '../lib.js';

const QUICK = process.env.BENCH_QUICK === '1';
const RATE_S = QUICK ? 1 : 4;
/** Requests before the measured rows, after the cold one (see measure). */
const WARM_S = QUICK ? 2 : 10;
const TTFB_COUNT = QUICK ? 5 : 20;
const STREAM_SLEEP_S = 0.3;

/** The bin users run (npx hamelin-http): it starts node with the daemon's V8 options. */
const HAMELIN_HTTP = join(ROOT, 'packages', 'http', 'bin', 'hamelin-http.js');

interface Contender {
  name: string;
  needs: string;
  argv(port: number, dir: string): string[];
}

/** URL paths of the echo script (`cat`), the one-line script and the streaming script: the
 * same for both daemons, each serving its own directory of scripts (see scripts()). */
const PATHS = { echo: '/echo', one: '/one', stream: '/stream' };

const hamelin: Contender = {
  name: 'hamelin',
  needs: 'node',
  argv: (p, dir) => [HAMELIN_HTTP, '--quiet', '--host', '127.0.0.1', '--port', String(p), '--dir', join(dir, 'plain')],
};

const websocketd: Contender = {
  name: 'websocketd --cgidir',
  needs: 'websocketd',
  argv: (p, dir) => ['websocketd', '--address', '127.0.0.1', '--port', String(p), '--loglevel', 'error', '--cgidir', join(dir, 'cgi')],
};

function scripts(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hamelin-bench-http-'));
  const header = 'printf "Content-Type: text/plain\\r\\n\\r\\n"\n';
  const files: Record<string, string> = {
    'plain/echo': 'exec cat\n',
    'plain/one': 'echo hello\n',
    'cgi/one': `${header}echo hello\n`,
    'plain/stream': `echo first\nsleep ${STREAM_SLEEP_S}\necho second\n`,
    'cgi/echo': `${header}exec cat\n`,
    'cgi/stream': `${header}echo first\nsleep ${STREAM_SLEEP_S}\necho second\n`,
  };
  mkdirSync(join(dir, 'plain'));
  mkdirSync(join(dir, 'cgi'));
  for (const [name, body] of Object.entries(files)) {
    writeFileSync(join(dir, name), `#!/bin/sh\n${body}`);
    chmodSync(join(dir, name), 0o755);
  }
  return dir;
}

/** One GET; resolves with the body, the time to the first body byte and the total time. */
function get(port: number, path: string, agent: Agent): Promise<{ status: number; body: string; ttfbMs: number; totalMs: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
      let body = '';
      let ttfb = -1;
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        if (ttfb < 0) ttfb = performance.now() - t0;
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, ttfbMs: ttfb, totalMs: performance.now() - t0 }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** The scripts the daemons run: their CPU is not the daemon's. */
const SCRIPT_COMMS = new Set(['echo', 'cat', 'stream', 'sh', 'sleep']);

/** Requests per second and the daemon's CPU per request, from loadgen.c's http-churn. */
async function churn(port: number, path: string, concurrency: number, seconds: number, pid?: number): Promise<{ rps: number; cpuUs: number | null }> {
  const cpu0 = pid === undefined ? 0 : daemonCpuMs(pid, SCRIPT_COMMS);
  const r = await runLoad(['http-churn', '127.0.0.1', port, concurrency, seconds, path]);
  const done = r.connections ?? 0;
  const cpuUs = pid === undefined || done === 0 ? null : Math.round(((daemonCpuMs(pid, SCRIPT_COMMS) - cpu0) * 1000) / done);
  if (r.errors) log(`http: ${r.errors} failed requests at c=${concurrency}`);
  return { rps: Math.round(r.per_s!), cpuUs };
}

/** The rows of issue 16's first table: GETs of a one-line script on keep-alive connections
 * (loadgen.c http-ka: each of 8 connections sends its next GET once the answer before has
 * ended), requests per second and the daemon's CPU per request. Kept beside the churn rows: no
 * accept and close per request here, so the cost of running the script is all there is. */
async function keepAlive(port: number, path: string, concurrency: number, seconds: number, pid: number): Promise<{ rps: number; cpuUs: number | null }> {
  const cpu0 = daemonCpuMs(pid, SCRIPT_COMMS);
  const r = await runLoad(['http-ka', '127.0.0.1', port, concurrency, seconds, path, 'hello\n']);
  const done = r.connections ?? 0;
  const cpuUs = done === 0 ? null : Math.round(((daemonCpuMs(pid, SCRIPT_COMMS) - cpu0) * 1000) / done);
  if (r.errors) log(`http: ${r.errors} failed keep-alive requests at c=${concurrency}`);
  return { rps: Math.round(r.per_s!), cpuUs };
}

async function ttfb(port: number, path: string): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const times: number[] = [];
  for (let i = 0; i < TTFB_COUNT; i++) {
    const r = await get(port, path, agent);
    if (r.status !== 200 || r.body !== 'first\nsecond\n') throw new Error(`unexpected answer ${r.status} ${JSON.stringify(r.body)}`);
    times.push(r.ttfbMs);
  }
  agent.destroy();
  times.sort((a, b) => a - b);
  return Math.round(times[Math.floor(times.length / 2)]! * 10) / 10;
}

type Figures = Record<string, number | null>;

async function measure(c: Contender, dir: string): Promise<Figures> {
  let d: RunningDaemon | undefined;
  const f: Figures = { c1: null, c8: null, cpu8: null, cpu8_cold: null, ka8: null, ka8_cpu: null, ttfb: null };
  try {
    d = await startDaemon(c.name, (p) => c.argv(p, dir));
    // The fresh daemon's first RATE_S s apart, then WARM_S s unmeasured: the rows after are a
    // long-lived daemon's (V8 has compiled hamelin's per-request path), as in suites/ws.ts.
    f.cpu8_cold = (await churn(d.port, PATHS.echo, 8, RATE_S, d.proc.pid)).cpuUs;
    log(`http ${c.name}: fresh daemon, c=8: daemon CPU ${f.cpu8_cold} us per request`);
    await churn(d.port, PATHS.echo, 8, WARM_S);
    f.c1 = (await churn(d.port, PATHS.echo, 1, RATE_S)).rps;
    log(`http ${c.name}: c=1 ${f.c1} req/s`);
    const r8 = await churn(d.port, PATHS.echo, 8, RATE_S, d.proc.pid);
    f.c8 = r8.rps;
    f.cpu8 = r8.cpuUs;
    log(`http ${c.name}: c=8 ${f.c8} req/s, daemon CPU ${f.cpu8} us per request`);
    const k = await keepAlive(d.port, PATHS.one, 8, RATE_S, d.proc.pid!);
    f.ka8 = k.rps;
    f.ka8_cpu = k.cpuUs;
    log(`http ${c.name}: keep-alive GET c=8 ${k.rps} req/s, daemon CPU ${k.cpuUs} us per request`);
    f.ttfb = await ttfb(d.port, PATHS.stream);
    log(`http ${c.name}: ttfb p50 ${f.ttfb} ms`);
  } catch (e) {
    log(`http ${c.name} failed: ${(e as Error).message}${d ? `; stderr: ${d.stderrTail()}` : ''}`);
  } finally {
    await d?.stop();
  }
  return f;
}

const suite: Suite = async () => {
  const dir = scripts();
  const peers = [websocketd];
  const figures = new Map<string, Figures>();
  figures.set(hamelin.name, await measure(hamelin, dir));
  for (const p of peers) {
    if (!which(p.needs)) {
      log(`${p.needs} is not installed: its column stays empty`);
      continue;
    }
    figures.set(p.name, await measure(p, dir));
  }
  rmSync(dir, { recursive: true, force: true });
  const row = (key: string, metric: string, unit: string, higherIsBetter: boolean, note?: string): BenchRow => ({
    group: 'http',
    metric,
    unit,
    higherIsBetter,
    hamelin: figures.get(hamelin.name)?.[key] ?? null,
    peers: Object.fromEntries(peers.map((p) => [p.name, figures.get(p.name)?.[key] ?? null])),
    ...(note ? { note } : {}),
  });
  return [
    row('c1', 'churn c=1', 'req/s', true, 'POST of one line to a script running cat, a new connection each (loadgen.c http-churn)'),
    row('c8', 'churn c=8', 'req/s', true),
    row('cpu8', 'churn c=8, daemon CPU per request', 'µs', false, "the daemon's own processes (utime+stime), not the scripts"),
    row('cpu8_cold', `the same, first ${RATE_S} s of a fresh daemon`, 'µs', false, `before ${WARM_S} s of requests that the row above comes after (V8 still compiling)`),
    row('ka8', 'one-line script, keep-alive GETs c=8', 'req/s', true, 'GETs on 8 keep-alive connections from loadgen.c http-ka (a node:http client until 2026-12-05)'),
    row('ka8_cpu', 'the same, daemon CPU per request', 'µs', false),
    row('ttfb', `streaming script, first byte (sleep ${STREAM_SLEEP_S} s before line 2)`, 'ms', false, 'median; websocketd CGI buffers until exit'),
  ];
};

export default suite;
