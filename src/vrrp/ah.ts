/**
 * VRRPv2 `auth_type AH`: the IPsec Authentication Header (RFC 2402) that keepalived 2.2.7 puts
 * between the IPv4 header and the VRRP message, HMAC-MD5-96 (RFC 2403). Pure codec: the HMAC
 * is passed in (the runtime gives node:crypto's), so this module does no I/O.
 *
 * Layout, as keepalived 2.2.7 sends it (captured with tcpdump -X, see test/unit/vrrp-ah.test.ts):
 *   IPv4 header (20 bytes, TOS 0xc0, no DF, TTL 255, protocol 51, ID incrementing per advert)
 *   AH: next header 112 | payload len 4 (RFC 2402 §2.2: 32-bit words - 2) | reserved 0
 *       SPI = the sender's IPv4 address (network byte order)
 *       sequence number (32 bits)
 *       ICV: the first 12 bytes (96 bits) of HMAC-MD5
 *   VRRPv2 message, auth type 2, auth data 8 zero bytes, checksum over the message.
 *
 * ICV input (measured against keepalived's packets): the whole datagram with the IP header's
 * TOS, flags/fragment offset and header checksum zeroed and the ICV field zeroed; the TTL is
 * NOT zeroed (keepalived keeps it, unlike RFC 2402 §3.3.3.1.1.1), the ID and length are kept.
 * Key: auth_pass truncated to its first 8 bytes (keepalived: "Truncating auth_pass to 8
 * characters"); HMAC pads short keys with zeros, so zero padding to 8 changes nothing.
 *
 * Sequence numbers (observed): one counter per instance serves both directions. Sending
 * increments it and sends the new value (the first advert carries 1); an accepted advert sets it
 * to the received value, so a new master continues from the last number it saw. An advert whose
 * number is not above the counter is a replay and is dropped (keepalived, fed 10 11 12 5 12 13 14
 * 3: drops 5 and 12 with Local(12), 3 with Local(14), accepts the rest).
 */
import { formatIPv4, parseIPv4 } from './addr';
import { internetChecksum } from './checksum';

export const IPPROTO_AH = 51;
export const IPPROTO_VRRP_NEXT = 112;
export const IPV4_HEADER_LEN = 20;
/** next header, payload len, reserved (2), SPI (4), sequence (4), ICV (12). */
export const AH_HEADER_LEN = 24;
export const AH_ICV_LEN = 12;
/** RFC 2402 §2.2: AH length in 32-bit words minus 2: 24 / 4 - 2. */
export const AH_PAYLOAD_LEN = AH_HEADER_LEN / 4 - 2;
/** keepalived keeps 8 bytes of auth_pass (its VRRP auth data size). */
export const AH_KEY_LEN = 8;
/** IPv4 TOS and TTL keepalived puts on adverts. */
export const AH_TOS = 0xc0;
export const AH_TTL = 255;
/** Offset of the ICV inside the AH header. */
const ICV_OFFSET = 12;

/** HMAC-MD5 of data under key: 16 bytes. Injected so this module stays free of node:crypto. */
export type HmacMd5 = (key: Uint8Array, data: Uint8Array) => Uint8Array;

/** The HMAC key for an auth_pass: its first 8 bytes (UTF-8), zero padded. */
export function ahKey(password: string): Uint8Array {
  const out = new Uint8Array(AH_KEY_LEN);
  out.set(Buffer.from(password, 'utf8').subarray(0, AH_KEY_LEN));
  return out;
}

/** The 12-byte ICV over a datagram (IP header + AH + payload) whose mutable fields are zeroed here. */
export function computeIcv(datagram: Uint8Array, ipHeaderLen: number, key: Uint8Array, hmac: HmacMd5): Uint8Array {
  const b = Uint8Array.from(datagram);
  b[1] = 0; // TOS
  b[6] = 0; // flags + fragment offset
  b[7] = 0;
  b[10] = 0; // header checksum
  b[11] = 0;
  b.fill(0, ipHeaderLen + ICV_OFFSET, ipHeaderLen + ICV_OFFSET + AH_ICV_LEN);
  return hmac(key, b).subarray(0, AH_ICV_LEN);
}

export interface AhEncodeInput {
  src: string;
  dst: string;
  /** IPv4 identification; must not be 0 (the kernel would replace it after the ICV is computed). */
  ipId: number;
  seq: number;
  /** IPv4 TTL (unicast_ttl for unicast adverts); AH_TTL when not given. Not covered by the ICV. */
  ttl?: number;
  /** The VRRPv2 message, checksum set, auth type 2. */
  vrrp: Uint8Array;
  key: Uint8Array;
  hmac: HmacMd5;
}

export class AhEncodeError extends Error {
  constructor(readonly code: 'ERR_VRRP_AH_ADDRESS' | 'ERR_VRRP_AH_IPID', message: string) {
    super(message);
    this.name = 'AhEncodeError';
  }
}

/**
 * The whole IPv4 datagram to send with IP_HDRINCL. Throws AhEncodeError only for our own bad
 * input (unparseable address, IP ID 0).
 */
export function encodeAhDatagram(p: AhEncodeInput): Buffer {
  const s = parseIPv4(p.src);
  const d = parseIPv4(p.dst);
  if (!s || !d) throw new AhEncodeError('ERR_VRRP_AH_ADDRESS', `not IPv4 addresses: ${p.src} ${p.dst}`);
  if (!(p.ipId > 0 && p.ipId <= 0xffff)) throw new AhEncodeError('ERR_VRRP_AH_IPID', `IP ID must be 1-65535, got ${p.ipId}`);
  const len = IPV4_HEADER_LEN + AH_HEADER_LEN + p.vrrp.length;
  const b = Buffer.alloc(len);
  b[0] = 0x45;
  b[1] = AH_TOS;
  b.writeUInt16BE(len, 2);
  b.writeUInt16BE(p.ipId, 4);
  b[8] = p.ttl ?? AH_TTL;
  b[9] = IPPROTO_AH;
  b.set(s, 12);
  b.set(d, 16);
  const ah = IPV4_HEADER_LEN;
  b[ah] = IPPROTO_VRRP_NEXT;
  b[ah + 1] = AH_PAYLOAD_LEN;
  b.set(s, ah + 4); // SPI: the sender's address, as keepalived chooses it
  b.writeUInt32BE(p.seq >>> 0, ah + 8);
  b.set(p.vrrp, ah + AH_HEADER_LEN);
  b.set(computeIcv(b, IPV4_HEADER_LEN, p.key, p.hmac), ah + ICV_OFFSET);
  b.writeUInt16BE(internetChecksum(b.subarray(0, IPV4_HEADER_LEN)), 10);
  return b;
}

export type AhDropReason = 'ah_malformed' | 'ah_next_header' | 'ah_auth_failed' | 'ah_replay';

export interface AhPacket {
  src: string;
  dst: string;
  ttl: number;
  /** IP total length as sent. */
  totalLength: number;
  ipHeaderLen: number;
  spi: number;
  seq: number;
  icv: Uint8Array;
  /** The VRRP message after the AH header. */
  vrrp: Uint8Array;
}

export type AhDecodeResult = { ok: true; packet: AhPacket } | { ok: false; reason: AhDropReason; detail: string };

function fail(reason: AhDropReason, detail: string): AhDecodeResult {
  return { ok: false, reason, detail };
}

/** Parse an IPv4 datagram carrying AH (as a raw proto-51 socket delivers it). Never throws. */
export function decodeAhDatagram(data: Uint8Array): AhDecodeResult {
  if (!(data instanceof Uint8Array) || data.length < IPV4_HEADER_LEN) return fail('ah_malformed', 'IPv4 header truncated');
  const b0 = data[0] as number;
  const ihl = (b0 & 0x0f) * 4;
  if (b0 >> 4 !== 4 || ihl < IPV4_HEADER_LEN) return fail('ah_malformed', `not an IPv4 header (first byte 0x${b0.toString(16)})`);
  const totalLength = ((data[2] as number) << 8) | (data[3] as number);
  if (totalLength > data.length || totalLength < ihl + AH_HEADER_LEN)
    return fail('ah_malformed', `IPSEC-AH packet too short: total length ${totalLength}, received ${data.length}`);
  if (data[9] !== IPPROTO_AH) return fail('ah_malformed', `IP protocol ${data[9]}, expected ${IPPROTO_AH}`);
  const ah = ihl;
  if (data[ah] !== IPPROTO_VRRP_NEXT) return fail('ah_next_header', `IPSEC-AH next header ${data[ah]}, expected ${IPPROTO_VRRP_NEXT}`);
  if (data[ah + 1] !== AH_PAYLOAD_LEN) return fail('ah_malformed', `IPSEC-AH payload length ${data[ah + 1]}, expected ${AH_PAYLOAD_LEN}`);
  const u32 = (o: number): number => (((data[o] as number) << 24) | ((data[o + 1] as number) << 16) | ((data[o + 2] as number) << 8) | (data[o + 3] as number)) >>> 0;
  return {
    ok: true,
    packet: {
      src: formatIPv4(data, 12),
      dst: formatIPv4(data, 16),
      ttl: data[8] as number,
      totalLength,
      ipHeaderLen: ihl,
      spi: u32(ah + 4),
      seq: u32(ah + 8),
      icv: data.slice(ah + ICV_OFFSET, ah + ICV_OFFSET + AH_ICV_LEN),
      vrrp: data.slice(ah + AH_HEADER_LEN, totalLength),
    },
  };
}

/** Constant-time-ish comparison of the received ICV with the one computed under our key. */
export function icvMatches(datagram: Uint8Array, pkt: AhPacket, key: Uint8Array, hmac: HmacMd5): boolean {
  const want = computeIcv(datagram.subarray(0, pkt.totalLength), pkt.ipHeaderLen, key, hmac);
  let diff = 0;
  for (let i = 0; i < AH_ICV_LEN; i++) diff |= (want[i] as number) ^ (pkt.icv[i] as number);
  return diff === 0;
}

/** Sequence rule: accept only a number above the counter (which then becomes that number). */
export function acceptSeq(counter: number, seq: number): { ok: true; counter: number } | { ok: false; counter: number } {
  return seq > counter ? { ok: true, counter: seq } : { ok: false, counter };
}

/** keepalived 2.2.7's wording for the two AH failures (observed in its log; without the "(NAME) " prefix). */
export const ahMsg = {
  badIcv: (): string => 'IPSEC-AH : invalid IPSEC HMAC-MD5 value. Due to fields mutation or bad password !',
  replay: (seq: number, local: number): string => `IPSEC-AH : sequence number ${seq} already processed. Packet dropped. Local(${local})`,
};
