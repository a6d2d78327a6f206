/**
 * Authentication before any upgrade or spawn (FD-15 to FD-18): one function from a request's
 * headers and its direct peer to a user, or to the 401 that refuses it.
 *
 * What is never done: a credential never reaches a refusal's reason, a log or an exception (the
 * reasons are a fixed set of words); nothing is cached, so a verified password or token is not
 * kept anywhere after the call; and the answer takes the same work whether the user exists.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { compare } from 'bcryptjs';
import type { BearerToken, Htpasswd } from './auth-files.js';
import type { CidrList } from './cidr.js';

export type AuthRefusal =
  | 'no-credentials'
  | 'unknown-scheme'
  | 'malformed'
  | 'bad-password'
  | 'bad-token'
  | 'untrusted-header';

export interface AuthConfig {
  basic?: Htpasswd;
  bearer?: readonly BearerToken[];
  /** `--auth-trust-header NAME`, believed only from a `--trusted-proxy` peer. */
  trustHeader?: { name: string; trusted: CidrList };
  /** The realm in the challenges; the daemon's name by default. */
  realm?: string;
}

export type AuthResult =
  | { user: string; via: 'basic' | 'bearer' | 'header' }
  | { refuse: 401; wwwAuthenticate: string[]; reason: AuthRefusal };

/** The user-name rule of the credential files, for the trusted header's value too. */
const USER = /^[^\x00-\x20\x7f:]{1,256}$/u;
/** Salt and hash of a bcrypt entry no password is known for. An unknown user is checked against
 * it, at the cost of the file's first entry, so that an unknown user takes as long as a wrong
 * password and user names cannot be probed by timing. */
const DUMMY_TAIL = '5TGMGBj7zyCRkQ/QfoZ5JuCvz3gaJu5TzUWdtIvGmlXNxGo0xPNFG';

/** Check a request's credentials. `peer` is the socket's remote address, never a forwarded one. */
export async function authenticate(config: AuthConfig, headers: IncomingHttpHeaders, peer: string | undefined): Promise<AuthResult> {
  const refuse = (reason: AuthRefusal, invalidToken = false): AuthResult => ({ refuse: 401, wwwAuthenticate: challenges(config, invalidToken), reason });
  let untrustedHeader = false;
  if (config.trustHeader) {
    const value = headers[config.trustHeader.name.toLowerCase()];
    if (value !== undefined) {
      if (!config.trustHeader.trusted.contains(peer)) untrustedHeader = true;
      else if (typeof value === 'string' && USER.test(value)) return { user: value, via: 'header' };
      else return refuse('malformed');
    }
  }
  const authorization = headers.authorization;
  if (authorization === undefined) return refuse(untrustedHeader ? 'untrusted-header' : 'no-credentials');
  const space = authorization.indexOf(' ');
  const scheme = (space < 0 ? authorization : authorization.slice(0, space)).toLowerCase();
  const rest = space < 0 ? '' : authorization.slice(space + 1).trim();
  if (scheme === 'basic' && config.basic) return (await checkBasic(config.basic, rest)) ?? refuse(/^[A-Za-z0-9+/]+=*$/.test(rest) ? 'bad-password' : 'malformed');
  if (scheme === 'bearer' && config.bearer) {
    if (!/^[A-Za-z0-9\-._~+/]+=*$/.test(rest)) return refuse('malformed', true);
    return checkBearer(config.bearer, rest) ?? refuse('bad-token', true);
  }
  return refuse('unknown-scheme');
}

/** The WWW-Authenticate values: one challenge per configured scheme (RFC 7235 allows several). */
function challenges(config: AuthConfig, invalidToken: boolean): string[] {
  const realm = quoted(config.realm ?? 'hamelin');
  const out: string[] = [];
  if (config.basic) out.push(`Basic realm=${realm}, charset="UTF-8"`);
  if (config.bearer) out.push(`Bearer realm=${realm}${invalidToken ? ', error="invalid_token"' : ''}`);
  // Only a trusted header configured: the proxy in front does the challenging; 401 still needs one.
  if (out.length === 0) out.push(`Bearer realm=${realm}`);
  return out;
}

const quoted = (s: string): string => `"${s.replace(/["\\]/g, '\\$&')}"`;

async function checkBasic(users: Htpasswd, encoded: string): Promise<AuthResult | undefined> {
  if (!/^[A-Za-z0-9+/]+=*$/.test(encoded)) return undefined;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  const user = decoded.slice(0, colon);
  const hash = users.get(user);
  const dummy = `${(users.values().next().value ?? '$2y$10$').slice(0, 7)}${DUMMY_TAIL}`;
  const ok = await compare(decoded.slice(colon + 1), hash ?? dummy);
  return ok && hash !== undefined ? { user, via: 'basic' } : undefined;
}

// Every token is compared, whichever matches, over equal-length digests: the time taken says
// neither which token matched nor how much of one did.
function checkBearer(tokens: readonly BearerToken[], presented: string): AuthResult | undefined {
  const digest = createHash('sha256').update(presented).digest();
  let user: string | undefined;
  for (const t of tokens) if (timingSafeEqual(t.digest, digest) && user === undefined) user = t.user;
  return user === undefined ? undefined : { user, via: 'bearer' };
}
