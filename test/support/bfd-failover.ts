/**
 * track_bfd failover scenario shared by test/integration/bfd-track.test.ts and
 * scripts/bench/bfd-failover.ts. Three lab hosts, all running our daemon:
 *   h1 VRRP master (priority 100), with a BFD session to h3 tracked unweighted (`track_bfd`):
 *      the session down means FAULT, and a master entering FAULT sends priority 0;
 *   h2 VRRP backup (priority 90);
 *   h3 the BFD peer (the "next hop" h1 depends on).
 * 'bfd': the h1–h3 path is cut by nftables in the bridge (VRRP between h1 and h2 still flows):
 *   h1 detects it after the Detection Time, goes FAULT, sends priority 0, h2 takes over after
 *   Skew_Time. 'crash': h1 is SIGKILLed and plain VRRP takes Master_Down_Interval.
 * Measured on the wire: tcpdump on h1's eth0 gives the last BFD packet from h3 that got
 * through (the cut), tcpdump on the bridge gives h2's first advert as master.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Lab, sleep, waitFor, type LabHost } from './netns';
import { startDaemon, type RunningDaemon } from './daemon';

export const VIP = '192.0.2.70';
export const ADVERT_MS = 1000;
export const BACKUP_PRIO = 90;
export const DETECT_MS = 150;
/** RFC 3768 §6.1: Skew_Time = (256 − Priority) / 256 s; Master_Down_Interval = 3 × advert + skew. */
export const SKEW_MS = ((256 - BACKUP_PRIO) * ADVERT_MS) / 256;
export const MASTER_DOWN_MS = 3 * ADVERT_MS + SKEW_MS;

function vrrp(prio: number, extra = ''): string {
  return `vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 70
  priority ${prio}
  advert_int ${ADVERT_MS / 1000}
  virtual_ipaddress {
    ${VIP}/24
  }
${extra}}
`;
}

function bfd(peer: LabHost): string {
  return `bfd_instance NH {
  neighbor_ip ${peer.ipv4}
  min_rx 50
  min_tx 50
  multiplier 3
}
`;
}

/** tcpdump lines with -tt timestamps (seconds, realtime clock: comparable across captures). */
class Capture {
  readonly lines: Array<{ t: number; line: string }> = [];
  private buf = '';
  readonly cp: ChildProcess;
  constructor(lab: Lab, ns: string, iface: string, filter: string) {
    this.cp = lab.spawn(ns, ['tcpdump', '-i', iface, '-n', '-tt', '-l', '-U', filter]);
    this.cp.stdout?.on('data', (d: Buffer) => {
      this.buf += d.toString();
      let i: number;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 1);
        const m = /^(\d+\.\d+) /.exec(line);
        if (m) this.lines.push({ t: Number(m[1]), line });
      }
    });
  }
}

export interface FailoverResult {
  /** Wire: the cut (last BFD packet h3→h1) or the crash (h1's last advert) → h2's first advert as master. */
  failoverMs: number;
  /** Wire, bfd case: the cut → h1's priority-0 advert (BFD detection + FAULT). */
  detectMs?: number;
  logs: RunningDaemon[];
}

export async function failoverOnce(lab: Lab, how: 'bfd' | 'crash', onStart?: (logs: RunningDaemon[]) => void): Promise<FailoverResult | undefined> {
  while (lab.hosts.length < 3) await lab.addHost();
  const [h1, h2, h3] = [lab.host(1), lab.host(2), lab.host(3)];
  const withBfd = how === 'bfd';
  const m = startDaemon(lab, h1, (withBfd ? bfd(h3) : '') + vrrp(100, withBfd ? '  track_bfd {\n    NH\n  }\n' : ''));
  const b = startDaemon(lab, h2, vrrp(BACKUP_PRIO));
  const logs = [m, b];
  if (withBfd) logs.push(startDaemon(lab, h3, bfd(h1) + vrrp(50).replace('virtual_router_id 70', 'virtual_router_id 71').replace(VIP, '192.0.2.71')));
  onStart?.(logs);
  const adverts = new Capture(lab, lab.bridgeNs, 'br0', 'ip proto 112');
  const bfdAtH1 = new Capture(lab, h1.ns, 'eth0', `udp port 3784 and src host ${h3.ipv4}`);
  if (!(await waitFor(() => lab.hasAddress(h1, VIP), 60_000))) return undefined;
  if (withBfd && !(await m.out.waitFor('Tracked BFD instance NH is UP', 20_000))) return undefined;
  if (!(await b.out.waitFor('Entering BACKUP STATE', 10_000))) return undefined;
  await sleep(1500);
  const mark = adverts.lines.length;
  if (withBfd) {
    const r = await lab.exec(lab.bridgeNs, ['nft', `add table bridge cut; add chain bridge cut fw { type filter hook forward priority 0; policy accept; }; add rule bridge cut fw iifname "p1" oifname "p3" drop; add rule bridge cut fw iifname "p3" oifname "p1" drop`]);
    if (r.code !== 0) throw new Error(`nft: ${r.stderr}`);
  } else {
    m.cp.kill('SIGKILL');
  }
  const isTakeover = (l: string): boolean => l.includes(`${h2.ipv4} > `) && new RegExp(`prio ${BACKUP_PRIO}\\b`).test(l);
  await waitFor(() => adverts.lines.slice(mark).some((x) => isTakeover(x.line)), 8000, 5);
  await sleep(200);
  const first = adverts.lines.slice(mark).find((x) => isTakeover(x.line));
  if (!first) return undefined;
  let from: number | undefined;
  let detectMs: number | undefined;
  if (withBfd) {
    const last = bfdAtH1.lines.filter((x) => x.t < first.t).pop();
    from = last?.t;
    const prio0 = adverts.lines.slice(mark).find((x) => x.line.includes(`${h1.ipv4} > `) && /prio 0\b/.test(x.line));
    if (from !== undefined && prio0) detectMs = (prio0.t - from) * 1000;
  } else {
    from = adverts.lines.filter((x) => x.line.includes(`${h1.ipv4} > `) && x.t < first.t).pop()?.t;
  }
  if (from === undefined) return undefined;
  return { failoverMs: (first.t - from) * 1000, ...(detectMs !== undefined ? { detectMs } : {}), logs };
}
