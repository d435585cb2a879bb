/**
 * The first Master_Down wait counts from the process start (issue 11 point 7): two nodes started
 * together elect in start order whatever their load times, and a node still listens at least
 * 2 × Master_Adver_Interval + Skew_Time before taking over.
 */
import t from 'tap';
import { initialState, nextDeadline, step } from '../../src/vrrp/fsm';
import { masterDownIntervalMs, skewTimeMs } from '../../src/vrrp/timers';
import { testConfig } from '../support/vrrp-cfg';

const cfg = testConfig({ basePriority: 100 });
const mdi = masterDownIntervalMs(100, cfg.advertIntCs, 3);
const floor = 2 * cfg.advertIntCs * 10 + skewTimeMs(100, cfg.advertIntCs, 3);

const rows: Array<{ what: string; startedAt?: number; now: number; delayMs?: number; want: number }> = [
  { what: 'no process start given: the full wait from now (reloads, rewiring)', now: 5000, want: 5000 + mdi },
  { what: 'loaded in 300 ms: the wait ends Master_Down_Interval after exec', startedAt: 1000, now: 1300, want: 1000 + mdi },
  { what: 'loaded in 900 ms: still counted from exec', startedAt: 1000, now: 1900, want: 1000 + mdi },
  { what: 'loaded in 3 s: listens at least 2 adverts + Skew_Time', startedAt: 1000, now: 4000, want: 4000 + floor },
  { what: 'vrrp_startup_delay 2 s counts from exec too', startedAt: 1000, now: 1400, delayMs: 2000, want: 1000 + 2000 + mdi },
  { what: 'a process start in the future (clock mix-up) is ignored', startedAt: 9000, now: 1000, want: 1000 + mdi },
];

for (const r of rows) {
  t.test(r.what, async (t) => {
    const ev = { type: 'startup' as const, ...(r.delayMs ? { delayMs: r.delayMs } : {}), ...(r.startedAt !== undefined ? { processStartedAt: r.startedAt } : {}) };
    const res = step(cfg, initialState(cfg), ev, r.now);
    t.equal(res.state.state, 'BACKUP', 'BACKUP (init)');
    t.equal(nextDeadline(res.state), r.want, 'Master_Down deadline');
    t.equal(step(cfg, res.state, { type: 'tick' }, r.want - 1).state.state, 'BACKUP', '1 ms before: still BACKUP');
    t.equal(step(cfg, res.state, { type: 'tick' }, r.want).state.state, 'MASTER', 'at the deadline: MASTER');
  });
}

t.test('two nodes started 100 ms apart elect in start order whatever their load times', async (t) => {
  // Equal priorities: the first started must win even when it loaded 600 ms slower than the second.
  const a = step(cfg, initialState(cfg), { type: 'startup', processStartedAt: 0 }, 800);
  const b = step(cfg, initialState(cfg), { type: 'startup', processStartedAt: 100 }, 300);
  t.ok((nextDeadline(a.state) ?? Infinity) < (nextDeadline(b.state) ?? -Infinity), 'the first started times out first');
});
