/**
 * Raw Ethernet frames for hostile-traffic tests: IPv4 packets with any header field (TTL,
 * checksum, protocol) around any payload, VRRP adverts (src/vrrp/packet's encoder, then broken
 * on purpose), and gratuitous ARPs. Frames go out through test/support/flood (AF_PACKET).
 */
import { encodeAdvert } from '../../src/vrrp/packet';

export const VRRP_MCAST_MAC = '01:00:5e:00:00:12';

function macBytes(mac: string): Buffer {
  return Buffer.from(mac.split(':').map((x) => parseInt(x, 16)));
}

function ipBytes(ip: string): Buffer {
  return Buffer.from(ip.split('.').map(Number));
}

export function checksum16(b: Buffer): number {
  let sum = 0;
  for (let i = 0; i + 1 < b.length; i += 2) sum += b.readUInt16BE(i);
  if (b.length % 2) sum += (b[b.length - 1] as number) << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return ~sum & 0xffff;
}

export function multicastMac(ip: string): string {
  const b = ipBytes(ip);
  return `01:00:5e:${((b[1] as number) & 0x7f).toString(16).padStart(2, '0')}:${(b[2] as number).toString(16).padStart(2, '0')}:${(b[3] as number).toString(16).padStart(2, '0')}`;
}

/** Ethernet II + IPv4 header (correct checksum unless `badIpChecksum`) + payload. */
export function ipv4Frame(o: { srcMac: string; dstMac?: string; src: string; dst: string; proto: number; ttl?: number; payload: Buffer; badIpChecksum?: boolean }): Buffer {
  const dstMac = o.dstMac ?? (/^2(2[4-9]|3\d)\./.test(o.dst) ? multicastMac(o.dst) : 'ff:ff:ff:ff:ff:ff');
  const ip = Buffer.alloc(20);
  ip[0] = 0x45;
  ip[1] = 0xc0;
  ip.writeUInt16BE(20 + o.payload.length, 2);
  ip.writeUInt16BE(0, 4);
  ip.writeUInt16BE(0x4000, 6); // DF
  ip[8] = o.ttl ?? 255;
  ip[9] = o.proto;
  ipBytes(o.src).copy(ip, 12);
  ipBytes(o.dst).copy(ip, 16);
  ip.writeUInt16BE(o.badIpChecksum ? 0xdead : checksum16(ip), 10);
  return Buffer.concat([macBytes(dstMac), macBytes(o.srcMac), Buffer.from([0x08, 0x00]), ip, o.payload]);
}

/** A VRRPv2 advert as the given router would send it (PASS auth when `password`). */
export function advertPayload(o: { vrid: number; priority: number; vips: string[]; advertIntCs?: number; password?: string; version?: 2 | 3; src?: string; dst?: string }): Buffer {
  return encodeAdvert({
    version: o.version ?? 2,
    family: 'inet',
    vrid: o.vrid,
    priority: o.priority,
    advertIntCs: o.advertIntCs ?? 100,
    addresses: o.vips,
    auth: o.password !== undefined ? { type: 'PASS', password: o.password } : undefined,
    src: o.src ?? '0.0.0.0',
    dst: o.dst ?? '224.0.0.18',
  });
}

/** A gratuitous ARP request for `ip` claiming `mac`. */
export function garpFrame(ip: string, mac: string): Buffer {
  const arp = Buffer.alloc(28);
  arp.writeUInt16BE(1, 0); // Ethernet
  arp.writeUInt16BE(0x0800, 2);
  arp[4] = 6;
  arp[5] = 4;
  arp.writeUInt16BE(1, 6); // request
  macBytes(mac).copy(arp, 8);
  ipBytes(ip).copy(arp, 14);
  ipBytes(ip).copy(arp, 24);
  return Buffer.concat([macBytes('ff:ff:ff:ff:ff:ff'), macBytes(mac), Buffer.from([0x08, 0x06]), arp]);
}
