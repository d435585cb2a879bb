/**
 * BFD control packets captured with `tcpdump -n -tt -x` in a lab namespace, decoded from the
 * hex of each packet (IP header, UDP header, then our own RFC 5880 decoder): tcpdump's BFD
 * printer is not used, since it mistakes a source port of 49152 (FRR bfdd's) for BCM-LI.
 */
import type { Lab } from './netns';
import { BFD_STATE_NAME, decodeControl } from '../../src/bfd/packet';

export interface BfdOnWire {
  /** Capture time (s, wall clock). */
  t: number;
  /** TTL / hop limit as captured. */
  ttl: number;
  src: string;
  dst: string;
  dstPort: number;
  /** AdminDown | Down | Init | Up */
  state: string;
  poll: boolean;
  final: boolean;
  myDiscr: number;
  yourDiscr: number;
  desiredTxMs: number;
  requiredRxMs: number;
  detectMult: number;
}

/** An IPv6 address, uncompressed ("2001:db8:0:0:0:0:0:1"). */
function v6(b: Buffer, at: number): string {
  const parts: string[] = [];
  for (let i = 0; i < 16; i += 2) parts.push(b.readUInt16BE(at + i).toString(16));
  return parts.join(':');
}

/** One record per packet: the timestamp line, then "\t0x0000:  4500 0034 ..." hex lines. */
export function parseBfdDump(text: string): BfdOnWire[] {
  const out: BfdOnWire[] = [];
  for (const rec of text.split(/\n(?=\d+\.\d+ )/)) {
    const ts = /^(\d+\.\d+) /.exec(rec);
    if (!ts) continue;
    const hex = [...rec.matchAll(/^\s+0x[0-9a-f]+:\s+((?:[0-9a-f]{2,4}\s?)+)/gm)].map((m) => (m[1] as string).replace(/\s+/g, '')).join('');
    const b = Buffer.from(hex, 'hex');
    if (b.length < 20) continue;
    const ver = (b[0] as number) >> 4;
    const ipLen = ver === 4 ? ((b[0] as number) & 15) * 4 : 40;
    if (b.length < ipLen + 8) continue;
    const ttl = ver === 4 ? (b[8] as number) : (b[7] as number);
    const src = ver === 4 ? [...b.subarray(12, 16)].join('.') : v6(b, 8);
    const dst = ver === 4 ? [...b.subarray(16, 20)].join('.') : v6(b, 24);
    const dstPort = b.readUInt16BE(ipLen + 2);
    const r = decodeControl(b.subarray(ipLen + 8));
    if (!r.ok) continue;
    const p = r.pkt;
    out.push({
      t: Number(ts[1]),
      ttl,
      src,
      dst,
      dstPort,
      state: BFD_STATE_NAME[p.state] ?? '?',
      poll: p.poll,
      final: p.final,
      myDiscr: p.myDiscr,
      yourDiscr: p.yourDiscr,
      desiredTxMs: p.desiredMinTxUs / 1000,
      requiredRxMs: p.requiredMinRxUs / 1000,
      detectMult: p.detectMult,
    });
  }
  return out;
}

export interface BfdCapture {
  text(): string;
  packets(): BfdOnWire[];
  stop(): void;
}

/** tcpdump -x in a namespace (killed by pid at teardown, or by stop()). */
export function captureBfd(lab: Lab, ns: string, ifname: string, filter: string): BfdCapture {
  const cp = lab.spawn(ns, ['tcpdump', '-i', ifname, '-n', '-tt', '-l', '-U', '-x', filter]);
  let text = '';
  cp.stdout?.on('data', (d: Buffer) => (text += d.toString()));
  return {
    text: () => text,
    packets: () => parseBfdDump(text),
    stop: () => void cp.kill('SIGTERM'),
  };
}
