/**
 * Real-time signals through the addon (src/net/rt-signals.ts): a child registers watchers for
 * SIGRTMIN+2 (36) and SIGRTMAX-1 (63); the test sends each with process.kill and reads the
 * child's report. The watchers are unref'd, so once the child stops its own keep-alive timer it
 * must exit by itself while still watching. An unwatched signal number is not delivered to a
 * stopped watcher. The child is this file re-executed with RT_SIGNALS_CHILD=1.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { onRealtimeSignal, SIG_JSON_DUMP, SIG_STATS_CLEAR } from '../../src/net/rt-signals';
import { OutputWatcher } from '../support/netns';

function child(): void {
  const counts: Record<number, number> = {};
  const report = (n: number) => (): void => {
    counts[n] = (counts[n] ?? 0) + 1;
    process.stdout.write(`${JSON.stringify({ signal: n, count: counts[n] })}\n`);
  };
  onRealtimeSignal(SIG_JSON_DUMP, report(SIG_JSON_DUMP));
  onRealtimeSignal(SIG_STATS_CLEAR, report(SIG_STATS_CLEAR));
  // A watcher that is stopped again: 40 must then kill the child (default action), were it sent.
  const stop40 = onRealtimeSignal(40, report(40));
  stop40();
  stop40();
  // Keep-alive until stdin closes: only this timer holds the loop, not the signal watchers.
  const keep = setInterval(() => undefined, 1000);
  process.stdin.on('data', () => undefined);
  process.stdin.on('end', () => {
    clearInterval(keep);
    process.stdin.destroy();
    process.stdout.write('{"released":true}\n');
  });
  process.stdout.write('{"ready":true}\n');
}

if (process.env['RT_SIGNALS_CHILD']) {
  child();
} else {
  t.test('SIGRTMIN+2 and SIGRTMAX-1 reach their callbacks; watchers do not keep the process alive', async (t) => {
    t.equal(SIG_JSON_DUMP, 36);
    t.equal(SIG_STATS_CLEAR, 63);
    const cp = spawn(process.execPath, [__filename], { env: { ...process.env, RT_SIGNALS_CHILD: '1' }, stdio: ['pipe', 'pipe', 'pipe'] });
    t.teardown(() => {
      if (cp.exitCode === null && cp.signalCode === null) cp.kill('SIGKILL');
    });
    const w = new OutputWatcher(cp);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => cp.on('exit', (code, signal) => r({ code, signal })));
    t.ok(await w.waitFor('{"ready":true}', 10_000), 'child ready');
    const pid = cp.pid as number;
    process.kill(pid, 36);
    t.ok(await w.waitFor('{"signal":36,"count":1}', 5000), 'signal 36 seen');
    process.kill(pid, 63);
    t.ok(await w.waitFor('{"signal":63,"count":1}', 5000), 'signal 63 seen');
    process.kill(pid, 36);
    t.ok(await w.waitFor('{"signal":36,"count":2}', 5000), 'signal 36 seen again (watcher persists)');
    t.notMatch(w.text, /"signal":40/, 'stopped watcher never called');
    cp.stdin?.end();
    let timer: NodeJS.Timeout | undefined;
    const res = await Promise.race([exited, new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), 10_000)))]);
    clearTimeout(timer);
    t.same(res, { code: 0, signal: null }, 'child exited on its own with watchers still registered');
    t.match(w.text, /"released":true/);
  });

  t.test('watchSignal refuses numbers the kernel lacks and foreign handles', async (t) => {
    const { loadNative } = await import('../../src/net/native');
    const addon = loadNative();
    t.throws(() => addon.watchSignal(0, () => undefined), { code: 'EINVAL' }, 'signal 0 refused');
    t.throws(() => addon.watchSignal(65, () => undefined), { code: 'EINVAL' }, 'signal 65 refused');
    t.throws(() => addon.unwatchSignal({} as never), { code: 'ERR_INVALID_ARG_TYPE' });
  });
}
