/**
 * Benchmark: sub-second VRRPv3 under the advert-accuracy load (issue #15). Two of our daemons
 * (master priority 100, backup 90, one IPv4 VIP, `advert_int` 0.05 s by default), tracking 100
 * vrrp_scripts each (/bin/true every second, timeout 5 s, fall 3; 200 in all, as the
 * advert-accuracy load) while two
 * busy loops hold both cores, run for
 * --minutes; then the master is killed (SIGKILL) --takeovers times (restarted in between; it
 * preempts back). Measured on the wire (tcpdump on the lab bridge) and with `ip -ts monitor`:
 *   - false takeovers during the soak: adverts from the backup, or the backup entering MASTER,
 *     while the master runs;
 *   - the master's advert gaps (median / p99 / worst, against Master_Down_Interval);
 *   - per takeover: old master's last advert → new master's first advert (protocol time), → its
 *     first gratuitous ARP, → the VIP present; each minus the RFC's Master_Down_Interval
 *     (3 × Master_Adver_Interval + Skew_Time = 182.4 ms at 5 cs and priority 90).
 * Several --advert values (comma-separated) find the floor on this machine.
 * Usage (root): node dist/scripts/bench/subsecond.js [--minutes 10] [--advert 0.05[,0.03,...]]
 *   [--scripts 200] [--takeovers 5] [--rt N (vrrp_rt_priority N on both)] [--json FILE]
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { Lab, sleep, waitFor, type LabHost } from '../../test/support/netns';
import { startDaemon, type RunningDaemon } from '../../test/support/daemon';
import { crashTree } from '../../test/support/keepalived';
import { burnCores, loadScripts } from './advert-accuracy';
import { median, percentile } from './wire-capture';
import { argStr as arg, busyPct, cpuTimes } from './bench-common';
import { addressMonitor, tcpdumpLines } from '../../test/support/lines';

const VIP = '192.0.2.150';
const BACKUP_PRIO = 90;

/** --rt N: vrrp_rt_priority N on both daemons (SCHED_RR). */
const RT = Number(arg('--rt', '0'));

function conf(advertS: number, prio: number, scripts: number): string {
  const load = loadScripts(scripts, true);
  return `global_defs {
  vrrp_version 3
  enable_script_security
  script_user root${RT ? `\n  vrrp_rt_priority ${RT}` : ''}
}
${load.defs}vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 78
  priority ${prio}
  advert_int ${advertS}
${load.track}  virtual_ipaddress {
    ${VIP}/24
  }
}
`;
}

interface Takeover {
  protocolMs: number;
  garpMs: number;
  vipMs: number;
}
interface Result {
  advertS: number;
  minutes: number;
  scripts: number;
  rfcMs: number;
  masterGaps: number[];
  falseTakeovers: number;
  /** Times the master / backup entered FAULT during the soak (a script timing out under load). */
  faults: [number, number];
  takeovers: Takeover[];
  busyPct: number;
}

async function run(advertS: number, minutes: number, scripts: number, takeovers: number): Promise<Result> {
  const advMs = advertS * 1000;
  const rfcMs = 3 * advMs + ((256 - BACKUP_PRIO) * advMs) / 256;
  const lab = await Lab.create(null, { hosts: 2 });
  const burners: ChildProcess[] = [];
  const res: Result = { advertS, minutes, scripts, rfcMs, masterGaps: [], falseTakeovers: 0, faults: [0, 0], takeovers: [], busyPct: 0 };
  try {
    const h1: LabHost = lab.host(1);
    const h2: LabHost = lab.host(2);
    const wire = tcpdumpLines(lab, lab.bridgeNs, 'br0', 'ip proto 112 or arp');
    const mon = addressMonitor(lab, h2.ns);
    await sleep(700);
    let master: RunningDaemon = startDaemon(lab, h1, conf(advertS, 100, scripts));
    const backup = startDaemon(lab, h2, conf(advertS, BACKUP_PRIO, scripts));
    if (!(await waitFor(() => lab.hasAddress(h1, VIP), 30000))) throw new Error('h1 did not become master');
    if (!(await backup.out.waitFor('Entering BACKUP STATE', 30000))) throw new Error('h2 did not become backup');
    burners.push(...burnCores(2, minutes * 60 + takeovers * 20 + 120));
    await sleep(3000);
    const cpu0 = cpuTimes();
    const masterAdverts = (from: number, to = Infinity): number[] => wire.rows.filter((r) => r.t >= from && r.t <= to && r.line.includes(`IP ${h1.ipv4} >`) && /VRRPv3, Advertisement, vrid 78, prio 100/.test(r.line)).map((r) => r.t);
    const backupAdverts = (from: number, to = Infinity): number => wire.rows.filter((r) => r.t >= from && r.t <= to && r.line.includes(`IP ${h2.ipv4} >`) && /VRRPv3, Advertisement, vrid 78, prio 90/.test(r.line)).length;

    // The soak: the backup must stay silent.
    const soakFrom = Date.now() / 1000;
    const masterLines0 = backup.out.count(/Entering MASTER STATE/);
    const faults0 = [master.out.count(/Entering FAULT STATE/), backup.out.count(/Entering FAULT STATE/)];
    let backupAdvertCount = 0;
    const end = Date.now() + minutes * 60_000;
    while (Date.now() < end) {
      await sleep(Math.min(10_000, end - Date.now()));
      // Keep memory bounded on long runs: adverts are all this needs from the soak.
      if (wire.rows.length > 50_000) {
        const gapsFrom = masterAdverts(soakFrom);
        res.masterGaps.push(...gapsFrom.slice(1).map((t, i) => (t - (gapsFrom[i] as number)) * 1000));
        backupAdvertCount += backupAdverts(soakFrom);
        wire.rows.splice(0, wire.rows.length - 1);
      }
    }
    const soakTo = Date.now() / 1000;
    const ts = masterAdverts(soakFrom, soakTo);
    res.masterGaps.push(...ts.slice(1).map((t, i) => (t - (ts[i] as number)) * 1000));
    backupAdvertCount += backupAdverts(soakFrom, soakTo);
    // Each time the backup entered MASTER is one; adverts from it without that line count once.
    const masterLines = backup.out.count(/Entering MASTER STATE/) - masterLines0;
    res.falseTakeovers = Math.max(masterLines, backupAdvertCount > 0 ? 1 : 0);
    res.faults = [master.out.count(/Entering FAULT STATE/) - (faults0[0] as number), backup.out.count(/Entering FAULT STATE/) - (faults0[1] as number)];
    res.busyPct = busyPct(cpu0, cpuTimes());

    // Takeovers under the same load.
    for (let k = 0; k < takeovers; k++) {
      if (k > 0) {
        master = startDaemon(lab, h1, conf(advertS, 100, scripts));
        if (!(await waitFor(async () => (await lab.hasAddress(h1, VIP)) && !(await lab.hasAddress(h2, VIP)), 30000))) break;
        await sleep(2000);
      }
      const from = wire.rows.length;
      const monFrom = mon.rows.length;
      const killedAt = Date.now() / 1000;
      crashTree(master.cp.pid as number);
      await waitFor(() => lab.hasAddress(h2, VIP), 5000, 5);
      await sleep(300);
      const rows = wire.rows.slice(from);
      const lastOld = [...wire.rows.slice(0, from + 5)].reverse().find((r) => r.t <= killedAt + 0.002 && r.line.includes(`IP ${h1.ipv4} >`) && /prio 100/.test(r.line));
      const firstNew = rows.find((r) => r.line.includes(`IP ${h2.ipv4} >`) && /prio 90/.test(r.line));
      const garp = rows.find((r) => /ARP,/.test(r.line) && r.line.includes(`tell ${VIP}`) && firstNew && r.t >= firstNew.t);
      const vip = mon.rows.slice(monFrom).find((r) => r.line.includes(` ${VIP}/`) && !r.line.includes('Deleted'));
      if (lastOld && firstNew && garp && vip) {
        res.takeovers.push({ protocolMs: (firstNew.t - lastOld.t) * 1000, garpMs: (garp.t - lastOld.t) * 1000, vipMs: (vip.t - lastOld.t) * 1000 });
      }
      await master.exited;
    }
    wire.stop();
    mon.stop();
    return res;
  } finally {
    for (const b of burners) b.kill('SIGKILL');
    await lab.destroy();
  }
}

const f = (xs: number[], minus = 0): string => (xs.length ? `${(median(xs) - minus).toFixed(2)} / ${(percentile(xs, 95) - minus).toFixed(2)} / ${(Math.max(...xs) - minus).toFixed(2)}` : 'n/a');

async function main(): Promise<void> {
  const minutes = Number(arg('--minutes', '10'));
  const adverts = arg('--advert', '0.05').split(',').map(Number);
  const scripts = Number(arg('--scripts', '100'));
  const takeovers = Number(arg('--takeovers', '5'));
  const rows = [
    `sub-second VRRPv3 under load, ${new Date().toISOString()}: our daemons as master and backup, ${scripts} vrrp_scripts each (/bin/true, interval 1 s), two busy loops on ${os.cpus().length} cores`,
    '| advert_int | soak (min) | Master_Down (RFC, ms) | master advert gaps median / p99 / worst (ms) | false takeovers | FAULTs (master, backup) | protocol − RFC median / p95 / worst (ms) | last advert → first GARP − RFC | last advert → VIP present − RFC | takeovers | machine busy |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  const json: Result[] = [];
  for (const a of adverts) {
    const r = await run(a, minutes, scripts, takeovers);
    json.push(r);
    const g = r.masterGaps;
    rows.push(`| ${a} s | ${minutes} | ${r.rfcMs.toFixed(1)} | ${g.length ? `${median(g).toFixed(2)} / ${percentile(g, 99).toFixed(2)} / ${Math.max(...g).toFixed(2)}` : 'n/a'} (${g.length}) | ${r.falseTakeovers} | ${r.faults.join(', ')} | ${f(r.takeovers.map((x) => x.protocolMs), r.rfcMs)} | ${f(r.takeovers.map((x) => x.garpMs), r.rfcMs)} | ${f(r.takeovers.map((x) => x.vipMs), r.rfcMs)} | ${r.takeovers.length}/${takeovers} | ${r.busyPct.toFixed(0)} % |`);
    console.error(rows[rows.length - 1]);
  }
  console.log(rows.join('\n'));
  if (process.argv.includes('--json')) fs.writeFileSync(arg('--json', ''), JSON.stringify(json));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
