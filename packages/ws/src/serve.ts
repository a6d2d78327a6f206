/**
 * The hamelin-ws listener: HTTP server, checks before the upgrade (WS-12, WS-13, WS-17, WS-22,
 * WS-25, WS-26), the console page (WS-19), and one session per accepted WebSocket.
 */
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  answerClientError,
  consolePage,
  endFailedHandshakes,
  FrontDoor,
  headerDeadline,
  originRefusal,
  listenerHandle,
  refusalHttp,
  requestTarget,
  resolveDirRoute,
  resolveStaticFile,
  sendStaticFile,
  UnfinishedRequests,
  type Daemon,
  type HVars,
  type ListenTarget,
  type OriginPolicy,
  type ResolvedCommand,
  type FrontDoorConfig,
  type FrontDoorRefusal,
  type ServeHandle,
  type TlsServerOptions,
} from '@hamelin/core';
import { clientLabel, wsVars } from './vars.js';
import { WsEndpoint } from './ws-endpoint.js';

export interface WsServeOptions {
  target: ListenTarget;
  tls?: TlsServerOptions | undefined;
  /** Who may connect, and who the client really is (FD-01 .. FD-20). */
  frontDoor: FrontDoorConfig;
  origin: OriginPolicy;
  binary: boolean;
  /** Largest message accepted, in bytes (WS-10). */
  maxMessage: number;
  /** Seconds between pings; 0 for none (WS-14). */
  pingInterval: number;
  /** Longest a client may take to send its handshake request (WS-25). */
  headerTimeoutMs: number;
  /** Connections at once whose handshake request is unfinished; 0 for no limit (WS-26). */
  maxHandshakes: number;
  /** Serve executables from this directory by URL path (WS-17). */
  dir?: string | undefined;
  /** `--static DIR`: files for plain GET and HEAD requests (WS-27). */
  static?: string | undefined;
  console: boolean;
  passHeaders: Set<string>;
}

const noop = (): void => {};

/** A status from `send` (a 416, a 412, a read error) with its phrase as the body. */
function answerStatus(req: IncomingMessage, res: ServerResponse, status: number): void {
  if (res.headersSent) return void res.destroy();
  const body = `${status} ${STATUS_CODES[status] ?? ''}\n`;
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
  res.end(req.method === 'HEAD' ? undefined : body);
}

type Route = { command?: ResolvedCommand; scriptName?: string; pathInfo?: string } | { status: 400 | 404; reason: string };

/** The WebSocket side of a listener: its plain-request and upgrade handlers, and its end. An
 * HTTP listener may carry it on the same port (the `hamelin` command: upgrades to ws). */
export interface WsHandlers {
  onRequest(req: IncomingMessage, res: ServerResponse): void;
  onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Stop pinging, end every session, and wait (2 s at most) for the close frames to go out. */
  close(): Promise<void>;
}

/** `finished` says whether a socket's request arrived in full and may be served (WS-26: the
 * listener's UnfinishedRequests); a listener shared with hamelin-http has its own bounds. */
export function wsHandlers(daemon: Daemon, opts: Omit<WsServeOptions, 'target'>, finished: (socket: Socket) => boolean = () => true): WsHandlers {
  const tls = opts.tls !== undefined;
  const wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxMessage, perMessageDeflate: false, clientTracking: false });
  const live = new Set<WsEndpoint>();
  const door = new FrontDoor(opts.frontDoor, daemon);

  const route = (req: IncomingMessage): Route => {
    if (!opts.dir) return {};
    const r = resolveDirRoute(opts.dir, requestTarget(req.url ?? '/').path);
    if ('error' in r) return { status: r.error, reason: r.reason };
    return { command: { file: r.file, argv0: r.path, args: [] }, scriptName: r.scriptName, pathInfo: r.pathInfo };
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    if (!finished(req.socket)) return void req.socket.destroy();
    if (!door.open) return void consoleGate(req, res).then((ok) => ok && onPlainRequest(req, res));
    onPlainRequest(req, res);
  };

  /** The console page is behind the same door as the sessions (FD-03, FD-18): a browser prompts
   * for Basic credentials. Answers the refusal itself; true when the request may go on. */
  const consoleGate = async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const client = door.identify(req);
    const refusal = door.denied(client.address) ?? (await door.authenticate(req));
    if (!refusal) return true;
    const answer = refusalHttp(refusal)!;
    door.refused(clientLabel(req), refusal, { http_status: answer.status });
    res.writeHead(answer.status, { ...answer.headers, 'Content-Length': Buffer.byteLength(answer.body) });
    res.end(req.method === 'HEAD' ? undefined : answer.body);
    return false;
  };

  const onPlainRequest = (req: IncomingMessage, res: ServerResponse): void => {
    // WS-27: a file of --static first; a plain request never runs a --dir script anyway.
    if (opts.static && (req.method === 'GET' || req.method === 'HEAD')) {
      const file = resolveStaticFile(opts.static, requestTarget(req.url ?? '/').path);
      if (file) return sendStaticFile(req, res, file, {}, (status) => answerStatus(req, res, status));
    }
    const r = route(req);
    const answer = (status: number, body: string, type = 'text/plain; charset=utf-8', extra: Record<string, string> = {}): void => {
      res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store', ...extra });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if ('status' in r) {
      daemon.log.warn('refused', { client: clientLabel(req), http_status: r.status, reason: r.reason });
      return answer(r.status, `${r.status} ${STATUS_CODES[r.status]}\n`);
    }
    if (!opts.console) return answer(426, 'hamelin-ws: this is a WebSocket endpoint (connect with ws://, or start with --console for a browser page)\n', undefined, { Upgrade: 'websocket' });
    if (req.method !== 'GET' && req.method !== 'HEAD') return answer(405, '405 Method Not Allowed\n', undefined, { Allow: 'GET, HEAD' });
    const title = `hamelin-ws: ${r.scriptName ?? daemon.config.command?.argv0 ?? ''}`;
    answer(200, consolePage({ title, transport: 'ws', binary: opts.binary }), 'text/html; charset=utf-8', {
      'Content-Security-Policy': "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self' ws: wss:",
      'X-Content-Type-Options': 'nosniff',
    });
  };

  /** `why` is logged; the client is told it only when `tell` (a --dir path is answered with
   * the status alone, so that a prober cannot tell a missing file from one it may not run). */
  const refuse = (socket: Duplex, req: IncomingMessage, status: number, why: string, tell = true): void => {
    daemon.log.warn('refused', { client: clientLabel(req), http_status: status, reason: why });
    const body = tell ? `${status} ${STATUS_CODES[status]}: ${why}\n` : `${status} ${STATUS_CODES[status]}\n`;
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  };

  /** FD-07, FD-18: the front door's refusal, before the upgrade (403, 429 + Retry-After, 401 +
   * WWW-Authenticate), logged with its reason and counted. */
  const refuseAtDoor = (socket: Duplex, req: IncomingMessage, refusal: FrontDoorRefusal): void => {
    const answer = refusalHttp(refusal)!;
    door.refused(clientLabel(req), refusal, { http_status: answer.status });
    let head = `HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status]}\r\nConnection: close\r\n`;
    for (const [name, value] of Object.entries(answer.headers)) for (const v of Array.isArray(value) ? value : [value]) head += `${name}: ${v}\r\n`;
    socket.end(`${head}Content-Length: ${Buffer.byteLength(answer.body)}\r\n\r\n${answer.body}`);
  };

  const startSession = (ws: WebSocket, label: string, vars: HVars, command: ResolvedCommand | undefined, release: () => void): void => {
    const ep = new WsEndpoint(ws, label, { binary: opts.binary });
    live.add(ep);
    ep.onClose(() => live.delete(ep));
    void daemon.acceptAdmitted(ep, vars, command ?? daemon.config.command, release);
  };

  // Nothing that lives as long as the connection (listeners, the endpoint) may be created in
  // here: a closure keeps this whole scope, and with it the request and its headers (about
  // 2 KiB a connection), alive until the connection ends.
  // FD-14's order: the forwarded header and --allow/--deny on the client it names, the route
  // and origin, the per-source limits, authentication, --max-clients, the child.
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', noop);
    if (!finished(req.socket)) return void socket.destroy();
    const client = door.identify(req);
    const denied = door.denied(client.address);
    if (denied) return refuseAtDoor(socket, req, denied);
    const r = route(req);
    if ('status' in r) return refuse(socket, req, r.status, r.reason, false);
    const h = req.headers;
    const bad = originRefusal(opts.origin, { origin: h.origin, host: h.host, fetchSite: h['sec-fetch-site'] as string | undefined, tls });
    if (bad) {
      daemon.refused('origin');
      return refuse(socket, req, 403, bad);
    }
    const admitted = door.admit(client.address);
    if (!admitted.ok) return refuseAtDoor(socket, req, admitted.refusal);
    if (!opts.frontDoor.auth) return upgrade(req, socket, head, r, admitted.release);
    void door.authenticate(req).then((refusal) => {
      if (refusal) {
        // FD-05: the token stays spent; the concurrent slot is given back.
        admitted.release();
        return refuseAtDoor(socket, req, refusal);
      }
      if (socket.destroyed) return admitted.release();
      upgrade(req, socket, head, r, admitted.release);
    });
  };

  const upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer, r: Exclude<Route, { status: 400 | 404 }>, release: () => void): void => {
    const busy = daemon.refusal;
    if (busy) {
      release();
      daemon.refused(busy.reason);
      return refuse(socket, req, 503, busy.text);
    }
    const label = clientLabel(req);
    const vars = wsVars(req, { tls, passHeaders: opts.passHeaders, scriptName: r.scriptName, pathInfo: r.pathInfo });
    let started = false;
    socket.once('close', () => started || release());
    wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      started = true;
      startSession(ws, label, vars, r.command, release);
    });
  };

  let pinger: NodeJS.Timeout | undefined;
  if (opts.pingInterval > 0) {
    pinger = setInterval(() => {
      for (const ep of live) ep.ping();
    }, opts.pingInterval * 1000);
    pinger.unref();
  }

  return {
    onRequest,
    onUpgrade,
    close: async () => {
      clearInterval(pinger);
      // Every session ends with its close frame; give clients a moment to take it.
      await daemon.shutdown();
      const closed = Promise.all([...live].map((ep) => new Promise<void>((r) => ep.onClose(r))));
      await Promise.race([closed, new Promise((r) => setTimeout(r, 2000).unref())]);
    },
  };
}

export interface WsServeHandle extends ServeHandle {
  readonly server: Server;
}

export async function serve(daemon: Daemon, opts: WsServeOptions): Promise<WsServeHandle> {
  const tls = opts.tls !== undefined;
  let unfinished: UnfinishedRequests | undefined;
  const ws = wsHandlers(daemon, opts, (socket) => unfinished?.finished(socket) ?? true);
  // WS-25: the handshake request must arrive within --header-timeout (408 otherwise).
  const timing = headerDeadline(opts.headerTimeoutMs);
  const server: Server = opts.tls ? createTlsServer({ ...timing, ...opts.tls }, ws.onRequest) : createServer(timing, ws.onRequest);
  unfinished = new UnfinishedRequests(server, opts.maxHandshakes, daemon.log, tls);
  server.on('upgrade', ws.onUpgrade);
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => answerClientError(daemon.log, err, socket));
  if (tls) endFailedHandshakes(server, opts.target, daemon.log);
  new FrontDoor(opts.frontDoor, daemon).guard(server, opts.target, tls);
  const port = await daemon.listen(server, opts.target, opts.target.kind === 'unix' ? {} : { tls });
  return listenerHandle(daemon, server, opts.target, port, tls, async () => {
    await ws.close();
    server.closeAllConnections();
  });
}
