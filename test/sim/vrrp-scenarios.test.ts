import t from 'tap';
import { SimLan, type SimRouter } from '../support/sim-lan';
import { testConfig } from '../support/vrrp-cfg';
import { masterDownIntervalMs } from '../../src/vrrp/timers';
import type { InstanceConfig } from '../../src/vrrp/types';

const ip = (n: number) => `192.0.2.${n}`;

function router(lan: SimLan, n: number, over: Partial<InstanceConfig> = {}): SimRouter {
  return lan.add(testConfig({ primaryAddress: ip(n), ...over }));
}

/** Routers .1 and .2 on a new LAN, started together and run for 10 s (converged). */
function convergedPair(o1: Partial<InstanceConfig>, o2: Partial<InstanceConfig>): { lan: SimLan; r1: SimRouter; r2: SimRouter } {
  const lan = new SimLan();
  const r1 = router(lan, 1, o1);
  const r2 = router(lan, 2, o2);
  r1.start();
  r2.start();
  lan.run(10_000);
  return { lan, r1, r2 };
}

/** When did `r` last send an advert at or before `at`? */
function lastSent(lan: SimLan, r: SimRouter, at = Infinity): number {
  const s = lan.sent.filter((x) => x.router === r.name && x.at <= at);
  const last = s[s.length - 1];
  if (!last) throw new Error(`${r.name} never sent`);
  return last.at;
}

function becameMasterAt(lan: SimLan, r: SimRouter, after = -1): number | undefined {
  return lan.transitions.find((x) => x.router === r.name && x.to === 'MASTER' && x.at > after)?.at;
}

/** Sample the LAN every `stepMs` and return the largest number of simultaneous masters seen. */
function maxMasters(lan: SimLan, durationMs: number, stepMs = 10): { max: number; min: number } {
  let max = 0;
  let min = Infinity;
  const end = lan.clock.now() + durationMs;
  while (lan.clock.now() < end) {
    lan.run(stepMs);
    const n = lan.masters().length;
    max = Math.max(max, n);
    min = Math.min(min, n);
  }
  return { max, min };
}

for (const version of [2, 3] as const) {
  t.test(`v${version}: master dies → backup takes over exactly at Master_Down_Interval (RFC §6.4.2)`, async (t) => {
    const lan = new SimLan();
    // v3: the master advertises 50 cs while the backup is configured with 100 cs: it must learn 50.
    const adv1 = version === 3 ? 50 : 100;
    const r1 = router(lan, 1, { version, basePriority: 200, advertIntCs: adv1 });
    const r2 = router(lan, 2, { version, basePriority: 100 });
    r1.start();
    r2.start();
    lan.run(10_000);
    t.same(lan.masters(), [r1], 'higher priority is master');
    t.equal(r2.state.masterAdverIntCs, adv1, 'backup uses Master_Adver_Interval');
    t.equal(lan.drops.length, 0, 'no advert dropped');
    const crashAt = lan.clock.now() + 123;
    lan.runTo(crashAt);
    r1.crash();
    const last = lastSent(lan, r1);
    lan.run(20_000);
    // literal expectations (not the module's own formula): 3*100cs + (256-100)/256 s = 3609.375 ms (v2);
    // v3 with the learned 50 cs: 3*500 + 156*500/256 = 1804.6875 ms
    const mdi = version === 2 ? 3609.375 : 1804.6875;
    t.equal(masterDownIntervalMs(100, adv1, version), mdi);
    t.equal(becameMasterAt(lan, r2), last + mdi, `takeover at last advert + ${mdi} ms`);
    t.same(lan.masters(), [r2]);
    t.ok(r2.vipsHeld);
  });
}

t.test('v3 IPv6 (link-local sources, ff02::12, pseudo-header): master dies → takeover at Master_Down_Interval', async (t) => {
  const lan = new SimLan();
  const v6 = { version: 3 as const, family: 'inet6' as const, vips: ['fe80::100', '2001:db8::100'] };
  const r1 = lan.add(testConfig({ ...v6, primaryAddress: 'fe80::1', basePriority: 150 }));
  const r2 = lan.add(testConfig({ ...v6, primaryAddress: 'fe80::2', basePriority: 100 }));
  r1.start();
  r2.start();
  lan.run(8000);
  t.same(lan.masters(), [r1]);
  t.equal(lan.drops.length, 0);
  r1.crash();
  const last = lastSent(lan, r1);
  lan.run(10_000);
  t.equal(becameMasterAt(lan, r2), last + 3609.375);
});

t.test('priority-0 shutdown → takeover at Skew_Time (RFC 5798 §6.4.2)', async (t) => {
  for (const version of [2, 3] as const) {
    const { lan, r1, r2 } = convergedPair({ version, basePriority: 200 }, { version, basePriority: 90 });
    lan.run(400);
    const stopAt = lan.clock.now();
    r1.stop();
    t.equal(lan.sent[lan.sent.length - 1]?.priority, 0, 'priority 0 sent');
    lan.run(5000);
    // (256-90)/256 s = 648.4375 ms for both versions at 100 cs
    t.equal(becameMasterAt(lan, r2), stopAt + 648.4375, `v${version}: Skew_Time after the priority-0 advert`);
  }
});

t.test('partition then heal → exactly one master within one advert interval', async (t) => {
  const lan = new SimLan();
  const rs = [router(lan, 1, { basePriority: 150 }), router(lan, 2, { basePriority: 120 }), router(lan, 3, { basePriority: 100 })];
  rs.forEach((r) => r.start());
  lan.run(10_000);
  t.equal(lan.masters().length, 1);
  lan.partition([rs[0]!], [rs[1]!, rs[2]!]);
  lan.run(10_000);
  t.equal(lan.masters().length, 2, 'split brain while partitioned (each side elects)');
  lan.run(333); // heal between adverts
  lan.heal();
  const healAt = lan.clock.now();
  lan.run(1000);
  t.same(lan.masters(), [rs[0]!], 'one master (highest priority) one interval after healing');
  const back = lan.transitions.find((x) => x.at >= healAt && x.to === 'BACKUP');
  t.ok(back && back.at <= healAt + 1000, 'the extra master stepped down within one advert interval');
  t.same(maxMasters(lan, 30_000), { max: 1, min: 1 }, 'stable afterwards');
});

t.test('equal priorities → the highest address wins and nobody flaps (RFC 5798 §6.4.3 tie-break)', async (t) => {
  const lan = new SimLan();
  const rs = [router(lan, 10), router(lan, 9), router(lan, 200)];
  rs.forEach((r) => r.start());
  lan.run(10_000);
  t.same(lan.masters(), [rs[2]!], '192.0.2.200 > .10 > .9 numerically');
  const before = lan.transitions.length;
  t.same(maxMasters(lan, 120_000), { max: 1, min: 1 });
  t.equal(lan.transitions.length, before, 'no transitions over two minutes');
  // staggered starts with equal priority: the first one up stays master (backups accept equal priority)
  const lan2 = new SimLan();
  const a = router(lan2, 1);
  const b = router(lan2, 2);
  a.start();
  lan2.run(5000);
  b.start();
  lan2.run(60_000);
  t.same(lan2.masters(), [a], 'equal priority does not preempt even from a higher address');
  t.equal(lan2.transitions.filter((x) => x.to === 'MASTER').length, 1);
});

t.test('flapping priority: exactly one master at every instant after convergence', async (t) => {
  const { lan, r1, r2 } = convergedPair({ basePriority: 150 }, { basePriority: 100 });
  let expect = r1;
  for (let i = 0; i < 8; i++) {
    const low = i % 2 === 0;
    r1.setPriority(low ? 50 : 150);
    const seen = maxMasters(lan, 10_000, 5);
    t.same(seen, { max: 1, min: 1 }, `phase ${i}: never zero or two masters`);
    expect = low ? r2 : r1;
    t.same(lan.masters(), [expect], `phase ${i}: ${expect.name} is master`);
  }
  // handover timing: r2 takes over Master_Down_Interval after r1's last accepted (150) advert
  t.ok(lan.transitions.filter((x) => x.to === 'MASTER').length >= 9);
});

t.test('restart of a higher-priority node preempts after a full Master_Down_Interval', async (t) => {
  const { lan, r1, r2 } = convergedPair({ basePriority: 200 }, { basePriority: 100 });
  r1.crash();
  lan.run(10_000);
  t.same(lan.masters(), [r2]);
  const restart = lan.clock.now() + 77;
  lan.runTo(restart);
  r1.start();
  lan.run(10_000);
  // 3 s + (256-200)/256 s = 3218.75 ms
  t.equal(becameMasterAt(lan, r1, restart), restart + 3218.75, 'lab-measured keepalived behaviour');
  t.same(lan.masters(), [r1]);
  t.equal(r2.role, 'BACKUP');
});

t.test('nopreempt keeps the lower-priority master after the higher one restarts', async (t) => {
  const { lan, r1, r2 } = convergedPair({ basePriority: 200, preempt: false }, { basePriority: 100, preempt: false });
  r1.crash();
  lan.run(10_000);
  r1.start();
  t.same(maxMasters(lan, 60_000), { max: 1, min: 1 });
  t.same(lan.masters(), [r2]);
});

t.test('loss: two lost adverts are tolerated, Master_Down_Interval of silence is not (RFC §6.1)', async (t) => {
  const { lan, r1, r2 } = convergedPair({ basePriority: 200 }, { basePriority: 100 });
  let toDrop = 2;
  lan.filter = (from) => from === r1 && toDrop-- > 0;
  lan.run(10_000);
  t.same(lan.masters(), [r1], 'two consecutive losses: no takeover');
  toDrop = 4;
  lan.run(10_000);
  t.equal(lan.transitions.filter((x) => x.router === r2.name && x.to === 'MASTER').length, 1, 'four losses: backup took over');
  lan.filter = undefined;
  lan.run(5000);
  t.same(lan.masters(), [r1], 'and the higher priority took it back at its next advert');
});

t.test('random 20% loss and 30 ms delay: converges to one master and stays mostly stable', async (t) => {
  const lan = new SimLan({ lossRate: 0.2, delayMs: 30, seed: 42 });
  const rs = [router(lan, 1, { basePriority: 150 }), router(lan, 2, { basePriority: 120 }), router(lan, 3, { basePriority: 100 })];
  rs.forEach((r) => r.start());
  lan.run(20_000);
  lan.lossRate = 0;
  lan.run(5000);
  t.same(lan.masters(), [rs[0]!]);
  t.same(maxMasters(lan, 30_000), { max: 1, min: 1 });
});

t.test('v2 PASS authentication: mismatched password is dropped and both become master', async (t) => {
  const lan = new SimLan();
  const r1 = lan.add(testConfig({ primaryAddress: ip(1), basePriority: 200 }), { type: 'PASS', password: 'right' });
  const r2 = lan.add(testConfig({ primaryAddress: ip(2), basePriority: 100 }), { type: 'PASS', password: 'wrong' });
  r1.start();
  r2.start();
  lan.run(10_000);
  t.equal(lan.masters().length, 2);
  t.ok(lan.drops.some((d) => d.reason === 'auth_failure'));
});
