/**
 * What each front-door refusal looks like on each transport (FD-07, FD-10, FD-18), in one table:
 * the net line, the HTTP answer (ws sends the same before its upgrade) and the log's `reason`.
 * Front-ends only write what this gives them, so the words cannot drift between daemons.
 */
import type { AuthRefusal } from './auth.js';
import type { ProxyRefusal } from './proxy-header.js';
import type { LimitRefusal } from './source-limits.js';

export type FrontDoorRefusal =
  | { kind: 'limit'; reason: LimitRefusal; /** --max-per-source, for its line. */ limit?: number; retryAfterS?: number }
  | { kind: 'proxy'; reason: ProxyRefusal }
  | { kind: 'auth'; reason: AuthRefusal; wwwAuthenticate: string[] };

export interface HttpRefusal {
  status: 401 | 403 | 429;
  headers: Record<string, string | string[]>;
  /** One line of plain text. */
  body: string;
}

/** The `reason` of the `refused` log line (LOG-05). */
export function refusalReason(r: FrontDoorRefusal): string {
  return r.kind === 'limit' ? r.reason : `${r.kind}-${r.reason}`;
}

/** The line hamelin-net writes before closing, with its newline; undefined when the connection is
 * closed without a byte (a PROXY failure: the peer is not known to speak our protocol). */
export function refusalLine(r: FrontDoorRefusal): string | undefined {
  if (r.kind !== 'limit') return undefined;
  if (r.reason === 'denied') return 'hamelin: refused: your address is not allowed\n';
  if (r.reason === 'per-source') return `hamelin: refused: too many sessions from your address${r.limit ? ` (limit ${r.limit})` : ''}\n`;
  return `hamelin: refused: too many new sessions from your address; retry in ${r.retryAfterS ?? 1} s\n`;
}

/** The HTTP answer of hamelin-http, and of hamelin-ws before the upgrade; undefined for a PROXY
 * failure, which is closed without an answer. */
export function refusalHttp(r: FrontDoorRefusal): HttpRefusal | undefined {
  if (r.kind === 'proxy') return undefined;
  const text = { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' };
  if (r.kind === 'auth') return { status: 401, headers: { ...text, 'www-authenticate': r.wwwAuthenticate }, body: 'authentication required\n' };
  if (r.reason === 'denied') return { status: 403, headers: text, body: 'your address is not allowed\n' };
  const body = refusalLine(r)!.replace(/^hamelin: refused: /, '');
  return { status: 429, headers: { ...text, 'retry-after': String(r.retryAfterS ?? 1) }, body };
}
