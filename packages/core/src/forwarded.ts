/**
 * The real client behind trusted HTTP proxies (FD-06, FD-07): `X-Forwarded-For` or RFC 7239
 * `Forwarded`, read only when the direct peer is a `--trusted-proxy`, and read from the right.
 *
 * Each proxy appends the address it saw, so the right end of the list was written by the proxies
 * we trust and the left end by whoever the first of them talked to. Walking from the right past
 * every trusted address, the first untrusted one is the client: anything further left is what
 * that client chose to send, and believing it would let a client pick its own address (and so
 * escape its per-source limits, or borrow someone's allowed address).
 *
 * Only one of the two headers is read, the one the configuration names. A proxy that sets one
 * passes the other through from the client untouched; reading both would trust the client's.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { CidrList, formatIp, parseIp } from './cidr.js';

export type ForwardedHeader = 'x-forwarded-for' | 'forwarded';

export interface RealClient {
  /** The client's address, in the form `formatIp` gives (IPv4-mapped IPv6 shown as IPv4). */
  address: string;
  /** Its port, when the header or the socket gave one. */
  port?: number;
  /** Where the address came from: the socket itself, or the named header. */
  via: 'peer' | ForwardedHeader;
}

interface Node {
  address: string;
  port?: number;
}

/**
 * The client a request comes from. `peer` is the socket's remote end. Without a trusted peer, or
 * without the header, it is the peer. An entry that is no address (`unknown`, `_hidden`, garbage)
 * ends the walk at the trusted hop to its right, which is then the client: that hop is the one
 * that could not say who it talked to, and never an address a client made up.
 */
export function realClient(headers: IncomingHttpHeaders, peer: { address: string; port?: number }, trusted: CidrList, header: ForwardedHeader): RealClient {
  const peerIp = parseIp(peer.address);
  const self: RealClient = { address: peerIp ? formatIp(peerIp.bytes) : peer.address, via: 'peer', ...(peer.port === undefined ? {} : { port: peer.port }) };
  if (!peerIp || !trusted.contains(peerIp)) return self;
  const raw = headers[header];
  if (raw === undefined) return self;
  const text = Array.isArray(raw) ? raw.join(',') : raw;
  // Split on every comma, quoted or not: the trusted right end never quotes a comma, and an
  // unbalanced quote a client sent cannot swallow the entries the proxies appended after it.
  const nodes = text.split(',').map((e) => (header === 'forwarded' ? forwardedFor(e) : parseNode(e.trim())));
  let current = self;
  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i];
    if (!node) return current;
    const found: RealClient = { address: node.address, via: header, ...(node.port === undefined ? {} : { port: node.port }) };
    if (!trusted.contains(node.address)) return found;
    current = found;
  }
  return current;
}

/** The `for=` node of one Forwarded element, or undefined when it has none or it is no address. */
function forwardedFor(element: string): Node | undefined {
  for (const pair of element.split(';')) {
    const eq = pair.indexOf('=');
    if (eq < 0) continue;
    if (pair.slice(0, eq).trim().toLowerCase() !== 'for') continue;
    let value = pair.slice(eq + 1).trim();
    if (value.startsWith('"')) {
      if (value.length < 2 || !value.endsWith('"')) return undefined;
      value = value.slice(1, -1).replace(/\\(.)/g, '$1');
    }
    return parseNode(value);
  }
  return undefined;
}

/** `1.2.3.4`, `1.2.3.4:80`, `[v6]`, `[v6]:80` or a bare `v6`, as address and port. */
function parseNode(text: string): Node | undefined {
  let host = text;
  let portText: string | undefined;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) return undefined;
    host = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) return undefined;
      portText = rest.slice(1);
    }
  } else if (text.indexOf(':') > 0 && text.indexOf(':') === text.lastIndexOf(':')) {
    [host, portText] = text.split(':') as [string, string];
  }
  const ip = parseIp(host);
  if (!ip || host.includes('%')) return undefined;
  const address = formatIp(ip.bytes);
  // RFC 7239 allows an obfuscated port (`_abc`): the address still counts, without a port.
  if (portText === undefined || !/^\d{1,5}$/.test(portText) || Number(portText) > 65535) return { address };
  return { address, port: Number(portText) };
}
