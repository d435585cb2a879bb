/**
 * Benchmark: what a load balancer's clients feel on a takeover. The old master (Debian's
 * keepalived, priority 100) stops with SIGTERM (priority 0); the backup under test (ours or
 * keepalived, priority 90) takes over after Skew_Time. Measured from the new master's first
 * advert on the wire (tcpdump on the lab bridge) to
 *   - the VIPs present on the new master (`ip -ts monitor address` in its namespace: the last
 *     of the instance's VIPs to appear), and
 *   - the first gratuitous ARP / unsolicited NA for a VIP on the wire.
 * Cases: IPv4 and IPv6 (VRRPv3), 1 VIP and 50 VIPs. Both clocks are CLOCK_REALTIME on one host.
 * Usage (root): node dist/scripts/bench/client-takeover.js [--runs N] [--only tskeepalived|keepalived]
 *   [--case SUBSTRING] (only the cases whose name contains it) [--json FILE] (results for run-all.ts)
 */
import fs from 'node:fs';
import os from 'node:os';
import { Lab, sleep, waitFor, type LabHost } from '../../test/support/netns';
import { startDaemon, type RunningDaemon } from '../../test/support/daemon';
import { startKeepalived, KEEPALIVED_BIN } from '../../test/support/keepalived';
import { median, percentile } from './wire-capture';
import { busyPct, cpuTimes } from './bench-common';
import { addressMonitor, tcpdumpLines } from '../../test/support/lines';

interface Case {
  name: string;
  family: 'inet' | 'inet6';
  vips: number;
}

const cases: Case[] = [
  { name: 'IPv4, 1 VIP', family: 'inet', vips: 1 },
  { name: 'IPv4, 50 VIPs', family: 'inet', vips: 50 },
  { name: 'IPv6, 1 VIP', family: 'inet6', vips: 1 },
  { name: 'IPv6, 50 VIPs', family: 'inet6', vips: 50 },
];

function vipList(c: Case): string[] {
  const out: string[] = [];
  for (let i = 0; i < c.vips; i++) out.push(c.family === 'inet' ? `192.0.2.${100 + i}` : `2001:db8::${(0x100 + i).toString(16)}`);
  return out;
}

function conf(c: Case, prio: number): string {
  const vips = vipList(c).map((v) => `    ${v}/${c.family === 'inet' ? 24 : 64}`).join('\n');
  return `global_defs {
  vrrp_version 3
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 77
  priority ${prio}
  advert_int 0.1
  virtual_ipaddress {
${vips}
  }
}
`;
}

type Impl = 'tskeepalived' | 'keepalived';
interface Sample {
  vipMs: number;
  announceMs: number;
}

async function once(c: Case, impl: Impl): Promise<Sample | undefined> {
  const lab = await Lab.create(null, { hosts: 2 });
  try {
    const wire = tcpdumpLines(lab, lab.bridgeNs, 'br0', 'ip proto 112 or ip6 proto 112 or arp or icmp6');
    const old = startKeepalived(lab, lab.host(1), conf(c, 100));
    const h2: LabHost = lab.host(2);
    const under: RunningDaemon = impl === 'keepalived' ? startKeepalived(lab, h2, conf(c, 90)) : startDaemon(lab, h2, conf(c, 90));
    const first = vipList(c)[0] as string;
    if (!(await waitFor(() => lab.hasAddress(lab.host(1), first), 20000))) return undefined;
    if (!(await under.out.waitFor('Entering BACKUP STATE', 20000))) return undefined;
    await sleep(1200);
    const mon = addressMonitor(lab, h2.ns);
    await sleep(300);
    const from = wire.rows.length;
    old.cp.kill('SIGTERM');
    const vips = vipList(c);
    const present = (): boolean => vips.every((v) => mon.rows.some((r) => r.line.includes(` ${v}/`)));
    await waitFor(present, 8000, 5);
    await sleep(300);
    wire.stop();
    mon.stop();
    const rows = wire.rows.slice(from);
    const advert = rows.find((r) => r.line.includes(` ${c.family === 'inet' ? h2.ipv4 : 'fe80'}`) && /VRRPv3, Advertisement/.test(r.line) && /prio 90/.test(r.line));
    const vipRe = new RegExp(vips.map((v) => v.replace(/\./g, '\\.')).join('|'));
    const announce = rows.find((r) => (c.family === 'inet' ? /ARP,/.test(r.line) : /neighbor advertisement/.test(r.line)) && vipRe.test(r.line));
    const lastVip = Math.max(...vips.map((v) => mon.rows.find((r) => r.line.includes(` ${v}/`) && !r.line.includes('Deleted'))?.t ?? NaN));
    if (!advert || !announce || !Number.isFinite(lastVip)) return undefined;
    if (process.env.TSK_BENCH_VERBOSE) {
      const ms = (t: number): string => ((t - advert.t) * 1000).toFixed(3);
      const firstVip = Math.min(...vips.map((v) => mon.rows.find((r) => r.line.includes(` ${v}/`) && !r.line.includes('Deleted'))?.t ?? NaN));
      const anns = rows.filter((r) => r.t >= advert.t && (c.family === 'inet' ? /ARP,/.test(r.line) : /neighbor advertisement/.test(r.line)) && vipRe.test(r.line));
      console.error(`${impl} ${c.name}: first VIP +${ms(firstVip)} last VIP +${ms(lastVip)} first announce +${ms(announce.t)} (${announce.line.slice(18, 90)}) ${vips.length}th announce +${anns[vips.length - 1] ? ms(anns[vips.length - 1]!.t) : '?'}`);
      if (process.env.TSK_BENCH_VERBOSE === '2') {
        const evs = [...mon.rows.filter((r) => r.t >= advert.t - 0.001).map((r) => ({ t: r.t, s: `mon ${r.line.slice(28, 80)}` })), ...rows.filter((r) => r.t >= advert.t).map((r) => ({ t: r.t, s: `wire ${r.line.slice(18, 90)}` }))].sort((a, b) => a.t - b.t);
        for (const e of evs.slice(0, 140)) console.error(`  +${ms(e.t)} ${e.s}`);
      }
    }
    return { vipMs: (lastVip - advert.t) * 1000, announceMs: (announce.t - advert.t) * 1000 };
  } finally {
    await lab.destroy();
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const runs = Number(args[args.indexOf('--runs') + 1]) || 5;
  const only = args.includes('--only') ? (args[args.indexOf('--only') + 1] as Impl) : undefined;
  if (!KEEPALIVED_BIN) throw new Error('keepalived is not installed: this benchmark uses it as the old master');
  const impls = (['tskeepalived', 'keepalived'] as Impl[]).filter((i) => !only || i === only);
  const cpu0 = cpuTimes();
  const rows: string[] = [];
  rows.push(`client-visible takeover, ${new Date().toISOString()}, ${runs} runs per row, after a priority-0 advert (VRRPv3, advert 0.1 s)`);
  rows.push('| case | implementation | advert → VIPs present, median / p95 (ms) | advert → first GARP/NA, median / p95 (ms) | runs |');
  rows.push('|---|---|---|---|---|');
  const json: Array<{ case: string; impl: Impl; vipMs: number[]; announceMs: number[]; runs: number }> = [];
  const only1 = args.includes('--case') ? args[args.indexOf('--case') + 1] : undefined;
  for (const c of cases.filter((x) => !only1 || x.name.includes(only1))) {
    for (const impl of impls) {
      const xs: Sample[] = [];
      for (let i = 0; i < runs; i++) {
        const s = await once(c, impl);
        if (s) xs.push(s);
      }
      const v = xs.map((s) => s.vipMs);
      const a = xs.map((s) => s.announceMs);
      const f = (ys: number[]): string => (ys.length ? `${median(ys).toFixed(2)} / ${percentile(ys, 95).toFixed(2)}` : 'n/a');
      rows.push(`| ${c.name} | ${impl} | ${f(v)} | ${f(a)} | ${xs.length}/${runs} |`);
      json.push({ case: c.name, impl, vipMs: v, announceMs: a, runs });
      console.error(`${c.name} ${impl}: vip ${v.map((x) => x.toFixed(2)).join(', ')}; announce ${a.map((x) => x.toFixed(2)).join(', ')}`);
    }
  }
  rows.push(`machine busy during the run: ${busyPct(cpu0, cpuTimes()).toFixed(0)} % of ${os.cpus().length} cores`);
  console.log(rows.join('\n'));
  if (args.includes('--json')) fs.writeFileSync(args[args.indexOf('--json') + 1] as string, JSON.stringify(json));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
