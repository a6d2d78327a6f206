/**
 * The hamelin-http listener and router.
 *
 *   /.hamelin/console                 the console page (with --console)
 *   /.hamelin/poll[/PATH][?QUERY]     open a long-poll session running PATH's command
 *   /.hamelin/session/ID              POST lines to stdin, GET a long poll, DELETE to end
 *   /.hamelin/session/ID/end          POST: end of stdin
 *   anything else                     run the command (or, with --dir, the script PATH names):
 *                                     a plain request, or an SSE session when the client
 *                                     accepts text/event-stream
 */
import { createServer, STATUS_CODES, type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import cluster from 'node:cluster';
import type { Socket } from 'node:net';
import {
  answerClientError,
  consolePage,
  endFailedHandshakes,
  FrontDoor,
  headerDeadline,
  originRefusal,
  listenerHandle,
  listenPeer,
  otherWorkerOf,
  refusalHttp,
  requestClient,
  requestTarget,
  resolveDirRoute,
  resolveStaticFile,
  sendStaticFile,
  describeTarget,
  type Daemon,
  type FrontDoorRefusal,
  type HVars,
  type ResolvedCommand,
  type ServeHandle,
} from '@hamelin/core';
import { PREFIX, type HttpConfig } from './config.js';
import { RequestEndpoint } from './request-endpoint.js';
import { sessionRelay, type Relay } from './session-relay.js';
import { ALLOW, answer, corsHeaders, exitValue, preflight, STREAM_HEAD } from './respond.js';
import { ID_PATTERN, newSessionId, PollEndpoint, SessionRegistry, SseEndpoint } from './sessions.js';
import { clientLabel, requestVars, type Mode, type RequestParts } from './vars.js';

export interface HttpServer extends ServeHandle {
  server: Server;
  port: number;
  registry: SessionRegistry;
}

/** Extra for a listener shared with hamelin-ws (the `hamelin` command): upgrade requests go
 * there, everything else is HTTP. */
export interface HttpServeExtras {
  onUpgrade?: (req: IncomingMessage, socket: import('node:stream').Duplex, head: Buffer) => void;
  /** Ends the upgrade side's sessions when the listener closes. */
  closeUpgrades?: () => Promise<void>;
}

interface Target {
  command: ResolvedCommand | undefined;
  parts: RequestParts;
}

const noop = (): void => {};

export function handler(daemon: Daemon, cfg: HttpConfig, registry: SessionRegistry, relay?: Relay) {
  const log = daemon.log;
  const door = new FrontDoor(cfg.frontDoor, daemon);

  /** FD-07, FD-18: the front door's answer (403, 429 + Retry-After, 401 + WWW-Authenticate),
   * logged with its reason and counted; nothing runs. */
  const refuseAtDoor = (req: IncomingMessage, res: ServerResponse, refusal: FrontDoorRefusal, headers: OutgoingHttpHeaders): void => {
    req.resume();
    const a = refusalHttp(refusal)!;
    door.refused(clientLabel(req, cfg), refusal, { http_status: a.status });
    res.writeHead(a.status, { ...headers, ...a.headers, 'Content-Length': Buffer.byteLength(a.body) });
    res.end(req.method === 'HEAD' ? undefined : a.body);
  };

  /**
   * FD-14 after the forwarded header and --deny (checked first, for every request): for what
   * starts a session the per-source limits, then authentication; for anything else (the console
   * page, a running session's requests) authentication alone. Resolves with the admission's
   * release, or undefined when the request has been answered with its refusal.
   */
  const gate = async (req: IncomingMessage, res: ServerResponse, headers: OutgoingHttpHeaders, starts: boolean): Promise<(() => void) | undefined> => {
    if (door.open) return noop;
    let release = noop;
    if (starts) {
      const admitted = door.admit(requestClient(req).address);
      if (!admitted.ok) return void refuseAtDoor(req, res, admitted.refusal, headers);
      release = admitted.release;
    }
    const refusal = await door.authenticate(req);
    if (!refusal) return release;
    // FD-05: the token stays spent; the concurrent slot is given back.
    release();
    return void refuseAtDoor(req, res, refusal, headers);
  };
  const pages = new Map<string, string>();
  const consoleHtml = (scriptName: string | undefined): string => {
    const title = `hamelin-http: ${scriptName ?? daemon.config.command?.argv0 ?? ''}`;
    let page = pages.get(title);
    if (page === undefined) {
      page = consolePage({ title, transport: 'sse' });
      if (pages.size < 64) pages.set(title, page); // bounded: the titles come from URLs
    }
    return page;
  };

  /**
   * HEAD and OPTIONS are answered by the daemon and run nothing (HTTP-33): both are safe
   * methods, which clients, crawlers and proxies send freely, and a side-effecting script must
   * not run for them. HEAD gets the head a streamed answer would start with; its status and
   * exit cannot be known without running the command.
   */
  const safeMethod = (req: IncomingMessage, res: ServerResponse, path: string, headers: OutgoingHttpHeaders): void => {
    req.resume();
    const status = req.method === 'HEAD' ? 200 : 204;
    log.info('request', { client: clientLabel(req, cfg), method: req.method, path, http_status: status, ran: 'nothing' });
    if (status === 200) res.writeHead(200, { ...headers, ...STREAM_HEAD });
    else res.writeHead(204, { ...headers, Allow: ALLOW });
    res.end();
  };

  /** The command a path runs, or an error answer already sent (HTTP-31). */
  const route = (res: ServerResponse, path: string, query: string, headers: OutgoingHttpHeaders): Target | undefined => {
    const parts: RequestParts = { path, query };
    if (!cfg.dir) return { command: undefined, parts };
    const r = resolveDirRoute(cfg.dir, path);
    if ('error' in r) {
      // LOG-05: a path that names nothing is a refusal, as in hamelin-ws.
      log.warn('refused', { client: clientLabel(res.req, cfg), http_status: r.error, reason: r.reason, path });
      answer(res, r.error, r.error === 404 ? 'not found' : `bad path: ${r.reason}`, headers);
      return undefined;
    }
    return { command: { file: r.file, argv0: r.path, args: [] }, parts: { path, query, scriptName: r.scriptName, pathInfo: r.pathInfo } };
  };

  /**
   * HTTP-34: a request from a page of another origin runs nothing and reaches no session
   * (a no-cors POST or an <img> would otherwise run the command with the user's network
   * position). Asked before anything would start or touch a process; what only serves the
   * daemon's own page, HEAD, OPTIONS and 404s is not asked.
   */
  const foreign = (req: IncomingMessage, res: ServerResponse, headers: OutgoingHttpHeaders): boolean => {
    const h = req.headers;
    const why = originRefusal(cfg.origin, { origin: h.origin, host: h.host, fetchSite: h['sec-fetch-site'] as string | undefined, tls: cfg.tls !== undefined });
    if (why === null) return false;
    req.resume();
    log.warn('refused', { client: clientLabel(req, cfg), http_status: 403, reason: why });
    daemon.refused('origin');
    answer(res, 403, `forbidden: ${why}`, headers);
    return true;
  };

  const busy = (res: ServerResponse, headers: OutgoingHttpHeaders): boolean => {
    const refusal = daemon.refusal;
    if (!refusal) return false;
    const why = refusal.text;
    log.warn('refused', { client: clientLabel(res.req, cfg), http_status: 503, reason: why });
    daemon.refused(refusal.reason);
    answer(res, 503, `busy: ${why}`, { ...headers, 'Retry-After': '1' });
    return true;
  };

  const accept = (ep: RequestEndpoint | SseEndpoint | PollEndpoint, vars: HVars, command: ResolvedCommand | undefined, release: () => void): void => {
    void daemon.acceptAdmitted(ep, vars, command ?? daemon.config.command, release);
  };

  const plain = (req: IncomingMessage, res: ServerResponse, t: Target, headers: OutgoingHttpHeaders, release: () => void): void => {
    const label = clientLabel(req, cfg);
    const ep = new RequestEndpoint(req, res, label, cfg, headers, (o) => {
      // LOG-04: http_status is the answer's, status the child's exit status.
      log.info('request', { client: label, method: req.method, path: t.parts.path, http_status: o.status, status: o.exit.code ?? undefined, signal: o.exit.signal ?? undefined, bytes_in: o.bytesIn, error: o.error });
    });
    accept(ep, requestVars(req, cfg, 'request', t.parts), t.command, release);
  };

  const openSession = (req: IncomingMessage, res: ServerResponse, t: Target, headers: OutgoingHttpHeaders, mode: Mode, release: () => void): void => {
    const label = clientLabel(req, cfg);
    const id = newSessionId();
    const limits = { maxBody: cfg.maxBody, maxLine: cfg.maxLine };
    req.resume(); // an opening request's body is not stdin: POSTs are
    if (mode === 'sse') {
      const ep = new SseEndpoint(id, label, registry, limits, res, headers, cfg.heartbeatMs);
      log.info('session-open', { client: label, mode, path: t.parts.path });
      accept(ep, requestVars(req, cfg, mode, t.parts), t.command, release);
    } else {
      const ep = new PollEndpoint(id, label, registry, limits, cfg.pollTimeoutMs, cfg.abandonMs);
      log.info('session-open', { client: label, mode, path: t.parts.path });
      accept(ep, requestVars(req, cfg, mode, t.parts), t.command, release);
      const body = `${id}\n`;
      res.writeHead(200, {
        ...headers,
        'Cache-Control': 'no-cache, no-store',
        'Content-Type': 'text/plain; charset=utf-8',
        'Content-Length': body.length,
        'Hamelin-Session': id,
      });
      res.end(body);
    }
  };

  /** /.hamelin/session/ID[/end], past the front door: here, or at the worker that holds it. */
  const sessionRequest = async (req: IncomingMessage, res: ServerResponse, rest: string, headers: OutgoingHttpHeaders): Promise<void> => {
    if (foreign(req, res, headers)) return;
    if (!(await gate(req, res, headers, false))) return;
    const id = rest.split('/')[0]!;
    if (relay && ID_PATTERN.test(id) && !registry.get(id)) {
      const owner = otherWorkerOf(Buffer.from(id, 'base64url'));
      if (owner !== undefined) return relay(req, res, owner, headers);
    }
    return sessionAction(req, res, rest, headers);
  };

  /** A session's own requests (HTTP-24 .. HTTP-27); a sibling worker's relay calls this alone. */
  const sessionAction = async (req: IncomingMessage, res: ServerResponse, rest: string, headers: OutgoingHttpHeaders): Promise<void> => {
    const [id = '', action, ...extra] = rest.split('/');
    const ep = ID_PATTERN.test(id) ? registry.get(id) : undefined;
    if (!ep || extra.length > 0 || (action !== undefined && action !== 'end')) {
      req.resume();
      return answer(res, 404, 'no such session', headers);
    }
    ep.touch();
    const method = req.method ?? 'GET';
    if (action === 'end') {
      if (method !== 'POST') return answer(res, 405, 'use POST', { ...headers, Allow: 'POST' });
      req.resume();
      ep.endInput();
      return answer(res, 204, '', headers);
    }
    if (method === 'POST' || method === 'PUT') {
      const r = await ep.post(req);
      ep.touch();
      if (r.status !== 204) return answer(res, r.status, r.text, headers, r.status === 413);
      return answer(res, 204, '', headers);
    }
    if (method === 'GET') {
      req.resume();
      if (ep.kind !== 'poll') return answer(res, 409, 'this session sends its output on its event stream', headers);
      (ep as PollEndpoint).poll(res, headers);
      return;
    }
    if (method === 'DELETE') {
      req.resume();
      ep.kill('DELETE');
      const exit = await ep.ended();
      registry.remove(ep);
      return answer(res, 204, '', { ...headers, 'Hamelin-Exit': exitValue(exit) });
    }
    // HEAD too: a poll hands over the output it answers with, and a HEAD answer has no body.
    req.resume();
    return answer(res, 405, 'method not allowed', { ...headers, Allow: 'GET, POST, DELETE' });
  };

  const onRequest = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const { path, query } = requestTarget(req.url ?? '/');
    const headers = corsHeaders(req, cfg);
    const method = req.method ?? 'GET';
    const accept = String(req.headers.accept ?? '');
    // FD-14: the client a trusted proxy names, and --allow/--deny on it, before anything else.
    const denied = door.denied(door.identify(req).address);
    if (denied) return refuseAtDoor(req, res, denied, headers);

    if (method === 'OPTIONS' && cfg.cors.length > 0 && req.headers['access-control-request-method']) {
      req.resume();
      return preflight(req, res, cfg);
    }
    if (path.startsWith(PREFIX)) {
      const rest = path.slice(PREFIX.length);
      // With --dir the page lives at each script's own path: `/` names no script.
      if (rest === 'console' && cfg.console && !cfg.dir && (method === 'GET' || method === 'HEAD')) {
        if (!(await gate(req, res, headers, false))) return;
        return sendPage(res, consoleHtml(undefined), headers);
      }
      if (rest.startsWith('session/')) return sessionRequest(req, res, rest.slice('session/'.length), headers);
      if (rest === 'poll' || rest.startsWith('poll/')) {
        if (method !== 'GET' && method !== 'POST') return answer(res, 405, 'use GET or POST', { ...headers, Allow: 'GET, POST' });
        const t = route(res, rest === 'poll' ? '/' : rest.slice('poll'.length), query, headers);
        if (!t || foreign(req, res, headers)) return void req.resume();
        const release = await gate(req, res, headers, true);
        if (!release) return;
        if (busy(res, headers)) return void (release(), req.resume());
        return openSession(req, res, t, headers, 'poll', release);
      }
      req.resume();
      return answer(res, 404, 'not found', headers);
    }

    if (cfg.console && path === '/favicon.ico') {
      // The page's browser asks for this on its own; it must not start a process (HTTP-30).
      req.resume();
      return answer(res, 404, 'not found', headers);
    }
    if (method === 'OPTIONS' && path === '*') return safeMethod(req, res, path, headers);
    const wantsEvents = method === 'GET' && /\btext\/event-stream\b/.test(accept);
    if (wantsEvents && req.headers['last-event-id'] !== undefined) {
      // A browser reconnecting to a finished stream: never run the command again (HTTP-21).
      req.resume();
      log.info('sse-reconnect', { client: clientLabel(req, cfg), path, last_event_id: String(req.headers['last-event-id']) });
      return answer(res, 204, '', headers);
    }
    // HTTP-41: a file of --static for a GET or HEAD, unless a --dir script has the path.
    if (cfg.static && (method === 'GET' || method === 'HEAD') && !wantsEvents && !(cfg.dir && !('error' in resolveDirRoute(cfg.dir, path)))) {
      const file = resolveStaticFile(cfg.static, path);
      if (file) {
        if (!(await gate(req, res, headers, false))) return;
        const label = clientLabel(req, cfg);
        res.on('finish', () => log.info('request', { client: label, method, path, http_status: res.statusCode, ran: 'static' }));
        return sendStaticFile(req, res, file, headers, (status) => answer(res, status, STATUS_CODES[status] ?? 'error', headers));
      }
    }
    // Routing first: with --dir, a path that names no script is 404 for the console page,
    // HEAD and OPTIONS alike (HTTP-30, HTTP-31, HTTP-33).
    const t = route(res, path, query, headers);
    if (!t) return void req.resume();
    if (cfg.console && (method === 'GET' || method === 'HEAD') && !wantsEvents && /\btext\/html\b/.test(accept)) {
      if (!(await gate(req, res, headers, false))) return;
      req.resume();
      return sendPage(res, consoleHtml(t.parts.scriptName), headers);
    }
    if (method === 'HEAD' || method === 'OPTIONS') {
      if (!(await gate(req, res, headers, false))) return;
      return safeMethod(req, res, path, headers);
    }
    if (foreign(req, res, headers)) return void req.resume();
    const release = await gate(req, res, headers, true);
    if (!release) return;
    if (busy(res, headers)) return void (release(), req.resume());
    if (wantsEvents) return openSession(req, res, t, headers, 'sse', release);
    const length = Number(req.headers['content-length'] ?? 0);
    if (cfg.maxBody > 0 && length > cfg.maxBody) {
      req.resume();
      release();
      return answer(res, 413, `request body over --max-body (${cfg.maxBody} bytes)`, headers, true);
    }
    plain(req, res, t, headers, release);
  };

  /** What a sibling worker passes on (OPS-17): a session request it has let in already. */
  const onPeerRequest = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const { path } = requestTarget(req.url ?? '/');
    const rest = path.startsWith(`${PREFIX}session/`) ? path.slice(`${PREFIX}session/`.length) : undefined;
    if (rest === undefined) return void (req.resume(), answer(res, 404, 'not found'));
    return sessionAction(req, res, rest, corsHeaders(req, cfg));
  };

  return Object.assign(onRequest, { onPeerRequest });
}

function sendPage(res: ServerResponse, html: string, headers: OutgoingHttpHeaders): void {
  const body = Buffer.from(html);
  res.writeHead(200, {
    ...headers,
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': body.length,
    'Cache-Control': 'no-cache',
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(body);
}

export async function serve(daemon: Daemon, cfg: HttpConfig, extras: HttpServeExtras = {}): Promise<HttpServer> {
  const registry = new SessionRegistry();
  // OPS-17: under --workers, a session's requests reach it whichever worker cluster picks.
  const where = describeTarget(cfg.target);
  const peer = createServer({ noDelay: true, keepAliveTimeout: 5000 });
  const relayed = cluster.isWorker ? await listenPeer(peer, where) : false;
  const onRequest = handler(daemon, cfg, registry, relayed ? sessionRelay(where) : undefined);
  peer.on('request', (req: IncomingMessage, res: ServerResponse) => {
    onRequest.onPeerRequest(req, res).catch((e: Error) => {
      daemon.log.error('request-error', { client: 'worker', error: e.message });
      answer(res, 500, 'internal error');
    });
  });
  const options = {
    // HTTP-13: the request line and headers must arrive within --header-timeout (Node answers
    // 408); the body is timed piece by piece by the endpoint, since a streamed body may last.
    ...headerDeadline(cfg.headerTimeoutMs),
    noDelay: true,
    keepAliveTimeout: 5000,
  };
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    onRequest(req, res).catch((e: Error) => {
      daemon.log.error('request-error', { client: clientLabel(req, cfg), error: e.message });
      answer(res, 500, 'internal error');
    });
  };
  const server: Server = cfg.tls ? createHttpsServer({ ...options, ...cfg.tls }, listener) : createServer(options, listener);
  // Expect: 100-continue is answered only once the body is known to be acceptable (HTTP-12).
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    const length = Number(req.headers['content-length'] ?? 0);
    if (cfg.maxBody > 0 && length > cfg.maxBody) {
      return answer(res, 413, `request body over --max-body (${cfg.maxBody} bytes)`, corsHeaders(req, cfg), true);
    }
    res.writeContinue();
    listener(req, res);
  });
  // Node's own answers, kept, plus one log line: 408 for headers that came too slowly
  // (HTTP-13), 431 for headers too large, 400 for anything unparsable.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => answerClientError(daemon.log, err, socket));
  if (cfg.tls) endFailedHandshakes(server, cfg.target, daemon.log);
  if (extras.onUpgrade) server.on('upgrade', extras.onUpgrade);
  new FrontDoor(cfg.frontDoor, daemon).guard(server, cfg.target, cfg.tls !== undefined);
  const port = await daemon.listen(server, cfg.target, { tls: cfg.tls !== undefined });
  const handle = listenerHandle(daemon, server, cfg.target, port, cfg.tls !== undefined, async () => {
    // Streams end as their sessions end; whatever is still open after that is cut.
    await Promise.all([daemon.shutdown(), extras.closeUpgrades?.()]);
    await new Promise((r) => setTimeout(r, 200).unref());
    server.closeAllConnections();
    if (relayed) peer.close();
    peer.closeAllConnections();
  });
  return { ...handle, registry };
}
