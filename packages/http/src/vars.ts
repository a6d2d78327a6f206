/** The H- variables of one HTTP request (HTTP-07 .. HTTP-09). */
import type { IncomingMessage } from 'node:http';
import { frontDoorVars, headerText, requestClient, requestLabel, SPEC_VERSION, type HVars } from '@hamelin/core';
import type { HttpConfig } from './config.js';

/** How the request reaches the process: a plain request, an SSE stream or a long-poll session. */
export type Mode = 'request' | 'sse' | 'poll';

/** Headers never passed to the child unless `--pass-header` names them: credentials, and
 * `Proxy` (httpoxy: a client must never be able to set a proxy variable in the child). */
export function withheld(name: string, pass: Set<string>): boolean {
  if (pass.has(name)) return false;
  return name === 'authorization' || name === 'cookie' || name === 'proxy' || name.startsWith('proxy-');
}

/** The header names that map one-to-one onto an H- name (HTTP-08). The core turns every
 * other character into `-`, so `X_User` would pose as `X-User` and `Proxy_Authorization`
 * would slip past the withheld list as `H-HEADER-PROXY-AUTHORIZATION`. */
const HEADER_NAME = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/** A query parameter name that maps onto an H- name: `_` and `-` both become `-` there. */
const QUERY_NAME = /^[A-Za-z0-9]+([-_][A-Za-z0-9]+)*$/;

/**
 * `--cgi`: each query parameter as `H-QUERY-NAME`, decoded as a form is (`+` is a space,
 * percent-escapes are UTF-8), HTTP-40. Names are upper-cased with `_` read as `-`, so `user_id`
 * and `User-Id` are one name; their values are joined with `,` in the query's order, as
 * repeated headers are (HTTP-08). A name with any other character is left out: H-QUERY has
 * the whole query as sent.
 */
export function queryVars(query: string): HVars {
  const vars: HVars = {};
  if (!query) return vars;
  for (const [name, value] of new URLSearchParams(query)) {
    if (!QUERY_NAME.test(name)) continue;
    const key = `QUERY-${name.toUpperCase().replace(/_/g, '-')}`;
    vars[key] = key in vars ? `${vars[key]},${value}` : value;
  }
  return vars;
}

export function plainAddress(addr: string | undefined): string {
  if (!addr) return '';
  return addr.startsWith('::ffff:') && addr.includes('.') ? addr.slice(7) : addr;
}

/** The client as logs name it: the one a PROXY or forwarded header named, when trusted (FD-14). */
export function clientLabel(req: IncomingMessage, cfg: HttpConfig): string {
  if (cfg.target.kind === 'unix') return `unix:${cfg.target.path}`;
  return requestLabel(req);
}

export function securityOf(cfg: HttpConfig): string {
  return cfg.tls ? 'TLS' : cfg.target.kind === 'unix' ? 'LOCAL' : 'INSECURE';
}

export interface RequestParts {
  /** The request target's path as sent, percent-encoding kept. */
  path: string;
  /** The query string without `?`, as sent. */
  query: string;
  scriptName?: string | undefined;
  pathInfo?: string | undefined;
}

export function requestVars(req: IncomingMessage, cfg: HttpConfig, mode: Mode, parts: RequestParts): HVars {
  const h = req.headers;
  const client = requestClient(req);
  // Header values are the client's bytes (HTTP-36): headerText undoes Node's latin1 reading.
  const vars: HVars = {
    TYPE: `HTTP-${SPEC_VERSION}-${securityOf(cfg)}`,
    CLIENT: headerText(h['user-agent'] ?? ''),
    METHOD: req.method ?? 'GET',
    PATH: parts.path,
    QUERY: parts.query,
    'REMOTE-ADDR': cfg.target.kind === 'unix' ? '' : client.address,
    'REMOTE-PORT': cfg.target.kind === 'unix' ? '' : String(client.port ?? ''),
    'CONTENT-TYPE': headerText(h['content-type'] ?? ''),
    'CONTENT-LENGTH': h['content-length'] ?? '',
    MODE: mode,
  };
  if (parts.scriptName !== undefined) {
    vars['SCRIPT-NAME'] = parts.scriptName;
    vars['PATH-INFO'] = parts.pathInfo ?? '';
  }
  const seen = new Map<string, string[]>();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!.toLowerCase();
    if (!HEADER_NAME.test(name) || withheld(name, cfg.passHeaders)) continue;
    const list = seen.get(name) ?? [];
    list.push(req.rawHeaders[i + 1]!);
    seen.set(name, list);
  }
  for (const [name, values] of seen) vars[`HEADER-${name}`] = headerText(values.join(name === 'cookie' ? '; ' : ', '));
  if (cfg.cgi) Object.assign(vars, queryVars(parts.query));
  // H-AUTH-USER and the client certificate (FD-18, FD-20), set last: no header can pose as them.
  return { ...vars, ...frontDoorVars(req.socket, req) };
}
