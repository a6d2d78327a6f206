/** Response headers and the daemon's own short answers (errors, 204s). */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { ExitInfo } from '@hamelin/core';
import type { HttpConfig } from './config.js';

/** Headers every streamed answer carries: nothing may cache or buffer it (HTTP-04). */
export const STREAM_HEADERS: OutgoingHttpHeaders = {
  'Cache-Control': 'no-cache, no-store',
  'X-Accel-Buffering': 'no',
  'X-Content-Type-Options': 'nosniff',
};

export const TEXT = 'text/plain; charset=utf-8';

/** The head of a plain request's answer (HTTP-04), built once: a response is one process,
 * and the request path should not copy constant headers on every request. */
export const STREAM_HEAD: OutgoingHttpHeaders = Object.freeze({ ...STREAM_HEADERS, 'Content-Type': TEXT });
/** The same, for a chunked response, which announces its trailer (HTTP-06). */
export const STREAM_HEAD_TRAILER: OutgoingHttpHeaders = Object.freeze({ ...STREAM_HEAD, Trailer: 'Hamelin-Exit' });

/** Headers the daemon defines, readable by a cross-origin page when `--cors` allows it. */
const EXPOSED = 'Hamelin-Exit, Hamelin-Session, Hamelin-State';

/** The methods a path answers: any method runs the command except HEAD and OPTIONS (HTTP-33). */
export const ALLOW = 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS';

/** `--cors`: the origin to allow for this request, or undefined (HTTP-16). */
export function corsHeaders(req: IncomingMessage, cfg: HttpConfig): OutgoingHttpHeaders {
  if (cfg.cors.length === 0) return {};
  const origin = req.headers.origin;
  let allow: string | undefined;
  if (cfg.cors.includes('*')) allow = '*';
  else if (origin && cfg.cors.includes(origin)) allow = origin;
  if (!allow) return cfg.cors.includes('*') ? {} : { Vary: 'Origin' };
  const h: OutgoingHttpHeaders = { 'Access-Control-Allow-Origin': allow, 'Access-Control-Expose-Headers': EXPOSED };
  if (allow !== '*') h.Vary = 'Origin';
  return h;
}

/** A preflight (OPTIONS with Access-Control-Request-Method) when `--cors` is set. */
export function preflight(req: IncomingMessage, res: ServerResponse, cfg: HttpConfig): void {
  const h = corsHeaders(req, cfg);
  if (h['Access-Control-Allow-Origin']) {
    h['Access-Control-Allow-Methods'] = ALLOW;
    const asked = req.headers['access-control-request-headers'];
    if (asked) h['Access-Control-Allow-Headers'] = asked;
    h['Access-Control-Max-Age'] = '600';
  }
  res.writeHead(204, h);
  res.end();
}

/** A short answer from the daemon itself: the body is one line starting `hamelin: `. */
export function answer(res: ServerResponse, status: number, text: string, extra: OutgoingHttpHeaders = {}, close = false): void {
  if (res.headersSent || res.destroyed) {
    if (!res.writableEnded) res.end();
    return;
  }
  const body = status === 204 || text === '' ? '' : `hamelin: ${text}\n`;
  const headers: OutgoingHttpHeaders = {
    ...extra,
    'Cache-Control': 'no-cache, no-store',
  };
  if (status !== 204) headers['Content-Length'] = Buffer.byteLength(body);
  if (body) headers['Content-Type'] = TEXT;
  if (close) headers.Connection = 'close';
  res.writeHead(status, headers);
  res.end(body);
}

/** The `Hamelin-Exit` value: the exit status, or the signal's name (HTTP-06). */
export function exitValue(exit: ExitInfo): string {
  if (exit.code !== null) return String(exit.code);
  if (exit.signal) return exit.signal;
  if (exit.spawnError) return `spawn-failed ${exit.spawnError.code}`;
  if (exit.refused) return 'refused';
  // A hub ended this client while its process goes on (HUB-09, HUB-11): no status to give.
  if (exit.closed !== undefined) return 'closed';
  return 'unknown';
}
