/**
 * vrrp_startup_delay (keepalived 2.2.7, observed): at daemon start every instance enters
 * BACKUP (init) at once and its first Master_Down timer runs delay + Master_Down_Interval;
 * the address owner (255) waits too instead of taking MASTER at once. Without a delay the
 * RFC 5798 §6.4.1 rules are unchanged.
 */
import t from 'tap';
import { initialState, nextDeadline, step } from '../../src/vrrp/fsm';
import { masterDownIntervalMs } from '../../src/vrrp/timers';
import { testConfig } from '../support/vrrp-cfg';

const rows = [
  { what: 'backup, priority 100, delay 3 s', cfg: testConfig({ basePriority: 100 }), delayMs: 3000 },
  { what: 'address owner (255), delay 3 s', cfg: testConfig({ basePriority: 255, initialState: 'MASTER' }), delayMs: 3000 },
];

for (const r of rows) {
  t.test(`vrrp_startup_delay: ${r.what}`, async (t) => {
    const res = step(r.cfg, initialState(r.cfg), { type: 'startup', delayMs: r.delayMs }, 1000);
    t.equal(res.state.state, 'BACKUP', 'enters BACKUP (init) at once');
    t.notOk(res.actions.some((a) => a.type === 'add-vips' || a.type === 'send-advert'), 'no advert, no VIP during the delay');
    const mdi = masterDownIntervalMs(r.cfg.basePriority, r.cfg.advertIntCs, 3);
    t.equal(nextDeadline(res.state), 1000 + r.delayMs + mdi, 'first Master_Down timer = delay + Master_Down_Interval');
    const took = step(r.cfg, res.state, { type: 'tick' }, 1000 + r.delayMs + mdi);
    t.equal(took.state.state, 'MASTER', 'MASTER when it expires with no master heard');
  });
}

t.test('RFC 5798 §6.4.1 without a delay: the owner goes MASTER at once', async (t) => {
  const cfg = testConfig({ basePriority: 255, initialState: 'MASTER' });
  t.equal(step(cfg, initialState(cfg), { type: 'startup' }, 0).state.state, 'MASTER');
  t.equal(step(cfg, initialState(cfg), { type: 'startup', delayMs: 0 }, 0).state.state, 'MASTER');
});
