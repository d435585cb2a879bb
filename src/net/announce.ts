/**
 * Announcing VIP ownership: gratuitous ARP (IPv4) and unsolicited Neighbour Advertisements
 * (IPv6) as complete Ethernet frames. The builders are pure (bytes in, bytes out, checksum
 * computed here); PacketAnnouncer only hands the frames to an AF_PACKET socket.
 *
 * GARP as keepalived sends it: broadcast, ARP request (op 1), sender = target protocol
 * address = VIP, sender hardware = our MAC, target hardware ff:ff:ff:ff:ff:ff.
 * NA as keepalived sends it (RFC 4861 §4.4, §7.2.6): to 33:33:00:00:00:01 / ff02::1, hop limit
 * 255, Override=1, Solicited=0, Router as requested, target = VIP, Target Link-Layer Address
 * option = our MAC, IPv6 source = the VIP unless one is given.
 */
import type { AnnouncePort } from './ports';
import { loadNative, type NativeAddon, type NativeSocket } from './native';

const ETH_HLEN = 14;
const ETHERTYPE_ARP = 0x0806;
const ETHERTYPE_IPV6 = 0x86dd;
const BROADCAST_MAC = Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
/** RFC 2464 §7: IPv6 multicast 33:33 + low 32 bits of the group (ff02::1 → 33:33:00:00:00:01). */
const ALL_NODES_MAC = Buffer.from([0x33, 0x33, 0x00, 0x00, 0x00, 0x01]);
const ALL_NODES = 'ff02::1';
const IPPROTO_ICMPV6 = 58;
const ND_NEIGHBOR_ADVERT = 136;
const ND_OPT_TARGET_LLADDR = 2;
const NA_FLAG_ROUTER = 0x80;
const NA_FLAG_SOLICITED = 0x40;
const NA_FLAG_OVERRIDE = 0x20;

export function parseMac(mac: string): Buffer {
  const parts = mac.split(/[:-]/);
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) throw new TypeError(`invalid MAC address: ${mac}`);
  return Buffer.from(parts.map((p) => parseInt(p, 16)));
}

export function formatMac(b: Uint8Array): string {
  return Array.from(b.subarray(0, 6), (x) => x.toString(16).padStart(2, '0')).join(':');
}

export function parseIpv4(ip: string): Buffer {
  const parts = ip.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) throw new TypeError(`invalid IPv4 address: ${ip}`);
  return Buffer.from(parts.map(Number));
}

/** RFC 4291 §2.2 text forms, including '::' and a trailing dotted quad; a %zone is ignored. */
export function parseIpv6(ip: string): Buffer {
  const bad = (): never => {
    throw new TypeError(`invalid IPv6 address: ${ip}`);
  };
  let text = ip.split('%')[0] ?? '';
  const words: number[] = [];
  const tail: number[] = [];
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (quad) {
    const v4 = parseIpv4(quad[1] as string);
    tail.push(v4.readUInt16BE(0), v4.readUInt16BE(2));
    text = text.slice(0, -(quad[1] as string).length);
    if (!text.endsWith(':')) bad();
    if (!text.endsWith('::')) text = text.slice(0, -1);
  }
  const halves = text.split('::');
  if (halves.length > 2) bad();
  const parse = (s: string): number[] =>
    s === '' ? [] : s.split(':').map((w) => (/^[0-9a-fA-F]{1,4}$/.test(w) ? parseInt(w, 16) : bad()));
  const head = parse(halves[0] ?? '');
  const rest = halves.length === 2 ? parse(halves[1] ?? '') : [];
  const given = head.length + rest.length + tail.length;
  if (halves.length === 2) {
    if (given > 7) bad();
    words.push(...head, ...new Array<number>(8 - given).fill(0), ...rest, ...tail);
  } else {
    if (given !== 8) bad();
    words.push(...head, ...tail);
  }
  const out = Buffer.alloc(16);
  words.forEach((w, i) => out.writeUInt16BE(w, i * 2));
  return out;
}

function ethernet(dst: Buffer, src: Buffer, ethertype: number, payloadLen: number): Buffer {
  const f = Buffer.alloc(ETH_HLEN + payloadLen);
  dst.copy(f, 0);
  src.copy(f, 6);
  f.writeUInt16BE(ethertype, 12);
  return f;
}

/** Gratuitous ARP request for ip from srcMac: 42 bytes (the NIC pads to the 60-byte minimum). */
export function buildGratuitousArp(ip: string, srcMac: string): Buffer {
  const mac = parseMac(srcMac);
  const vip = parseIpv4(ip);
  const f = ethernet(BROADCAST_MAC, mac, ETHERTYPE_ARP, 28);
  let o = ETH_HLEN;
  o = f.writeUInt16BE(1, o); // hardware type: Ethernet
  o = f.writeUInt16BE(0x0800, o); // protocol type: IPv4
  o = f.writeUInt8(6, o); // hardware address length
  o = f.writeUInt8(4, o); // protocol address length
  o = f.writeUInt16BE(1, o); // op: request
  o += mac.copy(f, o); // sender hardware address
  o += vip.copy(f, o); // sender protocol address
  o += BROADCAST_MAC.copy(f, o); // target hardware address (keepalived: ff:ff:ff:ff:ff:ff)
  vip.copy(f, o); // target protocol address
  return f;
}

/** RFC 1071 one's-complement sum of 16-bit words (odd trailing byte padded with zero). */
function sum16(b: Uint8Array, acc = 0): number {
  let s = acc;
  for (let i = 0; i + 1 < b.length; i += 2) s += ((b[i] as number) << 8) | (b[i + 1] as number);
  if (b.length % 2) s += (b[b.length - 1] as number) << 8;
  return s;
}

function fold(s: number): number {
  let x = s;
  while (x > 0xffff) x = (x & 0xffff) + (x >>> 16);
  return x;
}

/** ICMPv6 checksum (RFC 4443 §2.3) over the RFC 8200 §8.1 pseudo-header and the message. */
export function icmpv6Checksum(src: Buffer, dst: Buffer, message: Uint8Array): number {
  const pseudo = Buffer.alloc(40);
  src.copy(pseudo, 0);
  dst.copy(pseudo, 16);
  pseudo.writeUInt32BE(message.length, 32);
  pseudo[39] = IPPROTO_ICMPV6;
  const c = ~fold(sum16(message, sum16(pseudo))) & 0xffff;
  return c;
}

/** Unsolicited NA for ip from srcMac: 86 bytes (14 Ethernet + 40 IPv6 + 24 NA + 8 TLLA option). */
export function buildUnsolicitedNa(ip: string, srcMac: string, router: boolean, srcIp?: string): Buffer {
  const mac = parseMac(srcMac);
  const target = parseIpv6(ip);
  const src = parseIpv6(srcIp ?? ip);
  const dst = parseIpv6(ALL_NODES);
  const icmpLen = 24 + 8;
  const f = ethernet(ALL_NODES_MAC, mac, ETHERTYPE_IPV6, 40 + icmpLen);
  let o = ETH_HLEN;
  o = f.writeUInt32BE(0x60000000, o); // version 6, traffic class 0, flow label 0
  o = f.writeUInt16BE(icmpLen, o); // payload length
  o = f.writeUInt8(IPPROTO_ICMPV6, o); // next header
  o = f.writeUInt8(255, o); // hop limit: RFC 4861 §7.1.2 receivers drop anything else
  o += src.copy(f, o);
  o += dst.copy(f, o);
  const icmpStart = o;
  o = f.writeUInt8(ND_NEIGHBOR_ADVERT, o);
  o = f.writeUInt8(0, o); // code
  o = f.writeUInt16BE(0, o); // checksum, filled below
  f[o] = NA_FLAG_OVERRIDE | (router ? NA_FLAG_ROUTER : 0); // Solicited stays 0 (unsolicited)
  o += 4; // flags + 29 reserved bits
  o += target.copy(f, o);
  o = f.writeUInt8(ND_OPT_TARGET_LLADDR, o);
  o = f.writeUInt8(1, o); // option length in units of 8 octets
  mac.copy(f, o);
  f.writeUInt16BE(icmpv6Checksum(src, dst, f.subarray(icmpStart)), icmpStart + 2);
  return f;
}

/** Exported for tests: the flag bits of an NA (byte 4 of the ICMPv6 message). */
export const NA_FLAGS = { router: NA_FLAG_ROUTER, solicited: NA_FLAG_SOLICITED, override: NA_FLAG_OVERRIDE } as const;

const FRAME_CACHE_MAX = 4096;

/** AnnouncePort over one AF_PACKET socket, opened on first use. Kernel errors are thrown. */
export class PacketAnnouncer implements AnnouncePort {
  private sock: NativeSocket | undefined;
  /**
   * Frames by (kind, VIP, MAC, Router flag), built by prebuild() when an instance starts: a
   * takeover's first round then costs one sendto per VIP, no parsing or checksumming (the
   * builders cost ~40-100 µs per frame on a cold path). Bounded: cleared when it grows past
   * FRAME_CACHE_MAX (reloads replacing VIPs many times).
   */
  private readonly frames = new Map<string, Buffer>();
  /** ifindex by name, from the last send that worked: one ioctl per interface, not per frame. */
  private readonly ifindexes = new Map<string, number>();

  constructor(private readonly addon: NativeAddon = loadNative()) {}

  gratuitousArp(ifname: string, ip: string, mac: string): void {
    this.sendFrame(ifname, this.frame('inet', ip, mac, false));
  }

  unsolicitedNa(ifname: string, ip: string, mac: string, router: boolean): void {
    this.sendFrame(ifname, this.frame('inet6', ip, mac, router));
  }

  /** Build and keep the frame gratuitousArp/unsolicitedNa will send for this VIP, and learn ifname's index. */
  prebuild(ifname: string, family: 'inet' | 'inet6', ip: string, mac: string, router: boolean): void {
    this.frame(family, ip, mac, router);
    if (!this.ifindexes.has(ifname)) this.ifindexes.set(ifname, this.addon.ifInfo(ifname).ifindex);
  }

  private frame(family: 'inet' | 'inet6', ip: string, mac: string, router: boolean): Buffer {
    const key = family === 'inet' ? `a ${ip} ${mac}` : `n ${ip} ${mac} ${router ? 1 : 0}`;
    let f = this.frames.get(key);
    if (!f) {
      f = family === 'inet' ? buildGratuitousArp(ip, mac) : buildUnsolicitedNa(ip, mac, router);
      if (this.frames.size >= FRAME_CACHE_MAX) this.frames.clear();
      this.frames.set(key, f);
    }
    return f;
  }

  /** Opens the socket and builds (and discards) one frame of each kind, so V8 has compiled the builders. */
  prepare(): void {
    this.sock ??= this.addon.packetSocket();
    buildGratuitousArp('192.0.2.1', '02:00:00:00:00:01');
    buildUnsolicitedNa('2001:db8::1', '02:00:00:00:00:01', false);
  }

  /** Send any prebuilt frame (e.g. an NA with an explicit source from buildUnsolicitedNa). */
  sendFrame(ifname: string, frame: Buffer): void {
    this.sock ??= this.addon.packetSocket();
    const known = this.ifindexes.get(ifname);
    let ifindex: number;
    if (known !== undefined) {
      try {
        this.addon.sendFrame(this.sock, known, frame);
        return;
      } catch (e) {
        // A recreated interface (a VMAC) has a new index; the old one is refused (ENXIO).
        this.ifindexes.delete(ifname);
        ifindex = this.addon.ifInfo(ifname).ifindex;
        if (ifindex === known) throw e;
      }
    } else ifindex = this.addon.ifInfo(ifname).ifindex;
    this.addon.sendFrame(this.sock, ifindex, frame);
    this.ifindexes.set(ifname, ifindex);
  }

  close(): void {
    if (this.sock) this.addon.close(this.sock);
    this.sock = undefined;
  }
}
