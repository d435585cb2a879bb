/**
 * VrrpSocketFactory over the native addon: one raw proto-112 socket per (family, interface),
 * configured as keepalived configures its own (TTL/hop limit 255, TOS 0xc0, loopback off,
 * multicast-all off, bound to the device) and read through a uv_poll watcher.
 *
 * Send path: the kernel builds the IP header (no IP_HDRINCL); the source address and ifindex go
 * per packet in IP_PKTINFO/IPV6_PKTINFO. For IPv6 no IPV6_CHECKSUM: the codec's checksum is sent
 * as is. Receive path: IPv4 datagrams arrive with their header, which parseIpv4 strips; malformed
 * ones are counted in stats().dropped and never thrown.
 *
 * `ipsecAh` (IPv4 auth_type AH, as keepalived): the socket is raw proto 51 with IP_HDRINCL, since
 * the AH ICV covers the IP header (its ID and length) and so the header must be ours. send() takes
 * the whole datagram; received datagrams are split at the AH header (src/vrrp/ah.ts) and handed
 * on with the datagram for the runtime to verify.
 */
import type { Family, ReceivedPacket, VrrpSocket, VrrpSocketFactory, VrrpSocketOptions } from './ports';
import { parseIpv4 } from './ipv4-header';
import { decodeAhDatagram, IPPROTO_AH } from '../vrrp/ah';
import { isNativeError, loadNative, type NativeAddon, type NativePacket, type NativeSocket } from './native';

export const IPPROTO_VRRP = 112;
/** IPv4 TOS keepalived puts on adverts: precedence 6 (internetwork control). */
export const VRRP_TOS = 0xc0;
const TTL = 255;

export interface VrrpSocketStats {
  received: number;
  sent: number;
  sendErrors: number;
  /** Datagrams dropped before decoding, by reason (malformed IPv4 header, truncated, no TTL). */
  dropped: Record<string, number>;
}

export class NativeVrrpSocketFactory implements VrrpSocketFactory {
  constructor(private readonly addon: NativeAddon = loadNative()) {}
  open(opts: VrrpSocketOptions): NativeVrrpSocket {
    return new NativeVrrpSocket(this.addon, opts);
  }
}

export class NativeVrrpSocket implements VrrpSocket {
  readonly family: Family;
  readonly ifname: string;
  readonly ifindex: number;
  readonly group: string | undefined;
  private readonly sock: NativeSocket;
  private readonly packetCbs: Array<(p: ReceivedPacket) => void> = [];
  private readonly errorCbs: Array<(err: Error) => void> = [];
  private readonly counters: VrrpSocketStats = { received: 0, sent: 0, sendErrors: 0, dropped: {} };
  private closed = false;
  private readonly ipsecAh: boolean;
  /** IP_TTL / IPV6_UNICAST_HOPS the socket has now (instances sharing it may differ: unicast_ttl). */
  private unicastTtl = TTL;

  get fd(): number {
    return this.addon.fileno(this.sock);
  }

  /** Throws the addon's error (code ENODEV, EPERM, …) if the socket cannot be set up. */
  constructor(private readonly addon: NativeAddon, opts: VrrpSocketOptions) {
    this.family = opts.family;
    this.ifname = opts.ifname;
    this.group = opts.group;
    this.ipsecAh = opts.ipsecAh === true && opts.family === 'inet';
    this.ifindex = addon.ifInfo(opts.ifname).ifindex;
    this.sock = addon.rawSocket(opts.family === 'inet' ? 4 : 6, this.ipsecAh ? IPPROTO_AH : IPPROTO_VRRP);
    try {
      addon.bindToDevice(this.sock, opts.ifname);
      if (opts.family === 'inet') this.configureV4();
      else this.configureV6();
      // Arrival stamps: the Master_Down timer runs from when an advert arrived, not from when
      // the event loop got round to it.
      addon.setIntOpt(this.sock, addon.constants.SOL_SOCKET, addon.constants.SO_TIMESTAMPNS, 1);
      addon.setMulticastIf(this.sock, this.ifindex);
      if (opts.group) addon.membership(this.sock, true, opts.group, this.ifindex);
      addon.startReading(this.sock, (err, packets) => this.onReadable(err, packets));
    } catch (e) {
      addon.close(this.sock);
      throw e;
    }
  }

  private configureV4(): void {
    const c = this.addon.constants;
    const set = (opt: number, v: number): void => this.addon.setIntOpt(this.sock, c.IPPROTO_IP, opt, v);
    set(c.IP_TOS, VRRP_TOS);
    set(c.IP_TTL, TTL); // unicast peers
    set(c.IP_MULTICAST_TTL, TTL); // RFC 5798 §5.1.1.3
    set(c.IP_MULTICAST_LOOP, 0); // never read our own adverts back
    set(c.IP_MULTICAST_ALL, 0); // only groups this socket joined, not every group on the host
    set(c.IP_PKTINFO, 1); // destination address and ifindex of each datagram
    set(c.IP_RECVTTL, 1);
    if (this.ipsecAh) set(c.IP_HDRINCL, 1); // the AH ICV covers the IP header we build
  }

  private configureV6(): void {
    const c = this.addon.constants;
    const set = (opt: number, v: number): void => this.addon.setIntOpt(this.sock, c.IPPROTO_IPV6, opt, v);
    set(c.IPV6_UNICAST_HOPS, TTL);
    set(c.IPV6_MULTICAST_HOPS, TTL); // RFC 5798 §5.1.2.3
    set(c.IPV6_MULTICAST_LOOP, 0);
    set(c.IPV6_RECVPKTINFO, 1);
    set(c.IPV6_RECVHOPLIMIT, 1);
    try {
      set(c.IPV6_MULTICAST_ALL, 0);
    } catch (e) {
      // Kernels before 4.20 lack the option; being bound to the device still limits what we see.
      if (!isNativeError(e) || e.code !== 'ENOPROTOOPT') throw e;
    }
  }

  /**
   * Send to dst from src (an address on our interface). Kernel errors go to onError, counted.
   * An ipsecAh socket sends `payload` as the complete IPv4 datagram. Adverts queued by
   * sendSoon() leave first (the order on the wire is the order of the calls).
   */
  send(payload: Buffer, dst: string, src: string, ttl = TTL): void {
    if (this.closed) return;
    if (this.queued > 0) this.flush();
    try {
      if (ttl !== this.unicastTtl) this.setUnicastTtl(ttl);
      this.addon.send(this.sock, payload, dst, src, this.ifindex);
      this.counters.sent++;
    } catch (e) {
      this.sendFailed(e, dst, src);
    }
  }

  /**
   * send(), for a master's routine advert: queued, and everything queued in one synchronous run
   * (every instance due at one timer wake-up) leaves in one sendmmsg from a microtask right
   * after it, instead of one N-API call and one syscall per advert (at 1,000 instances those
   * were half of the daemon's steady-state CPU). `payload` must not change afterwards (the
   * instances' cached adverts never do). An ipsecAh socket sends at once.
   */
  sendSoon(payload: Buffer, dst: string, src: string, ttl = TTL): void {
    if (this.closed) return;
    if (this.ipsecAh || ttl !== this.unicastTtl) return this.send(payload, dst, src, ttl);
    const i = this.queued++;
    this.qPayloads[i] = payload;
    this.qDsts[i] = dst;
    this.qSrcs[i] = src;
    if (i === 0) queueMicrotask(this.flushQueued);
  }

  private queued = 0;
  private readonly qPayloads: Buffer[] = [];
  private readonly qDsts: string[] = [];
  private readonly qSrcs: string[] = [];
  private readonly flushQueued = (): void => this.flush();

  /** Send what sendSoon() queued, in order; a failed entry is reported (as send() does) and skipped. */
  private flush(): void {
    const n = this.queued;
    this.queued = 0; // (a send from an onError callback must not flush these again)
    let i = 0;
    while (i < n && !this.closed) {
      try {
        const sent = this.addon.sendBatch(this.sock, this.qPayloads, this.qDsts, this.qSrcs, this.ifindex, i, n - i);
        this.counters.sent += sent;
        i += sent;
      } catch (e) {
        // (from a microtask nothing may throw: a bad address is reported like a kernel error)
        this.sendFailed(isNativeError(e) ? e : Object.assign(e as Error, { errno: 0, code: 'ERR_INVALID_ARG_VALUE' }), this.qDsts[i] as string, this.qSrcs[i] as string);
        i++;
      }
    }
  }

  private sendFailed(e: unknown, dst: string, src: string): void {
    if (!isNativeError(e)) throw e; // a bad address is a programming error, not a network event
    this.counters.sendErrors++;
    e.message = `${e.message} (sending to ${dst} from ${src} on ${this.ifname})`;
    this.emitError(e);
  }

  /**
   * unicast_ttl: the socket's unicast TTL follows the instance sending (a setsockopt only when it
   * changes; sends are synchronous, so no other send sees it). Multicast keeps IP_MULTICAST_TTL 255.
   */
  private setUnicastTtl(ttl: number): void {
    const c = this.addon.constants;
    if (this.family === 'inet') this.addon.setIntOpt(this.sock, c.IPPROTO_IP, c.IP_TTL, ttl);
    else this.addon.setIntOpt(this.sock, c.IPPROTO_IPV6, c.IPV6_UNICAST_HOPS, ttl);
    this.unicastTtl = ttl;
  }

  onPacket(cb: (p: ReceivedPacket) => void): void {
    this.packetCbs.push(cb);
  }

  onError(cb: (err: Error) => void): void {
    this.errorCbs.push(cb);
  }

  stats(): VrrpSocketStats {
    return { ...this.counters, dropped: { ...this.counters.dropped } };
  }

  /** Leave the group (best effort) and close; the process can exit afterwards. Idempotent. */
  close(): void {
    if (this.closed) return;
    if (this.queued > 0) this.flush();
    this.closed = true;
    if (this.group) {
      try {
        this.addon.membership(this.sock, false, this.group, this.ifindex);
      } catch {
        /* the interface may be gone; closing drops the membership anyway */
      }
    }
    this.addon.close(this.sock);
  }

  private onReadable(err: Error | null, packets: NativePacket[]): void {
    if (err) this.emitError(err);
    const readAtMs = performance.now();
    for (const raw of packets) {
      const p = this.toReceived(raw);
      if (!p) continue;
      if (p.ageMs !== undefined) p.readAtMs = readAtMs;
      this.counters.received++;
      for (const cb of this.packetCbs) cb(p);
    }
  }

  private drop(reason: string): undefined {
    this.counters.dropped[reason] = (this.counters.dropped[reason] ?? 0) + 1;
    return undefined;
  }

  private toReceived(raw: NativePacket): ReceivedPacket | undefined {
    if (raw.truncated) return this.drop('truncated');
    if (this.family === 'inet6') {
      if (raw.ttl < 0) return this.drop('no-hoplimit');
      return withAge({ family: 'inet6', data: raw.data, src: raw.src, dst: raw.dst, ttl: raw.ttl, ifindex: raw.ifindex }, raw);
    }
    if (this.ipsecAh) return this.toReceivedAh(raw);
    const ip = parseIpv4(raw.data, IPPROTO_VRRP);
    if (!ip.ok) return this.drop(`ipv4-${ip.reason}`);
    return withAge(
      {
        family: 'inet',
        data: ip.payload,
        src: ip.header.src,
        dst: raw.dst || ip.header.dst,
        ttl: ip.header.ttl, // the header is authoritative; IP_RECVTTL carries the same value
        ifindex: raw.ifindex,
        ipTotalLength: ip.header.totalLength,
      },
      raw,
    );
  }

  private toReceivedAh(raw: NativePacket): ReceivedPacket | undefined {
    const ip = parseIpv4(raw.data, IPPROTO_AH);
    if (!ip.ok) return this.drop(`ipv4-${ip.reason}`);
    const datagram = raw.data.subarray(0, ip.header.totalLength);
    const ah = decodeAhDatagram(datagram);
    if (!ah.ok) return this.drop(ah.reason);
    return withAge(
      {
        family: 'inet',
        data: Buffer.from(ah.packet.vrrp),
        src: ip.header.src,
        dst: raw.dst || ip.header.dst,
        ttl: ip.header.ttl,
        ifindex: raw.ifindex,
        ipTotalLength: ip.header.totalLength,
        datagram,
      },
      raw,
    );
  }

  private emitError(err: Error): void {
    for (const cb of this.errorCbs) cb(err);
  }
}

function withAge(p: ReceivedPacket, raw: NativePacket): ReceivedPacket {
  if (raw.ageMs >= 0) p.ageMs = raw.ageMs;
  return p;
}
