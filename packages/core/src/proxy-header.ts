/**
 * The PROXY protocol header, versions 1 and 2 (HAProxy's proxy-protocol.txt), as a pure parser:
 * bytes in, "need more", a header and its length, or a refusal (FD-10 to FD-13). Reading it from
 * a socket is proxy-protocol.ts; this file never sees a socket, so every case is a plain test.
 *
 * Both versions are judged as soon as a byte can tell: a first byte that starts neither signature
 * is refused at once, not after the timeout, and a v1 line without its CRLF in 107 bytes is
 * refused at byte 108.
 */
import { isIPv6 } from 'node:net';
import { formatIp, parseIp } from './cidr.js';

/** The longest v1 line, CRLF included (the spec's worst case, a TCP6 line). */
export const PROXY_V1_MAX_BYTES = 107;
/** The longest v2 header accepted, 16 fixed bytes included. The spec allows 16 + 65535; HAProxy's
 * addresses and usual TLVs (ALPN, authority, unique id, SSL) need a few hundred. */
export const PROXY_V2_MAX_BYTES = 4096;

const V1_PREFIX = Buffer.from('PROXY ', 'latin1');
const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);

export type ProxyRefusal = 'untrusted' | 'timeout' | 'closed' | 'not-proxy' | 'malformed' | 'too-long' | 'unsupported';

export interface ProxyEndpoint {
  address: string;
  port: number;
}

export interface ProxyTlv {
  type: number;
  value: Buffer;
}

export interface ProxyHeader {
  version: 1 | 2;
  /** `local`: the proxy's own connection (a health check), or a header without usable addresses
   * (v1 UNKNOWN, v2 UNSPEC or AF_UNIX): the socket's own endpoints stand, as the spec says. */
  command: 'proxy' | 'local';
  source?: ProxyEndpoint;
  destination?: ProxyEndpoint;
  /** v2 only, in order; their values are not interpreted. */
  tlvs: ProxyTlv[];
}

export type ProxyParse =
  | { state: 'more' }
  | { state: 'done'; header: ProxyHeader; length: number }
  | { state: 'bad'; reason: ProxyRefusal; detail: string };

const MORE: ProxyParse = { state: 'more' };

const bad = (reason: ProxyRefusal, detail: string): ProxyParse => ({ state: 'bad', reason, detail });

/** Parse the start of a connection's bytes. `maxV2Bytes` bounds a v2 header (16 bytes included). */
export function parseProxyHeader(buf: Buffer, maxV2Bytes = PROXY_V2_MAX_BYTES): ProxyParse {
  if (buf.length === 0) return MORE;
  if (buf[0] === V1_PREFIX[0]) return parseV1(buf);
  if (buf[0] === V2_SIGNATURE[0]) return parseV2(buf, maxV2Bytes);
  return bad('not-proxy', 'no PROXY header: the connection does not start with a v1 or v2 signature');
}

function startsLike(buf: Buffer, sig: Buffer): boolean {
  const n = Math.min(buf.length, sig.length);
  return buf.subarray(0, n).equals(sig.subarray(0, n));
}

function parseV1(buf: Buffer): ProxyParse {
  if (!startsLike(buf, V1_PREFIX)) return bad('not-proxy', 'no PROXY header: the connection does not start with a v1 or v2 signature');
  const cr = buf.indexOf(0x0d);
  const lf = buf.indexOf(0x0a);
  if (lf >= 0 && (cr < 0 || lf < cr)) return bad('malformed', 'PROXY v1 line ends without CR');
  // At most 107 bytes with the CRLF: the CR is at index 105 or before.
  if (cr > PROXY_V1_MAX_BYTES - 2 || (cr < 0 && buf.length > PROXY_V1_MAX_BYTES - 2)) return bad('too-long', `PROXY v1 line longer than ${PROXY_V1_MAX_BYTES} bytes`);
  if (cr < 0 || cr + 1 >= buf.length) return MORE;
  if (buf[cr + 1] !== 0x0a) return bad('malformed', 'PROXY v1 line has a CR without LF');
  const end = cr + 2;
  const line = buf.toString('latin1', 0, end - 2);
  const words = line.split(' ');
  if (words[1] === 'UNKNOWN') return { state: 'done', header: { version: 1, command: 'local', tlvs: [] }, length: end };
  if (words.length !== 6) return bad('malformed', 'PROXY v1 line does not have six fields');
  const [, proto, src, dst, sport, dport] = words as [string, string, string, string, string, string];
  if (proto !== 'TCP4' && proto !== 'TCP6') return bad('malformed', `PROXY v1 protocol is not TCP4, TCP6 or UNKNOWN`);
  const family = proto === 'TCP4' ? 4 : 6;
  const s = v1Address(src, family);
  const d = v1Address(dst, family);
  const sp = v1Port(sport);
  const dp = v1Port(dport);
  if (s === undefined || d === undefined) return bad('malformed', `PROXY v1 address is not ${proto === 'TCP4' ? 'IPv4' : 'IPv6'}`);
  if (sp === undefined || dp === undefined) return bad('malformed', 'PROXY v1 port is not a number from 0 to 65535');
  return { state: 'done', header: { version: 1, command: 'proxy', source: { address: s, port: sp }, destination: { address: d, port: dp }, tlvs: [] }, length: end };
}

const V4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

function v1Address(text: string, family: 4 | 6): string | undefined {
  if (family === 4) return V4.test(text) ? text : undefined;
  if (!isIPv6(text) || text.includes('%')) return undefined;
  return formatIp(parseIp(text)!.bytes);
}

function v1Port(text: string): number | undefined {
  return /^(0|[1-9]\d{0,4})$/.test(text) && Number(text) <= 65535 ? Number(text) : undefined;
}

function parseV2(buf: Buffer, maxV2Bytes: number): ProxyParse {
  if (!startsLike(buf, V2_SIGNATURE)) return bad('not-proxy', 'no PROXY header: the connection does not start with a v1 or v2 signature');
  if (buf.length < 16) return MORE;
  const version = buf[12]! >> 4;
  const command = buf[12]! & 0x0f;
  if (version !== 2) return bad('malformed', `PROXY v2 header has version ${version}`);
  if (command > 1) return bad('malformed', `PROXY v2 header has command ${command}`);
  const total = 16 + buf.readUInt16BE(14);
  if (total > maxV2Bytes) return bad('too-long', `PROXY v2 header of ${total} bytes is longer than ${maxV2Bytes}`);
  if (buf.length < total) return MORE;
  const block = buf.subarray(16, total);
  // LOCAL: "the receiver must accept this connection as valid and must use the real connection
  // endpoints and discard the protocol block including the family".
  if (command === 0) return { state: 'done', header: { version: 2, command: 'local', tlvs: [] }, length: total };
  const family = buf[13]! >> 4;
  const transport = buf[13]! & 0x0f;
  if (family > 3 || transport > 2) return bad('malformed', `PROXY v2 header has an undefined family/transport byte 0x${buf[13]!.toString(16).padStart(2, '0')}`);
  if (transport === 2) return bad('unsupported', 'PROXY v2 header describes a datagram (UDP) connection');
  const addrLen = [0, 12, 36, 216][family]!;
  if (block.length < addrLen) return bad('malformed', `PROXY v2 address block is ${block.length} bytes; the family needs ${addrLen}`);
  const tlvs = parseTlvs(block.subarray(addrLen));
  if (typeof tlvs === 'string') return bad('malformed', tlvs);
  if (family === 0 || family === 3) return { state: 'done', header: { version: 2, command: 'local', tlvs }, length: total };
  const n = family === 1 ? 4 : 16;
  const source = { address: formatIp(block.subarray(0, n)), port: block.readUInt16BE(2 * n) };
  const destination = { address: formatIp(block.subarray(n, 2 * n)), port: block.readUInt16BE(2 * n + 2) };
  return { state: 'done', header: { version: 2, command: 'proxy', source, destination, tlvs }, length: total };
}

/** Type-length-value entries filling `bytes` exactly, or what is wrong with them. */
function parseTlvs(bytes: Buffer): ProxyTlv[] | string {
  const out: ProxyTlv[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (bytes.length - at < 3) return `PROXY v2 TLV at offset ${at} is truncated (${bytes.length - at} bytes, a TLV needs 3)`;
    const len = bytes.readUInt16BE(at + 1);
    if (at + 3 + len > bytes.length) return `PROXY v2 TLV type 0x${bytes[at]!.toString(16)} says ${len} bytes; ${bytes.length - at - 3} are left`;
    out.push({ type: bytes[at]!, value: Buffer.from(bytes.subarray(at + 3, at + 3 + len)) });
    at += 3 + len;
  }
  return out;
}
