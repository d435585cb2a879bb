/**
 * Per-instance state of VRRPv2 `auth_type AH` (keepalived 2.2.7's IPsec-AH, HMAC-MD5-96): the
 * sequence counter and the IP ID of the datagrams we build. The wire format is in
 * src/vrrp/ah.ts; this class only holds the counters and supplies node:crypto's HMAC.
 *
 * One counter serves both directions, as measured with keepalived: each advert we send carries
 * counter + 1; each accepted advert sets the counter to its number, so after a takeover the new
 * master continues above the last number its peers saw, and a restarted node accepts the
 * running master's numbers whatever they are.
 */
import { acceptSeq, ahKey, ahMsg, decodeAhDatagram, encodeAhDatagram, icvMatches, type HmacMd5 } from '../vrrp/ah';

// node:crypto is required on first use: only auth_type AH needs it (start-up does not pay for it otherwise).
export const nodeHmacMd5: HmacMd5 = (key, data) => (require('node:crypto') as typeof import('node:crypto')).createHmac('md5', key).update(data).digest();

export type AhCheck = { ok: true } | { ok: false; reason: 'ah_auth_failed' | 'ah_replay' | 'ah_malformed' | 'ah_next_header'; detail: string };

export class AhSession {
  private readonly key: Uint8Array;
  private counter = 0;
  private ipId = 0;

  constructor(password: string, private readonly hmac: HmacMd5 = nodeHmacMd5) {
    this.key = ahKey(password);
  }

  get seq(): number {
    return this.counter;
  }

  /** The IPv4 datagram carrying one VRRP message, with the next sequence number. */
  wrap(vrrp: Uint8Array, src: string, dst: string, ttl?: number): Buffer {
    // keepalived stops at 0xFFFFFFFD; wrapping to 1 keeps us sending (4 billion adverts away).
    this.counter = this.counter >= 0xfffffffd ? 1 : this.counter + 1;
    this.ipId = (this.ipId % 0xffff) + 1; // never 0: the kernel would rewrite it after the ICV
    return encodeAhDatagram({ src, dst, ipId: this.ipId, seq: this.counter, vrrp, key: this.key, hmac: this.hmac, ...(ttl === undefined ? {} : { ttl }) });
  }

  /** ICV, then sequence number; an accepted datagram moves the counter. Never throws. */
  check(datagram: Uint8Array): AhCheck {
    const d = decodeAhDatagram(datagram);
    if (!d.ok) return d;
    if (!icvMatches(datagram, d.packet, this.key, this.hmac)) return { ok: false, reason: 'ah_auth_failed', detail: ahMsg.badIcv() };
    const s = acceptSeq(this.counter, d.packet.seq);
    if (!s.ok) return { ok: false, reason: 'ah_replay', detail: ahMsg.replay(d.packet.seq, this.counter) };
    this.counter = s.counter;
    return { ok: true };
  }
}
