/**
 * Benchmark: Prometheus scrape time at 1,000 VRRP instances (target < 50 ms).
 * A real configuration of N instances is loaded; running views are faked (no network), the
 * metrics are served by src/observe/metrics.ts over loopback HTTP exactly as the daemon does,
 * and each scrape is timed end to end (request → full body) and on the server (collect +
 * prom-client rendering). Prints min / median / p95 / max and the body size.
 * Usage: node dist/scripts/bench/scrape-1000.js [instances=1000] [scrapes=200]
 */
import { Metrics, serveMetrics } from '../../src/observe/metrics';
import { fakeViews, filledRecorder, loadModel, manyInstancesConfig } from '../../test/support/fake-views';

function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.floor(q * s.length))] as number;
  return `min ${at(0).toFixed(2)}  median ${at(0.5).toFixed(2)}  p95 ${at(0.95).toFixed(2)}  max ${(s[s.length - 1] as number).toFixed(2)} ms`;
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 1000);
  const scrapes = Number(process.argv[3] ?? 200);
  const model = loadModel(manyInstancesConfig(n, { virtualServers: 10, script: true }));
  const views = fakeViews(model);
  const metrics = new Metrics({ model: () => model, views: () => views, recorder: filledRecorder(model) });
  const server = await serveMetrics(metrics, '127.0.0.1', 0);
  const url = `http://127.0.0.1:${server.address().port}/metrics`;
  const inProc: number[] = [];
  const http: number[] = [];
  let bytes = 0;
  let series = 0;
  for (let i = 0; i < 10; i++) await metrics.scrape(); // warm-up (JIT)
  for (let i = 0; i < scrapes; i++) {
    const t0 = performance.now();
    const body = await metrics.scrape();
    inProc.push(performance.now() - t0);
    const t1 = performance.now();
    const r = await fetch(url);
    const text = await r.text();
    http.push(performance.now() - t1);
    bytes = text.length;
    series = body.split('\n').filter((l) => l && !l.startsWith('#')).length;
  }
  await server.close();
  console.log(`scrape of ${n} instances: ${series} series, ${(bytes / 1024).toFixed(0)} KiB`);
  console.log(`  collect + render (in process): ${stats(inProc)}`);
  console.log(`  HTTP GET /metrics (loopback):  ${stats(http)}`);
  console.log(`  target: < 50 ms`);
}

void main();
