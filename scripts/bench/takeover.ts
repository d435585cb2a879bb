/**
 * Benchmark: takeover time measured on the wire (tcpdump on the lab bridge), from the old
 * master's last advert to the new master's first, against the RFC figure:
 *   crash (SIGKILL)      → Master_Down_Interval = 3 × Master_Adver_Interval + Skew_Time
 *   stop (priority 0)    → Skew_Time
 * for VRRPv2 at 1 s and VRRPv3 at 10 cs (backup priority 90), for our daemon and, with
 * --keepalived, for Debian's keepalived in the same lab. Prints a table.
 * The "loaded" cases run the advert-accuracy load during the takeover: the backup tracks 200
 * vrrp_scripts (/bin/true every second; timeout 5 s and fall 3, so that a spawn starved of CPU
 * does not fault the instance) and two busy loops hold both cores.
 * The "vrrp_rt_priority 50" cases are the loaded ones with real-time scheduling on both nodes.
 * Usage (root): node dist/scripts/bench/takeover.js [--runs N] [--keepalived] [--json FILE] (results for run-all.ts)
 *   [--case SUBSTRING] (only the cases whose name contains it)
 */
import fs from 'node:fs';
import { Lab, sleep, waitFor } from '../../test/support/netns';
import { startDaemon, type RunningDaemon } from '../../test/support/daemon';
import { crashTree, startKeepalived, KEEPALIVED_BIN } from '../../test/support/keepalived';
import { WireCapture, median } from './wire-capture';
import { burnCores, loadScripts } from './advert-accuracy';
import type { ChildProcess } from 'node:child_process';
import type { LabHost } from '../../test/support/netns';

interface Case {
  name: string;
  version: 2 | 3;
  advertCs: number;
  how: 'crash' | 'stop';
  /** 200 vrrp_scripts on the backup and both cores busy (the advert-accuracy load). */
  loaded?: boolean;
  /** vrrp_rt_priority on both nodes (SCHED_RR). */
  rt?: number;
}

const LOAD_SCRIPTS = 200;

const BACKUP_PRIO = 90;
const cases: Case[] = [
  { name: 'v2 advert 1 s, SIGKILL', version: 2, advertCs: 100, how: 'crash' },
  { name: 'v3 advert 10 cs, SIGKILL', version: 3, advertCs: 10, how: 'crash' },
  { name: 'v2 advert 1 s, SIGTERM (prio 0)', version: 2, advertCs: 100, how: 'stop' },
  { name: 'v2 advert 1 s, SIGKILL, loaded', version: 2, advertCs: 100, how: 'crash', loaded: true },
  { name: 'v3 advert 10 cs, SIGKILL, loaded', version: 3, advertCs: 10, how: 'crash', loaded: true },
  { name: 'v2 advert 1 s, SIGKILL, loaded, vrrp_rt_priority 50', version: 2, advertCs: 100, how: 'crash', loaded: true, rt: 50 },
  { name: 'v3 advert 10 cs, SIGKILL, loaded, vrrp_rt_priority 50', version: 3, advertCs: 10, how: 'crash', loaded: true, rt: 50 },
];

function rfcMs(c: Case): number {
  const advMs = c.advertCs * 10;
  const skew = ((256 - BACKUP_PRIO) * advMs) / 256;
  return c.how === 'crash' ? 3 * advMs + skew : skew;
}

function conf(c: Case, prio: number, scripts = 0): string {
  const load = scripts ? loadScripts(scripts, true) : { defs: '', track: '' };
  return `global_defs {
  vrrp_version ${c.version}${scripts ? '\n  enable_script_security\n  script_user root' : ''}${c.rt ? `\n  vrrp_rt_priority ${c.rt}` : ''}
}
${load.defs}vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 77
  priority ${prio}
  advert_int ${c.advertCs / 100}
${load.track}  virtual_ipaddress {
    192.0.2.200/24
  }
}
`;
}

type Impl = 'tskeepalived' | 'keepalived';

async function once(c: Case, impl: Impl): Promise<number | undefined> {
  const lab = await Lab.create(null, { hosts: 2 });
  const start = (h: LabHost, prio: number, scripts = 0): RunningDaemon => (impl === 'keepalived' ? startKeepalived(lab, h, conf(c, prio, scripts)) : startDaemon(lab, h, conf(c, prio, scripts)));
  const burners: ChildProcess[] = [];
  try {
    const cap = new WireCapture(lab.bridgeNs);
    await cap.ready();
    const m = start(lab.host(1), 100);
    const b = start(lab.host(2), BACKUP_PRIO, c.loaded ? LOAD_SCRIPTS : 0);
    const master = lab.host(1).ipv4;
    const backup = lab.host(2).ipv4;
    const ok = await waitFor(() => lab.hasAddress(lab.host(1), '192.0.2.200'), 20000);
    if (!ok || !(await b.out.waitFor('Entering BACKUP STATE', 20000))) {
      console.error(`${c.name} ${impl}: ${ok ? 'the backup never entered BACKUP' : 'no master'}: ${b.out.text.split('\n').slice(-5).join(' | ')}`);
      return undefined;
    }
    if (c.loaded) {
      burners.push(...burnCores(2, 60));
      await sleep(3000);
    }
    await sleep(1500);
    const from = cap.adverts.length;
    if (c.how === 'crash') crashTree(m.cp.pid as number);
    else m.cp.kill('SIGTERM');
    await waitFor(() => cap.adverts.slice(from).some((a) => a.src === backup && a.priority === BACKUP_PRIO), 8000, 5);
    await sleep(100);
    cap.stop();
    const last = cap.adverts.filter((a) => a.src === master && (c.how === 'crash' ? a.priority > 0 : true)).pop();
    const first = cap.adverts.find((a) => a.src === backup && a.priority === BACKUP_PRIO && last && a.t > last.t);
    if (!last || !first) {
      console.error(`${c.name} ${impl}: no ${last ? 'advert from the new master' : 'last advert'} on the wire: ${b.out.text.split('\n').slice(-5).join(' | ')}`);
      return undefined;
    }
    return (first.t - last.t) * 1000;
  } finally {
    for (const p of burners) p.kill('SIGKILL');
    await lab.destroy();
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const runs = Number(args[args.indexOf('--runs') + 1]) || 3;
  const impls: Impl[] = ['tskeepalived'];
  if (args.includes('--keepalived') && KEEPALIVED_BIN) impls.push('keepalived');
  const json: Array<{ case: string; impl: Impl; rfcMs: number; ms: number[]; runs: number }> = [];
  const rows: string[] = [];
  rows.push(`| case | implementation | RFC (ms) | median measured (ms) | median − RFC (ms) | runs |`);
  rows.push(`|---|---|---|---|---|---|`);
  const only1 = args.includes('--case') ? args[args.indexOf('--case') + 1] : undefined;
  for (const c of cases.filter((x) => !only1 || x.name.includes(only1))) {
    for (const impl of impls) {
      const xs: number[] = [];
      for (let i = 0; i < runs; i++) {
        const v = await once(c, impl);
        if (v !== undefined) xs.push(v);
      }
      const rfc = rfcMs(c);
      json.push({ case: c.name, impl, rfcMs: rfc, ms: xs, runs });
      const med = xs.length ? median(xs) : undefined;
      rows.push(`| ${c.name} | ${impl} | ${rfc.toFixed(1)} | ${med?.toFixed(1) ?? '–'} | ${med === undefined ? '–' : (med - rfc).toFixed(1)} | ${xs.length}/${runs}${xs.length < runs ? ' (the others: no takeover, see above)' : ''} |`);
      console.error(`${c.name} ${impl}: ${xs.length ? xs.map((x) => x.toFixed(1)).join(', ') : 'no run completed'}`);
    }
  }
  console.log(rows.join('\n'));
  if (args.includes('--json')) fs.writeFileSync(args[args.indexOf('--json') + 1] as string, JSON.stringify(json));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
