/**
 * The hamelin-ws listener: HTTP server, checks before the upgrade (WS-12, WS-13, WS-17),
 * the console page (WS-19), and one session per accepted WebSocket.
 */
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  consolePage,
  removeSocketFile,
  resolveDirRoute,
  type Daemon,
  type HVars,
  type ListenTarget,
  type ResolvedCommand,
  type ServeHandle,
} from '@hamelin/core';
import { checkOrigin, type OriginPolicy } from './origin.js';
import { clientLabel, wsVars } from './vars.js';
import { WsEndpoint } from './ws-endpoint.js';

export interface WsServeOptions {
  target: ListenTarget;
  tls?: { cert: Buffer; key: Buffer } | undefined;
  origin: OriginPolicy;
  binary: boolean;
  /** Largest message accepted, in bytes (WS-10). */
  maxMessage: number;
  /** Seconds between pings; 0 for none (WS-14). */
  pingInterval: number;
  /** Serve executables from this directory by URL path (WS-17). */
  dir?: string | undefined;
  console: boolean;
  passHeaders: Set<string>;
}

const noop = (): void => {};

type Route = { command?: ResolvedCommand; scriptName?: string; pathInfo?: string } | { status: 400 | 404; reason: string };

/** The WebSocket side of a listener: its plain-request and upgrade handlers, and its end. An
 * HTTP listener may carry it on the same port (the `hamelin` command: upgrades to ws). */
export interface WsHandlers {
  onRequest(req: IncomingMessage, res: ServerResponse): void;
  onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Stop pinging, end every session, and wait (2 s at most) for the close frames to go out. */
  close(): Promise<void>;
}

export function wsHandlers(daemon: Daemon, opts: Omit<WsServeOptions, 'target'>): WsHandlers {
  const tls = opts.tls !== undefined;
  const wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxMessage, perMessageDeflate: false, clientTracking: false });
  const live = new Set<WsEndpoint>();

  const route = (req: IncomingMessage): Route => {
    if (!opts.dir) return {};
    const r = resolveDirRoute(opts.dir, req.url ?? '/');
    if ('error' in r) return { status: r.error, reason: r.reason };
    return { command: { file: r.file, argv0: r.path, args: [] }, scriptName: r.scriptName, pathInfo: r.pathInfo };
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const r = route(req);
    const answer = (status: number, body: string, type = 'text/plain; charset=utf-8', extra: Record<string, string> = {}): void => {
      res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store', ...extra });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if ('status' in r) {
      daemon.log.warn('refused', { client: clientLabel(req), status: r.status, reason: r.reason });
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
    daemon.log.warn('refused', { client: clientLabel(req), status, reason: why });
    const body = tell ? `${status} ${STATUS_CODES[status]}: ${why}\n` : `${status} ${STATUS_CODES[status]}\n`;
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  };

  const startSession = (ws: WebSocket, label: string, vars: HVars, command: ResolvedCommand | undefined): void => {
    const ep = new WsEndpoint(ws, label, { binary: opts.binary });
    live.add(ep);
    ep.onClose(() => live.delete(ep));
    void daemon.accept(ep, vars, command);
  };

  // Nothing that lives as long as the connection (listeners, the endpoint) may be created in
  // here: a closure keeps this whole scope, and with it the request and its headers (about
  // 2 KiB a connection), alive until the connection ends.
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', noop);
    const r = route(req);
    if ('status' in r) return refuse(socket, req, r.status, r.reason, false);
    const bad = checkOrigin(opts.origin, req.headers.origin, req.headers.host, tls);
    if (bad) return refuse(socket, req, 403, bad);
    const busy = daemon.refusal;
    if (busy) {
      daemon.refused(busy.reason);
      return refuse(socket, req, 503, busy.text);
    }
    const label = clientLabel(req);
    const vars = wsVars(req, { tls, passHeaders: opts.passHeaders, scriptName: r.scriptName, pathInfo: r.pathInfo });
    wss.handleUpgrade(req, socket, head, (ws: WebSocket) => startSession(ws, label, vars, r.command));
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
  const ws = wsHandlers(daemon, opts);
  const server: Server = opts.tls ? createTlsServer({ ...opts.tls }, ws.onRequest) : createServer(ws.onRequest);
  server.on('upgrade', ws.onUpgrade);
  server.on('clientError', (_err, socket: Duplex) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  if (tls) server.on('tlsClientError', (err: Error) => daemon.log.warn('tls-error', { error: err.message }));

  const port = await daemon.listen(server, opts.target, opts.target.kind === 'unix' ? {} : { tls });
  let stopped = false;
  const stopAccepting = (): Promise<void> => {
    if (!stopped) {
      stopped = true;
      server.close();
      removeSocketFile(opts.target);
    }
    return Promise.resolve();
  };
  let closed: Promise<void> | undefined;
  return {
    daemon,
    server,
    port,
    stopAccepting,
    setTls: (pair) => {
      if (tls) (server as import('node:https').Server).setSecureContext({ ...pair });
    },
    close: () =>
      (closed ??= (async () => {
        await stopAccepting();
        await ws.close();
        server.closeAllConnections();
      })()),
  };
}
