/**
 * Limits per source (FD-02 to FD-06): `--allow`/`--deny`, `--max-per-source` and `--rate`, decided
 * in one call before a front-end answers a handshake or starts a process.
 *
 * Memory stays bounded whatever the clients do: a source is tracked only while it has sessions or
 * its bucket is refilling, a few stale entries are forgotten on every call (no timer), and at most
 * `maxTracked` sources are kept; past that the longest-idle source without sessions is forgotten,
 * which at worst gives it a full bucket again.
 */
import { CidrList, formatIp, masked, parseIp } from './cidr.js';

/** The IPv6 prefix a source is grouped by (FD-02): one /64 is one subscriber's LAN, and a client
 * picks any address in it at will, so counting addresses would count nothing. */
export const IPV6_SOURCE_PREFIX = 64;
/** Sources tracked at most (FD-06); each costs well under 200 bytes. */
export const MAX_TRACKED_SOURCES = 65_536;

export type LimitRefusal = 'denied' | 'per-source' | 'rate';

export interface RateLimit {
  /** New sessions per second, refilled continuously. */
  perSecond: number;
  /** The bucket's size: how many may arrive at once after a quiet spell. */
  burst: number;
}

export interface SourceLimitsConfig {
  allow?: CidrList;
  deny?: CidrList;
  /** Concurrent sessions per source; undefined or 0 for no limit. */
  maxPerSource?: number;
  rate?: RateLimit;
  maxTracked?: number;
  /** Milliseconds, monotonic; `performance.now` unless a test gives its own clock. */
  now?: () => number;
}

export type Admission =
  | { ok: true; source: string; /** Call once when the session ends. */ release: () => void }
  | { ok: false; source: string; reason: LimitRefusal; /** Whole seconds to wait, for Retry-After; none when denied. */ retryAfterS?: number };

interface Entry {
  active: number;
  tokens: number;
  /** When `tokens` was last brought up to date. */
  at: number;
}

/** The key a client is counted under: its IPv4 address, or its IPv6 /64 as `2001:db8:1:2::/64`.
 * A text that is no address (a unix socket's peer) is its own key. */
export function sourceKey(address: string): string {
  const ip = parseIp(address);
  if (!ip) return address;
  if (ip.family === 4) return formatIp(ip.bytes);
  return `${formatIp(masked(ip.bytes, IPV6_SOURCE_PREFIX))}/${IPV6_SOURCE_PREFIX}`;
}

/** Allow and deny alone, for callers that only filter (FD-03): deny wins; with any `--allow`, an
 * address no allow range contains is denied too. */
export function allowed(address: string, allow: CidrList | undefined, deny: CidrList | undefined): boolean {
  const ip = parseIp(address);
  if (deny && !deny.empty && ip && deny.contains(ip)) return false;
  if (allow && !allow.empty) return ip !== undefined && allow.contains(ip);
  return true;
}

export class SourceLimits {
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => number;
  private readonly maxTracked: number;

  constructor(private readonly config: SourceLimitsConfig) {
    this.now = config.now ?? (() => performance.now());
    this.maxTracked = config.maxTracked ?? MAX_TRACKED_SOURCES;
  }

  /** How many sources are tracked now (for the memory bound's tests and the metrics). */
  get tracked(): number {
    return this.entries.size;
  }

  /** Admit a new session from `address` or say why not. Checks run in the order deny, per-source,
   * rate, and a refused session takes no token. */
  admit(address: string): Admission {
    const source = sourceKey(address);
    if (!allowed(address, this.config.allow, this.config.deny)) return { ok: false, source, reason: 'denied' };
    const { maxPerSource, rate } = this.config;
    if (!maxPerSource && !rate) return { ok: true, source, release: () => {} };
    const now = this.now();
    this.sweep(now);
    const entry = this.entry(source, now);
    if (maxPerSource && entry.active >= maxPerSource) return { ok: false, source, reason: 'per-source', retryAfterS: 1 };
    if (rate) {
      this.refill(entry, now);
      if (entry.tokens < 1) return { ok: false, source, reason: 'rate', retryAfterS: Math.max(1, Math.ceil((1 - entry.tokens) / rate.perSecond)) };
      entry.tokens -= 1;
    }
    entry.active += 1;
    let released = false;
    return {
      ok: true,
      source,
      release: () => {
        if (released) return;
        released = true;
        entry.active -= 1;
        // Back to the young end, so the sweep meets it once its bucket can be full again.
        if (this.entries.get(source) === entry) {
          this.entries.delete(source);
          this.entries.set(source, entry);
        }
      },
    };
  }

  private entry(source: string, now: number): Entry {
    const found = this.entries.get(source);
    if (found) {
      this.entries.delete(source);
      this.entries.set(source, found);
      return found;
    }
    if (this.entries.size >= this.maxTracked) this.evictOne();
    const fresh: Entry = { active: 0, tokens: this.config.rate?.burst ?? 0, at: now };
    this.entries.set(source, fresh);
    return fresh;
  }

  private refill(entry: Entry, now: number): void {
    const rate = this.config.rate!;
    entry.tokens = Math.min(rate.burst, entry.tokens + ((now - entry.at) / 1000) * rate.perSecond);
    entry.at = now;
  }

  /** An entry can be forgotten once nothing would change if it came back new. */
  private forgettable(entry: Entry, now: number): boolean {
    if (entry.active > 0) return false;
    const rate = this.config.rate;
    return !rate || entry.tokens + ((now - entry.at) / 1000) * rate.perSecond >= rate.burst;
  }

  // Look at the few oldest entries: forget the forgettable, move the busy ones to the young end,
  // stop at the first that is still refilling (the ones behind it are younger still).
  private sweep(now: number): void {
    let looked = 0;
    for (const [key, entry] of this.entries) {
      if (++looked > 8) break;
      if (this.forgettable(entry, now)) this.entries.delete(key);
      else if (entry.active > 0) {
        this.entries.delete(key);
        this.entries.set(key, entry);
      } else break;
    }
  }

  // The longest-untouched source without sessions goes. Busy ones met on the way move to the
  // young end, and the look is bounded: sources with sessions are bounded by --max-clients, so
  // when only they are left the table may pass maxTracked by that many.
  private evictOne(): void {
    let looked = 0;
    for (const [key, entry] of this.entries) {
      if (++looked > 16) return;
      this.entries.delete(key);
      if (entry.active === 0) return;
      this.entries.set(key, entry);
    }
  }
}
