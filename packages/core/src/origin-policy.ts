/**
 * Which web pages may use a daemon (WS-12, WS-22, WS-23, HTTP-34, HTTP-35): the Origin check
 * hamelin-ws and hamelin-http share.
 *
 * A browser names the page behind every WebSocket handshake and every cross-origin request in
 * its `Origin` header, and a page from any site may aim a request at a daemon on loopback or on
 * the LAN. So a request whose Origin is present is served only when that Origin is the daemon's
 * own (the scheme of its listener, the host and port of the request's `Host`) or one that
 * `--origin` allows; `--origin '*'` is the explicit opt-out. A request with no Origin comes from
 * a program, not from a page script, except a browser's simple GETs (images, frames, links),
 * which carry `Sec-Fetch-Site` instead: one that says another site sent it is refused too.
 */
import { StartupError } from './command.js';

type Scheme = 'http' | 'https';

/** One `--origin` entry, checked at startup. */
export interface OriginEntry {
  /** Absent: either scheme (then the port defaults to that scheme's). */
  scheme?: Scheme;
  /** Lower case; `*.example.com` matches any subdomain, not the domain itself. */
  host: string;
  port?: number;
}

export interface OriginPolicy {
  /** `--origin '*'`: every Origin is accepted. */
  any: boolean;
  allowed: OriginEntry[];
  /** A request without an Origin is refused (hamelin-ws with --origin or --same-origin, WS-12). */
  requireOrigin: boolean;
  /** Only the daemon's own origin passes, and, when entries are listed, it must be listed too
   * (hamelin-ws --same-origin, WS-12). */
  ownOnly: boolean;
}

/** What a request says about where it comes from. */
export interface RequestOrigin {
  origin: string | undefined;
  host: string | undefined;
  /** `Sec-Fetch-Site` (Fetch Metadata): `same-origin`, `same-site`, `cross-site` or `none`. */
  fetchSite: string | undefined;
  /** The listener speaks TLS: the daemon's own origin is https://, else http://. */
  tls: boolean;
}

interface Origin {
  scheme: Scheme;
  host: string;
  port: number;
}

const defaultPort = (scheme: Scheme): number => (scheme === 'https' ? 443 : 80);

// A DNS name or an IPv4 address (letters, digits, dashes, dots), or an IPv6 address in brackets.
const HOST = String.raw`(\[[0-9a-f:.]+\]|[a-z0-9](?:[a-z0-9_-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9_-]*[a-z0-9])?)*)`;
/** A browser's serialisation of an origin: `scheme://host[:port]`, nothing after it. */
const SERIALISED = new RegExp(`^(https?)://${HOST}(?::(\\d{1,5}))?$`);
/** An --origin entry: the same with the scheme optional, `*.` allowed before the host and one
 * trailing `/` tolerated (what a browser's address bar shows). */
const ENTRY = new RegExp(`^(?:(https?)://)?(\\*\\.)?${HOST}(?::(\\d{1,5}))?/?$`);

function port(text: string | undefined, scheme: Scheme): number | null {
  if (text === undefined) return defaultPort(scheme);
  const n = Number(text);
  return n >= 1 && n <= 65535 ? n : null;
}

/** An Origin header as browsers send it, or null (`null`, a path, user info, another scheme). */
function parseOrigin(value: string): Origin | null {
  const m = SERIALISED.exec(value.toLowerCase());
  if (!m) return null;
  const scheme = m[1] as Scheme;
  const p = port(m[3], scheme);
  return p === null ? null : { scheme, host: m[2]!, port: p };
}

/** Why an --origin value is not an origin, in words that say what to give instead. */
function entryError(v: string): string {
  if (v.includes('@')) return 'user info is not part of an origin';
  if (v.includes('%')) return 'percent-encoding is not allowed';
  if (/^[a-z][a-z0-9+.-]*:\/\//.test(v) && !/^https?:\/\//.test(v)) return 'only http:// and https:// origins';
  if (/[?#]/.test(v)) return 'a query or fragment is not part of an origin';
  if (/^(?:[a-z]+:\/\/)?[^/]*\/./.test(v)) return 'a path is not part of an origin';
  return 'not an origin';
}

/**
 * `--origin` values (each may hold several, comma- or space-separated) into a policy's entries;
 * a value that is not an origin is a StartupError naming it (CORE-18). `*` alone is the opt-out.
 */
export function parseOriginOption(values: string[], option = '--origin'): { any: boolean; allowed: OriginEntry[] } {
  let any = false;
  const allowed: OriginEntry[] = [];
  for (const raw of values.flatMap((v) => v.split(/[\s,]+/)).filter(Boolean)) {
    const v = raw.toLowerCase();
    if (v === '*') {
      any = true;
      continue;
    }
    const m = ENTRY.exec(v);
    const scheme = m?.[1] as Scheme | undefined;
    const p = m?.[4] === undefined ? undefined : Number(m[4]);
    if (!m || (p !== undefined && (p < 1 || p > 65535))) {
      throw new StartupError(`${option} ${raw}: ${m ? 'bad port' : entryError(v)} (give scheme://host[:port], host[:port] or *.domain, or * for any)`);
    }
    allowed.push({ ...(scheme ? { scheme } : {}), host: `${m[2] ?? ''}${m[3]!}`, ...(p !== undefined ? { port: p } : {}) });
  }
  return { any, allowed };
}

function hostMatches(pattern: string, host: string): boolean {
  if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1;
  return pattern === host;
}

function entryMatches(e: OriginEntry, o: Origin): boolean {
  if (!hostMatches(e.host, o.host)) return false;
  if (e.scheme && e.scheme !== o.scheme) return false;
  return o.port === (e.port ?? defaultPort(o.scheme));
}

/** The daemon's own origin as this request reached it: the listener's scheme, the Host's host
 * and port. */
function ownOrigin(host: string | undefined, tls: boolean): Origin | null {
  if (!host) return null;
  return parseOrigin(`${tls ? 'https' : 'http'}://${host}`);
}

/** Null when the request may go on, else why it is refused (answered 403, logged). */
export function originRefusal(policy: OriginPolicy, req: RequestOrigin): string | null {
  if (policy.any) return null;
  if (req.origin === undefined) {
    if (policy.requireOrigin) return 'no Origin header';
    const site = req.fetchSite?.toLowerCase();
    if (site === undefined || site === 'same-origin' || site === 'none') return null;
    return `sent by a page of another site (Sec-Fetch-Site: ${site}), not allowed without --origin '*'`;
  }
  const o = parseOrigin(req.origin);
  if (!o) return `bad Origin ${req.origin}`;
  const own = ownOrigin(req.host, req.tls);
  const isOwn = own !== null && own.scheme === o.scheme && own.host === o.host && own.port === o.port;
  const listed = policy.allowed.some((e) => entryMatches(e, o));
  if (policy.ownOnly) {
    if (!isOwn) return `Origin ${req.origin} is not this host`;
    return policy.allowed.length === 0 || listed ? null : `Origin ${req.origin} not allowed`;
  }
  return isOwn || listed ? null : `Origin ${req.origin} not allowed (see --origin)`;
}
