/**
 * Origin checks before the upgrade (WS-12): `--origin LIST` and `--same-origin`.
 *
 * An --origin entry is either a full origin (`https://app.example:8443`, scheme and port
 * must match) or a host with an optional port (`app.example`, `app.example:8443`), which
 * matches that host over http or https (on the default port when none is given).
 * `*.example.com` matches any subdomain. --same-origin requires the Origin's host and port to
 * equal the request's Host header. With either option, a request with no Origin is refused.
 */
export interface OriginPolicy {
  allowed: string[];
  sameOrigin: boolean;
}

interface ParsedOrigin {
  scheme: string;
  host: string;
  port: string;
}

function defaultPort(scheme: string): string {
  return scheme === 'https' || scheme === 'wss' ? '443' : '80';
}

function parseOrigin(origin: string): ParsedOrigin | null {
  try {
    const u = new URL(origin);
    const scheme = u.protocol.replace(/:$/, '');
    return { scheme, host: u.hostname.toLowerCase(), port: u.port || defaultPort(scheme) };
  } catch {
    return null;
  }
}

export function parseOriginList(values: string[]): string[] {
  return values.flatMap((v) => v.split(/[\s,]+/)).map((v) => v.trim().toLowerCase()).filter(Boolean);
}

function hostMatches(pattern: string, host: string): boolean {
  if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1;
  return pattern === host;
}

function entryMatches(entry: string, o: ParsedOrigin): boolean {
  if (entry.includes('://')) {
    const e = parseOrigin(entry);
    return e !== null && e.scheme === o.scheme && hostMatches(e.host, o.host) && e.port === o.port;
  }
  // host[:port], host may be [v6]
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(entry);
  if (!m) return false;
  const host = m[1]!.replace(/^\[|\]$/g, '');
  if (!hostMatches(host, o.host.replace(/^\[|\]$/g, ''))) return false;
  return m[2] === undefined ? o.port === defaultPort(o.scheme) : m[2] === o.port;
}

/** Null when the request may proceed, else why it is refused. */
export function checkOrigin(policy: OriginPolicy, origin: string | undefined, hostHeader: string | undefined, tls: boolean): string | null {
  if (policy.allowed.length === 0 && !policy.sameOrigin) return null;
  if (!origin) return 'no Origin header';
  const o = parseOrigin(origin);
  if (!o) return `bad Origin ${origin}`;
  if (policy.sameOrigin) {
    const h = parseOrigin(`${tls ? 'https' : 'http'}://${hostHeader ?? ''}`);
    if (!h || h.host !== o.host || h.port !== o.port) return `Origin ${origin} is not this host`;
  }
  if (policy.allowed.length > 0 && !policy.allowed.some((e) => entryMatches(e, o))) return `Origin ${origin} not allowed`;
  return null;
}
