import t from 'tap';
import { WorkerScriptRunner } from '../../src/notify/worker-runner';

t.test('scripts run from the worker thread: exit status, output, timeout, spawn errors', async (t) => {
  const r = new WorkerScriptRunner();
  t.teardown(() => r.close());
  const ok = await r.run(['/bin/sh', '-c', 'echo hello; exit 0']);
  t.same(ok.outcome, { kind: 'exited', status: 0 });
  t.equal(ok.stdout, 'hello\n');
  const bad = await r.run(['/bin/sh', '-c', 'exit 3']);
  t.same(bad.outcome, { kind: 'exited', status: 3 });
  const slow = await r.run(['/bin/sh', '-c', 'sleep 5'], { timeoutMs: 200 });
  t.same(slow.outcome, { kind: 'timed_out' });
  const missing = await r.run(['/nonexistent/script']);
  t.equal(missing.outcome.kind, 'spawn_error');
  const many = await Promise.all(Array.from({ length: 50 }, (_, i) => r.run(['/bin/sh', '-c', `exit ${i % 2}`])));
  t.same(many.map((m) => (m.outcome.kind === 'exited' ? m.outcome.status : -1)), Array.from({ length: 50 }, (_, i) => i % 2), '50 concurrent runs, results matched to their requests');
});

t.test('the main thread stays responsive while the worker spawns hundreds of scripts', async (t) => {
  const r = new WorkerScriptRunner();
  t.teardown(() => r.close());
  let worstLagMs = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    worstLagMs = Math.max(worstLagMs, now - last - 10);
    last = now;
  }, 10);
  await Promise.all(Array.from({ length: 300 }, () => r.run(['/bin/true'])));
  clearInterval(timer);
  t.comment(`worst 10 ms-timer lag while spawning 300 scripts: ${worstLagMs.toFixed(1)} ms`);
  t.ok(worstLagMs < 250, 'no long stall of the main thread');
});
