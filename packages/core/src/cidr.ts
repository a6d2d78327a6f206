/**
 * IP addresses and CIDR ranges for `--trusted-proxy`, `--allow` and `--deny` (FD-01): one parser
 * and one matcher, so every option that names addresses reads them the same way.
 *
 * An IPv4-mapped IPv6 address (`::ffff:192.0.2.1`, how a dual-stack listener sees an IPv4 client)
 * IS the IPv4 address here, in addresses and in ranges alike: `10.0.0.0/8` matches a client that
 * arrives as `::ffff:10.1.2.3`, and `::/0` does not cover IPv4 clients (say `0.0.0.0/0` too).
 */
import { isIPv4, isIPv6 } from 'node:net';

/** An address as bytes: 4 for IPv4 (mapped IPv6 included), 16 for IPv6. */
export interface IpAddress {
  family: 4 | 6;
  bytes: Uint8Array;
}

export interface Cidr {
  family: 4 | 6;
  /** The network, host bits zero. */
  bytes: Uint8Array;
  prefix: number;
}

/** The address of `text` (a zone id such as `%eth0` is dropped), or undefined when it is none. */
export function parseIp(text: string): IpAddress | undefined {
  const s = text.includes('%') ? text.slice(0, text.indexOf('%')) : text;
  if (isIPv4(s)) return { family: 4, bytes: Uint8Array.from(s.split('.').map(Number)) };
  if (!isIPv6(s)) return undefined;
  const bytes = ipv6Bytes(s);
  return isMapped(bytes) ? { family: 4, bytes: bytes.slice(12) } : { family: 6, bytes };
}

// isIPv6 has vouched for the syntax, so this only expands `::` and a dotted tail.
function ipv6Bytes(s: string): Uint8Array {
  let text = s;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1]!.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') as [string, string] : [text, undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[i * 2] = v >> 8;
    out[i * 2 + 1] = v & 0xff;
  });
  return out;
}

function isMapped(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

/** The text of an address: dotted IPv4, or IPv6 as RFC 5952 writes it (lower case, the longest
 * run of two or more zero groups as `::`). A 16-byte mapped address comes out as IPv4. */
export function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  if (isMapped(bytes)) return Array.from(bytes.slice(12)).join('.');
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [bestAt, bestLen] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestAt < 0) return hex.join(':');
  return `${hex.slice(0, bestAt).join(':')}::${hex.slice(bestAt + bestLen).join(':')}`;
}

/** Parse `ADDR` or `ADDR/PREFIX`. A problem comes back as text for the option's error line. */
export function parseCidr(text: string): Cidr | string {
  const slash = text.indexOf('/');
  const addrText = slash < 0 ? text : text.slice(0, slash);
  if (addrText.includes('%')) return `"${text}" has a zone id; give the address without %ZONE`;
  if (!isIPv4(addrText) && !isIPv6(addrText)) return `"${text}" is not an IPv4 or IPv6 address or CIDR range`;
  const written = isIPv4(addrText) ? 4 : 6;
  let prefix = written === 4 ? 32 : 128;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (!/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > prefix) return `"${text}" has a bad prefix length (0 to ${prefix} after the /)`;
    prefix = Number(p);
  }
  const ip = parseIp(addrText)!;
  // A mapped range (`::ffff:10.0.0.0/104`) is the IPv4 range it maps; a shorter one would span
  // both families and cannot be written as either.
  if (written === 6 && ip.family === 4) {
    if (prefix < 96) return `"${text}" spans IPv4-mapped and other IPv6 addresses; give the IPv4 range instead`;
    prefix -= 96;
  }
  const net = masked(ip.bytes, prefix);
  if (!equalBytes(net, ip.bytes)) {
    return `"${text}" has host bits set past /${slash < 0 ? prefix : text.slice(slash + 1)} (did you mean ${formatIp(net)}/${prefix}?)`;
  }
  return { family: ip.family, bytes: net, prefix };
}

/** `bytes` with every bit past `prefix` cleared. */
export function masked(bytes: Uint8Array, prefix: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  for (let i = 0; i < out.length; i++) {
    const keep = Math.max(0, Math.min(8, prefix - i * 8));
    out[i] = out[i]! & (keep === 0 ? 0 : (0xff << (8 - keep)) & 0xff);
  }
  return out;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

export function cidrContains(range: Cidr, ip: IpAddress): boolean {
  return range.family === ip.family && equalBytes(masked(ip.bytes, range.prefix), range.bytes);
}

/** A list of ranges that an address matches when any of them contains it. A text that is not an
 * address (a unix socket's empty peer, `unknown`) matches none. */
export class CidrList {
  readonly ranges: readonly Cidr[];

  constructor(ranges: Iterable<Cidr>) {
    this.ranges = [...ranges];
  }

  /** Parse every text; the first bad one throws an Error whose message names `option`. */
  static parse(option: string, texts: readonly string[]): CidrList {
    return new CidrList(
      texts.map((t) => {
        const c = parseCidr(t.trim());
        if (typeof c === 'string') throw new Error(`${option} ${c}`);
        return c;
      }),
    );
  }

  get empty(): boolean {
    return this.ranges.length === 0;
  }

  contains(address: string | IpAddress | undefined): boolean {
    const ip = typeof address === 'string' ? parseIp(address) : address;
    return ip !== undefined && this.ranges.some((r) => cidrContains(r, ip));
  }
}
