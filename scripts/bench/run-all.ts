/**
 * `npm run bench`: every benchmark whose figures README quotes, ours and Debian's keepalived
 * in the same lab, one after another (never in parallel: they would disturb each other), then
 * one report with the date, the machine, and how busy it was during the run (other load on
 * the machine moves every figure; a busy % well above what the benchmarks cause themselves
 * means the figures are not comparable with a quiet run).
 * The report opens with one table of issue #15's figures (client-visible and protocol
 * takeover), ours and keepalived's side by side with the targets.
 * Usage (root): node dist/scripts/bench/run-all.js [--quick] [--takeover-only] [--bfd-soak [--soak-minutes N]]
 *   --quick: fewer runs and shorter windows; --takeover-only: only the two takeover benchmarks;
 *   --bfd-soak: also the BFD soak (issue 13: 10 minutes at 50 ms × 3 under load, then Down
 *   detection on the wire against FRR and keepalived); not in the default run for its length.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { median, percentile } from './wire-capture';
import { argStr, busyPct, cpuTimes } from './bench-common';

const quick = process.argv.includes('--quick');
const takeoverOnly = process.argv.includes('--takeover-only');
const bfdSoak = process.argv.includes('--bfd-soak');
const soakMinutes = argStr('--soak-minutes', '10');
const here = __dirname;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-bench-'));
const CLIENT_JSON = path.join(tmp, 'client-takeover.json');
const PROTOCOL_JSON = path.join(tmp, 'takeover.json');

interface Bench {
  title: string;
  script: string;
  args: string[];
  takeover?: boolean;
  /** Runs only with this flag (too long for the default run). */
  optIn?: boolean;
}

const benches: Bench[] = [
  { title: 'Start-up: exec → Entering BACKUP STATE (init), exec → first advert (target ≤ 300 ms)', script: 'startup.js', args: ['--runs', quick ? '3' : '10'] },
  { title: 'Protocol takeover on the wire (last advert of the old master → first of the new)', script: 'takeover.js', args: ['--keepalived', '--runs', quick ? '2' : '5', '--json', PROTOCOL_JSON], takeover: true },
  { title: 'Client-visible takeover (first advert → VIPs present, → first GARP/NA)', script: 'client-takeover.js', args: ['--runs', quick ? '3' : '20', '--json', CLIENT_JSON], takeover: true },
  { title: '1,000 instances: start-up, steady CPU and RSS', script: 'many-instances.js', args: ['--keepalived', '--settle', quick ? '15' : '30', '--window', quick ? '10' : '30'] },
  { title: 'Advert timing under load (200 vrrp_scripts, both cores busy)', script: 'advert-accuracy.js', args: ['--keepalived', '--seconds', quick ? '20' : '60'] },
  { title: 'BFD soak at 50 ms × 3 under the advert-accuracy load, and Down detection on the wire (ours, keepalived, FRR)', script: 'bfd-soak.js', args: ['--minutes', soakMinutes], optIn: bfdSoak },
];

interface ClientRow { case: string; impl: string; vipMs: number[]; announceMs: number[]; runs: number }
interface ProtocolRow { case: string; impl: string; rfcMs: number; ms: number[]; runs: number }

function readJson<T>(file: string): T[] {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T[];
  } catch {
    return [];
  }
}

const fmt = (xs: number[], minus = 0): string => (xs.length ? `${(median(xs) - minus).toFixed(2)} / ${(percentile(xs, 95) - minus).toFixed(2)}` : 'n/a');

/** Issue #15's table: one row per measure, ours and keepalived's median / p95 side by side. */
function issue15Table(busy: number, seconds: number): string[] {
  const client = readJson<ClientRow>(CLIENT_JSON);
  const proto = readJson<ProtocolRow>(PROTOCOL_JSON);
  const out = [
    `## Issue #15: takeover as clients see it, ${new Date().toISOString()}`,
    '',
    `machine busy during these benchmarks: ${busy.toFixed(0)} % of ${os.cpus().length} cores (${seconds.toFixed(0)} s; other load on the machine moves every figure)`,
    '',
    '| measure | target | tskeepalived median / p95 (ms) | keepalived median / p95 (ms) | runs (ours, keepalived) |',
    '|---|---|---|---|---|',
  ];
  const byImpl = <T extends { case: string; impl: string }>(rows: T[], c: string, impl: string): T | undefined => rows.find((r) => r.case === c && r.impl === impl);
  const cases = [...new Set(client.map((r) => r.case))];
  for (const [label, key, target] of [['first advert → VIPs present', 'vipMs', '≤ 2 / ≤ 5'], ['first advert → first GARP/NA', 'announceMs', '≤ 1 median']] as const) {
    for (const c of cases) {
      const ours = byImpl(client, c, 'tskeepalived');
      const ka = byImpl(client, c, 'keepalived');
      out.push(`| ${label}, ${c} | ${target} | ${fmt(ours?.[key] ?? [])} | ${fmt(ka?.[key] ?? [])} | ${ours?.[key].length ?? 0}/${ours?.runs ?? 0}, ${ka?.[key].length ?? 0}/${ka?.runs ?? 0} |`);
    }
  }
  for (const c of [...new Set(proto.map((r) => r.case))]) {
    const ours = byImpl(proto, c, 'tskeepalived');
    const ka = byImpl(proto, c, 'keepalived');
    const rfc = ours?.rfcMs ?? ka?.rfcMs ?? 0;
    out.push(`| protocol time − RFC (${rfc.toFixed(1)} ms), ${c} | ≤ +2 median | ${fmt(ours?.ms ?? [], rfc)} | ${fmt(ka?.ms ?? [], rfc)} | ${ours?.ms.length ?? 0}/${ours?.runs ?? 0}, ${ka?.ms.length ?? 0}/${ka?.runs ?? 0} |`);
  }
  return out;
}

function main(): void {
  const started = new Date();
  const head = [`# tskeepalived benchmarks, ${started.toISOString()}`, '', `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${os.release()}, Node ${process.version}`];
  const sections: string[] = [];
  const takeoverCpu = { busy: 0, total: 0 };
  let takeoverSeconds = 0;
  for (const b of benches.filter((x) => (!takeoverOnly || x.takeover) && x.optIn !== false)) {
    const before = cpuTimes();
    const t0 = Date.now();
    const r = spawnSync(process.execPath, [path.join(here, b.script), ...b.args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20 });
    const after = cpuTimes();
    if (b.takeover) {
      takeoverCpu.busy += after.busy - before.busy;
      takeoverCpu.total += after.total - before.total;
      takeoverSeconds += (Date.now() - t0) / 1000;
    }
    sections.push('', `## ${b.title}`, '', (r.stdout || '').trim() || `(no output; exit ${r.status})`, '', `machine busy during this benchmark: ${busyPct(before, after).toFixed(0)} % of ${os.cpus().length} cores, ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  }
  const summary = issue15Table(busyPct({ busy: 0, total: 0 }, takeoverCpu), takeoverSeconds);
  console.log([...head, '', ...summary, ...sections].join('\n'));
  fs.rmSync(tmp, { recursive: true, force: true });
}

main();
