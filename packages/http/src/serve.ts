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
import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import {
  consolePage,
  removeSocketFile,
  resolveDirRoute,
  type Daemon,
  type HVars,
  type ResolvedCommand,
  type ServeHandle,
} from '@hamelin/core';
import { PREFIX, type HttpConfig } from './config.js';
import { RequestEndpoint } from './request-endpoint.js';
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

export function handler(daemon: Daemon, cfg: HttpConfig, registry: SessionRegistry) {
  const log = daemon.log;
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
    log.info('request', { client: clientLabel(req, cfg), method: req.method, path, status, ran: 'nothing' });
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
      log.info('no-route', { path, status: r.error, reason: r.reason });
      answer(res, r.error, r.error === 404 ? 'not found' : `bad path: ${r.reason}`, headers);
      return undefined;
    }
    return { command: { file: r.file, argv0: r.path, args: [] }, parts: { path, query, scriptName: r.scriptName, pathInfo: r.pathInfo } };
  };

  const busy = (res: ServerResponse, headers: OutgoingHttpHeaders): boolean => {
    const refusal = daemon.refusal;
    if (!refusal) return false;
    const why = refusal.text;
    log.warn('refused', { reason: why });
    daemon.refused(refusal.reason);
    answer(res, 503, `busy: ${why}`, { ...headers, 'Retry-After': '1' });
    return true;
  };

  const accept = (ep: RequestEndpoint | SseEndpoint | PollEndpoint, vars: HVars, command: ResolvedCommand | undefined): void => {
    void daemon.accept(ep, vars, command ?? daemon.config.command);
  };

  const plain = (req: IncomingMessage, res: ServerResponse, t: Target, headers: OutgoingHttpHeaders): void => {
    const label = clientLabel(req, cfg);
    const ep = new RequestEndpoint(req, res, label, cfg, headers, (o) => {
      log.info('request', { client: label, method: req.method, path: t.parts.path, status: o.status, exit: exitValue(o.exit), bytes_in: o.bytesIn });
    });
    accept(ep, requestVars(req, cfg, 'request', t.parts), t.command);
  };

  const openSession = (req: IncomingMessage, res: ServerResponse, t: Target, headers: OutgoingHttpHeaders, mode: Mode): void => {
    const label = clientLabel(req, cfg);
    const id = newSessionId();
    const limits = { maxBody: cfg.maxBody, maxLine: cfg.maxLine };
    req.resume(); // an opening request's body is not stdin: POSTs are
    if (mode === 'sse') {
      const ep = new SseEndpoint(id, label, registry, limits, res, headers, cfg.heartbeatMs);
      log.info('session-open', { client: label, mode, path: t.parts.path });
      accept(ep, requestVars(req, cfg, mode, t.parts), t.command);
    } else {
      const ep = new PollEndpoint(id, label, registry, limits, cfg.pollTimeoutMs, cfg.abandonMs);
      log.info('session-open', { client: label, mode, path: t.parts.path });
      accept(ep, requestVars(req, cfg, mode, t.parts), t.command);
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

  /** /.hamelin/session/ID[/end] */
  const sessionRequest = async (req: IncomingMessage, res: ServerResponse, rest: string, headers: OutgoingHttpHeaders): Promise<void> => {
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

  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const query = q < 0 ? '' : url.slice(q + 1);
    const headers = corsHeaders(req, cfg);
    const method = req.method ?? 'GET';
    const accept = String(req.headers.accept ?? '');

    if (method === 'OPTIONS' && cfg.cors.length > 0 && req.headers['access-control-request-method']) {
      req.resume();
      return preflight(req, res, cfg);
    }
    if (path.startsWith(PREFIX)) {
      const rest = path.slice(PREFIX.length);
      // With --dir the page lives at each script's own path: `/` names no script.
      if (rest === 'console' && cfg.console && !cfg.dir && (method === 'GET' || method === 'HEAD')) return sendPage(res, consoleHtml(undefined), headers);
      if (rest.startsWith('session/')) return sessionRequest(req, res, rest.slice('session/'.length), headers);
      if (rest === 'poll' || rest.startsWith('poll/')) {
        if (method !== 'GET' && method !== 'POST') return answer(res, 405, 'use GET or POST', { ...headers, Allow: 'GET, POST' });
        const t = route(res, rest === 'poll' ? '/' : rest.slice('poll'.length), query, headers);
        if (!t || busy(res, headers)) return void req.resume();
        return openSession(req, res, t, headers, 'poll');
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
    // Routing first: with --dir, a path that names no script is 404 for the console page,
    // HEAD and OPTIONS alike (HTTP-30, HTTP-31, HTTP-33).
    const t = route(res, path, query, headers);
    if (!t) return void req.resume();
    if (cfg.console && (method === 'GET' || method === 'HEAD') && !wantsEvents && /\btext\/html\b/.test(accept)) {
      req.resume();
      return sendPage(res, consoleHtml(t.parts.scriptName), headers);
    }
    if (method === 'HEAD' || method === 'OPTIONS') return safeMethod(req, res, path, headers);
    if (busy(res, headers)) return void req.resume();
    if (wantsEvents) return openSession(req, res, t, headers, 'sse');
    const length = Number(req.headers['content-length'] ?? 0);
    if (cfg.maxBody > 0 && length > cfg.maxBody) {
      req.resume();
      return answer(res, 413, `request body over --max-body (${cfg.maxBody} bytes)`, headers, true);
    }
    plain(req, res, t, headers);
  };
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
  const onRequest = handler(daemon, cfg, registry);
  const options = {
    // HTTP-13: the request line and headers must arrive within --header-timeout (Node answers
    // 408); the body is timed piece by piece by the endpoint, since a streamed body may last.
    headersTimeout: cfg.headerTimeoutMs,
    requestTimeout: 0,
    connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(cfg.headerTimeoutMs / 4))),
    noDelay: true,
    keepAliveTimeout: 5000,
  };
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    onRequest(req, res).catch((e: Error) => {
      daemon.log.error('request-error', { error: e.message });
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
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    // Node's own answers, kept, plus a log line: 408 for headers that came too slowly
    // (HTTP-13), 431 for headers too large, 400 for anything unparsable.
    const status =
      err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout'
      : err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large'
      : err.code === 'ECONNRESET' ? undefined
      : '400 Bad Request';
    if (status) daemon.log.info('bad-request', { client: `${socket.remoteAddress ?? ''}:${socket.remotePort ?? ''}`, status: status.slice(0, 3), error: err.code ?? err.message });
    if (status && socket.writable) socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    else socket.destroy();
  });
  if (cfg.tls) {
    server.on('tlsClientError', (err: Error) => daemon.log.warn('tls-error', { error: err.message }));
  }
  if (extras.onUpgrade) server.on('upgrade', extras.onUpgrade);
  const port = await daemon.listen(server, cfg.target, { tls: cfg.tls !== undefined });
  let stopped = false;
  const stopAccepting = (): Promise<void> => {
    if (!stopped) {
      stopped = true;
      server.close();
      server.closeIdleConnections();
      removeSocketFile(cfg.target);
    }
    return Promise.resolve();
  };
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closed ??= (async () => {
      await stopAccepting();
      // Streams end as their sessions end; whatever is still open after that is cut.
      await Promise.all([daemon.shutdown(), extras.closeUpgrades?.()]);
      await new Promise((r) => setTimeout(r, 200).unref());
      server.closeAllConnections();
    })());
  const setTls = (pair: { cert: Buffer; key: Buffer }): void => {
    if (cfg.tls) (server as import('node:https').Server).setSecureContext({ ...pair });
  };
  return { daemon, server, port, registry, stopAccepting, close, setTls };
}
