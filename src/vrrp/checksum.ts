/**
 * RFC 1071 Internet checksum and the pseudo-headers VRRPv3 uses (RFC 5798 §5.2.8).
 * v2 (RFC 3768 §5.3.8) sums the VRRP message only.
 */
import { parseIPv4, parseIPv6 } from './addr';

/** One's-complement sum of `parts` folded to 16 bits, complemented. Odd lengths are padded. */
export function internetChecksum(...parts: Uint8Array[]): number {
  let sum = 0;
  let carryByte = -1; // a trailing odd byte continues into the next part
  for (const p of parts) {
    for (let i = 0; i < p.length; i++) {
      const v = p[i] ?? 0;
      if (carryByte < 0) carryByte = v;
      else {
        sum += (carryByte << 8) | v;
        carryByte = -1;
      }
    }
    sum = (sum & 0xffff) + (sum >>> 16);
  }
  if (carryByte >= 0) sum += carryByte << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export const IPPROTO_VRRP = 112;

/**
 * IPv4 pseudo-header as Linux implementations and keepalived use for v3 (src, dst, zero,
 * protocol 112, 16-bit length); undefined if an address does not parse.
 */
export function ipv4PseudoHeader(src: string, dst: string, length: number): Uint8Array | undefined {
  const s = parseIPv4(src);
  const d = parseIPv4(dst);
  if (!s || !d) return undefined;
  const h = new Uint8Array(12);
  h.set(s, 0);
  h.set(d, 4);
  h[9] = IPPROTO_VRRP;
  h[10] = (length >> 8) & 0xff;
  h[11] = length & 0xff;
  return h;
}

/** RFC 8200 §8.1 upper-layer pseudo-header: src, dst, 32-bit length, 3 zero bytes, next header 112. */
export function ipv6PseudoHeader(src: string, dst: string, length: number): Uint8Array | undefined {
  const s = parseIPv6(src);
  const d = parseIPv6(dst);
  if (!s || !d) return undefined;
  const h = new Uint8Array(40);
  h.set(s, 0);
  h.set(d, 16);
  h[32] = (length >>> 24) & 0xff;
  h[33] = (length >>> 16) & 0xff;
  h[34] = (length >>> 8) & 0xff;
  h[35] = length & 0xff;
  h[39] = IPPROTO_VRRP;
  return h;
}
