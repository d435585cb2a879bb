/**
 * One ICMP/ICMPv6 echo through the addon (PING_CHECK), without spawning `ping`: an unprivileged
 * ping socket (SOCK_DGRAM + IPPROTO_ICMP/ICMPV6: the kernel sets the id and, for v4, checks
 * replies are ours) and, when ping_group_range forbids it, a raw socket (root).
 */
import net from 'node:net';
import { loadNative, type NativeAddon, type NativePacket, type NativeSocket } from './native';

export type EchoResult = { ok: true; rttMs: number } | { ok: false; reason: 'timeout' | 'unreachable' | 'error'; detail: string };

/** RFC 1071 Internet checksum. */
function checksum(b: Buffer): number {
  let sum = 0;
  for (let i = 0; i + 1 < b.length; i += 2) sum += b.readUInt16BE(i);
  if (b.length % 2) sum += (b[b.length - 1] ?? 0) << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** RFC 792 type 8 / RFC 4443 type 128 echo request; v6 checksums are the kernel's (and a ping socket's). */
export function echoRequest(v4: boolean, id: number, seq: number, payload: Buffer): Buffer {
  const b = Buffer.concat([Buffer.alloc(8), payload]);
  b[0] = v4 ? 8 : 128;
  b.writeUInt16BE(id, 4);
  b.writeUInt16BE(seq, 6);
  if (v4) b.writeUInt16BE(checksum(b), 2);
  return b;
}

let seqCounter = (process.pid * 7) & 0xffff;

function open(addon: NativeAddon, v4: boolean): { sock: NativeSocket; raw: boolean } {
  const c = addon.constants;
  const proto = v4 ? c.IPPROTO_ICMP : c.IPPROTO_ICMPV6;
  try {
    return { sock: addon.dgramSocket(v4 ? 4 : 6, proto), raw: false };
  } catch {
    return { sock: addon.rawSocket(v4 ? 4 : 6, proto), raw: true };
  }
}

export interface EchoOptions {
  /** SO_BINDTODEVICE; also the scope of a link-local destination or source. */
  bindIf?: string;
  /** Source address (PING_CHECK `bindto`). */
  bindAddr?: string;
  /** SO_MARK (PING_CHECK `fwmark`). */
  mark?: number;
  addon?: NativeAddon;
}

/**
 * 'error' = no ICMP socket could be opened at all (the caller may fall back to iputils ping);
 * a bad bind_if/bindto/fwmark is 'unreachable' (it cannot work any other way either).
 */
export function icmpEcho(dst: string, timeoutMs: number, opts: EchoOptions = {}): Promise<EchoResult> {
  const v4 = net.isIPv4(dst);
  let addon: NativeAddon;
  let s: { sock: NativeSocket; raw: boolean };
  try {
    addon = opts.addon ?? loadNative();
    s = open(addon, v4);
  } catch (e) {
    return Promise.resolve({ ok: false, reason: 'error', detail: (e as Error).message });
  }
  let ifindex = 0;
  try {
    if (opts.bindIf) {
      addon.bindToDevice(s.sock, opts.bindIf);
      ifindex = addon.ifInfo(opts.bindIf).ifindex;
    }
    if (opts.mark !== undefined) addon.setIntOpt(s.sock, addon.constants.SOL_SOCKET, addon.constants.SO_MARK, opts.mark | 0);
    if (opts.bindAddr !== undefined) addon.bindAddress(s.sock, opts.bindAddr, ifindex);
  } catch (e) {
    addon.close(s.sock);
    return Promise.resolve({ ok: false, reason: 'unreachable', detail: (e as Error).message });
  }
  const seq = (seqCounter = (seqCounter + 1) & 0xffff);
  const id = s.raw ? process.pid & 0xffff : 0;
  const payload = Buffer.from(`tskeepalived ${seq} ${process.hrtime.bigint()}`);
  const echoReply = v4 ? 0 : 129;
  const unreach = v4 ? 3 : 1;
  const started = performance.now();
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: EchoResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      try {
        addon.close(s.sock);
      } catch {
        /* already closed */
      }
      resolve(r);
    };
    const timer = setTimeout(() => finish({ ok: false, reason: 'timeout', detail: `no echo reply within ${timeoutMs} ms` }), timeoutMs);
    addon.startReading(s.sock, (err, pkts: NativePacket[]) => {
      if (err) return finish({ ok: false, reason: 'unreachable', detail: err.message });
      for (const p of pkts) {
        const off = s.raw && v4 ? ((p.data[0] ?? 0) & 0x0f) * 4 : 0;
        const b = p.data.subarray(off);
        if (b.length < 8) continue;
        if (b[0] === echoReply && b.readUInt16BE(6) === seq && (!s.raw || b.readUInt16BE(4) === id) && b.subarray(8).equals(payload)) {
          return finish({ ok: true, rttMs: performance.now() - started });
        }
        if (b[0] === unreach && p.src !== undefined && s.raw) return finish({ ok: false, reason: 'unreachable', detail: `ICMP unreachable from ${p.src}` });
      }
    });
    try {
      // The IP_PKTINFO that send() always attaches overrides a bound source: repeat it there.
      addon.send(s.sock, echoRequest(v4, id, seq, payload), dst, opts.bindAddr ?? '', ifindex);
    } catch (e) {
      finish({ ok: false, reason: 'unreachable', detail: (e as Error).message });
    }
  });
}
