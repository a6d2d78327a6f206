/** The H- variables of a WebSocket session (WS-15, WS-16). */
import type { IncomingMessage } from 'node:http';
import { frontDoorVars, headerText, requestClient, requestLabel, requestTarget, SPEC_VERSION, type HVars } from '@hamelin/core';

/** Request headers never passed unless --pass-header names them: credentials, and
 * `Proxy` (httpoxy). */
export const SECRET_HEADERS = new Set(['authorization', 'cookie', 'proxy', 'proxy-authorization']);

export function plainAddress(addr: string | undefined): string {
  if (!addr) return '';
  return addr.startsWith('::ffff:') && addr.includes('.') ? addr.slice(7) : addr;
}

/** The client as logs name it: the one a PROXY or forwarded header named, when trusted (FD-14). */
export function clientLabel(req: IncomingMessage): string {
  return requestLabel(req);
}

export interface VarsOptions {
  tls: boolean;
  passHeaders: Set<string>;
  scriptName?: string;
  pathInfo?: string;
}

export function wsVars(req: IncomingMessage, opts: VarsOptions): HVars {
  const { path, query } = requestTarget(req.url ?? '/');
  const client = requestClient(req);
  // Header values are the client's bytes (WS-24): headerText undoes Node's latin1 reading.
  const vars: HVars = {
    TYPE: `WS-${SPEC_VERSION}-${opts.tls ? 'TLS' : 'INSECURE'}`,
    CLIENT: headerText(req.headers['user-agent'] ?? ''),
    'REMOTE-ADDR': client.address,
    'REMOTE-PORT': client.port === undefined ? '' : String(client.port),
    PATH: path,
    QUERY: query,
    ORIGIN: headerText(req.headers.origin ?? ''),
  };
  if (opts.scriptName !== undefined) {
    vars['SCRIPT-NAME'] = opts.scriptName;
    vars['PATH-INFO'] = opts.pathInfo ?? '';
  }
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    // Only names that map one-to-one onto an H- name (`x_user` would pose as `X-USER`).
    if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(name)) continue;
    if (SECRET_HEADERS.has(name) && !opts.passHeaders.has(name)) continue;
    vars[`HEADER-${name}`] = headerText(Array.isArray(value) ? value.join(', ') : value);
  }
  // H-AUTH-USER and the client certificate (FD-18, FD-20), set last: no header can pose as them.
  return { ...vars, ...frontDoorVars(req.socket, req) };
}
