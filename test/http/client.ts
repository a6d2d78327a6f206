/** A small HTTP client for the hamelin-http tests: node:http, nothing hidden. */
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ClientRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { eventually } from '../helpers/poll.js';

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  trailers: NodeJS.Dict<string>;
  body: string;
}

export interface Options {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  socketPath?: string;
  https?: boolean;
}

function open(port: number, o: Options): ClientRequest {
  const common = {
    method: o.method ?? 'GET',
    path: o.path ?? '/',
    headers: o.headers ?? {},
    agent: false as const,
  };
  if (o.socketPath) return httpRequest({ ...common, socketPath: o.socketPath });
  if (o.https) return httpsRequest({ ...common, host: '127.0.0.1', port, rejectUnauthorized: false });
  return httpRequest({ ...common, host: '127.0.0.1', port });
}

/** One complete request: send the body (if any), read the whole answer. */
export function fetchText(port: number, o: Options = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = open(port, o);
    req.on('error', reject);
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, trailers: res.trailers, body }));
      res.on('error', reject);
    });
    req.end(o.body);
  });
}

/** A request left open: write the body piece by piece, watch the answer as it arrives. */
export interface Live {
  req: ClientRequest;
  response: Promise<IncomingMessage>;
  /** Everything received so far. */
  text(): string;
  waitFor(s: string | RegExp, timeoutMs?: number): Promise<string>;
  ended: Promise<Reply>;
}

export function live(port: number, o: Options = {}): Live {
  const req = open(port, o);
  let body = '';
  req.on('error', () => {});
  let resolveEnded!: (r: Reply) => void;
  const ended = new Promise<Reply>((r) => (resolveEnded = r));
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    req.on('error', reject);
    req.on('response', (res) => {
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolveEnded({ status: res.statusCode ?? 0, headers: res.headers, trailers: res.trailers, body }));
      res.on('error', () => {});
      resolve(res);
    });
  });
  response.catch(() => {});
  req.flushHeaders();
  return {
    req,
    response,
    text: () => body,
    waitFor: (s, timeoutMs = 10_000) =>
      eventually(() => ((typeof s === 'string' ? body.includes(s) : s.test(body)) ? body : undefined), `answer to contain ${String(s)}`, timeoutMs),
    ended,
  };
}

export interface SseEvent {
  id?: string;
  event: string;
  data: string;
}

/** An EventSource-like reader: parses the stream into events as it arrives. */
export interface SseStream extends Live {
  events: SseEvent[];
  comments: string[];
  waitEvent(pred: (e: SseEvent) => boolean, what: string, timeoutMs?: number): Promise<SseEvent>;
}

export function sse(port: number, path = '/', headers: Record<string, string> = {}): SseStream {
  const l = live(port, { path, headers: { Accept: 'text/event-stream', ...headers } });
  const events: SseEvent[] = [];
  const comments: string[] = [];
  let parsed = 0;
  const parse = (): void => {
    const text = l.text();
    for (;;) {
      const end = text.indexOf('\n\n', parsed);
      if (end < 0) break;
      const block = text.slice(parsed, end);
      parsed = end + 2;
      const ev: SseEvent = { event: 'message', data: '' };
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) {
          comments.push(line);
          continue;
        }
        const c = line.indexOf(':');
        const field = c < 0 ? line : line.slice(0, c);
        let value = c < 0 ? '' : line.slice(c + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (field === 'data') data.push(value);
        else if (field === 'event') ev.event = value;
        else if (field === 'id') ev.id = value;
      }
      if (data.length === 0 && ev.id === undefined && ev.event === 'message') continue;
      ev.data = data.join('\n');
      events.push(ev);
    }
  };
  return {
    ...l,
    events,
    comments,
    waitEvent: (pred, what, timeoutMs = 10_000) =>
      eventually(() => {
        parse();
        return events.find(pred);
      }, what, timeoutMs),
  };
}
