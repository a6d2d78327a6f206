/**
 * Hub mode (spec/hub.md), opt-in: the clients of a room share one process. The checks run when a
 * hub protocol's spelling is given with --opt (`hub-broadcast`, `hub-addressed`), on the net, unix,
 * ws and http bindings (an http client is an SSE session with its POSTs, http-sse.ts; irc and
 * tty have checks of their own, hub-irc.ts and hub-tty.ts). The shared
 * process is the probe in its `hub` mode (probe-hub.ts): it records what it reads and obeys its
 * clients' lines (`!exit N`, `!flood N SIZE`, `!partial TEXT`, any other line written back), so a
 * check drives it from a client and asserts exact values: the bytes each client got, the close and its reason, the events the process read, the process
 * count, its signals, the daemon's own memory.
 */
import type { Check, Ctx, DaemonRun } from '../runner.js';
import { sleep, within } from '../runner.js';
import type { Conn, OptionName } from '../types.js';
import type { ProbeRun } from '../probe-report.js';
import { floodLine } from '../probe-hub.js';
import { dialSse, type SseConn } from '../bindings/http-sse.js';
import { dialHttp } from '../bindings/http.js';
import { clip, eventually, expectNoMoreStarted, fresh, howClosed, SETTLE_MS } from './common.js';

const BINDINGS = ['net', 'unix', 'ws', 'http'];
const MiB = 1 << 20;
/** A client's queue in the flow checks (`--opt hub-queue=...`): small, so drops come early. */
const QUEUE = 65536;
/** The flood a slow client is shown: more than the kernel's buffers on loopback can hold. */
const FLOOD_LINES = 6144;
const FLOOD_SIZE = 8192;
/** Growth of the daemon's memory HUB-15 allows while a slow client, its queue full already,
 * misses another 48 MiB flood: its queue (64 KiB), one line, the transport's buffers and the
 * allocator's slack (hamelin and the mini daemon measured +0.1 to +0.7 MiB at rest, but
 * hamelin-ws once +16.9 MiB in a loaded CI run: the collector's slack over the 48 MiB the
 * reading client was sent; one that queues without bound, +47 to +50). Half the flood tells
 * the two apart. HUB-12 holds the daemon to it too. */
const BOUND_KB = 24 * 1024;

const text = (c: Conn): string => c.received().toString('latin1');
/** The last `n` bytes a client got, as text, without rendering all it got (a flood is 48 MiB,
 * and a check polls). */
function tailText(c: Conn, n: number): string {
  if (n <= 0) return '';
  if (!c.messages) return c.received().subarray(-n).toString('latin1');
  const ms = c.messages();
  const out: Buffer[] = [];
  let got = 0;
  for (let i = ms.length - 1; i >= 0 && got < n; i--) {
    out.unshift(ms[i]!, Buffer.from('\n'));
    got += ms[i]!.length + 1;
  }
  return Buffer.concat(out).toString('latin1').slice(-n);
}
/** A byte stream's client (net, unix). An http hub client is a session (http-sse.ts): its
 * output comes as events, one line each, as a ws client's comes as messages. */
const stream = (ctx: Ctx): boolean => ctx.binding.framing === 'stream' && !http(ctx);
const http = (ctx: Ctx): boolean => ctx.binding.name === 'http';

/** A new client of the room: a connection, or on http an SSE session with its POSTs. */
const dial = (ctx: Ctx, d: DaemonRun): Promise<Conn> => (http(ctx) ? dialSse(d.addr) : d.dial());

/** Start the daemon in hub mode with the probe as its process. */
function startHub(ctx: Ctx, addressed: boolean, options: Partial<Record<OptionName, string>> = {}, probeMode = ''): Promise<DaemonRun> {
  const mode = `${addressed ? 'hub=addressed' : 'hub'}${probeMode ? `+${probeMode}` : ''}`;
  return ctx.start({ mode, options: { [addressed ? 'hub-addressed' : 'hub-broadcast']: '', ...options } });
}

/** The hub's process, once it reported. */
async function hubProbe(ctx: Ctx, d: DaemonRun): Promise<ProbeRun> {
  const [p] = await d.waitSessions(1, ctx.ms(5000));
  return p!;
}

/** Wait until a client has received `want` after byte `from`. */
async function waitText(ctx: Ctx, c: Conn, want: string, what: string, from = 0, ms = 5000): Promise<void> {
  await c.waitFor((b) => b.subarray(from).includes(want), what, ctx.ms(ms));
}

/**
 * Broadcast mode: dial `n` clients one after another, each joined for sure before the next: it
 * sends a line and waits for its own copy of it (every line goes to every client, HUB-10).
 */
async function joinBroadcast(ctx: Ctx, d: DaemonRun, n: number): Promise<Conn[]> {
  const cs: Conn[] = [];
  for (let i = 0; i < n; i++) {
    const c = await dial(ctx, d);
    cs.push(c);
    const from = c.receivedLength();
    await c.write(`joined ${i + 1}\n`);
    await waitText(ctx, c, `joined ${i + 1}\n`, `client ${i + 1}'s own line back (it has joined)`, from);
  }
  await Promise.all(cs.map((c) => waitText(ctx, c, `joined ${n}\n`, `every client to have "joined ${n}"`)));
  return cs;
}

/** The process's stdin as text. */
const stdinOf = (d: DaemonRun, p: ProbeRun): string => fresh(d, p).stdin().toString('latin1');

/** Addressed mode: dial a client and wait for its `join` event; returns it with its event. */
async function joinAddressed(ctx: Ctx, d: DaemonRun, id: number): Promise<{ c: Conn; join: string }> {
  const c = await dial(ctx, d);
  const p = await hubProbe(ctx, d);
  const join = await eventually(() => stdinOf(d, p).split('\n').find((l) => l.startsWith(`join ${id} `) || l === `join ${id}`), `the event "join ${id} ..." on the process's stdin`, ctx.ms(5000));
  return { c, join };
}

/** http: a long-poll session (HTTP-23): open it, POST lines to it, poll its output. */
async function pollClient(ctx: Ctx, d: DaemonRun): Promise<{ id: string; post(body: string): Promise<void>; until(want: string): Promise<string> }> {
  const call = async (method: string, path: string, body?: string): Promise<{ status: number; body: string }> => {
    const c = await dialHttp(d.addr, { method, path, ...(body === undefined ? {} : { body }) });
    await within(() => c.endedAt() !== undefined || c.error() !== undefined, ctx.ms(30_000));
    c.close();
    return { status: c.status() ?? 0, body: c.received().toString('latin1') };
  };
  const open = await call('POST', '/.hamelin/poll', '');
  const id = open.body.trim();
  ctx.expect(open.status === 200 && /^[A-Za-z0-9_-]{24}$/.test(id), 'POST /.hamelin/poll: 200 and the session id', () => `${open.status} ${clip(open.body)}`);
  let got = '';
  return {
    id,
    post: async (body) => {
      const a = await call('POST', `/.hamelin/session/${id}`, body);
      ctx.expect(a.status === 204, `the long-poll session's POST: 204`, () => `${a.status} ${clip(a.body)}`);
    },
    until: async (want) => {
      const deadline = Date.now() + ctx.ms(5000);
      while (!got.includes(want) && Date.now() < deadline) got += (await call('GET', `/.hamelin/session/${id}`)).body;
      return got;
    },
  };
}

/** What a client got since `from`, as lines. */
const linesSince = (c: Conn, from: number): string[] => text(c).slice(from).split('\n').slice(0, -1);

/** The client's binding told it `told` and closed: a byte stream's last line, a ws close frame. */
async function expectTold(ctx: Ctx, c: Conn, line: string, code: number | undefined, reason: string, who: string): Promise<void> {
  // A byte stream's end is the daemon's FIN (the client's own half stays open); a ws one, the close.
  if (stream(ctx) || http(ctx)) await within(() => c.endedAt() !== undefined, ctx.ms(5000));
  else await Promise.race([c.closed, sleep(ctx.ms(5000))]);
  if (http(ctx)) {
    // An SSE session's end is its exit event (HTTP-19), its description the binding's reason.
    const e = (c as SseConn).exitEvent();
    const status = /^exit status (\d+)$/.exec(reason);
    ctx.expect(e !== undefined && e.description === reason && (!status || e.status === Number(status[1])), `${who}: the exit event ${status ? `"status": ${status[1]}, ` : ''}"description": ${JSON.stringify(reason)}`, () => (e ? JSON.stringify(e) : `no exit event; ${c.endedAt() !== undefined ? 'the stream ended' : 'the stream is open'}: ${clip(text(c).slice(-120))}`));
    return;
  }
  if (stream(ctx)) {
    ctx.expect(text(c).endsWith(`${line}\n`) && c.endedAt() !== undefined, `${who}: the line ${JSON.stringify(line)} last, then the connection closed`, () => `${clip(text(c).slice(-160))}, ${howClosed(c)}`);
    return;
  }
  const f = c.closeFrame?.();
  ctx.expect(f !== undefined && f.reason === reason && (code === undefined || f.code === code), `${who}: a close frame ${code ?? ''} ${JSON.stringify(reason)}`, () => howClosed(c));
}

/** The first `TAG K` line a client got after byte `from` (K), or 0. */
function firstTagged(c: Conn, tag: string, from = 0): number {
  const m = new RegExp(`(?:^|\\n)${tag} (\\d+)\\n`).exec(tailText(c, Math.min(256 * 1024, c.receivedLength() - from)));
  return m ? Number(m[1]) : 0;
}

/**
 * Lines `TAG 1`, `TAG 2`... from `writer`, one every 250 ms, until every client in `cs` has one
 * after its mark: a client whose queue is full misses lines until it has room again. Returns how
 * many it sent.
 */
async function follow(ctx: Ctx, writer: Conn, cs: Conn[], tag: string, marks: number[] = cs.map(() => 0)): Promise<number> {
  const got = (): number[] => cs.map((c, i) => firstTagged(c, tag, marks[i]));
  let k = 0;
  while (got().includes(0)) {
    ctx.expect(k < 100, `every client to get one of the "${tag} K" lines that follow a flood`, () => `after ${k}: ${JSON.stringify(got())}`);
    await writer.write(`${tag} ${++k}\n`);
    await within(() => !got().includes(0), ctx.ms(250));
  }
  // How many were sent, not the first each client got: a client whose queue was still full can
  // miss "after 1" and get "after 2", and lines sent past the last one waited for arrive too.
  return k;
}

/** The flood a slow client misses part of: two clients, the second not reading. */
async function slowFlood(ctx: Ctx, slow: 'drop' | 'disconnect', measure = false): Promise<{ d: DaemonRun; fast: Conn; slowC: Conn; mark: number; fastMark: number; grewKb: number }> {
  const options: Partial<Record<OptionName, string>> = { 'hub-queue': String(QUEUE) };
  if (slow === 'disconnect') options.slow = 'disconnect';
  const d = await startHub(ctx, false, options);
  const [fast, slowC] = await joinBroadcast(ctx, d, 2);
  const p = await hubProbe(ctx, d);
  const floods = (): number => fresh(d, p).events.filter((e) => e.e === 'out' && e.done === true).length;
  if (measure) {
    // A first flood with both clients reading: the daemon's memory grows to its working size
    // (a garbage-collected heap does), and what the second flood adds is what it holds.
    await fast!.write(`!flood ${FLOOD_LINES} ${FLOOD_SIZE} 8\n`);
    await eventually(() => floods() === 1, 'the warm-up flood to be written', ctx.ms(30_000));
    await follow(ctx, fast!, [fast!, slowC!], 'warm');
  }
  const mark = slowC!.receivedLength();
  slowC!.pause();
  const base = d.rssKb();
  let peak = base;
  const fastMark = fast!.receivedLength();
  // Paced (1 ms every 8 lines), so that a daemon's garbage is collected as it goes and what
  // its memory keeps is what it holds.
  await fast!.write(`!flood ${FLOOD_LINES} ${FLOOD_SIZE} 8\n`);
  const total = FLOOD_LINES * FLOOD_SIZE;
  // The process is read as it writes while one client reads nothing: it gets its flood out.
  // Stalled: no progress for this long (the probe reports every 2 MiB, each at least 32 ms).
  const stallMs = ctx.ms(2500);
  let last = -1;
  let since = Date.now();
  for (;;) {
    if (measure) peak = Math.max(peak, d.rssKb());
    if (floods() === (measure ? 2 : 1)) break;
    const w = fresh(d, p).outWritten();
    if (w.n !== last) {
      last = w.n;
      since = Date.now();
    } else if (Date.now() - since > stallMs) {
      ctx.fail(`the process to write its ${total / MiB} MiB while one client reads nothing`, `it stopped after ${(w.n / MiB).toFixed(1)} MiB (no progress for ${stallMs} ms): a slow client stalls the hub`);
    }
    await sleep(measure ? 25 : 50);
  }
  let grewKb = peak - base;
  if (measure) {
    // A second flood while the client still reads nothing: a bounded daemon, its queue full
    // already and its heap at its working size, grows by little; one that holds what the client
    // could not take grows by the flood. (The first paused flood's growth is the garbage
    // collector's slack as much as anything: hamelin-net measured +0.4 to +20 MiB.)
    const again = d.rssKb();
    peak = again;
    await fast!.write(`!flood ${FLOOD_LINES} ${FLOOD_SIZE} 8\n`);
    await eventually(() => (peak = Math.max(peak, d.rssKb())) && floods() === 3, 'the second flood to be written while the client reads nothing', ctx.ms(30_000), 25);
    await within(() => (peak = Math.max(peak, d.rssKb())) < 0, ctx.ms(300), 25);
    grewKb = peak - again;
  }
  return { d, fast: fast!, slowC: slowC!, mark, fastMark, grewKb };
}

/**
 * What a client got of a flood, its lines up to `after`: flood lines whole and in order, and
 * notices `hamelin: missed N lines`. Every line is accounted for: those it got and those a
 * notice counted add up to every line sent: the flood's, `flood done` and the `after K` lines.
 * A notice comes once the client's queue has emptied, so lines queued after the drops may come
 * before it (HUB-11).
 */
function floodAccount(ctx: Ctx, lines: string[], who: string, afterSent: number, check = true): { got: number; missed: number; notices: string[] } {
  let next = 1;
  let got = 0;
  let missed = 0;
  const notices: string[] = [];
  for (const [i, line] of lines.entries()) {
    const m = /^f(\d{7}) /.exec(line);
    const notice = /^hamelin: missed (\d+) lines?$/.exec(line);
    if (notice) {
      missed += Number(notice[1]);
      notices.push(line);
    } else if (m) {
      const n = Number(m[1]);
      if (check) ctx.expect(n >= next && line === floodLine(n, FLOOD_SIZE).toString('latin1').slice(0, -1), `${who}: flood lines whole and in order (line ${next} or later)`, () => `line ${i + 1}: ${clip(line, 60)}`);
      next = n + 1;
      got++;
    } else if (line === 'flood done' || /^after \d+$/.test(line)) got++;
    else if (check) ctx.fail(`${who}: only flood lines, "flood done" and missed-lines notices`, `line ${i + 1}: ${clip(line, 80)}`);
  }
  const all = FLOOD_LINES + 1 + afterSent;
  if (check) ctx.expect(got + missed === all, `${who}: the lines it got and the notices' counts add up to the ${all} lines sent (the flood, "flood done", "after 1".."after ${afterSent}")`, () => `${got} lines got, notices ${JSON.stringify(notices)} (${missed})`);
  return { got, missed, notices };
}

const hub = (id: string, level: 'MUST' | 'SHOULD', title: string, needs: OptionName[], run: (ctx: Ctx) => Promise<string>, timeoutMs = 30_000, bindings = BINDINGS): Check => ({
  id,
  level,
  title,
  bindings,
  needs,
  optIn: 'hub',
  timeoutMs,
  run,
});

export const hubChecks: Check[] = [
  hub('HUB-01', 'MUST', 'the clients of a room share one process', ['hub-broadcast'], async (ctx) => {
    const d = await startHub(ctx, false);
    const cs = await joinBroadcast(ctx, d, 3);
    if (!http(ctx)) return `3 clients joined; ${await expectNoMoreStarted(ctx, d, 1, 'one process for the three clients')}`;
    // http: a long-poll session joins the same room, its POSTs and polls the same process's.
    const poll = await pollClient(ctx, d);
    await poll.post('from the poll\n');
    for (const [k, c] of cs.entries()) await waitText(ctx, c, 'from the poll\n', `SSE client ${k + 1} to get the long-poll session's line`);
    const got = await poll.until('from the poll\n');
    // It joined after "joined 3", without --replay: its line is all it has to collect.
    ctx.expect(got === 'from the poll\n', 'the long-poll session to poll exactly "from the poll\\n" (its own line, back from the process)', () => clip(JSON.stringify(got)));
    return `3 SSE sessions and a long-poll session joined; ${await expectNoMoreStarted(ctx, d, 1, 'one process for the four sessions')}`;
  }),

  hub('HUB-02', 'MUST', "the hub's process has H-TYPE HUB-0.2, H-HUB and H-HUB-ROOM, and no variable of any one client", ['hub-broadcast'], async (ctx) => {
    const d = await startHub(ctx, false);
    await joinBroadcast(ctx, d, 2);
    const env = (await hubProbe(ctx, d)).env;
    const want: Record<string, string> = { 'H-TYPE': 'HUB-0.2', H_TYPE: 'HUB-0.2', 'H-HUB': 'broadcast', H_HUB: 'broadcast' };
    const bad = Object.entries(want).filter(([k, v]) => env[k] !== v);
    ctx.expect(bad.length === 0, 'H-TYPE=HUB-0.2 H-HUB=broadcast (and the H_ aliases)', () => bad.map(([k]) => `${k}=${JSON.stringify(env[k] ?? null)}`).join(' '));
    ctx.expect(!!env['H-HUB-ROOM'] && env['H-HUB-ROOM'] === env.H_HUB_ROOM, 'H-HUB-ROOM set (the room), with its alias', () => `H-HUB-ROOM=${JSON.stringify(env['H-HUB-ROOM'] ?? null)}`);
    ctx.expect(!!env['H-VERSION'], 'H-VERSION set', () => 'none');
    const names = ['CLIENT', 'REMOTE-ADDR', 'REMOTE-PORT', 'LOCAL-ADDR', 'LOCAL-PORT', 'UNIX-PATH', 'PATH', 'QUERY', 'ORIGIN', 'METHOD', 'MODE', 'CONTENT-TYPE', 'CONTENT-LENGTH'];
    const client = [...names.flatMap((k) => [`H-${k}`, `H_${k.replace(/-/g, '_')}`]).filter((k) => env[k] !== undefined), ...Object.keys(env).filter((k) => /^H[-_]HEADER[-_]/.test(k))];
    ctx.expect(client.length === 0, 'no variable of any one client (H-CLIENT, H-REMOTE-ADDR, ...)', () => client.map((k) => `${k}=${JSON.stringify(env[k])}`).join(' '));
    return `H-TYPE=HUB-0.2 H-HUB=broadcast H-HUB-ROOM=${clip(env['H-HUB-ROOM']!, 60)}, no client's variables`;
  }),

  hub('HUB-03', 'MUST', "the process starts with the room's first client (with --hub-eager, once the daemon serves); input sent while it starts reaches it, in order", ['hub-broadcast'], async (ctx) => {
    const d = await startHub(ctx, false);
    const early = await within(() => d.startedPids().length > 0, ctx.ms(SETTLE_MS));
    ctx.expect(!early, 'no process before the first client joins', () => `${d.startedPids().length} started with the daemon`);
    const c = await dial(ctx, d);
    // At once, while the process is being started: a daemon must hold these, not drop them.
    const lines = 'early 1\nearly 2\nearly 3\n';
    await c.write(lines);
    await waitText(ctx, c, 'early 3\n', 'the first client to get its three lines back');
    const p = await hubProbe(ctx, d);
    ctx.expect(stdinOf(d, p) === lines && text(c) === lines, `the process to read exactly ${JSON.stringify(lines)}, and the client to get them back`, () => `read ${clip(JSON.stringify(stdinOf(d, p)))}; got ${clip(JSON.stringify(text(c)))}`);
    const note = 'no process before the first client; its three lines, sent as it joined, read in order';
    if (!ctx.has('hub-eager')) return `${note} (--hub-eager not checked: give --opt hub-eager=...)`;
    const e = await startHub(ctx, false, { 'hub-eager': '' });
    const started = await within(() => e.sessions().length > 0, ctx.ms(5000));
    ctx.expect(started, 'with --hub-eager, the process to start once the daemon serves, before any client', () => `${e.startedPids().length} processes 5 s after the daemon listened`);
    const c2 = await dial(ctx, e);
    await c2.write('eager\n');
    await waitText(ctx, c2, 'eager\n', 'the first client served by the process started with the daemon');
    ctx.expect(e.startedPids().length === 1, 'the first client joins the process started with the daemon (no second one)', () => `${e.startedPids().length} processes`);
    return `${note}; --hub-eager: the process started with the daemon, the first client joined it`;
  }),

  hub('HUB-04', 'MUST', "the process's exit told to every client in its binding's way; the next client starts a new one; with --respawn clients stay", ['hub-broadcast'], async (ctx) => {
    const d = await startHub(ctx, false);
    const [a, b] = await joinBroadcast(ctx, d, 2);
    await a!.write('!exit 3\n');
    for (const [c, who] of [[a!, 'the client that asked'], [b!, 'the other client']] as const) await expectTold(ctx, c, 'hamelin: hub ended: exit status 3', 4003, 'exit status 3', who);
    const c = await dial(ctx, d);
    await c.write('again\n');
    await waitText(ctx, c, 'again\n', 'the next client served by a new process');
    ctx.expect(d.startedPids().length === 2, 'a second process for the next client', () => `${d.startedPids().length} processes`);
    let note = 'exit status 3 told to both clients; a new process for the next';
    if (!ctx.has('respawn')) return `${note} (--respawn not checked: give --opt respawn=...)`;
    const r = await startHub(ctx, false, { respawn: '' });
    const cs = await joinBroadcast(ctx, r, 2);
    const marks = cs.map((x) => x.receivedLength());
    await cs[0]!.write('!exit 3\n');
    const restart = 'hamelin: hub restarting in 100 ms after exit status 3';
    for (const [i, x] of cs.entries()) await waitText(ctx, x, `${restart}\n`, `client ${i + 1} told "${restart}"`, marks[i]);
    await cs[1]!.write('after restart\n');
    for (const [i, x] of cs.entries()) await waitText(ctx, x, 'after restart\n', `client ${i + 1} still joined, served by the new process`, marks[i]);
    for (const [i, x] of cs.entries()) {
      const got = linesSince(x, marks[i]!);
      ctx.expect(got.join('|') === `${restart}|after restart`, `client ${i + 1}: exactly the restart line, then the new process's output`, () => clip(got.join('|')));
    }
    ctx.expect(r.startedPids().length === 2, 'two processes in turn', () => `${r.startedPids().length}`);
    note += `; --respawn: both told "${restart}", stayed, and reached the new process`;
    return note;
  }),

  hub('HUB-05', 'MUST', "each client's lines reach the process whole: lines of two clients never mix", ['hub-broadcast'], async (ctx) => {
    const d = await startHub(ctx, false);
    const cs = await joinBroadcast(ctx, d, 2);
    const p = await hubProbe(ctx, d);
    const LEN = 150_000;
    const chars = [['a', 'b', 'c'], ['A', 'B', 'C']];
    // Each client's lines in 4 KiB pieces, the two clients taking turns: a daemon that writes
    // pieces as they come mixes them.
    const pieces = chars.map((set) => {
      const all = Buffer.from(set.map((ch) => `${ch.repeat(LEN)}\n`).join(''));
      const out: Buffer[] = [];
      for (let i = 0; i < all.length; i += 4096) out.push(all.subarray(i, i + 4096));
      return out;
    });
    if (stream(ctx)) {
      for (let i = 0; i < pieces[0]!.length; i++) await Promise.all(cs.map((c, k) => c.write(pieces[k]![i]!)));
    } else {
      for (let i = 0; i < 3; i++) await Promise.all(cs.map((c, k) => c.write(`${chars[k]![i]!.repeat(LEN)}\n`)));
    }
    await Promise.all(cs.map((c, k) => c.write(`end ${k}\n`)));
    await within(() => /end 0\n/.test(stdinOf(d, p)) && /end 1\n/.test(stdinOf(d, p)), ctx.ms(10_000));
    const lines = stdinOf(d, p).split('\n').filter((l) => l.length > 20);
    const whole = lines.filter((l) => l.length === LEN && new Set(l).size === 1).map((l) => l[0]);
    ctx.expect(lines.length === 6 && whole.length === 6 && new Set(whole).size === 6, `six lines of ${LEN} bytes, each of one client's character (a b c A B C)`, () => `${lines.length} long lines: ${lines.map((l) => `${l.length}B ${[...new Set(l)].join('')}`).join(', ')}`);
    return `6 lines of ${LEN} bytes from two clients at once, each whole on the process's stdin`;
  }),

  hub('HUB-06', 'MUST', "an input line longer than --max-line reaches the process as lines of --max-line bytes, no other client's line inside; the first cut logged", ['hub-broadcast', 'max-line'], async (ctx) => {
    const MAX = 1024;
    const LONG = 3000;
    const d = await startHub(ctx, false, { 'max-line': String(MAX) });
    const [a, b] = await joinBroadcast(ctx, d, 2);
    const p = await hubProbe(ctx, d);
    const long = 'L'.repeat(LONG);
    if (stream(ctx)) {
      // The long line in three pieces, the other client's lines between them: a daemon that
      // passes pieces on as they come lets them land inside it.
      for (const [i, piece] of [long.slice(0, 1000), long.slice(1000, 2000), `${long.slice(2000)}\n`].entries()) {
        await a!.write(piece);
        await sleep(50);
        if (i < 2) await b!.write(`short ${i + 1}\n`);
        await sleep(50);
      }
    } else if (http(ctx)) {
      // A POST whose body is the long line alone, no LF: its end ends the line (HTTP-24).
      await (a as SseConn).post(long);
      await b!.write('short 1\nshort 2\n');
    } else {
      await a!.write(`${long}\n`);
      await b!.write('short 1\nshort 2\n');
    }
    await a!.write('end a\n');
    await eventually(() => stdinOf(d, p).includes('end a\n') && stdinOf(d, p).includes('short 2\n'), 'the process to read "end a" and "short 2"', ctx.ms(5000));
    const read = stdinOf(d, p).split('\n');
    const cut = read.filter((l) => l.includes('L'));
    const want = [MAX, MAX, LONG - 2 * MAX];
    ctx.expect(cut.every((l) => /^L+$/.test(l)) && cut.map((l) => l.length).join(',') === want.join(','), `the ${LONG}-byte line read as lines of ${want.join(', ')} bytes, nothing else in them`, () => cut.map((l) => `${l.length}B${/^L+$/.test(l) ? '' : ` mixed: ${clip(l.replace(/L+/g, (x) => `L*${x.length}`), 60)}`}`).join(', '));
    ctx.expect(read.includes('short 1') && read.includes('short 2'), "the other client's lines whole", () => clip(JSON.stringify(read.filter((l) => l.startsWith('short')))));
    const logged = await within(() => /long-line[^\n]*direction=in/.test(d.stderr().toString()), ctx.ms(2000));
    ctx.expect(logged, 'the cut logged: long-line ... direction=in', () => clip(d.stderr().toString().split('\n').filter((l) => /long|hub-/.test(l)).join(' | ') || 'no such line', 300));
    return `${LONG} bytes read as lines of ${want.join(', ')}; the other client's lines whole; long-line direction=in logged`;
  }),

  hub('HUB-07', 'MUST', 'a client that leaves does not signal the shared process; the others go on', ['hub-broadcast'], async (ctx) => {
    const d = await startHub(ctx, false);
    const [a, b, c] = await joinBroadcast(ctx, d, 3);
    const p = await hubProbe(ctx, d);
    if (stream(ctx)) b!.reset();
    else b!.close();
    c!.close();
    // Lines to write to, so that a daemon learns the two are gone (a FIN alone is not a leave).
    for (let i = 0; i < 5; i++) {
      const from = a!.receivedLength();
      await a!.write(`still here ${i}\n`);
      const ok = await within(() => text(a!).slice(from).includes(`still here ${i}\n`), ctx.ms(3000));
      ctx.expect(ok, `the remaining client served after two left (line ${i})`, () => `${clip(text(a!).slice(from))}; the process got ${fresh(d, p).signals().map((s) => s.sig).join(', ') || 'no signal'}`);
      await sleep(100);
    }
    const sig = await within(() => fresh(d, p).signals().length > 0, ctx.ms(SETTLE_MS));
    ctx.expect(!sig, 'no signal to the shared process when clients leave', () => fresh(d, p).signals().map((s) => s.sig).join(', '));
    return 'two clients left (a reset or close, and a close); no signal, the third still served';
  }),

  hub('HUB-08', 'MUST', 'addressed: join ID with H- variables, line ID TEXT, leave ID REASON; ids never reused', ['hub-addressed'], async (ctx) => {
    const d = await startHub(ctx, true);
    const joined = [];
    for (let id = 1; id <= 3; id++) joined.push(await joinAddressed(ctx, d, id));
    const p = await hubProbe(ctx, d);
    ctx.expect(p.env['H-HUB'] === 'addressed', 'H-HUB=addressed', () => `H-HUB=${JSON.stringify(p.env['H-HUB'] ?? null)}`);
    for (const [i, { c, join }] of joined.entries()) {
      const words = join.split(' ').slice(2);
      ctx.expect(words.every((w) => /^H-[A-Za-z0-9-]+=[^\s%]*(%[0-9A-F]{2}[^\s%]*)*$/.test(w)), `join ${i + 1}: words H-NAME=VALUE, VALUE percent-encoded`, () => clip(join));
      if (ctx.binding.name !== 'unix') {
        // http: the variables of the GET that opened the SSE session (HTTP-08).
        const want = [`H-REMOTE-ADDR=${c.localAddress}`, `H-REMOTE-PORT=${c.localPort}`, ...(http(ctx) ? ['H-METHOD=GET', 'H-PATH=/', 'H-MODE=sse', `H-TYPE=${ctx.binding.hType(d.addr)}`] : [])];
        ctx.expect(want.every((w) => words.includes(w)), `join ${i + 1} carries ${want.join(' ')}`, () => clip(join));
      }
    }
    const [a, b] = [joined[0]!.c, joined[1]!.c];
    await a.write('2 hello two\n');
    await eventually(() => stdinOf(d, p).includes('line 1 2 hello two\n'), 'the event "line 1 2 hello two"', ctx.ms(5000));
    await waitText(ctx, b, 'hello two\n', 'client 2 to get "hello two"');
    if (stream(ctx)) b.reset();
    else b.close();
    const leave = await eventually(
      () => {
        void a.write('* ping\n');
        return /^leave 2 (\S+)$/m.exec(stdinOf(d, p));
      },
      'the event "leave 2 REASON"',
      ctx.ms(5000),
      100,
    );
    const reasons = ['closed', 'reset', 'write-error', 'timeout', 'protocol'];
    ctx.expect(reasons.includes(leave[1]!), `leave 2 with a reason of ${reasons.join(', ')}`, () => leave[0]);
    const d4 = await joinAddressed(ctx, d, 4).catch(() => undefined);
    const all = stdinOf(d, p).split('\n').filter((l) => l.startsWith('join '));
    ctx.expect(d4 !== undefined, 'the next client to join as 4 (an id is never reused)', () => clip(all.map((l) => l.split(' ').slice(0, 2).join(' ')).join(', ')));
    return `joins 1..3 with H-REMOTE-ADDR/PORT, "line 1 2 hello two", "${leave[0]}", the next client is 4`;
  }),

  hub('HUB-09', 'MUST', 'addressed: TARGET TEXT to an id, ids, *, !id; close ID REASON; bad lines dropped', ['hub-addressed'], async (ctx) => {
    const d = await startHub(ctx, true);
    const cs: Conn[] = [];
    for (let id = 1; id <= 3; id++) cs.push((await joinAddressed(ctx, d, id)).c);
    const marks = cs.map((c) => c.receivedLength());
    const [a] = cs;
    // What client 1 sends, the process writes back as its own line (probe-hub.ts).
    const sent = ['2 to two', '* to all', '!1 not one', '1,3 one and three', 'hello world', 'nospace', '1;2 semicolon', '!x bang', '0 zero', 'close', 'close x', '9999 nobody', '2,x mixed', '* ', '* end'];
    for (const l of sent) await a!.write(`${l}\n`);
    const want = [
      ['to all', 'one and three', '', 'end'],
      ['to two', 'to all', 'not one', '', 'end'],
      ['to all', 'not one', 'one and three', '', 'end'],
    ];
    for (const [i, c] of cs.entries()) await waitText(ctx, c, 'end\n', `client ${i + 1} to get "end"`, marks[i]);
    for (const [i, c] of cs.entries()) {
      const got = linesSince(c, marks[i]!);
      ctx.expect(got.join('|') === want[i]!.join('|'), `client ${i + 1} gets exactly ${JSON.stringify(want[i])} (no line that breaks the grammar)`, () => clip(JSON.stringify(got)));
    }
    await a!.write('close 3 bye now\n');
    await expectTold(ctx, cs[2]!, 'hamelin: closed: bye now', undefined, 'closed: bye now', 'client 3 closed by the process');
    const p = await hubProbe(ctx, d);
    await eventually(() => stdinOf(d, p).includes('leave 3 closed-by-child\n'), 'the event "leave 3 closed-by-child"', ctx.ms(5000));
    return `2, *, !1, 1,3 each reached exactly their clients; ${sent.length - 6} bad lines reached none; close 3 told "closed: bye now", leave 3 closed-by-child`;
  }),

  hub('HUB-10', 'MUST', 'broadcast: every output line to every client, in order; the last line without newline too', ['hub-broadcast'], async (ctx) => {
    const d = await startHub(ctx, false);
    const cs = await joinBroadcast(ctx, d, 3);
    const marks = cs.map((c) => c.receivedLength());
    const want: string[] = [];
    for (let i = 0; i < 9; i++) {
      const line = `line ${i} from ${i % 3}${i === 4 ? ' with\ra CR' : ''}`;
      // SSE cannot carry a CR inside a line: it starts a new data field, joined with LF (HTTP-19).
      const seen = http(ctx) ? line.replace('\r', '\n') : line;
      want.push(...seen.split('\n'));
      await cs[i % 3]!.write(`${line}\n`);
      for (const [k, c] of cs.entries()) await waitText(ctx, c, `${seen}\n`, `client ${k + 1} to get ${JSON.stringify(seen)}`, marks[k]);
    }
    await cs[0]!.write('!partial the tail\n');
    for (const [k, c] of cs.entries()) await expectTold(ctx, c, 'hamelin: hub ended: exit status 0', 1000, 'exit status 0', `client ${k + 1}`);
    const end = stream(ctx) ? ['the tail', 'hamelin: hub ended: exit status 0'] : ['the tail'];
    for (const [k, c] of cs.entries()) {
      const got = linesSince(c, marks[k]!);
      ctx.expect(got.join('|') === [...want, ...end].join('|'), `client ${k + 1} gets every line in order, the tail without newline as a line`, () => clip(JSON.stringify(got)));
    }
    return '9 lines from 3 clients reached all 3 in order; "the tail" (no newline) reached all at the end';
  }),

  hub('HUB-11', 'MUST', 'a slow client stalls nobody: it misses lines and is told how many (--slow drop), or is closed "too slow" (disconnect)', ['hub-broadcast', 'hub-queue'], async (ctx) => {
    const { fast, slowC, mark, fastMark } = await slowFlood(ctx, 'drop');
    slowC.resume();
    // Lines to follow the flood, until the slow client has one: those it missed meanwhile are
    // in its notice's count too.
    const sent = await follow(ctx, fast, [fast, slowC], 'after', [fastMark, mark]);
    // Nothing more is sent: each client's queue empties, and its notice comes.
    const balanced = (c: Conn, from: number): boolean => {
      const a = floodAccount(ctx, linesSince(c, from), '', sent, false);
      return a.got + a.missed === FLOOD_LINES + 1 + sent;
    };
    await within(() => balanced(fast, fastMark) && balanced(slowC, mark), ctx.ms(5000), 100);
    const f = floodAccount(ctx, linesSince(fast, fastMark), 'the reading client', sent);
    const s = floodAccount(ctx, linesSince(slowC, mark), 'the slow client', sent);
    ctx.expect(s.missed > 0, 'the slow client to miss lines (its queue is 64 KiB)', () => `it got all ${s.got}`);
    let note = `the reading client got ${f.got} lines${f.missed ? ` and ${JSON.stringify(f.notices)}` : ''}; the slow one ${s.got} and ${JSON.stringify(s.notices)}`;
    if (!ctx.has('slow')) return `${note} (--slow disconnect not checked: give --opt slow=...)`;
    const r = await slowFlood(ctx, 'disconnect');
    r.slowC.resume();
    await expectTold(ctx, r.slowC, 'hamelin: closed: too slow', undefined, 'closed: too slow', 'the slow client under --slow disconnect');
    note += '; --slow disconnect: closed "too slow"';
    return note;
  }, 60_000),

  hub('HUB-12', 'MUST', "a process that reads nothing pauses its clients' input, with the daemon's memory bounded", ['hub-broadcast'], async (ctx) => {
    const d = await startHub(ctx, false, {}, 'noread+stay');
    const c = await dial(ctx, d);
    await hubProbe(ctx, d);
    const base = d.rssKb();
    const chunk = Buffer.alloc(64 * 1024, 'q');
    chunk[chunk.length - 1] = 0x0a;
    let queued = 0;
    let peak = base;
    let blocked = false;
    const deadline = Date.now() + ctx.ms(15_000);
    while (queued < 32 * MiB && Date.now() < deadline) {
      queued += chunk.length;
      if (!c.tryWrite(chunk)) {
        const drained = await Promise.race([c.drained().then(() => true), sleep(800).then(() => false)]);
        peak = Math.max(peak, d.rssKb());
        if (!drained) {
          blocked = true;
          break;
        }
      }
    }
    peak = Math.max(peak, d.rssKb());
    const grew = peak - base;
    ctx.expect(blocked, "the daemon to stop reading the client while the hub's process reads nothing", () => `it took ${(queued / MiB).toFixed(0)} MiB; daemon RSS +${(grew / 1024).toFixed(1)} MiB`);
    ctx.expect(grew < BOUND_KB, `daemon RSS growth under ${BOUND_KB / 1024} MiB`, () => `${(grew / 1024).toFixed(1)} MiB`);
    c.reset();
    return `client paused after ~${(queued / MiB).toFixed(1)} MiB, daemon RSS +${(grew / 1024).toFixed(1)} MiB`;
  }),

  hub('HUB-13', 'MUST', '--replay N: a new client first gets the last N whole lines', ['hub-broadcast', 'replay'], async (ctx) => {
    const d = await startHub(ctx, false, { replay: '3' });
    const a = await dial(ctx, d);
    for (let i = 1; i <= 5; i++) await a.write(`replayed line ${i}\n`);
    await waitText(ctx, a, 'replayed line 5\n', 'the first client to get its five lines');
    const b = await dial(ctx, d);
    await waitText(ctx, b, 'replayed line 5\n', 'the new client to get the replayed lines');
    await a.write('live line\n');
    await waitText(ctx, b, 'live line\n', 'the new client to get the next line');
    const want = 'replayed line 3\nreplayed line 4\nreplayed line 5\nlive line\n';
    ctx.expect(text(b) === want, `the new client gets exactly ${JSON.stringify(want)}`, () => clip(text(b)));
    return 'the new client got replayed lines 3, 4, 5, then the live line';
  }),

  hub('HUB-14', 'MUST', "daemon shutdown: SIGTERM to the hub's process, its last output reaches the clients, then its end", ['hub-broadcast'], async (ctx) => {
    const d = await startHub(ctx, false, {}, `stay+termsay=${Buffer.from('last words\n').toString('base64url')}`);
    const cs = await joinBroadcast(ctx, d, 2);
    const p = await hubProbe(ctx, d);
    d.signal('SIGTERM');
    const sig = await within(() => fresh(d, p).firstSignal('SIGTERM') !== undefined, ctx.ms(5000));
    ctx.expect(sig, "SIGTERM to the hub's process at daemon shutdown", () => `${fresh(d, p).signals().map((s) => s.sig).join(', ') || 'no signal'}; daemon ${d.exitInfo ? `exited ${d.exitInfo.code ?? d.exitInfo.signal}` : 'running'}`);
    for (const [k, c] of cs.entries()) {
      await expectTold(ctx, c, 'hamelin: hub ended: exit status 0', 1000, 'exit status 0', `client ${k + 1}`);
      const tail = text(c).split('\n').slice(stream(ctx) ? -3 : -2, stream(ctx) ? -2 : -1);
      ctx.expect(tail[0] === 'last words', `client ${k + 1}: the process's last line "last words" before its end`, () => clip(text(c).slice(-80)));
    }
    const exited = await within(() => d.exitInfo !== undefined, ctx.ms(5000));
    ctx.expect(exited, 'the daemon to exit once its hub has ended', () => 'still running');
    return 'SIGTERM to the process; both clients got "last words", then the end (exit status 0)';
  }),

  hub('HUB-15', 'MUST', "memory bounded: a slow client's queue is --hub-queue, measured on the daemon's own processes", ['hub-broadcast', 'hub-queue'], async (ctx) => {
    const { grewKb } = await slowFlood(ctx, 'drop', true);
    ctx.expect(grewKb < BOUND_KB, `daemon RSS growth under ${BOUND_KB / 1024} MiB while a client with a ${QUEUE / 1024} KiB queue (full already) misses another ${(FLOOD_LINES * FLOOD_SIZE) / MiB} MiB`, () => `${(grewKb / 1024).toFixed(1)} MiB`);
    return `daemon RSS +${(grewKb / 1024).toFixed(1)} MiB while a slow client missed a second ${(FLOOD_LINES * FLOOD_SIZE) / MiB} MiB flood`;
  }, 60_000),
];
