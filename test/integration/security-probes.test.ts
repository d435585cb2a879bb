/**
 * Hostile real servers (issue 14): SMTP_CHECK and HTTP_GET against servers that flood a line
 * or header that never ends (~20 MB/s) or trickle one byte every 200 ms. Each probe must fail
 * within its hard deadline (connect_timeout 1 s, plus slack for a loaded host), memory must stay
 * bounded, and a 100 ms timer in the same process (what schedules VRRP adverts in the daemon)
 * must keep its gap. Before the fix: the SMTP buffer grew without limit and the trickle probes
 * never ended (idle timer reset by every byte); HTTP re-joined every chunk (quadratic).
 * The servers are a python3 process on 127.0.0.1, killed by pid at teardown.
 */
import t from 'tap';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { smtpProbe } from '../../src/check/probes/smtp';
import { httpProbe } from '../../src/check/probes/http';
import type { Probe, ProbeResult } from '../../src/check/result';
import { OutputWatcher } from '../support/netns';

const SERVER = path.resolve(__dirname, '../../../test/support/hostile-server.py');
const CONNECT_TIMEOUT_MS = 1000;
const RUN_MS = 6000;
const INTERVAL_MS = 100;

t.test('hostile SMTP/HTTP servers: probes fail in time, memory bounded, timers keep their gap', async (t) => {
  const srv = spawn('python3', [SERVER, '40'], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => {
    if (srv.exitCode === null) srv.kill('SIGKILL');
  });
  const w = new OutputWatcher(srv);
  t.ok(await w.waitFor(/\{.*\}/, 10_000), 'servers listening');
  const ports = JSON.parse(/\{.*\}/.exec(w.text)?.[0] ?? '{}') as Record<string, number>;
  const conn = (port: number) => ({ host: '127.0.0.1', port, connectTimeoutMs: CONNECT_TIMEOUT_MS });
  const probes: Record<string, Probe> = {
    'smtp-flood': smtpProbe({ ...conn(ports['smtp-flood'] ?? 0), heloName: 'lb' }),
    'smtp-trickle': smtpProbe({ ...conn(ports['smtp-trickle'] ?? 0), heloName: 'lb' }),
    'http-flood': httpProbe({ ...conn(ports['http-flood'] ?? 0), urls: [{ path: '/' }] }),
    'http-trickle': httpProbe({ ...conn(ports['http-trickle'] ?? 0), urls: [{ path: '/' }] }),
  };

  // baseline timer gaps, no probes
  const gaps = async (ms: number): Promise<number[]> => {
    const out: number[] = [];
    let last = performance.now();
    const iv = setInterval(() => {
      const now = performance.now();
      out.push(now - last);
      last = now;
    }, INTERVAL_MS);
    await new Promise((r) => setTimeout(r, ms));
    clearInterval(iv);
    return out;
  };
  const base = await gaps(2000);
  global.gc?.();
  const mem0 = process.memoryUsage();

  // every probe re-run 100 ms after it ends (a checker with a short delay_loop), for RUN_MS
  const durations: Record<string, number[]> = {};
  const results: Record<string, ProbeResult[]> = {};
  const stuck: string[] = [];
  let peak = 0;
  const stopAt = performance.now() + RUN_MS;
  const loops = Object.entries(probes).map(async ([name, probe]) => {
    durations[name] = [];
    results[name] = [];
    while (performance.now() < stopAt) {
      const ac = new AbortController();
      const started = performance.now();
      const guard = setTimeout(() => ac.abort(), 15_000); // old code: never ends by itself
      const r = await Promise.race([probe(ac.signal), new Promise<undefined>((res) => setTimeout(() => res(undefined), 10_000))]);
      clearTimeout(guard);
      if (!r) {
        stuck.push(name);
        ac.abort();
        return;
      }
      durations[name]?.push(performance.now() - started);
      results[name]?.push(r);
      await new Promise((res) => setTimeout(res, 100)); // delay_loop

    }
  });
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peak = Math.max(peak, m.heapUsed + m.arrayBuffers - mem0.heapUsed - mem0.arrayBuffers);
  }, 50);
  const [attack] = await Promise.all([gaps(RUN_MS), ...loops]);
  clearInterval(sampler);

  const p = (xs: number[], q: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? 0;
  const fmt = (xs: number[]): string => `p50 ${p(xs, 0.5).toFixed(0)} p99 ${p(xs, 0.99).toFixed(0)} max ${Math.max(...xs).toFixed(0)} ms`;
  t.comment(`timer gaps (${INTERVAL_MS} ms) baseline: ${fmt(base)}; under attack: ${fmt(attack ?? [])}`);
  t.comment(`memory growth peak ${(peak / 1048576).toFixed(1)} MB`);
  for (const [name, ds] of Object.entries(durations)) t.comment(`${name}: ${ds.length} probes, ${ds.length ? fmt(ds) : '-'}; ${JSON.stringify(results[name]?.[0])}`);

  t.same(stuck, [], 'no probe outlives its deadline by 10 s');
  for (const name of Object.keys(probes)) {
    const ds = durations[name] ?? [];
    t.ok(ds.length >= 2, `${name}: probes complete and repeat (${ds.length})`);
    t.ok(Math.max(0, ...ds) < CONNECT_TIMEOUT_MS + 1500, `${name}: each probe ends within connect_timeout (+1.5 s slack): max ${Math.max(0, ...ds).toFixed(0)} ms`);
    t.ok((results[name] ?? []).every((r) => !r.ok), `${name}: every probe fails`);
  }
  t.ok(peak < 48 * 1048576, `memory bounded: peak growth ${(peak / 1048576).toFixed(1)} MB < 48 MB`);
  // A loaded shared host adds its own jitter: compare with the baseline measured just before.
  t.ok(p(attack ?? [], 0.99) < p(base, 0.99) + 60, `timer p99 gap under attack ${p(attack ?? [], 0.99).toFixed(0)} ms vs baseline ${p(base, 0.99).toFixed(0)} ms (+60 ms allowed)`);
});
