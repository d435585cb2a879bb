/**
 * Benchmark: how regular are a master's adverts while 200 vrrp_scripts run and both cores are
 * busy? Measured on the wire (tcpdump on the lab bridge): deviation of each inter-advert gap
 * from advert_int. keepalived users see spurious failovers when this drifts (its "thread timer
 * expired" reports). With --keepalived the same config runs under Debian's keepalived.
 * Usage (root): node dist/scripts/bench/advert-accuracy.js [--seconds 60] [--scripts 200] [--keepalived]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Lab, sleep, waitFor } from '../../test/support/netns';
import fs from 'node:fs';
import path from 'node:path';
import { MAIN, NODE_FLAGS, tmpDir } from '../../test/support/daemon';
import { KEEPALIVED_BIN, startKeepalived } from '../../test/support/keepalived';
import { WireCapture, median, percentile } from './wire-capture';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};

/**
 * `scripts` vrrp_scripts running /bin/true every second, and the track_script block naming them.
 * `tolerant`: timeout 5 s and fall 3, so that a spawn starved of CPU on an overloaded host does
 * not put the instance in FAULT (a soak that measures advert timing, not script latency).
 */
export function loadScripts(scripts: number, tolerant = false): { defs: string; track: string } {
  const defs: string[] = [];
  const extra = tolerant ? '  timeout 5\n  fall 3\n' : '';
  for (let i = 0; i < scripts; i++) defs.push(`vrrp_script chk_${i} {\n  script "/bin/true"\n  interval 1\n  weight 0\n${extra}}\n`);
  return { defs: defs.join(''), track: `  track_script {\n${Array.from({ length: scripts }, (_, i) => `    chk_${i}`).join('\n')}\n  }\n` };
}

function config(scripts: number): string {
  const out = ['global_defs {\n  enable_script_security\n  script_user root\n}\n'];
  out.push(loadScripts(scripts).defs);
  out.push(`vrrp_instance VI_1 {
  state MASTER
  interface eth0
  virtual_router_id 91
  priority 255
  advert_int 1
  track_script {
${Array.from({ length: scripts }, (_, i) => `    chk_${i}`).join('\n')}
  }
  virtual_ipaddress {
    192.0.2.190/24
  }
}
`);
  return out.join('');
}

/** n busy loops (10 minutes at most), one per core: the advert-accuracy load's other half. */
export function burnCores(n: number, seconds = 600): ChildProcess[] {
  return Array.from({ length: n }, () => spawn(process.execPath, ['-e', `const end = Date.now() + ${seconds * 1000}; while (Date.now() < end) {}`], { stdio: 'ignore' }));
}

async function run(impl: 'tskeepalived' | 'keepalived', seconds: number, scripts: number): Promise<string> {
  const lab = await Lab.create(null, { hosts: 1 });
  const burners: ChildProcess[] = [];
  try {
    const cap = new WireCapture(lab.bridgeNs);
    await cap.ready();
    const conf = config(scripts);
    if (impl === 'keepalived') startKeepalived(lab, lab.host(1), conf);
    else {
      // Logs to syslog only, as in production: a console pipe read by this (busy) benchmark
      // process would measure the pipe, not the daemon.
      const dir = tmpDir('acc');
      const file = path.join(dir, 'keepalived.conf');
      fs.writeFileSync(file, conf);
      lab.spawn(lab.host(1).ns, [process.execPath, ...NODE_FLAGS, MAIN, '-n', '-f', file, '-p', path.join(dir, 'k.pid'), '-r', path.join(dir, 'v.pid')], { stdio: 'ignore' });
    }
    if (!(await waitFor(() => lab.hasAddress(lab.host(1), '192.0.2.190'), 30000))) return `| ${impl} | did not become master | | | | |`;
    await sleep(3000);
    burners.push(...burnCores(2));
    const from = cap.adverts.length;
    await sleep(seconds * 1000);
    cap.stop();
    const ts = cap.adverts.slice(from).filter((a) => a.vrid === 91).map((a) => a.t * 1000);
    const dev = ts.slice(1).map((t, i) => Math.abs(t - (ts[i] as number) - 1000));
    return `| ${impl} | ${scripts} | ${dev.length} | ${median(dev).toFixed(2)} | ${percentile(dev, 99).toFixed(2)} | ${Math.max(...dev).toFixed(2)} |`;
  } finally {
    for (const b of burners) b.kill('SIGKILL');
    await lab.destroy();
  }
}

async function main(): Promise<void> {
  const seconds = arg('--seconds', 60);
  const scripts = arg('--scripts', 200);
  const rows = ['| implementation | vrrp_scripts | gaps | median deviation (ms) | p99 (ms) | worst (ms) |', '|---|---|---|---|---|---|'];
  rows.push(await run('tskeepalived', seconds, scripts));
  if (process.argv.includes('--keepalived') && KEEPALIVED_BIN) rows.push(await run('keepalived', seconds, scripts));
  console.log(rows.join('\n'));
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
