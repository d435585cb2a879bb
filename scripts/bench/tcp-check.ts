/**
 * Benchmark: N TCP_CHECKs (default 10,000) at delay_loop 1 s against local listeners for
 * ~10 s, through the real CheckerRuntime + SystemClock. The listeners live in a child
 * process so the CPU and RSS printed are the checker's alone. The measuring process runs with
 * the daemon's V8 flags (main.js's shebang), as the checkers would in keepalived -C;
 * --node-defaults measures with Node's defaults instead.
 *   node dist/scripts/bench/tcp-check.js [--checks 10000] [--seconds 10] [--listeners 100] [--procs 4] [--node-defaults]
 */
import { spawn, spawnSync } from 'node:child_process';
import { NODE_FLAGS } from '../../test/support/daemon';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { ServerSpec } from '../../src/check/build';
import { tcpProbe } from '../../src/check/probes/tcp';
import { SystemClock } from '../../src/runtime/clock';
import { CheckerRuntime } from '../../src/runtime/checkers';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : NaN;
  return Number.isFinite(v) && v > 0 ? v : def;
}

const LISTENER_CODE = `
const net = require('net');
const n = Number(process.argv[1]);
const ports = [];
let pending = n;
for (let i = 0; i < n; i++) {
  // Let the checker close first, as with a real server: a listener that closes first leaves
  // TIME_WAIT on the server side of loopback, and SYNs reusing that 4-tuple wait 1 s.
  const s = net.createServer((c) => { c.on('error', () => {}); c.resume(); });
  s.listen(0, '127.0.0.1', () => { ports.push(s.address().port); if (--pending === 0) process.stdout.write(JSON.stringify(ports) + '\\n'); });
}`;

/** Listeners spread over `procs` child processes so accepting is never the bottleneck. */
async function startListeners(n: number, procs: number): Promise<{ ports: number[]; kill: () => void }> {
  const parts = await Promise.all(Array.from({ length: procs }, () => startListenerProcess(Math.ceil(n / procs))));
  return { ports: parts.flatMap((p) => p.ports), kill: () => parts.forEach((p) => p.kill()) };
}

async function startListenerProcess(n: number): Promise<{ ports: number[]; kill: () => void }> {
  const child = spawn(process.execPath, ['-e', LISTENER_CODE, String(n)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const ports = await new Promise<number[]>((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      if (buf.includes('\n')) resolve(JSON.parse(buf) as number[]);
    });
    child.once('exit', (c) => reject(new Error(`listener process exited ${c}`)));
  });
  return { ports, kill: () => child.kill('SIGKILL') };
}

async function main(): Promise<void> {
  const checks = arg('checks', 10_000);
  const seconds = arg('seconds', 10);
  const listeners = arg('listeners', 100);
  const { ports, kill } = await startListeners(listeners, arg('procs', 4));
  process.on('exit', kill);

  const servers: ServerSpec[] = [];
  for (let i = 0; i < checks; i++) {
    const port = ports[i % ports.length] as number;
    servers.push({
      vsKey: 'tcp:[127.0.0.1]:80',
      rsKey: `[127.0.0.1]:${port}#${i}`,
      checkers: [
        {
          kind: 'TCP_CHECK',
          service: `[127.0.0.1]:tcp:${port}`,
          vsLabel: '[127.0.0.1]:tcp:80',
          timing: { delayLoopMs: 1000, retry: 1, delayBeforeRetryMs: 1000, warmupMs: 1000, alpha: false },
          logAllFailures: false,
          probe: tcpProbe({ host: '127.0.0.1', port, connectTimeoutMs: 3000 }),
        },
      ],
    });
  }
  let downs = 0;
  const rt = new CheckerRuntime(servers, { clock: new SystemClock() });
  rt.on('health', (e) => {
    if (!e.up) downs++;
  });
  rt.start();
  // Skip the warmup second, then measure.
  await new Promise((r) => setTimeout(r, 1000));
  const p0 = rt.probesDone;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  let rssMax = 0;
  const sampler = setInterval(() => (rssMax = Math.max(rssMax, process.memoryUsage().rss)), 250);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  clearInterval(sampler);
  const elapsedS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const probes = rt.probesDone - p0;
  rt.stop();
  kill();
  lag.disable();
  const cpuPct = ((cpu.user + cpu.system) / 1e6 / elapsedS) * 100;
  console.log(`checkers: ${checks}, listeners: ${listeners}, delay_loop: 1 s, measured: ${elapsedS.toFixed(1)} s`);
  console.log(`checks/s: ${(probes / elapsedS).toFixed(0)} (ideal ${checks})`);
  // Like keepalived, a checker waits delay_loop after its previous check *completed*, so the
  // rate is checks / (delay_loop + time to complete one check).
  console.log(`mean cycle per checker: ${((checks * elapsedS) / probes).toFixed(3)} s (delay_loop 1 s + check completion)`);
  const pct = (us: number): string => ((us / 1e6 / elapsedS) * 100).toFixed(1);
  // On loopback the kernel runs both ends of each handshake in the connecting process.
  console.log(`CPU: ${cpuPct.toFixed(1)} % of one core (user ${pct(cpu.user)} %, kernel ${pct(cpu.system)} %)`);
  console.log(`RSS: ${(rssMax / 1048576).toFixed(1)} MB (peak)`);
  console.log(`event-loop delay: p50 ${(lag.percentile(50) / 1e6).toFixed(1)} ms, p99 ${(lag.percentile(99) / 1e6).toFixed(1)} ms`);
  console.log(`servers reported down: ${downs}`);
  // Below the ideal rate with low CPU means the host is short of CPU (see the load average).
  console.log(`load average: ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  process.exit(0);
}

if (process.env['TSK_BENCH_CHILD'] || process.argv.includes('--node-defaults')) {
  void main();
} else {
  console.log(`node flags: ${NODE_FLAGS.join(' ') || '(none)'}`);
  const r = spawnSync(process.execPath, [...NODE_FLAGS, __filename, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, TSK_BENCH_CHILD: '1' },
  });
  process.exit(r.status ?? 1);
}
