/** The addon's timerfd timer through PreciseTimers on the real clock: never early, in order. */
import t from 'tap';
import { loadNative } from '../../src/net/native';
import { PreciseTimers } from '../../src/runtime/precise-timers';

t.test('precise timers fire at or after their deadline, in deadline order', async (t) => {
  const p = new PreciseTimers(loadNative());
  t.teardown(() => p.close());
  const start = performance.now();
  const results: { due: number; at: number }[] = [];
  await new Promise<void>((done) => {
    let left = 40;
    for (let i = 0; i < 40; i++) {
      // Fractional deadlines, deliberately not on millisecond boundaries, set out of order.
      const due = start + 5 + ((i * 7) % 40) * 2.37;
      p.at(due, () => {
        results.push({ due, at: performance.now() });
        if (--left === 0) done();
      });
    }
  });
  t.equal(results.length, 40);
  t.ok(results.every((r) => r.at >= r.due), 'none fired before its deadline');
  t.ok(results.every((r, i) => i === 0 || (results[i - 1] as { due: number }).due <= r.due), 'fired in deadline order');
  const cancelled = p.at(performance.now() + 5, () => t.fail('cancelled timer ran'));
  cancelled.cancel();
  await new Promise((r) => setTimeout(r, 20));
});

t.test('an armed timer keeps the process alive; a disarmed one does not', async (t) => {
  const { execFileSync } = await import('node:child_process');
  const mod = JSON.stringify(require.resolve('../../src/runtime/precise-timers'));
  const native = JSON.stringify(require.resolve('../../src/net/native'));
  const out = execFileSync(process.execPath, ['-e', `
    const { PreciseTimers } = require(${mod});
    const p = new PreciseTimers(require(${native}).loadNative());
    p.at(performance.now() + 50, () => console.log('fired'));`], { timeout: 5000 }).toString();
  t.equal(out.trim(), 'fired', 'the process waited for the timer');
  const idle = execFileSync(process.execPath, ['-e', `
    const { PreciseTimers } = require(${mod});
    const p = new PreciseTimers(require(${native}).loadNative());
    p.at(performance.now() + 60000, () => console.log('fired')).cancel();
    p.at(performance.now() + 1, () => console.log('short'));`], { timeout: 5000 }).toString();
  t.equal(idle.trim(), 'short', 'exits once nothing live is armed (the cancelled 60 s deadline does not hold it)');
});
