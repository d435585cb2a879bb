/**
 * Benchmark: 1,000 VRRP instances in one daemon (500 IPv4 + 500 IPv6, on two interfaces,
 * advert 1 s), in a namespace of its own. Prints start-up time until every instance is MASTER,
 * then CPU (% of one core) in two windows: settling (from 6 s after all are MASTER, past the
 * delayed GARP burst, to --settle s after) and steady state (the --window s after that), and RSS
 * at the end. The settling window holds what start-up leaves behind (V8 compiling the hot path,
 * collecting the garbage of loading 1,000 instances); a daemon runs for months in the other.
 * With --keepalived the same config runs under Debian's keepalived for comparison.
 * Then where the memory goes: Node alone (same flags, idle), RSS split into file-backed pages
 * (the node binary and libraries, shared with every other process that maps them) and private
 * (anonymous) memory, what the V8 heap holds (a bench-only preload, heap-probe.js, reports
 * process.memoryUsage() and the heap spaces), and the cost per instance (the same daemon with
 * one instance, subtracted). --no-breakdown skips the extra runs.
 * Usage (root): node dist/scripts/bench/many-instances.js [--instances 1000] [--settle 30] [--window 20] [--keepalived] [--no-breakdown]
 */
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { MAIN, NODE_FLAGS, tmpDir } from '../../test/support/daemon';
import { KEEPALIVED_BIN } from '../../test/support/keepalived';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};

export function config(n: number): string {
  const out: string[] = ['global_defs {\n  router_id bench\n}\n'];
  let made = 0;
  for (const [ifname, v4net, v6net] of [['eth0', '192.0.2', '2001:db8:0'], ['eth1', '198.51.100', '2001:db8:1']] as const) {
    for (const family of ['inet', 'inet6'] as const) {
      for (let vrid = 1; vrid <= 250 && made < n; vrid++, made++) {
        const vip = family === 'inet' ? `${v4net}.${vrid + 3}/24` : `${v6net}::${vrid.toString(16)}:1/64`;
        out.push(`vrrp_instance V${family === 'inet' ? 4 : 6}_${ifname}_${vrid} {
  state BACKUP
  interface ${ifname}
  virtual_router_id ${vrid}
  priority 100
  advert_int 1
  ${family === 'inet6' ? 'version 3' : ''}
  virtual_ipaddress {
    ${vip}
  }
}
`);
      }
    }
  }
  return out.join('');
}

function sh(...a: string[]): void {
  execFileSync(a[0] as string, a.slice(1), { stdio: 'ignore' });
}

function cpuTicks(pids: number[]): number {
  let sum = 0;
  for (const pid of pids) {
    try {
      const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
      sum += Number(rest[11]) + Number(rest[12]);
    } catch {
      /* exited */
    }
  }
  return sum;
}

interface Rss {
  total: number;
  anon: number;
  file: number;
}

/** VmRSS, RssAnon and RssFile summed over the processes, MB. */
function rssOf(pids: number[]): Rss {
  const r = { total: 0, anon: 0, file: 0 };
  for (const pid of pids) {
    try {
      const st = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
      const kb = (k: string): number => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(st)?.[1] ?? 0) / 1024;
      r.total += kb('VmRSS');
      r.anon += kb('RssAnon');
      r.file += kb('RssFile') + kb('RssShmem');
    } catch {
      /* exited */
    }
  }
  return r;
}

interface HeapProbe {
  memory: NodeJS.MemoryUsage;
  spaces: Record<string, { size: number; used: number }>;
  code: { bytecodeAndMetadata: number; codeAndMetadata: number; scriptSource: number };
}

interface RunResult {
  row: string;
  rss: Rss;
  cpu: number;
  settlingCpu: number;
  heap?: HeapProbe;
  fds: number;
}

const HEAP_PROBE = path.resolve(__dirname, 'heap-probe.js');

function tree(pid: number): number[] {
  let kids: number[] = [];
  try {
    kids = execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch {
    /* none */
  }
  return [pid, ...kids.flatMap(tree)];
}

async function run(impl: 'tskeepalived' | 'keepalived', n: number, settleS: number, windowS: number): Promise<RunResult> {
  const ns = `tkbench${process.pid}`;
  const dir = tmpDir('bench');
  const conf = path.join(dir, 'keepalived.conf');
  fs.writeFileSync(conf, config(n));
  sh('ip', 'netns', 'add', ns);
  try {
    sh('ip', '-n', ns, 'link', 'set', 'lo', 'up');
    for (const [i, net] of [[0, '192.0.2.1/24'], [1, '198.51.100.1/24']] as const) {
      sh('ip', '-n', ns, 'link', 'add', `eth${i}`, 'type', 'veth', 'peer', 'name', `peer${i}`);
      sh('ip', '-n', ns, 'addr', 'add', net, 'dev', `eth${i}`);
      sh('ip', '-n', ns, 'link', 'set', `eth${i}`, 'up');
      sh('ip', '-n', ns, 'link', 'set', `peer${i}`, 'up');
    }
    const argv =
      impl === 'keepalived'
        ? [KEEPALIVED_BIN as string, '-n', '-l', '-G', '-f', conf, '-p', `${dir}/a.pid`, '-r', `${dir}/b.pid`, '-c', `${dir}/c.pid`]
        : [process.execPath, ...NODE_FLAGS, '-r', HEAP_PROBE, MAIN, '-n', '-l', '-G', '-f', conf, '-p', `${dir}/a.pid`, '-r', `${dir}/b.pid`];
    const probe = path.join(dir, 'heap.json');
    const t0 = Date.now();
    const cp = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TSK_HEAP_PROBE: probe } });
    let masters = 0;
    let startupComplete = 0;
    let allMasterAt = 0;
    const onData = (d: Buffer): void => {
      const s = d.toString();
      masters += (s.match(/Entering MASTER STATE/g) ?? []).length;
      if (!startupComplete && s.includes('Startup complete')) startupComplete = Date.now();
      if (!allMasterAt && masters >= n) allMasterAt = Date.now();
    };
    cp.stdout.on('data', onData);
    cp.stderr.on('data', onData);
    const deadline = Date.now() + 90_000;
    while (!allMasterAt && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 6000)); // let the second GARP burst (5 s) pass
    const pids = tree(cp.pid as number);
    const hz = 100;
    const percent = (ticks: number, fromMs: number): number => (ticks / hz / ((Date.now() - fromMs) / 1000)) * 100;
    const s0 = cpuTicks(pids);
    const sw0 = Date.now();
    if (allMasterAt) await new Promise((r) => setTimeout(r, Math.max(0, allMasterAt + settleS * 1000 - Date.now())));
    const settlingCpu = percent(cpuTicks(pids) - s0, sw0);
    const c0 = cpuTicks(pids);
    const w0 = Date.now();
    await new Promise((r) => setTimeout(r, windowS * 1000));
    const cpu = percent(cpuTicks(pids) - c0, w0);
    const rss = rssOf(pids);
    let heap: HeapProbe | undefined;
    try {
      heap = JSON.parse(fs.readFileSync(probe, 'utf8')) as HeapProbe;
    } catch (e) {
      if (impl === 'tskeepalived') process.stderr.write(`heap probe not read (${(e as Error).message})\n`);
    }
    let fds = 0;
    for (const p of pids) {
      try {
        fds += fs.readdirSync(`/proc/${p}/fd`).length;
      } catch {
        /* gone */
      }
    }
    for (const p of pids.reverse()) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    const mdi = 3000 + ((256 - 100) * 1000) / 256;
    const fromStart = allMasterAt ? allMasterAt - t0 : NaN;
    const fromReady = allMasterAt && startupComplete ? allMasterAt - startupComplete : NaN;
    const row = `| ${impl} | ${n} | ${masters >= n ? 'yes' : `no (${masters})`} | ${fromStart} | ${fromReady} | ${mdi.toFixed(0)} | ${settlingCpu.toFixed(2)} | ${cpu.toFixed(2)} | ${rss.total.toFixed(1)} | ${rss.anon.toFixed(1)} | ${rss.file.toFixed(1)} |`;
    return { row, rss, cpu, settlingCpu, heap, fds };
  } finally {
    try {
      sh('ip', 'netns', 'del', ns);
    } catch {
      /* gone */
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Node alone with the daemon's flags, idle: what every Node process costs before any of our code. */
async function nodeAlone(): Promise<Rss> {
  const cp = spawn(process.execPath, [...NODE_FLAGS, '-e', 'setInterval(() => {}, 1e6)'], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 2000));
  const rss = rssOf([cp.pid as number]);
  cp.kill('SIGKILL');
  return rss;
}

const mb = (b: number): string => (b / 1048576).toFixed(1);

function breakdown(big: RunResult, one: RunResult | undefined, alone: Rss, n: number): string {
  const out: string[] = [];
  const f = (x: number): string => x.toFixed(1);
  out.push(`memory of tskeepalived with ${n} instances (MB): RSS ${f(big.rss.total)} = file-backed ${f(big.rss.file)} (node binary and libraries, shared) + private ${f(big.rss.anon)}; ${big.fds} fds`);
  out.push(`  Node alone (same flags, idle): RSS ${f(alone.total)} = file-backed ${f(alone.file)} + private ${f(alone.anon)}`);
  const h = big.heap;
  if (h) {
    const m = h.memory;
    out.push(`  V8 heap: committed ${mb(m.heapTotal)}, used ${mb(m.heapUsed)}; external ${mb(m.external)} (array buffers ${mb(m.arrayBuffers)}); code: bytecode ${mb(h.code.bytecodeAndMetadata)}, machine code ${mb(h.code.codeAndMetadata)}, script sources ${mb(h.code.scriptSource)}`);
    out.push(`  heap spaces (committed/used): ${Object.entries(h.spaces).filter(([, s]) => s.size > 0).map(([k, s]) => `${k.replace(/_space$/, '')} ${mb(s.size)}/${mb(s.used)}`).join(', ')}`);
  }
  if (one?.heap && h && n > 1) {
    const per = (a: number, b: number): string => (((a - b) / (n - 1)) / 1024).toFixed(2);
    out.push(`  per instance (${n} instances minus 1, KiB): RSS ${per(big.rss.total * 1048576, one.rss.total * 1048576)}, private ${per(big.rss.anon * 1048576, one.rss.anon * 1048576)}, heap used ${per(h.memory.heapUsed, one.heap.memory.heapUsed)}; with 1 instance: RSS ${f(one.rss.total)}, heap used ${mb(one.heap.memory.heapUsed)}, ${one.fds} fds (sockets are per interface and family, not per instance)`);
  }
  return out.join('\n');
}

async function main(): Promise<void> {
  const n = arg('--instances', 1000);
  const windowS = arg('--window', 20);
  const settleS = arg('--settle', 30);
  const rows = [
    `| implementation | instances | all MASTER | process start → all MASTER (ms) | "Startup complete" → all MASTER (ms) | Master_Down_Interval (ms) | CPU % of one core, settling (all MASTER +6 s to +${settleS} s) | CPU % of one core, steady (the next ${windowS} s) | RSS MB | private MB | file-backed MB |`,
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  const ours = await run('tskeepalived', n, settleS, windowS);
  rows.push(ours.row);
  if (process.argv.includes('--keepalived') && KEEPALIVED_BIN) rows.push((await run('keepalived', n, settleS, windowS)).row);
  console.log(rows.join('\n'));
  if (!process.argv.includes('--no-breakdown')) {
    const one = n > 1 ? await run('tskeepalived', 1, 6, Math.min(windowS, 5)) : undefined;
    console.log(breakdown(ours, one, await nodeAlone(), n));
  }
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
