import t from 'tap';
import { initialState, nextDeadline, step } from '../../src/vrrp/fsm';
import { masterDownIntervalMs, skewTimeMs } from '../../src/vrrp/timers';
import type { Action, InstanceConfig } from '../../src/vrrp/types';
import { FsmDriver, testConfig } from '../support/vrrp-cfg';

const types = (as: Action[]) => as.filter((a) => a.type !== 'log').map((a) => (a.type === 'send-advert' ? `send-advert:${a.priority}` : a.type === 'notify' ? `notify:${a.state}:${a.priority}` : a.type === 'announce' ? `announce:${a.count}` : a.type === 'transition' ? `transition:${a.from}>${a.to}` : a.type));
const logs = (as: Action[]) => as.flatMap((a) => (a.type === 'log' ? [a.text] : []));

t.test('RFC 5798 §6.4.1: the address owner (255) goes INIT→MASTER at once: advert, VIPs, announce', async (t) => {
  const d = new FsmDriver(testConfig({ basePriority: 255, initialState: 'MASTER' }));
  const a = d.ev({ type: 'startup' });
  t.same(types(a), ['send-advert:255', 'transition:INIT>MASTER', 'add-vips', 'announce:5', 'notify:MASTER:255']);
  t.same(logs(a), ['(VI_1) Entering MASTER STATE', '(VI_1) setting VIPs.']);
  t.equal(d.state.state, 'MASTER');
  t.equal(nextDeadline(d.state), 1000, 'Adver_Timer = Advertisement_Interval');
  const tr = a.find((x) => x.type === 'transition');
  t.match(tr, { reason: /address owner/ }, 'transition says why');
});

t.test('RFC 5798 §6.4.1 + keepalived §(d) Startup: state MASTER below 255 starts in BACKUP and waits', async (t) => {
  for (const initialState of ['MASTER', 'BACKUP'] as const) {
    const d = new FsmDriver(testConfig({ initialState }));
    const a = d.ev({ type: 'startup' });
    t.same(types(a), ['transition:INIT>BACKUP', 'notify:BACKUP:100'], `${initialState}: BACKUP hooks run at start-up`);
    t.same(logs(a), ['(VI_1) removing VIPs.', '(VI_1) Entering BACKUP STATE (init)'], 'keepalived 2.2.7 logs removing VIPs. first');
    const mdi = masterDownIntervalMs(100, 100, 2);
    t.equal(nextDeadline(d.state), mdi, 'Master_Down_Timer = Master_Down_Interval');
    t.same(d.advanceTo(mdi - 1), [], '1 ms before Master_Down_Interval: still BACKUP');
    t.equal(d.state.state, 'BACKUP');
    const took = d.advanceTo(mdi);
    t.same(logs(took).slice(0, 2), ['(VI_1) Receive advertisement timeout', '(VI_1) Entering MASTER STATE']);
    t.same(types(took), ['send-advert:100', 'transition:BACKUP>MASTER', 'add-vips', 'announce:5', 'notify:MASTER:100'], 'advert first, then VIPs, then GARP');
    t.match(took.find((x) => x.type === 'transition'), { reason: /master down timer expired/ });
  }
});

t.test('Skew_Time / Master_Down_Interval exactly per version (RFC 3768 §6.1, RFC 5798 §6.1); downTimerAdverts', async (t) => {
  const cases: Array<[Partial<InstanceConfig>, number]> = [
    [{ version: 2, basePriority: 90 }, 3000 + (166 * 1000) / 256],
    [{ version: 3, basePriority: 90, advertIntCs: 50 }, 1500 + (166 * 500) / 256],
    [{ version: 3, basePriority: 200, advertIntCs: 100, downTimerAdverts: 5 }, 5000 + (56 * 1000) / 256],
  ];
  for (const [over, want] of cases) {
    const d = new FsmDriver(testConfig(over));
    d.ev({ type: 'startup' });
    t.equal(nextDeadline(d.state), want, JSON.stringify(over));
  }
});

t.test('RFC 5798 §6.4.2: BACKUP restarts the down timer on higher or equal priority; v3 learns Master_Adver_Interval', async (t) => {
  const d = new FsmDriver(testConfig({ version: 3 }));
  d.ev({ type: 'startup' });
  d.now = 1000;
  let a = d.rx(150, '192.0.2.2', { version: 3, advertIntCs: 200 });
  t.same(logs(a), ['(VI_1) master set to 192.0.2.2', '(VI_1) advertisement interval updated from 1000ms to 2000ms by master']);
  t.equal(d.state.masterAdverIntCs, 200);
  t.equal(nextDeadline(d.state), 1000 + masterDownIntervalMs(100, 200, 3), 'down interval uses the learned interval');
  d.now = 2000;
  a = d.rx(100, '192.0.2.0', { version: 3, advertIntCs: 200 }); // equal priority, lower address: still accepted
  t.same(logs(a), ['(VI_1) master changed from 192.0.2.2 to 192.0.2.0']);
  t.equal(nextDeadline(d.state), 2000 + masterDownIntervalMs(100, 200, 3), 'equal priority resets the timer (no preemption on ties)');
  t.equal(d.state.state, 'BACKUP');
});

t.test('RFC 5798 §6.4.2: BACKUP with preemption discards a lower-priority advert and takes over on the timer', async (t) => {
  const d = new FsmDriver(testConfig());
  d.ev({ type: 'startup' });
  const first = nextDeadline(d.state);
  d.now = 500;
  const a = d.rx(90);
  t.same(logs(a), ['(VI_1) received lower priority (90) advert from 192.0.2.2 - discarding']);
  t.equal(nextDeadline(d.state), first, 'down timer keeps running');
});

t.test('RFC 5798 §6.4.2 Preempt_Mode false (nopreempt): lower-priority master is kept', async (t) => {
  const d = new FsmDriver(testConfig({ preempt: false }));
  d.ev({ type: 'startup' });
  for (let i = 1; i <= 10; i++) {
    d.advanceTo(i * 1000);
    d.rx(50);
  }
  t.equal(d.state.state, 'BACKUP');
  t.equal(nextDeadline(d.state), 10_000 + masterDownIntervalMs(100, 100, 2));
  // keepalived: nopreempt only works with initial state BACKUP
  const m = new FsmDriver(testConfig({ preempt: false, initialState: 'MASTER' }));
  m.ev({ type: 'startup' });
  m.now = 500;
  m.rx(50);
  m.advanceTo(masterDownIntervalMs(100, 100, 2));
  t.equal(m.state.state, 'MASTER', 'nopreempt ignored with state MASTER');
});

t.test('keepalived preempt_delay: lower-priority adverts accepted until the delay has run', async (t) => {
  const d = new FsmDriver(testConfig({ preemptDelayMs: 10_000 }));
  d.ev({ type: 'startup' });
  let t0 = 0;
  for (let i = 1; d.state.state === 'BACKUP' && i < 40; i++) {
    d.advanceTo(i * 1000);
    if (d.state.state !== 'BACKUP') break;
    d.rx(50);
    t0 = i * 1000;
  }
  t.equal(d.state.state, 'MASTER');
  const mdi = masterDownIntervalMs(100, 100, 2);
  // The delay runs from start-up (10 s): adverts at 1..9 s are accepted, the one at 10 s is discarded.
  t.ok(t0 >= 10_000, `kept accepting lower adverts until ${t0}`);
  const took = d.log.findIndex((x) => x.type === 'transition' && x.to === 'MASTER');
  t.ok(took > 0);
  t.equal(d.state.lastTransitionAt, 9000 + mdi, 'takeover = last accepted advert + Master_Down_Interval');
});

t.test('RFC 5798 §6.4.2: priority 0 advert sets the down timer to Skew_Time', async (t) => {
  const d = new FsmDriver(testConfig({ basePriority: 90 }));
  d.ev({ type: 'startup' });
  d.now = 1000;
  d.rx(100);
  d.now = 1500;
  const a = d.rx(0);
  t.same(logs(a), ['(VI_1) Backup received priority 0 advertisement']);
  const skew = skewTimeMs(90, 100, 2);
  t.equal(nextDeadline(d.state), 1500 + skew);
  d.advanceTo(1500 + skew - 0.5);
  t.equal(d.state.state, 'BACKUP');
  d.advanceTo(1500 + skew);
  t.equal(d.state.state, 'MASTER');
});

function master(over: Partial<InstanceConfig> = {}): FsmDriver {
  const d = new FsmDriver(testConfig(over));
  d.ev({ type: 'startup' });
  d.advanceTo(nextDeadline(d.state) ?? 0);
  if (d.state.state !== 'MASTER') throw new Error('not master');
  d.log = [];
  return d;
}

t.test('RFC 5798 §6.4.3: MASTER sends an advert every Advertisement_Interval; second GARP burst after garp_master_delay', async (t) => {
  const d = master();
  const t0 = d.now;
  const a = d.advanceTo(t0 + 5000);
  t.same(types(a), ['send-advert:100', 'send-advert:100', 'send-advert:100', 'send-advert:100', 'send-advert:100', 'announce:5']);
  const r = master({ garp: { ...testConfig().garp, masterRefreshMs: 2000, masterRefreshRepeat: 2, masterDelayMs: 0 } });
  const b = r.advanceTo(r.now + 4000);
  t.same(types(b).filter((x) => x.startsWith('announce')), ['announce:2', 'announce:2'], 'garp_master_refresh');
});

t.test('RFC 5798 §6.4.3: MASTER steps down on higher priority, and on equal priority from a higher address', async (t) => {
  let d = master();
  let a = d.rx(150, '192.0.2.0');
  t.same(logs(a).slice(0, 1), ['(VI_1) Master received advert from 192.0.2.0 with higher priority 150, ours 100']);
  t.same(types(a), ['remove-vips', 'transition:MASTER>BACKUP', 'notify:BACKUP:100']);
  t.equal(nextDeadline(d.state), d.now + masterDownIntervalMs(100, 100, 2));
  t.match(a.find((x) => x.type === 'transition'), { reason: 'advert from 192.0.2.0 with priority 150 (ours 100)' });
  d = master();
  a = d.rx(100, '192.0.2.9');
  t.same(logs(a).slice(0, 1), ['(VI_1) Master received advert from 192.0.2.9 with same priority 100 but higher IP address than ours']);
  t.equal(d.state.state, 'BACKUP');
  d = master({ higherPrioSendAdvert: true });
  t.same(types(d.rx(200)).slice(0, 1), ['send-advert:100'], 'higher_prio_send_advert');
});

t.test('RFC 9568 / keepalived: MASTER answers a lower priority (or equal, lower address) at once', async (t) => {
  let d = master({ garp: { ...testConfig().garp, masterDelayMs: 0 } });
  let a = d.rx(90, '192.0.2.2');
  t.same(logs(a), ['(VI_1) Received advert from 192.0.2.2 with lower priority 90, ours 100, forcing new election']);
  t.same(types(a), ['send-advert:100', 'notify-rx-lower-pri', 'announce:5']);
  t.equal(d.state.state, 'MASTER');
  a = d.rx(100, '192.0.2.0');
  t.same(types(a), ['send-advert:100', 'announce:5'], 'equal priority, lower address');
  t.same(types(d.advanceTo(d.now + 5000)).filter((x) => x.startsWith('announce')), ['announce:5'], 'garp_lower_prio_delay burst');
  d = master({ lowerPrioNoAdvert: true });
  a = d.rx(90);
  t.same(types(a), [], 'lower_prio_no_advert: RFC 5798 silent discard');
});

t.test('RFC 5798 §6.4.3: MASTER receiving priority 0 sends an advert at once', async (t) => {
  const d = master();
  d.now += 300;
  const a = d.rx(0);
  t.same(logs(a), ['(VI_1) Master received priority 0 message']);
  t.same(types(a), ['send-advert:100']);
  t.equal(d.state.adverAt, d.now + 1000, 'Adver_Timer restarted');
});

t.test('RFC 5798 §6.4.3 shutdown: MASTER sends priority 0, removes VIPs, notify STOP', async (t) => {
  const d = master();
  const a = d.ev({ type: 'shutdown' });
  t.same(types(a), ['send-advert:0', 'remove-vips', 'transition:MASTER>INIT', 'notify:STOP:100']);
  t.ok(logs(a).includes('(VI_1) sent 0 priority'));
  t.equal(nextDeadline(d.state), undefined);
  t.same(d.ev({ type: 'tick' }), [], 'stopped: nothing more');
  t.same(d.rx(200), []);
  const b = new FsmDriver(testConfig());
  b.ev({ type: 'startup' });
  t.same(types(b.ev({ type: 'shutdown' })), ['transition:BACKUP>INIT', 'notify:STOP:100'], 'BACKUP stop: no advert');
});

t.test('keepalived FAULT: no adverts, VIPs removed, notify FAULT; recovery to BACKUP', async (t) => {
  const d = master();
  let a = d.ev({ type: 'fault', faulted: true, reason: 'interface eth0 down' });
  t.same(types(a), ['send-advert:0', 'remove-vips', 'transition:MASTER>FAULT', 'notify:FAULT:100']);
  t.match(a.find((x) => x.type === 'transition'), { reason: 'interface eth0 down' });
  t.ok(logs(a).includes('(VI_1) Entering FAULT STATE'));
  t.equal(nextDeadline(d.state), undefined, 'no timers in FAULT');
  t.same(d.rx(50), [], 'adverts ignored in FAULT');
  t.same(d.ev({ type: 'fault', faulted: true, reason: 'again' }), [], 'repeated fault: no-op');
  a = d.ev({ type: 'fault', faulted: false, reason: 'interface eth0 up' });
  t.same(types(a), ['transition:FAULT>BACKUP', 'notify:BACKUP:100']);
  t.equal(nextDeadline(d.state), d.now + masterDownIntervalMs(100, 100, 2));
  // fault before startup → FAULT (init)
  const f = new FsmDriver(testConfig());
  f.ev({ type: 'fault', faulted: true, reason: 'script chk down' });
  a = f.ev({ type: 'startup' });
  t.same(logs(a), ['(VI_1) Entering FAULT STATE (init)']);
  t.same(types(a), ['transition:INIT>FAULT', 'notify:FAULT:100']);
  // the owner recovers straight to MASTER
  const o = master({ basePriority: 255 });
  o.ev({ type: 'fault', faulted: true, reason: 'x' });
  t.equal(o.ev({ type: 'fault', faulted: false, reason: '' }).some((x) => x.type === 'transition' && x.to === 'MASTER'), true);
});

t.test('priority changes: master announces at once; backups use the new priority for skew', async (t) => {
  const d = master();
  d.now += 200;
  const a = d.ev({ type: 'priority', effective: 80 });
  t.same(logs(a), ['(VI_1) Changing effective priority from 100 to 80']);
  t.same(types(a), ['send-advert:80']);
  t.same(d.ev({ type: 'priority', effective: 80 }), [], 'no change, no action');
  const b = new FsmDriver(testConfig());
  b.ev({ type: 'startup' });
  b.ev({ type: 'priority', effective: 300 });
  t.equal(b.state.priority, 254, 'clamped to 254 for a non-owner');
  b.now = 100;
  b.rx(254);
  t.equal(nextDeadline(b.state), 100 + masterDownIntervalMs(254, 100, 2));
  const o = master({ basePriority: 255 });
  t.same(o.ev({ type: 'priority', effective: 200 }), [], 'owner priority never changes');
});

t.test('owner_ignore_adverts / strict: the owner drops every advert (RFC 5798 §7.1 item 6)', async (t) => {
  const d = master({ basePriority: 255, ownerIgnoreAdverts: true });
  const a = d.rx(255, '192.0.2.9');
  t.same(types(a), []);
  t.same(logs(a), ['(VI_1) Dropping packet(s) from 192.0.2.9 since we are address owner']);
  const k = master({ basePriority: 255 });
  t.equal(k.rx(255, '192.0.2.9').some((x) => x.type === 'transition'), true, 'keepalived default: owner processes adverts');
});

t.test('sync-group forces', async (t) => {
  const d = new FsmDriver(testConfig());
  d.ev({ type: 'startup' });
  let a = d.ev({ type: 'force', to: 'MASTER', reason: 'VI_2 became MASTER' });
  t.same(types(a).slice(0, 2), ['send-advert:100', 'transition:BACKUP>MASTER']);
  t.match(a.find((x) => x.type === 'transition'), { reason: 'sync group: VI_2 became MASTER' });
  a = d.ev({ type: 'force', to: 'FAULT' });
  t.equal(d.state.state, 'FAULT');
  t.equal(d.state.faulted, false, 'forced FAULT is not our own fault');
  a = d.ev({ type: 'force', to: 'BACKUP' });
  t.equal(d.state.state, 'BACKUP');
  d.ev({ type: 'fault', faulted: true, reason: 'own' });
  d.ev({ type: 'force', to: 'BACKUP' });
  t.equal(d.state.state, 'FAULT', 'own fault is not cleared by the group');
});

t.test('purity: same inputs give the same outputs and the input state is not mutated', async (t) => {
  const cfg = testConfig();
  const s0 = initialState(cfg);
  const frozen = JSON.stringify(s0);
  const r1 = step(cfg, s0, { type: 'startup' }, 5);
  const r2 = step(cfg, s0, { type: 'startup' }, 5);
  t.same(r1, r2);
  t.equal(JSON.stringify(s0), frozen);
});

t.test('keepalived: two address owners log a CONFIGURATION ERROR; the lower address steps down', async (t) => {
  const d = master({ basePriority: 255 });
  const a = d.rx(255, '192.0.2.9');
  t.ok(logs(a).includes('(VI_1) CONFIGURATION ERROR: local instance and 192.0.2.9 are both configured as address owner, please resolve'));
  t.equal(d.state.state, 'BACKUP', 'equal priority, higher peer address');
});
