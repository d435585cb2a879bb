/**
 * `npm run bench`: every benchmark whose figures README quotes, ours and Debian's keepalived
 * in the same lab, one after another (never in parallel: they would disturb each other), then
 * one report with the date, the machine, and how busy it was during the run (other load on
 * the machine moves every figure; a busy % well above what the benchmarks cause themselves
 * means the figures are not comparable with a quiet run).
 * Usage (root): node dist/scripts/bench/run-all.js [--quick]   (--quick: fewer runs and shorter windows)
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';

const quick = process.argv.includes('--quick');
const here = __dirname;

interface Bench {
  title: string;
  script: string;
  args: string[];
}

const benches: Bench[] = [
  { title: 'Start-up: exec → Entering BACKUP STATE (init), exec → first advert (target ≤ 300 ms)', script: 'startup.js', args: ['--runs', quick ? '3' : '10'] },
  { title: 'Protocol takeover on the wire (last advert of the old master → first of the new)', script: 'takeover.js', args: ['--keepalived', '--runs', quick ? '2' : '5'] },
  { title: 'Client-visible takeover (first advert → VIPs present, → first GARP/NA)', script: 'client-takeover.js', args: ['--runs', quick ? '3' : '20'] },
  { title: '1,000 instances: start-up, steady CPU and RSS', script: 'many-instances.js', args: ['--keepalived', '--window', quick ? '10' : '20'] },
  { title: 'Advert timing under load (200 vrrp_scripts, both cores busy)', script: 'advert-accuracy.js', args: ['--keepalived', '--seconds', quick ? '20' : '60'] },
];

function cpuTimes(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const c of os.cpus()) {
    const t = c.times.user + c.times.nice + c.times.sys + c.times.irq;
    busy += t;
    total += t + c.times.idle;
  }
  return { busy, total };
}

function main(): void {
  const started = new Date();
  const out: string[] = [`# tskeepalived benchmarks, ${started.toISOString()}`, '', `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${os.release()}, Node ${process.version}`];
  for (const b of benches) {
    const before = cpuTimes();
    const t0 = Date.now();
    const r = spawnSync(process.execPath, [path.join(here, b.script), ...b.args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20 });
    const after = cpuTimes();
    const busy = (100 * (after.busy - before.busy)) / Math.max(1, after.total - before.total);
    out.push('', `## ${b.title}`, '', (r.stdout || '').trim() || `(no output; exit ${r.status})`, '', `machine busy during this benchmark: ${busy.toFixed(0)} % of ${os.cpus().length} cores, ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  }
  console.log(out.join('\n'));
}

main();
