/**
 * An HTTP interactive session seen as one client (spec/bindings/http.md HTTP-18..HTTP-24): an
 * SSE GET whose events are its output, and POSTs to /.hamelin/session/ID as its input. The hub
 * checks (spec/hub.md) use it where the other bindings dial a connection: each complete line a
 * check writes goes out in a POST (POSTs one after another, as HTTP-24 applies them), each
 * `message` event reads as one line, and the `exit` event is how the binding tells a client its
 * end (HUB-04). Pausing it stops reading the event stream: a slow SSE reader (HUB-11).
 */
import type { Address, Conn } from '../types.js';
import { dialHttp, HTTP_USER_AGENT } from './http.js';

/** The `exit` event's JSON (HTTP-19). */
export interface ExitEvent {
  status: number | null;
  signal: string | null;
  exit?: string;
  description?: string;
}

export interface SseConn extends Conn {
  readonly sessionId: string;
  /** The `exit` event, once it came. */
  exitEvent(): ExitEvent | undefined;
  /** The POSTs answered other than 204, as `STATUS body`. */
  postErrors(): string[];
  /** POST this body as it is (a last line without LF too), after the POSTs before it. */
  post(body: Buffer | string): Promise<void>;
}

/** POSTed bytes not yet answered beyond which tryWrite says wait (HUB-12). */
const HIGH_WATER = 256 * 1024;

/** Open an SSE session at `path`; resolves once its session event has named it. */
export async function dialSse(addr: Address, path = '/', timeoutMs = 5000): Promise<SseConn> {
  const messages: Buffer[] = [];
  let total = 0;
  let raw: Buffer = Buffer.alloc(0);
  let sessionId = '';
  let exit: ExitEvent | undefined;
  let endedAt: number | undefined;
  const onEvent = (block: Buffer): void => {
    let event = 'message';
    const data: Buffer[] = [];
    for (const line of split(block)) {
      if (line.length === 0 || line[0] === 0x3a) continue; // a comment (heartbeat)
      const colon = line.indexOf(0x3a);
      const field = (colon < 0 ? line : line.subarray(0, colon)).toString('latin1');
      let value = colon < 0 ? Buffer.alloc(0) : line.subarray(colon + 1);
      if (value[0] === 0x20) value = value.subarray(1);
      if (field === 'event') event = value.toString('latin1');
      else if (field === 'data') data.push(value);
    }
    const value = Buffer.concat(data.flatMap((d, i) => (i ? [Buffer.from('\n'), d] : [d])));
    if (event === 'session') sessionId = value.toString('latin1');
    else if (event === 'exit') {
      try {
        exit = JSON.parse(value.toString('utf8')) as ExitEvent;
      } catch {
        exit = { status: null, signal: null, description: `unparsable: ${value.toString('latin1').slice(0, 80)}` };
      }
      endedAt ??= Date.now();
    } else if (data.length) {
      messages.push(value);
      total += value.length + 1;
    }
  };
  const onBody = (b: Buffer): void => {
    raw = raw.length ? Buffer.concat([raw, b]) : b;
    for (let at = raw.indexOf('\n\n'); at >= 0; at = raw.indexOf('\n\n')) {
      onEvent(raw.subarray(0, at));
      raw = raw.subarray(at + 2);
    }
  };
  const get = await dialHttp(addr, { method: 'GET', path, headers: { Accept: 'text/event-stream' }, onBody });
  const deadline = Date.now() + timeoutMs;
  while (!sessionId) {
    if (get.endedAt() !== undefined || get.error() !== undefined || Date.now() > deadline) {
      get.close();
      throw new Error(`no SSE session event from GET ${path} (status ${get.status() ?? 'none'}${get.error() ? `, ${get.error()}` : ''})`);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  void get.closed.then(() => (endedAt ??= Date.now()));

  // Input: complete lines, one POST at a time, in order.
  let pending: Buffer = Buffer.alloc(0);
  let chain: Promise<void> = Promise.resolve();
  let inflight = 0;
  const errors: string[] = [];
  const post = (suffix: string, body: Buffer): Promise<void> => {
    inflight += body.length;
    chain = chain.then(async () => {
      const c = await dialHttp(addr, { method: 'POST', path: `/.hamelin/session/${sessionId}${suffix}`, body });
      await Promise.race([c.closed, new Promise<void>((r) => {
        const t = setInterval(() => c.endedAt() !== undefined && (clearInterval(t), r()), 5);
        void c.closed.then(() => clearInterval(t));
      })]);
      inflight -= body.length;
      if (c.status() !== 204) errors.push(`${c.status() ?? c.error() ?? 'no answer'} ${c.received().toString('latin1').trim()}`);
      c.close();
    });
    return chain;
  };
  const lines = (data: Buffer): Buffer | undefined => {
    pending = pending.length ? Buffer.concat([pending, data]) : data;
    const cut = pending.lastIndexOf(0x0a) + 1;
    if (cut === 0) return undefined;
    const now = pending.subarray(0, cut);
    pending = pending.subarray(cut);
    return now;
  };
  const rendered = (): Buffer => Buffer.concat(messages.flatMap((m) => [m, Buffer.from('\n')]));
  return {
    label: HTTP_USER_AGENT,
    localAddress: get.localAddress,
    localPort: get.localPort,
    remoteAddress: get.remoteAddress,
    remotePort: get.remotePort,
    sessionId,
    write: async (data) => {
      const now = lines(Buffer.from(data));
      if (now) await post('', now);
    },
    tryWrite: (data) => {
      const now = lines(data);
      if (now) void post('', now);
      return inflight < HIGH_WATER;
    },
    drained: async () => {
      while (inflight >= HIGH_WATER / 4) await new Promise((r) => setTimeout(r, 5));
    },
    halfClose: () => {
      if (pending.length) void post('', Buffer.concat([pending, Buffer.from('\n')]));
      pending = Buffer.alloc(0);
      void post('/end', Buffer.alloc(0));
    },
    reset: () => get.reset(),
    close: () => get.close(),
    pause: () => get.pause(),
    resume: () => get.resume(),
    received: rendered,
    receivedLength: () => total,
    waitFor: async (pred, what, ms = 5000) => {
      const end = Date.now() + ms;
      for (let seen = -1; ; ) {
        if (total !== seen) {
          seen = total;
          if (pred(rendered())) return;
        }
        if (endedAt !== undefined) {
          if (pred(rendered())) return;
          throw new Error(`the event stream ended${exit ? ` (exit ${JSON.stringify(exit)})` : ''} before ${what}`);
        }
        if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    endedAt: () => endedAt,
    closed: get.closed,
    error: () => get.error(),
    messages: () => messages,
    exitEvent: () => exit,
    postErrors: () => errors,
    post: (body) => post('', Buffer.from(body)),
  };
}

function split(block: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (let nl = block.indexOf(0x0a); nl >= 0; nl = block.indexOf(0x0a, start)) {
    out.push(block.subarray(start, nl));
    start = nl + 1;
  }
  out.push(block.subarray(start));
  return out;
}
