import t from 'tap';
import { handoverWindowMs, initialState, nextDeadline, step } from '../../src/vrrp/fsm';
import { masterDownIntervalMs } from '../../src/vrrp/timers';
import type { Action, InstanceConfig } from '../../src/vrrp/types';
import { FsmDriver, testConfig } from '../support/vrrp-cfg';

const types = (as: Action[]) => as.filter((a) => a.type !== 'log').map((a) => (a.type === 'send-advert' ? `send-advert:${a.priority}` : a.type === 'notify' ? `notify:${a.state}` : a.type === 'transition' ? `transition:${a.from}>${a.to}` : a.type === 'announce' ? 'announce' : a.type));

function master(over: Partial<InstanceConfig> = {}): FsmDriver {
  const d = new FsmDriver(testConfig(over));
  d.ev({ type: 'startup' });
  d.advanceTo(nextDeadline(d.state) as number);
  return d;
}

t.test('standby on a MASTER: priority 0 once, no more adverts, VIPs kept until the taker advertises, then BACKUP', async (t) => {
  const d = master();
  t.equal(d.state.state, 'MASTER');
  const a = d.ev({ type: 'standby', on: true });
  t.same(types(a), ['send-advert:0'], 'advertises priority 0 once; nothing else yet');
  t.equal(d.state.state, 'MASTER', 'still holds the VIPs while handing over');
  t.equal(d.state.standby, true);
  const quiet = d.advanceTo(d.now + 500);
  t.same(types(quiet), [], 'no adverts while handing over');
  const took = d.rx(90);
  t.same(types(took), ['remove-vips', 'transition:MASTER>BACKUP', 'notify:BACKUP'], 'taker seen: step down');
  t.match(took.find((x) => x.type === 'transition'), { reason: /manual standby: 192\.0\.2\.2 took over/ });
  t.equal(d.state.masterDownAt, undefined, 'no down timer in standby');
  t.equal(nextDeadline(d.state), undefined, 'nothing armed');
  t.same(types(d.advanceTo(d.now + 60_000)), [], 'the master can vanish: a standby backup never takes over');
  t.equal(d.state.state, 'BACKUP');
  d.rx(90);
  t.equal(d.state.masterPriority, 90, 'still tracks the master it sees');
  t.equal(d.state.masterDownAt, undefined);
});

t.test('standby on a MASTER with no taker is cancelled after the handover window', async (t) => {
  const d = master();
  d.ev({ type: 'standby', on: true });
  const win = handoverWindowMs(d.cfg);
  t.equal(win, 2000);
  t.same(types(d.advanceTo(d.now + win - 1)), [], 'waits the whole window');
  const a = d.advanceTo(d.now + 1);
  t.same(types(a), ['send-advert:100'], 'advertises again at its own priority');
  t.equal(d.state.standby, false, 'standby cancelled');
  t.equal(d.state.state, 'MASTER');
  t.match(a.find((x) => x.type === 'log' && x.level === 'warn'), { text: /no other router took over within 2000ms/ });
  t.ok(d.state.adverAt !== undefined, 'Adver_Timer re-armed');
});

t.test('standby --force on a MASTER steps down at once', async (t) => {
  const d = master();
  const a = d.ev({ type: 'standby', on: true, force: true });
  t.same(types(a), ['send-advert:0', 'remove-vips', 'transition:MASTER>BACKUP', 'notify:BACKUP']);
  t.equal(d.state.masterDownAt, undefined);
});

t.test('standby blocks every way to MASTER: down timer, sync-group force, preemption, owner fault clear', async (t) => {
  const b = new FsmDriver(testConfig());
  b.ev({ type: 'standby', on: true });
  b.ev({ type: 'startup' });
  t.equal(b.state.state, 'BACKUP', 'starts as BACKUP');
  t.equal(nextDeadline(b.state), undefined, 'standby set before start-up: no down timer');
  t.same(types(b.ev({ type: 'force', to: 'MASTER' })), [], 'sync group cannot force it to MASTER');
  t.same(types(b.rx(50)), [], 'a lower-priority master is not preempted');
  t.equal(b.state.masterDownAt, undefined);
  const o = new FsmDriver(testConfig({ basePriority: 255, initialState: 'MASTER' }));
  o.ev({ type: 'standby', on: true });
  o.ev({ type: 'startup' });
  t.equal(o.state.state, 'BACKUP', 'even the address owner stays BACKUP');
  o.ev({ type: 'fault', faulted: true, reason: 'x' });
  o.ev({ type: 'fault', faulted: false, reason: '' });
  t.equal(o.state.state, 'BACKUP', 'owner fault cleared: BACKUP while in standby');
});

t.test('resume: a backup re-arms Master_Down_Interval; preemption rules decide', async (t) => {
  const d = master();
  d.ev({ type: 'standby', on: true });
  d.rx(90);
  t.equal(d.state.state, 'BACKUP');
  d.ev({ type: 'standby', on: false });
  t.equal(d.state.standby, false);
  const mdi = masterDownIntervalMs(100, 100, 2);
  t.equal(nextDeadline(d.state), d.now + mdi, 'down timer armed');
  t.same(types(d.rx(90)), [], 'preempt: lower-priority adverts discarded');
  const took = d.advanceTo(d.now + mdi);
  t.match(types(took), ['send-advert:100', 'transition:BACKUP>MASTER'], 'takes the master role back after Master_Down_Interval');

  const np = master({ preempt: false, initialState: 'BACKUP' });
  np.ev({ type: 'standby', on: true });
  np.rx(90);
  np.ev({ type: 'standby', on: false });
  for (let i = 0; i < 5; i++) {
    np.advanceTo(np.now + 1000);
    np.rx(90);
  }
  t.equal(np.state.state, 'BACKUP', 'nopreempt: stays BACKUP while the other master advertises');
});

t.test('resume during a handover cancels it; priority changes during a handover are not advertised', async (t) => {
  const d = master();
  d.ev({ type: 'standby', on: true });
  t.same(types(d.ev({ type: 'priority', effective: 120 })), [], 'no advert while handing over');
  const a = d.ev({ type: 'standby', on: false });
  t.same(types(a), ['send-advert:120']);
  t.equal(d.state.handoverUntil, undefined);
  t.equal(d.state.state, 'MASTER');
});

t.test('standby after shutdown is remembered for the next start-up', async (t) => {
  const d = master();
  d.ev({ type: 'shutdown' });
  d.ev({ type: 'standby', on: true });
  d.ev({ type: 'startup' });
  t.equal(d.state.state, 'BACKUP');
  t.equal(nextDeadline(d.state), undefined);
});
