/**
 * notify_master_rx_lower_pri in the pure state machine (RFC 5798 §6.4.3 Master, keepalived's
 * "forcing new election"): each answered lower-priority advert yields one notify-rx-lower-pri
 * effect with our priority; none for an unanswered (rate-limited) one, a higher one, priority 0,
 * or a BACKUP. The daemon turns it into the hook (no arguments) and the FIFO line
 * (test/integration/master-rx-lower-pri.test.ts, compared with keepalived 2.2.7).
 */
import t from 'tap';
import { initialState, step } from '../../src/vrrp/fsm';
import { advert, testConfig } from '../support/vrrp-cfg';

const cfg = testConfig({ basePriority: 200 });
const master: ReturnType<typeof initialState> = { ...initialState(cfg), state: 'MASTER', priority: 200 };
const rx = (s: typeof master, prio: number, answer = { advert: true, garp: true }) =>
  step(cfg, s, { type: 'advert', advert: advert(prio), src: '192.0.2.2', answer }, 10).actions.filter((a) => a.type === 'notify-rx-lower-pri');

t.test('a MASTER answering a lower priority notifies once, with its own priority', async (t) => {
  t.same(rx(master, 100), [{ type: 'notify-rx-lower-pri', priority: 200 }]);
});

t.test('no notification otherwise', async (t) => {
  t.same(rx(master, 100, { advert: false, garp: false }), [], 'unanswered (rate-limited): discarded only');
  t.same(rx(master, 250), [], 'higher priority: we step down');
  t.same(rx(master, 0), [], 'priority 0: the master adverts at once, no lower-priority event');
  t.same(rx(master, 200), [], 'equal priority from a higher address: we step down, no lower-priority event');
  t.same(rx({ ...master, state: 'BACKUP' }, 100), [], 'a BACKUP');
  const quiet = testConfig({ basePriority: 200, lowerPrioNoAdvert: true });
  t.same(step(quiet, { ...initialState(quiet), state: 'MASTER', priority: 200 }, { type: 'advert', advert: advert(100), src: '192.0.2.2' }, 10).actions.filter((a) => a.type === 'notify-rx-lower-pri'), [], 'lower_prio_no_advert: not answered, not notified');
});
