/**
 * The IPv4 header a raw proto-112 socket hands us in front of each VRRP message. Linux delivers
 * it unchanged (network byte order, total length included), so we parse it here rather than
 * in C. Wire input never throws: malformed headers come back as a reason the caller counts.
 */

export interface Ipv4Header {
  headerLength: number;
  totalLength: number;
  ttl: number;
  protocol: number;
  src: string;
  dst: string;
}

export type Ipv4DropReason = 'short' | 'version' | 'header-length' | 'total-length' | 'truncated' | 'protocol';

export type Ipv4Parse =
  | { ok: true; header: Ipv4Header; payload: Buffer }
  | { ok: false; reason: Ipv4DropReason; detail: string };

/** Smallest IPv4 header: 5 words (RFC 791). */
const MIN_HEADER = 20;

export function formatIpv4(b: Uint8Array, offset = 0): string {
  return `${b[offset]}.${b[offset + 1]}.${b[offset + 2]}.${b[offset + 3]}`;
}

/**
 * Split a received datagram into header and payload. The payload runs to the end of what was
 * received (the kernel already trimmed link padding to the total length); the total length is
 * still returned because keepalived compares it with the VRRP message size.
 */
export function parseIpv4(data: Buffer, expectProtocol = 112): Ipv4Parse {
  if (data.length < MIN_HEADER) return { ok: false, reason: 'short', detail: `${data.length} bytes, need ${MIN_HEADER}` };
  const b0 = data[0] as number;
  const version = b0 >> 4;
  if (version !== 4) return { ok: false, reason: 'version', detail: `IP version ${version}` };
  const headerLength = (b0 & 0x0f) * 4;
  if (headerLength < MIN_HEADER || headerLength > data.length) {
    return { ok: false, reason: 'header-length', detail: `IHL ${headerLength} bytes of ${data.length} received` };
  }
  const totalLength = data.readUInt16BE(2);
  if (totalLength < headerLength) {
    return { ok: false, reason: 'total-length', detail: `total length ${totalLength} < header ${headerLength}` };
  }
  if (totalLength > data.length) {
    return { ok: false, reason: 'truncated', detail: `total length ${totalLength} > ${data.length} received` };
  }
  const protocol = data[9] as number;
  if (protocol !== expectProtocol) return { ok: false, reason: 'protocol', detail: `protocol ${protocol}` };
  return {
    ok: true,
    header: { headerLength, totalLength, ttl: data[8] as number, protocol, src: formatIpv4(data, 12), dst: formatIpv4(data, 16) },
    payload: data.subarray(headerLength),
  };
}
