/**
 * Captures VRRP adverts on the lab bridge with tcpdump and parses them, so benchmarks measure
 * on the wire (what the peers and switches see), not from log lines.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { onLines } from '../../test/support/lines';

export interface WireAdvert {
  /** Capture timestamp, seconds (tcpdump -tt). */
  t: number;
  src: string;
  vrid: number;
  priority: number;
}

export class WireCapture {
  readonly adverts: WireAdvert[] = [];
  private cp: ChildProcess;
  constructor(bridgeNs: string, iface = 'br0') {
    this.cp = spawn('ip', ['netns', 'exec', bridgeNs, 'tcpdump', '-i', iface, '-n', '-tt', '-l', '-U', 'ip proto 112 or ip6 proto 112'], { stdio: ['ignore', 'pipe', 'ignore'] });
    onLines(this.cp.stdout, (line) => this.parse(line));
  }
  private parse(line: string): void {
    // 1700000000.123456 IP 192.0.2.1 > 224.0.0.18: VRRPv2, Advertisement, vrid 51, prio 100, ...
    const m = /^(\d+\.\d+) IP6? (\S+) > \S+: VRRPv\d, Advertisement, vrid (\d+), prio (\d+)/.exec(line);
    if (m) this.adverts.push({ t: Number(m[1]), src: m[2] as string, vrid: Number(m[3]), priority: Number(m[4]) });
  }
  /** Wait until tcpdump is attached (it prints nothing on stdout until a packet). */
  ready(): Promise<void> {
    return new Promise((r) => setTimeout(r, 700));
  }
  stop(): void {
    this.cp.kill('SIGTERM');
  }
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] as number;
}
