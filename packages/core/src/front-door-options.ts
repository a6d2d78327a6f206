/**
 * The front door's options (FD-21): their yargs entries, for each front-end's cli-spec.ts to
 * spread in, and one normalizer that turns the parsed values into checked configuration or one
 * StartupError naming the option, before anything listens (CORE-18).
 *
 * Stream front-ends (net) take `frontDoorOptions`; HTTP ones (ws, http) take `httpFrontDoorOptions`,
 * which adds forwarded headers and authentication.
 */
import type { Options } from 'yargs';
import { readBearerTokens, readHtpasswd } from './auth-files.js';
import type { AuthConfig } from './auth.js';
import { CidrList } from './cidr.js';
import { StartupError } from './command.js';
import type { ForwardedHeader } from './forwarded.js';
import { integer, seconds } from './option-rules.js';
import { PROXY_HEADER_TIMEOUT_MS } from './proxy-protocol.js';
import type { RateLimit, SourceLimitsConfig } from './source-limits.js';

const GROUP = 'Front door:';
// nargs 1: a repeatable option must never swallow HOST, PORT or the command that follow it.
const repeatable = (describe: string): Options => ({ type: 'string', array: true, nargs: 1, default: [], describe, group: GROUP });

export const frontDoorOptions: Record<string, Options> = {
  'trusted-proxy': repeatable('a proxy (address or CIDR) whose PROXY header, forwarded headers or --auth-trust-header is believed (repeatable)'),
  'proxy-protocol': { type: 'boolean', default: false, describe: 'every connection starts with a PROXY v1/v2 header from a --trusted-proxy; others are refused', group: GROUP },
  'proxy-timeout': seconds({ default: PROXY_HEADER_TIMEOUT_MS / 1000, describe: 'seconds a PROXY header may take to arrive (at least 3)', group: GROUP }, PROXY_HEADER_TIMEOUT_MS / 1000),
  allow: repeatable('only clients in this address or CIDR range (repeatable; --deny wins)'),
  deny: repeatable('refuse clients in this address or CIDR range (repeatable)'),
  'max-per-source': integer({ default: 0, describe: 'sessions at once per client address (IPv6: per /64); 0: no limit', group: GROUP }, 0, 1 << 20),
  rate: { type: 'string', describe: 'new sessions per client address: N/s or N/m, a token bucket', group: GROUP },
  'rate-burst': integer({ describe: 'sessions a quiet client may open at once under --rate (default: one second\'s worth, at least 1)', group: GROUP }, 1, 1 << 20),
  'tls-ca': { type: 'string', describe: 'require a client certificate signed by this CA (PEM); needs --tls-cert', group: GROUP },
};

export const httpFrontDoorOptions: Record<string, Options> = {
  ...frontDoorOptions,
  'forwarded-header': { choices: ['x-forwarded-for', 'forwarded'], describe: 'read the client address from this header when the peer is a --trusted-proxy', group: GROUP },
  'auth-basic': { type: 'string', describe: 'require a user of this htpasswd file (bcrypt entries: htpasswd -B)', group: GROUP },
  'auth-bearer': { type: 'string', describe: 'require a token of this file (one a line, optionally followed by a user name)', group: GROUP },
  'auth-trust-header': { type: 'string', describe: 'take the user from this request header, from a --trusted-proxy only', group: GROUP },
};

/** The parsed values, keyed as yargs gives them in camelCase. */
export interface FrontDoorArgs {
  trustedProxy?: string[];
  proxyProtocol?: boolean;
  proxyTimeout?: number;
  allow?: string[];
  deny?: string[];
  maxPerSource?: number;
  rate?: string;
  rateBurst?: number;
  tlsCa?: string;
  forwardedHeader?: ForwardedHeader;
  authBasic?: string;
  authBearer?: string;
  authTrustHeader?: string;
}

export interface FrontDoorConfig {
  trusted: CidrList;
  /** Set with --proxy-protocol. */
  proxyProtocol?: { timeoutMs: number };
  forwardedHeader?: ForwardedHeader;
  /** Set when any of --allow, --deny, --max-per-source, --rate is. */
  limits?: SourceLimitsConfig;
  /** Set when any --auth-* is. */
  auth?: AuthConfig;
  tlsCa?: string;
}

/** `10/s`, `0.5/s`, `30/m`: new sessions per second. */
export function parseRate(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\/(s|m)$/.exec(text.trim());
  if (!m) return undefined;
  const perSecond = Number(m[1]) / (m[2] === 'm' ? 60 : 1);
  return perSecond > 0 && perSecond <= 1e6 ? perSecond : undefined;
}

/** Check and convert the front door's options, reading the credential files. Numbers have been
 * checked by their rules already (checkOptions); what is left is what a rule cannot say. */
export function readFrontDoorOptions(args: FrontDoorArgs, realm?: string, listen?: { unix: boolean }): FrontDoorConfig {
  if (listen?.unix) refuseAddressOptions(args);
  const list = (name: string, v: string[] | undefined): CidrList => {
    try {
      return CidrList.parse(`--${name}`, (v ?? []).flatMap((s) => String(s).split(',')).filter((s) => s.trim() !== ''));
    } catch (e) {
      throw new StartupError((e as Error).message);
    }
  };
  const trusted = list('trusted-proxy', args.trustedProxy);
  const needsTrusted = (name: string): void => {
    if (trusted.empty) throw new StartupError(`--${name} needs --trusted-proxy: say which peers may vouch for a client`);
  };
  const config: FrontDoorConfig = { trusted };
  if (args.proxyProtocol) {
    needsTrusted('proxy-protocol');
    config.proxyProtocol = { timeoutMs: Math.max(PROXY_HEADER_TIMEOUT_MS, (args.proxyTimeout ?? 0) * 1000) };
  }
  if (args.forwardedHeader) {
    needsTrusted('forwarded-header');
    config.forwardedHeader = args.forwardedHeader;
  }
  const allow = list('allow', args.allow);
  const deny = list('deny', args.deny);
  let rate: RateLimit | undefined;
  if (args.rate !== undefined) {
    const perSecond = parseRate(String(args.rate));
    if (perSecond === undefined) throw new StartupError(`--rate must be new sessions per second or minute, such as 10/s or 30/m (given: ${JSON.stringify(args.rate)})`);
    rate = { perSecond, burst: args.rateBurst ?? Math.max(1, Math.ceil(perSecond)) };
  } else if (args.rateBurst !== undefined) throw new StartupError('--rate-burst needs --rate');
  const maxPerSource = args.maxPerSource || undefined;
  if (!allow.empty || !deny.empty || maxPerSource || rate) {
    config.limits = { ...(allow.empty ? {} : { allow }), ...(deny.empty ? {} : { deny }), ...(maxPerSource ? { maxPerSource } : {}), ...(rate ? { rate } : {}) };
  }
  const auth: AuthConfig = realm ? { realm } : {};
  if (args.authBasic !== undefined) auth.basic = readHtpasswd(args.authBasic);
  if (args.authBearer !== undefined) auth.bearer = readBearerTokens(args.authBearer);
  if (args.authTrustHeader !== undefined) {
    needsTrusted('auth-trust-header');
    if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(args.authTrustHeader)) throw new StartupError(`--auth-trust-header must be a header name (given: ${JSON.stringify(args.authTrustHeader)})`);
    auth.trustHeader = { name: args.authTrustHeader.toLowerCase(), trusted };
  }
  if (auth.basic || auth.bearer || auth.trustHeader) config.auth = auth;
  if (args.tlsCa !== undefined) config.tlsCa = args.tlsCa;
  return config;
}

/** FD-21: a unix-socket client has no address to judge, so the options that judge addresses are
 * refused with --unix (the socket file's mode decides who may connect, NET-13). */
function refuseAddressOptions(args: FrontDoorArgs): void {
  const given: [string, unknown][] = [
    ['allow', args.allow?.length],
    ['deny', args.deny?.length],
    ['max-per-source', args.maxPerSource],
    ['rate', args.rate],
    ['rate-burst', args.rateBurst],
    ['trusted-proxy', args.trustedProxy?.length],
    ['proxy-protocol', args.proxyProtocol],
    ['forwarded-header', args.forwardedHeader],
    ['auth-trust-header', args.authTrustHeader],
  ];
  const name = given.find(([, v]) => v !== undefined && v !== 0 && v !== false)?.[0];
  if (name) throw new StartupError(`--${name} judges a client's address, and a unix-socket client has none: use the socket file's mode (--unix-mode) instead`);
}
