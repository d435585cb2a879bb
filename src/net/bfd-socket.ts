/**
 * BFD transport over the native addon's UDP sockets (RFC 5881 single-hop, RFC 5883 multihop).
 *
 * - A listener per (family, port) bound to the wildcard address on 3784 (single-hop) or 4784
 *   (multihop), with IP_RECVTTL / IPV6_RECVHOPLIMIT and PKTINFO so each datagram arrives with
 *   the TTL or hop limit it was received with (RFC 5881 §5: a single-hop session requires 255)
 *   and its destination address, and SO_TIMESTAMPNS for its arrival time (the Detection Time
 *   counts from the kernel's receipt, not from when the event loop got to the packet).
 * - A sender per session bound to its source address (or the wildcard) and a source port in
 *   49152..65535 (RFC 5881 §4), sending with the configured TTL / hop limit (255 by default),
 *   optionally bound to a device (SO_BINDTODEVICE).
 *
 * Nothing here decodes BFD: payloads go up as they came (house rule 12).
 */
import { BFD_SRC_PORT_MAX, BFD_SRC_PORT_MIN } from '../bfd/packet';
import { isNativeError, loadNative, type NativeAddon, type NativePacket, type NativeSocket } from './native';

export type BfdFamily = 4 | 6;

export interface BfdDatagram {
  data: Buffer;
  family: BfdFamily;
  src: string;
  srcPort: number;
  dst: string;
  ifindex: number;
  /** Received TTL / hop limit; -1 if the kernel gave none. */
  ttl: number;
  /** Came in on the multihop port (4784). */
  multihop: boolean;
  /** ms between the kernel's arrival stamp (SO_TIMESTAMPNS) and the read; absent when none. */
  ageMs?: number;
  /** When it was read (performance.now() ms), for ageAt. */
  readAtMs?: number;
}

export interface BfdSenderOptions {
  family: BfdFamily;
  /** '' = the kernel's choice. */
  sourceIp: string;
  /** '' = no SO_BINDTODEVICE. */
  device: string;
  /** Outgoing TTL (IPv4) or hop limit (IPv6). */
  ttl: number;
}

export interface BfdSender {
  readonly srcPort: number;
  send(payload: Buffer, dst: string, dstPort: number): void;
  close(): void;
}

export interface BfdListener {
  close(): void;
}

/** The port the BFD service talks to: a fake in tests, the addon in the daemon. */
export interface BfdTransport {
  listen(family: BfdFamily, port: number, onPacket: (d: BfdDatagram) => void, onError: (e: Error) => void): BfdListener;
  sender(opts: BfdSenderOptions): BfdSender;
}

export class NativeBfdTransport implements BfdTransport {
  constructor(private readonly addon: NativeAddon = loadNative(), private readonly rand: () => number = Math.random) {}

  listen(family: BfdFamily, port: number, onPacket: (d: BfdDatagram) => void, onError: (e: Error) => void): BfdListener {
    const a = this.addon;
    const k = a.constants;
    const sock = a.dgramSocket(family, k.IPPROTO_UDP);
    try {
      a.setIntOpt(sock, k.SOL_SOCKET, k.SO_REUSEADDR, 1);
      a.setIntOpt(sock, k.SOL_SOCKET, k.SO_TIMESTAMPNS, 1);
      if (family === 4) {
        a.setIntOpt(sock, k.IPPROTO_IP, k.IP_RECVTTL, 1);
        a.setIntOpt(sock, k.IPPROTO_IP, k.IP_PKTINFO, 1);
        a.bindAddress(sock, '0.0.0.0', 0, port);
      } else {
        a.setIntOpt(sock, k.IPPROTO_IPV6, k.IPV6_V6ONLY, 1);
        a.setIntOpt(sock, k.IPPROTO_IPV6, k.IPV6_RECVHOPLIMIT, 1);
        a.setIntOpt(sock, k.IPPROTO_IPV6, k.IPV6_RECVPKTINFO, 1);
        a.bindAddress(sock, '::', 0, port);
      }
    } catch (e) {
      a.close(sock);
      throw e;
    }
    const multihop = port !== 3784;
    a.startReading(sock, (err, pkts: NativePacket[]) => {
      if (err) onError(err);
      const readAtMs = performance.now();
      for (const p of pkts) {
        if (p.truncated) continue;
        const d: BfdDatagram = { data: p.data, family, src: unmapV4(p.src), srcPort: p.srcPort ?? 0, dst: p.dst, ifindex: p.ifindex, ttl: p.ttl, multihop };
        if (p.ageMs >= 0) {
          d.ageMs = p.ageMs;
          d.readAtMs = readAtMs;
        }
        onPacket(d);
      }
    });
    return { close: () => a.close(sock) };
  }

  sender(opts: BfdSenderOptions): BfdSender {
    const a = this.addon;
    const k = a.constants;
    const sock = a.dgramSocket(opts.family, k.IPPROTO_UDP);
    let srcPort = 0;
    try {
      if (opts.device) a.bindToDevice(sock, opts.device);
      if (opts.family === 4) a.setIntOpt(sock, k.IPPROTO_IP, k.IP_TTL, opts.ttl);
      else a.setIntOpt(sock, k.IPPROTO_IPV6, k.IPV6_UNICAST_HOPS, opts.ttl);
      srcPort = this.bindSourcePort(sock, opts);
    } catch (e) {
      a.close(sock);
      throw e;
    }
    return {
      srcPort,
      send: (payload, dst, dstPort) => void a.send(sock, payload, dst, '', 0, dstPort),
      close: () => a.close(sock),
    };
  }

  /** RFC 5881 §4: a source port in 49152..65535; a random start, then the next free one. */
  private bindSourcePort(sock: NativeSocket, opts: BfdSenderOptions): number {
    const span = BFD_SRC_PORT_MAX - BFD_SRC_PORT_MIN + 1;
    const start = Math.floor(this.rand() * span);
    const addr = opts.sourceIp || (opts.family === 4 ? '0.0.0.0' : '::');
    for (let i = 0; i < 64; i++) {
      const port = BFD_SRC_PORT_MIN + ((start + i) % span);
      try {
        this.addon.bindAddress(sock, addr, 0, port);
        return port;
      } catch (e) {
        if (isNativeError(e) && e.code === 'EADDRINUSE') continue;
        throw e;
      }
    }
    throw Object.assign(new Error('no free BFD source port in 49152-65535'), { code: 'EADDRINUSE' });
  }
}

function unmapV4(a: string): string {
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}
