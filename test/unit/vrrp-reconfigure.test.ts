/**
 * The FSM's `reconfigure` event (SIGHUP applied in place), in virtual time: a master keeps its
 * role and advertises the new values, a backup follows RFC 5798 preemption with its new
 * priority, interval changes re-arm the timers, manual standby survives.
 */
import t from 'tap';
import { nextDeadline } from '../../src/vrrp/fsm';
import { masterDownIntervalMs } from '../../src/vrrp/timers';
import type { Action, InstanceConfig } from '../../src/vrrp/types';
import { FsmDriver, testConfig } from '../support/vrrp-cfg';

const types = (as: Action[]) =>
  as.filter((a) => a.type !== 'log').map((a) =>
    a.type === 'send-advert' ? `send-advert:${a.priority}`
      : a.type === 'notify' ? `notify:${a.state}`
        : a.type === 'transition' ? `transition:${a.from}>${a.to}`
          : a.type === 'announce' ? `announce:${a.count}${a.only ? `:${a.only.join(',')}` : ''}`
            : a.type);
const logs = (as: Action[]) => as.flatMap((a) => (a.type === 'log' ? [a.text] : []));

function master(over: Partial<InstanceConfig> = {}): FsmDriver {
  const d = new FsmDriver(testConfig({ basePriority: 254, ...over }));
  d.ev({ type: 'startup' });
  d.advanceTo(nextDeadline(d.state) as number);
  d.advanceTo(d.now + 6000); // past the second GARP burst
  return d;
}

function backupOf(masterPrio: number, over: Partial<InstanceConfig> = {}): FsmDriver {
  const d = new FsmDriver(testConfig(over));
  d.ev({ type: 'startup' });
  d.rx(masterPrio);
  return d;
}

/** Advert send times (ms) and priorities over [from, to], with the master's deadlines run. */
function adverts(d: FsmDriver, to: number): Array<{ t: number; p: number }> {
  const out: Array<{ t: number; p: number }> = [];
  for (let at = nextDeadline(d.state); at !== undefined && at <= to; at = nextDeadline(d.state)) {
    d.now = Math.max(d.now, at);
    for (const a of d.ev({ type: 'tick' })) if (a.type === 'send-advert') out.push({ t: d.now, p: a.priority });
  }
  return out;
}

t.test('RFC 5798 §6.4.3: a master whose priority changes keeps MASTER and advertises the new value at once', async (t) => {
  const d = master();
  t.equal(d.state.state, 'MASTER');
  const reloadAt = d.now;
  const a = d.reconfigure({ basePriority: 240 });
  t.same(types(a), ['send-advert:240'], 'one advert with the new priority; no priority 0, no VIP removal, no notify');
  t.ok(logs(a).includes('(VI_1) Changing effective priority from 254 to 240'), "keepalived's log line");
  t.equal(d.state.state, 'MASTER');
  t.equal(d.state.masterPriority, 240);
  const next = adverts(d, reloadAt + 3500);
  t.same(next.map((x) => x.p), [240, 240, 240], 'keeps advertising 240 every advert_int');
  t.same(next.map((x) => x.t - reloadAt), [1000, 2000, 3000], 'Adver_Timer re-armed from the reload');
});

t.test('reconfigure with an unchanged config does nothing', async (t) => {
  const d = master();
  const adverAt = d.state.adverAt;
  t.same(d.reconfigure({}), [], 'no action');
  t.equal(d.state.adverAt, adverAt, 'timers untouched');
});

t.test('a master given a VIP list change installs the delta and announces only the added VIPs', async (t) => {
  const d = master({ vips: ['192.0.2.100', '192.0.2.101'] });
  const a = d.reconfigure({ vips: ['192.0.2.100', '192.0.2.102'] });
  t.same(types(a), ['sync-vips', 'announce:5:192.0.2.102', 'send-advert:254'], 'delta, GARP for the new VIP only (garp_master_repeat), advert with the new list');
  t.equal(d.state.state, 'MASTER');
  const b = d.advanceTo(d.now + 10_000);
  t.notOk(types(b).some((x) => x.startsWith('announce')), 'no further GARP burst (the master delay burst is long past)');
});

t.test('RFC 5798 §6.4.3: advert_int change on a master re-arms the Adver_Timer with the new interval', async (t) => {
  const d = master({ version: 3 });
  const start = d.now;
  const a = d.reconfigure({ advertIntCs: 50 });
  t.same(types(a), ['send-advert:254'], 'an advert with the new Max Adver Int at once');
  t.equal(d.state.masterAdverIntCs, 50);
  const next = adverts(d, start + 2000);
  t.same(next.map((x) => x.t - start), [500, 1000, 1500, 2000], 'every 500 ms from now on');
});

t.test('RFC 5798 §6.4.2: a backup whose new priority exceeds the master\'s preempts via the down timer (preempt on)', async (t) => {
  const d = backupOf(150);
  t.equal(d.state.state, 'BACKUP');
  const a = d.reconfigure({ basePriority: 200 });
  t.same(types(a), [], 'no immediate transition');
  t.equal(d.state.priority, 200);
  d.now += 1000;
  const r = d.rx(150);
  t.ok(logs(r).some((l) => /received lower priority \(150\)/.test(l)), 'the master\'s next (lower) advert is discarded');
  const took = adverts(d, d.now + 4000);
  t.equal(d.state.state, 'MASTER', 'Master_Down_Timer expires: takes over');
  t.equal(took[0]?.p, 200, 'advertising the new priority');
  t.ok((took[0]?.t ?? Infinity) <= masterDownIntervalMs(100, 100, 2), 'within one Master_Down_Interval of the last accepted advert');
});

t.test('RFC 5798 §6.4.2: with nopreempt (Preempt_Mode False) a backup with a higher new priority stays BACKUP', async (t) => {
  const d = backupOf(150, { preempt: false });
  d.reconfigure({ basePriority: 200 });
  for (let i = 0; i < 10; i++) {
    d.now += 1000;
    d.rx(150);
    d.advanceTo(d.now);
  }
  t.equal(d.state.state, 'BACKUP');
  t.equal(d.state.priority, 200);
});

t.test('keepalived preempt_delay added on reload: a backup waits the delay before preempting', async (t) => {
  const d = backupOf(150);
  d.reconfigure({ basePriority: 200, preemptDelayMs: 5000 });
  const t0 = d.now;
  let became: number | undefined;
  for (let i = 1; i <= 10 && became === undefined; i++) {
    const at = t0 + i * 1000;
    const acts = d.advanceTo(at);
    if (types(acts).includes('transition:BACKUP>MASTER')) became = d.now;
    else d.rx(150);
  }
  t.ok(became !== undefined && became - t0 >= 5000, `took over after the delay (${became !== undefined ? became - t0 : 'never'} ms)`);
});

t.test('RFC 3768 §6.1 (v2): advert_int change on a backup re-arms Master_Down_Timer with the new interval', async (t) => {
  const d = backupOf(150);
  d.now = 200;
  d.reconfigure({ advertIntCs: 300 });
  t.equal(d.state.masterAdverIntCs, 300);
  t.equal(d.state.masterDownAt, 200 + masterDownIntervalMs(100, 300, 2), 'now + 3 × 3 s + Skew_Time');
});

t.test('RFC 5798 §6.4.2 (v3): a backup keeps the Master_Adver_Interval it learned from the master', async (t) => {
  const d = new FsmDriver(testConfig({ version: 3 }));
  d.ev({ type: 'startup' });
  d.rx(150, '192.0.2.2', { version: 3, advertIntCs: 200 });
  t.equal(d.state.masterAdverIntCs, 200);
  const down = d.state.masterDownAt;
  d.reconfigure({ advertIntCs: 50 });
  t.equal(d.state.masterAdverIntCs, 200, 'learned interval kept');
  t.equal(d.state.masterDownAt, down, 'down timer untouched');
});

t.test('a backup that becomes the address owner on reload goes MASTER (RFC 5798 §6.4.1)', async (t) => {
  const d = backupOf(150);
  const a = d.reconfigure({ basePriority: 255 });
  t.ok(types(a).includes('transition:BACKUP>MASTER'));
  t.ok(types(a).includes('send-advert:255'));
});

t.test('manual standby survives a reload: a standby backup arms no down timer, a handing-over master stays quiet', async (t) => {
  const b = backupOf(150);
  b.ev({ type: 'standby', on: true });
  b.reconfigure({ basePriority: 200, advertIntCs: 50 });
  t.equal(b.state.standby, true);
  t.equal(b.state.masterDownAt, undefined, 'no down timer');
  t.same(types(b.advanceTo(b.now + 60_000)), [], 'never takes over');
  const m = master();
  m.ev({ type: 'standby', on: true });
  const a = m.reconfigure({ basePriority: 240 });
  t.same(types(a), [], 'no advert while handing over');
  t.equal(m.state.standby, true);
  t.ok(m.state.handoverUntil !== undefined, 'still waiting for a taker');
});

t.test('FAULT and stopped instances only record the new values', async (t) => {
  const d = master();
  d.ev({ type: 'fault', faulted: true, reason: 'eth0 down' });
  t.equal(d.state.state, 'FAULT');
  t.same(types(d.reconfigure({ basePriority: 200, vips: ['192.0.2.9'] })), []);
  t.equal(d.state.priority, 200);
  const s = master();
  s.ev({ type: 'shutdown' });
  t.same(s.reconfigure({ basePriority: 180 }), []);
  t.equal(s.state.priority, 180);
});

t.test('effective priority = new base + tracker weights, clamped (owner stays 255)', async (t) => {
  const d = master({ basePriority: 200 });
  const a = d.reconfigure({ basePriority: 250 }, 260);
  t.same(types(a), ['send-advert:254'], 'clamped to 254');
  const o = master({ basePriority: 255 });
  t.same(types(o.reconfigure({}, 200)), [], 'owner keeps 255');
  t.equal(o.state.priority, 255);
});

t.test('garp_master_refresh enabled on reload is armed; disabled is cleared', async (t) => {
  const d = master();
  d.reconfigure({ garp: { ...d.cfg.garp, masterRefreshMs: 2000, masterRefreshRepeat: 2 } });
  t.equal(d.state.garpRefreshAt, d.now + 2000);
  const b = d.advanceTo(d.now + 2000);
  t.ok(types(b).includes('announce:2'), 'refresh burst');
  d.reconfigure({ garp: { ...d.cfg.garp, masterRefreshMs: 0 } });
  t.equal(d.state.garpRefreshAt, undefined);
});
