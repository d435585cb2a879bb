/**
 * Benchmark (issue 13 "Done means"): BFD sessions at min_tx/min_rx 50 ms × 3 (Detection Time
 * 150 ms) soaked for --minutes while the host runs the advert-accuracy load (our daemon runs
 * 200 vrrp_scripts at interval 1 — keepalived none unless --ka-scripts, 400 forks a second were
 * more than this shared 2-core host could start in time — and two processes keep both cores
 * busy), then Down detection measured on the wire.
 *
 * Three lab hosts, a full mesh of IPv4 single-hop sessions, every one both directions:
 *   h1 tskeepalived (sessions KA → h2, FRR → h3), h2 keepalived 2.2.7 (OURS → h1, FRR → h3),
 *   h3 FRR bfdd (peers h1, h2).
 * Soak: false Downs = session Down transitions while nothing was done (ours and keepalived
 *   from their "Entering Down state" lines, bfdd from its session-down counters), and the
 *   largest gap between two packets of a flow on the bridge (pcap, read after the soak).
 * Detection: each implementation is killed (every process) and each host's link is cut by
 *   nftables in the bridge, in turn; for each of the two detectors, tcpdump on the detector's
 *   eth0 gives the last packet from the lost peer and the detector's first packet with State
 *   Down to it: that gap is the detection time on the wire (target ≤ Detection Time + 10 ms).
 * Usage (root, a busy figure: run under flock /tmp/tsk-heavy.lock):
 *   node dist/scripts/bench/bfd-soak.js [--minutes 10] [--scripts 200] [--ka-scripts 0] [--rounds 1] [--burners 2]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Lab, OutputWatcher, sleep, waitFor, type LabHost } from '../../test/support/netns';
import { MAIN, NODE_FLAGS, tmpDir } from '../../test/support/daemon';
import { KEEPALIVED_BIN, crashTree, startKeepalived } from '../../test/support/keepalived';
import { BFDD, startBfdd, type Bfdd } from '../../test/support/frr-bfdd';
import { median, percentile } from './wire-capture';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};

const INTERVAL_MS = 50;
const MULT = 3;
const DETECT_MS = INTERVAL_MS * MULT;
const TARGET_MS = DETECT_MS + 10;

type Impl = 'tskeepalived' | 'keepalived' | 'frr';
const IMPLS: Impl[] = ['tskeepalived', 'keepalived', 'frr'];

/** bfd_instance blocks and a VRRP instance carrying the 200 scripts (the advert-accuracy load). */
function daemonConfig(me: LabHost, peers: Array<[string, LabHost]>, scripts: number, vrid: number, rt: number): string {
  const rtLines = rt ? `\n  bfd_rt_priority ${rt}\n  vrrp_rt_priority ${rt}` : '';
  const out = [`global_defs {\n  router_id ${me.name}\n  enable_script_security\n  script_user root${rtLines}\n}\n`];
  for (const [name, p] of peers) {
    out.push(`bfd_instance ${name} {\n  neighbor_ip ${p.ipv4}\n  source_ip ${me.ipv4}\n  min_rx ${INTERVAL_MS}\n  min_tx ${INTERVAL_MS}\n  multiplier ${MULT}\n}\n`);
  }
  for (let i = 0; i < scripts; i++) out.push(`vrrp_script chk_${i} {\n  script "/bin/true"\n  interval 1\n  weight 0\n}\n`);
  out.push(`vrrp_instance VI_${vrid} {
  state MASTER
  interface eth0
  virtual_router_id ${vrid}
  priority 200
  advert_int 1
  virtual_ipaddress {
    192.0.2.${vrid + 100}/24
  }
  track_script {
${Array.from({ length: scripts }, (_, i) => `    chk_${i}`).join('\n')}
  }
  track_bfd {
${peers.map(([n]) => `    ${n} weight -1`).join('\n')}
  }
}
`);
  return out.join('');
}

interface Proc {
  cp: ChildProcess;
  out: OutputWatcher;
}

/** Our daemon, logging to the console at info level only (no -D: 200 scripts' debug lines would load the pipe). */
function startOurs(lab: Lab, host: LabHost, conf: string): Proc {
  const dir = tmpDir('soak');
  const file = path.join(dir, 'keepalived.conf');
  fs.writeFileSync(file, conf);
  lab.onDestroy(() => fs.rmSync(dir, { recursive: true, force: true }));
  const cp = lab.spawn(host.ns, [process.execPath, ...NODE_FLAGS, MAIN, '-n', '-l', '-f', file, '-p', path.join(dir, 'k.pid'), '-r', path.join(dir, 'v.pid'), '-c', path.join(dir, 'c.pid')]);
  return { cp, out: new OutputWatcher(cp) };
}

/** One BFD control packet seen by tcpdump (-tt -n). */
interface WirePkt {
  t: number;
  src: string;
  dst: string;
  state: string;
  /** RFC 5880 §4.1 Diagnostic: 1 Control Detection Time Expired, 3 Neighbor Signaled Session Down. */
  diag: number;
}

const STATES = ['AdminDown', 'Down', 'Init', 'Up'];

/**
 * tcpdump -n -tt -x lines → BFD packets. The state is read from the payload (byte 1, top two
 * bits, after 20 bytes of IPv4 and 8 of UDP): tcpdump names UDP source port 49152 (FRR's)
 * BCM-LI-SHIM and would not print a State for it.
 */
class PktParser {
  private head: { t: number; src: string; dst: string } | undefined;
  private hex = '';
  constructor(private readonly onPkt: (p: WirePkt) => void) {}
  line(line: string): void {
    const h = /^(\d+\.\d+) IP (\d+\.\d+\.\d+\.\d+)\.\d+ > (\d+\.\d+\.\d+\.\d+)\.\d+:/.exec(line);
    if (h) {
      this.head = { t: Number(h[1]), src: h[2] as string, dst: h[3] as string };
      this.hex = '';
      return;
    }
    const x = /^\s+0x[0-9a-f]+:\s+((?:[0-9a-f]{2,4}\s?)+)/.exec(line);
    if (!x || !this.head) return;
    this.hex += (x[1] as string).replace(/\s+/g, '');
    if (this.hex.length >= 60) {
      const state = STATES[parseInt(this.hex.slice(58, 60), 16) >> 6] as string;
      this.onPkt({ ...this.head, state, diag: parseInt(this.hex.slice(56, 58), 16) & 0x1f });
      this.head = undefined;
    }
  }
}

class HostCapture {
  readonly pkts: WirePkt[] = [];
  private buf = '';
  constructor(lab: Lab, ns: string) {
    const cp = lab.spawn(ns, ['tcpdump', '-i', 'eth0', '-n', '-tt', '-x', '-l', '-U', 'udp port 3784']);
    const parser = new PktParser((p) => this.pkts.push(p));
    cp.stdout?.on('data', (d: Buffer) => {
      this.buf += d.toString();
      let i: number;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        parser.line(this.buf.slice(0, i));
        this.buf = this.buf.slice(i + 1);
      }
    });
  }
}

interface Detection {
  event: string;
  detector: Impl;
  ms: number | undefined;
  /** The session was not Up when the event began (a flap under load): not a detection. */
  notUp: boolean;
}

class Soak {
  readonly hosts: Record<Impl, LabHost>;
  ours!: Proc;
  ka!: Proc;
  frr!: Bfdd;
  /** Down lines of earlier (killed) processes, per implementation. */
  private readonly pastDowns: Record<Impl, number> = { tskeepalived: 0, keepalived: 0, frr: 0 };
  constructor(private readonly lab: Lab, private readonly scripts: number, private readonly kaScripts: number, private readonly rt = 0) {
    this.hosts = { tskeepalived: lab.host(1), keepalived: lab.host(2), frr: lab.host(3) };
  }

  start(impl: Impl): void {
    const { tskeepalived: h1, keepalived: h2, frr: h3 } = this.hosts;
    if (impl === 'tskeepalived') this.ours = startOurs(this.lab, h1, daemonConfig(h1, [['KA', h2], ['FRR', h3]], this.scripts, 91, this.rt));
    if (impl === 'keepalived') this.ka = startKeepalived(this.lab, h2, daemonConfig(h2, [['OURS', h1], ['FRR', h3]], this.kaScripts, 92, this.rt));
    if (impl === 'frr') this.frr = startBfdd(this.lab, h3, [h1, h2].map((p) => ({ peer: p.ipv4, local: h3.ipv4, intervalMs: INTERVAL_MS, multiplier: MULT })));
  }

  /** The last state each session of a daemon logged. */
  private static lastStates(text: string): Map<string, string> {
    const m = new Map<string, string>();
    for (const x of text.matchAll(/\((\w+)\) Entering (\w+) state/g)) m.set(x[1] as string, x[2] as string);
    return m;
  }

  /** Sessions not Up now, as '<impl>:<session>=<state>' (empty: all Up). */
  async notUp(): Promise<string[]> {
    const o = Soak.lastStates(this.ours.out.text);
    const k = Soak.lastStates(this.ka.out.text);
    const out: string[] = [];
    for (const [who, m, names] of [['tskeepalived', o, ['KA', 'FRR']], ['keepalived', k, ['OURS', 'FRR']]] as const) {
      for (const n of names) if (m.get(n) !== 'Up') out.push(`${who}:${n}=${m.get(n) ?? 'none'}`);
    }
    const peers = await this.frr.peers();
    if (peers.length !== 2) out.push(`frr: ${peers.length} peers`);
    for (const p of peers) if (p.status !== 'up') out.push(`frr:${p.peer}=${p.status}`);
    return out;
  }

  /** How notUp() names `me`'s session to `peer`. */
  sessionTag(me: Impl, peer: Impl): string {
    if (me === 'frr') return `frr:${this.hosts[peer].ipv4}`;
    const name = peer === 'frr' ? 'FRR' : peer === 'keepalived' ? 'KA' : 'OURS';
    return `${me}:${name}`;
  }

  async allUp(): Promise<boolean> {
    return (await this.notUp()).length === 0;
  }

  downLines(impl: 'tskeepalived' | 'keepalived'): number {
    const p = impl === 'tskeepalived' ? this.ours : this.ka;
    return this.pastDowns[impl] + p.out.count(/\(\w+\) Entering Down state/);
  }

  async frrDowns(): Promise<number> {
    let n = 0;
    for (const c of await this.frr.counters()) n += Number(c['session-down'] ?? c['session-down-count'] ?? 0);
    return n;
  }

  async kill(impl: Impl): Promise<void> {
    if (impl === 'tskeepalived') {
      this.pastDowns.tskeepalived = this.downLines('tskeepalived');
      this.ours.cp.kill('SIGKILL');
    } else if (impl === 'keepalived') {
      this.pastDowns.keepalived = this.downLines('keepalived');
      crashTree(this.ka.cp.pid as number);
    } else this.frr.cp.kill('SIGKILL');
    await sleep(50);
  }

  async cut(impl: Impl, on: boolean): Promise<void> {
    const p = `p${this.hosts[impl].index}`;
    const cmd = on
      ? `add table bridge cut; add chain bridge cut fw { type filter hook forward priority 0; policy accept; }; add rule bridge cut fw iifname "${p}" drop; add rule bridge cut fw oifname "${p}" drop`
      : 'delete table bridge cut';
    const r = await this.lab.exec(this.lab.bridgeNs, ['nft', cmd]);
    if (r.code !== 0) throw new Error(`nft: ${r.stderr}`);
  }
}

/** Detector's first State Down packet to the lost peer after `from`, minus the last packet it got from that peer before. */
function wireDetection(cap: HostCapture, me: string, peer: string, fromS: number): number | undefined {
  const down = cap.pkts.find((p) => p.t >= fromS && p.src === me && p.dst === peer && p.state === 'Down');
  if (!down) return undefined;
  const last = cap.pkts.filter((p) => p.src === peer && p.dst === me && p.t < down.t).pop();
  return last ? (down.t - last.t) * 1000 : undefined;
}

/** A session that went from Up to Down on the wire during the soak, and whose fault it looks like. */
interface DownEvent {
  t: number;
  /** The side whose packet first says Down (src) and its peer (dst). */
  src: string;
  dst: string;
  diag: number;
  /** How long the peer had been silent towards src when src said Down (ms). */
  peerSilentMs: number;
}

/**
 * Per flow (src → dst) on the bridge pcap: the largest gap between consecutive packets; and every
 * Up → Down transition with the silence of the other direction before it, which says whose
 * fault a false Down was: the peer stopped sending for a Detection Time (its TX or its host),
 * or packets kept coming and the detector expired anyway (its RX or timers).
 */
async function flowGaps(lab: Lab, pcap: string): Promise<{ gaps: Map<string, { n: number; maxMs: number; p999Ms: number }>; downs: DownEvent[] }> {
  const r = await lab.exec(lab.bridgeNs, ['tcpdump', '-r', pcap, '-n', '-tt', '-x'], 300_000);
  const last = new Map<string, WirePkt>();
  const gaps = new Map<string, number[]>();
  const downs: DownEvent[] = [];
  // Every packet of the flow, whatever its state: a gap is the sender's silence.
  const parser = new PktParser((p) => {
    const key = `${p.src} → ${p.dst}`;
    const prev = last.get(key);
    if (prev !== undefined) (gaps.get(key) ?? gaps.set(key, []).get(key))?.push((p.t - prev.t) * 1000);
    if (prev?.state === 'Up' && p.state === 'Down') {
      const back = last.get(`${p.dst} → ${p.src}`);
      downs.push({ t: p.t, src: p.src, dst: p.dst, diag: p.diag, peerSilentMs: back ? (p.t - back.t) * 1000 : NaN });
    }
    last.set(key, p);
  });
  for (const line of r.stdout.split('\n')) parser.line(line);
  const out = new Map<string, { n: number; maxMs: number; p999Ms: number }>();
  for (const [k, xs] of gaps) out.set(k, { n: xs.length, maxMs: Math.max(...xs), p999Ms: percentile(xs, 99.9) });
  return { gaps: out, downs };
}

function burnCores(n: number): ChildProcess[] {
  return Array.from({ length: n }, () => spawn(process.execPath, ['-e', 'const end = Date.now() + 3600000; while (Date.now() < end) {}'], { stdio: 'ignore' }));
}

async function main(): Promise<void> {
  const minutes = arg('--minutes', 10);
  const scripts = arg('--scripts', 200);
  const kaScripts = arg('--ka-scripts', 0);
  const rounds = arg('--rounds', 1);
  const busy = arg('--burners', 2);
  // --rt N: real-time scheduling for all three, as an operator would set it: bfd_rt_priority and
  // vrrp_rt_priority N in ours and keepalived, `chrt -a -r -p N` on FRR's bfdd (it has no option).
  const rt = arg('--rt', 0);
  if (!KEEPALIVED_BIN || !fs.existsSync(BFDD)) throw new Error('needs keepalived and FRR (scripts/install-deps.sh)');
  const lab = await Lab.create(null, { hosts: 3 });
  const burners: ChildProcess[] = [];
  const report: string[] = [];
  try {
    const s = new Soak(lab, scripts, kaScripts, rt);
    for (const i of IMPLS) s.start(i);
    if (rt && s.frr?.cp.pid) {
      // bfdd's pid: the process ip netns exec became (lab.spawn execs it)
      await sleep(1000);
      const r = await lab.exec(lab.bridgeNs, ['chrt', '-a', '-r', '-p', String(rt), String(s.frr.cp.pid)]);
      if (r.code !== 0) throw new Error(`chrt bfdd: ${r.stderr}`);
    }
    if (!(await waitFor(() => s.allUp(), 180_000, 500))) throw new Error(`sessions did not come Up:\nours:\n${s.ours.out.text.slice(-2000)}\nkeepalived:\n${s.ka.out.text.slice(-2000)}`);
    await sleep(2000);
    burners.push(...burnCores(busy));
    const pcap = path.join(tmpDir('soakpcap'), 'bridge.pcap');
    lab.onDestroy(() => fs.rmSync(path.dirname(pcap), { recursive: true, force: true }));
    const dumper = lab.spawn(lab.bridgeNs, ['tcpdump', '-i', 'br0', '-n', '-s', '96', '-U', '-w', pcap, 'udp port 3784']);
    await sleep(1000);
    const d0 = { ours: s.downLines('tskeepalived'), ka: s.downLines('keepalived'), frr: await s.frrDowns() };
    const t0 = Date.now();
    await sleep(minutes * 60_000);
    const soakS = (Date.now() - t0) / 1000;
    const d1 = { ours: s.downLines('tskeepalived'), ka: s.downLines('keepalived'), frr: await s.frrDowns() };
    const notUp = await s.notUp();
    const stillUp = notUp.length === 0 ? 'yes' : `no: ${notUp.join(', ')}`;
    dumper.kill('SIGINT');
    await waitFor(() => dumper.exitCode !== null || dumper.signalCode !== null, 5000);
    if (process.env.SOAK_KEEP_PCAP) fs.copyFileSync(pcap, process.env.SOAK_KEEP_PCAP);
    const { gaps, downs } = await flowGaps(lab, pcap);
    const name = (ip: string): string => IMPLS.find((i) => s.hosts[i].ipv4 === ip) ?? ip;
    report.push(
      `BFD soak: ${soakS.toFixed(0)} s at ${INTERVAL_MS} ms × ${MULT} (Detection Time ${DETECT_MS} ms), IPv4 single-hop full mesh of tskeepalived, keepalived 2.2.7, FRR bfdd${rt ? `, all at SCHED_RR ${rt}` : ''}; load: ${scripts} vrrp_scripts (interval 1 s) in tskeepalived, ${kaScripts} in keepalived, + ${busy} busy processes`,
      '',
      '| implementation | false Downs during the soak | all sessions Up at the end |',
      '|---|---|---|',
      `| tskeepalived | ${d1.ours - d0.ours} | ${stillUp} |`,
      `| keepalived 2.2.7 | ${d1.ka - d0.ka} | ${stillUp} |`,
      `| FRR bfdd | ${d1.frr - d0.frr} | ${stillUp} |`,
      '',
      '| flow on the bridge (sender → receiver) | packets | p99.9 gap (ms) | largest gap (ms) |',
      '|---|---|---|---|',
      ...[...gaps].sort().map(([k, g]) => `| ${k.split(' → ').map(name).join(' → ')} | ${g.n + 1} | ${g.p999Ms.toFixed(1)} | ${g.maxMs.toFixed(1)} |`),
      '',
      'Each Up → Down on the wire during the soak (the side that said Down first; diag 1 = its Detection Time expired, 3 = the peer signalled Down):',
      '',
      '| s into the soak | said Down | to | diag | peer silent before (ms) | looks like |',
      '|---|---|---|---|---|---|',
      ...downs.map((d) => {
        const why = d.diag !== 1 ? 'signalled' : d.peerSilentMs >= DETECT_MS ? `${name(d.dst)} stopped sending` : `${name(d.src)} expired with packets arriving`;
        return `| ${(d.t - t0 / 1000).toFixed(1)} | ${name(d.src)} | ${name(d.dst)} | ${d.diag} | ${d.peerSilentMs.toFixed(1)} | ${why} |`;
      }),
    );
    console.log(report.splice(0).join('\n'));
    if (process.env.SOAK_DEBUG) console.log(`ours:\n${s.ours.out.text.slice(-3000)}\nkeepalived:\n${s.ka.out.text.slice(-3000)}`);

    // Detection on the wire, load still running.
    const caps = Object.fromEntries(IMPLS.map((i) => [i, new HostCapture(lab, s.hosts[i].ns)])) as Record<Impl, HostCapture>;
    await sleep(1000);
    const results: Detection[] = [];
    for (let r = 0; r < rounds; r++) {
      for (const victim of IMPLS) {
        for (const how of ['killed', 'link cut'] as const) {
          const before = (await waitFor(() => s.allUp(), 30_000, 100)) ? [] : await s.notUp();
          if (before.length) console.log(`(not all sessions Up before ${victim} ${how}: ${before.join(', ')})`);
          await sleep(1000);
          const from = Date.now() / 1000;
          if (how === 'killed') await s.kill(victim);
          else await s.cut(victim, true);
          const detectors = IMPLS.filter((i) => i !== victim);
          const vIp = s.hosts[victim].ipv4;
          await waitFor(() => detectors.every((d) => wireDetection(caps[d], s.hosts[d].ipv4, vIp, from) !== undefined), 3000, 20);
          await sleep(100);
          for (const d of detectors) {
            const notUp = before.some((x) => x.startsWith(`${s.sessionTag(d, victim)}=`) || x.startsWith(`${s.sessionTag(victim, d)}=`));
            results.push({ event: `${victim} ${how}`, detector: d, ms: wireDetection(caps[d], s.hosts[d].ipv4, vIp, from), notUp });
          }
          if (how === 'killed') s.start(victim);
          else await s.cut(victim, false);
        }
      }
    }
    const fmt = (xs: number[]): string => (xs.length ? `${median(xs).toFixed(1)} / ${Math.max(...xs).toFixed(1)}` : 'n/a');
    report.push(
      '',
      `Down detection on the wire (last packet from the lost peer → detector's first State Down packet), target ≤ ${TARGET_MS} ms, load still running; ${rounds} round(s)`,
      '',
      '| event | detector | ms (each round) | within target |',
      '|---|---|---|---|',
    );
    for (const event of [...new Set(results.map((x) => x.event))]) {
      for (const d of IMPLS) {
        const xs = results.filter((x) => x.event === event && x.detector === d);
        if (!xs.length) continue;
        const ms = xs.map((x) => x.ms);
        report.push(`| ${event} | ${d} | ${xs.map((x) => (x.ms === undefined ? 'missed' : x.ms.toFixed(1)) + (x.notUp ? ' (not Up before)' : '')).join(', ')} | ${ms.filter((x) => x !== undefined && x <= TARGET_MS).length}/${ms.length} |`);
      }
    }
    report.push('', '| detector | detections | median / worst (ms) | within target |', '|---|---|---|---|');
    for (const d of IMPLS) {
      const xs = results.filter((x) => x.detector === d).map((x) => x.ms).filter((x): x is number => x !== undefined);
      const n = results.filter((x) => x.detector === d).length;
      report.push(`| ${d} | ${xs.length}/${n} | ${fmt(xs)} | ${xs.filter((x) => x <= TARGET_MS).length}/${n} |`);
    }
    console.log(report.join('\n'));
  } finally {
    for (const b of burners) b.kill('SIGKILL');
    await lab.destroy();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
