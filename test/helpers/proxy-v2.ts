/** PROXY protocol v2 headers built byte by byte, as HAProxy's send-proxy-v2 writes them. */
export const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);

/** A header: version/command byte, family/transport byte, then `block` (length from it unless given). */
export function v2(verCmd: number, famProto: number, block: Buffer, length = block.length): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(length);
  return Buffer.concat([V2_SIGNATURE, Buffer.from([verCmd, famProto]), len, block]);
}

/** The address block of TCP over IPv4. */
export function inet4(src: string, dst: string, sport: number, dport: number): Buffer {
  const b = Buffer.alloc(12);
  src.split('.').forEach((n, i) => (b[i] = Number(n)));
  dst.split('.').forEach((n, i) => (b[4 + i] = Number(n)));
  b.writeUInt16BE(sport, 8);
  b.writeUInt16BE(dport, 10);
  return b;
}

/** The address block of TCP over IPv6, from 16-byte addresses. */
export function inet6(src: Buffer, dst: Buffer, sport: number, dport: number): Buffer {
  const ports = Buffer.alloc(4);
  ports.writeUInt16BE(sport, 0);
  ports.writeUInt16BE(dport, 2);
  return Buffer.concat([src, dst, ports]);
}

export function tlv(type: number, value: Buffer | string, length?: number): Buffer {
  const v = Buffer.from(value);
  const h = Buffer.alloc(3);
  h[0] = type;
  h.writeUInt16BE(length ?? v.length, 1);
  return Buffer.concat([h, v]);
}

/** `v2(0x21, 0x11, ...)`: PROXY over TCP/IPv4, the usual header. */
export const v2Tcp4 = (src: string, sport: number, tlvs: Buffer = Buffer.alloc(0)): Buffer => v2(0x21, 0x11, Buffer.concat([inet4(src, '192.0.2.1', sport, 443), tlvs]));
