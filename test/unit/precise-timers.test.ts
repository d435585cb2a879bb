import t from 'tap';
import type { NativeAddon, NativeTimer } from '../../src/net/native';
import { MAX_LEAD_MS, PreciseTimers } from '../../src/runtime/precise-timers';

/** The addon's timer, simulated: records arm/disarm, lets the test fire it. */
function fakeAddon() {
  let cb: (() => void) | undefined;
  const arms: number[] = [];
  let disarms = 0;
  const addon = {
    timerCreate: (f: () => void) => ((cb = f), {} as NativeTimer),
    timerArm: (_t: NativeTimer, ms: number) => void arms.push(ms),
    timerDisarm: () => void disarms++,
    timerClose: () => undefined,
  } as unknown as NativeAddon;
  return { addon, arms, fire: () => cb?.(), disarms: () => disarms };
}

t.test('deadlines run in order, once, never before they are due', async (t) => {
  let now = 0;
  const f = fakeAddon();
  const p = new PreciseTimers(f.addon, () => now);
  const ran: string[] = [];
  p.at(30, () => ran.push('c'));
  p.at(10, () => ran.push('a'));
  p.at(10, () => ran.push('a2'));
  const b = p.at(20, () => ran.push('b'));
  t.same(f.arms, [30, 10], 'armed for the earliest deadline, re-armed only when it moves earlier');
  now = 9.999;
  f.fire(); // a spurious or early expiry runs nothing
  t.same(ran, []);
  t.equal(f.arms.at(-1), 10 - 9.999, 're-armed for the remainder');
  now = 10;
  f.fire();
  t.same(ran, ['a', 'a2'], 'equal deadlines in the order they were set');
  b.cancel();
  t.equal(f.arms.at(-1), 20 - 10, 'armed (relative delay) for the next deadline; a cancelled one drops when it surfaces');
  now = 25;
  f.fire();
  t.same(ran, ['a', 'a2'], 'a cancelled deadline never runs');
  t.equal(f.arms.at(-1), 5, 'then the next live one is armed');
  now = 31;
  f.fire();
  t.same(ran, ['a', 'a2', 'c']);
  t.equal(f.disarms(), 0);
  const d = p.at(40, () => ran.push('d'));
  d.cancel();
  p.at(50, () => ran.push('e')); // push + rearm drops the cancelled top
  t.equal(f.arms.at(-1), 19);
  now = 50;
  f.fire();
  t.same(ran, ['a', 'a2', 'c', 'e']);
});

t.test('a callback may set new deadlines, including ones already due', async (t) => {
  let now = 0;
  const f = fakeAddon();
  const p = new PreciseTimers(f.addon, () => now);
  const ran: number[] = [];
  p.at(5, () => {
    ran.push(1);
    p.at(5, () => ran.push(2));
    p.at(8, () => ran.push(3));
  });
  now = 5;
  f.fire();
  t.same(ran, [1, 2], 'a deadline set for "now" runs in the same expiry');
  t.equal(f.arms.at(-1), 3);
});

t.test('a lead wakes early, prepares once, then wakes again at the deadline itself', async (t) => {
  let now = 0;
  const f = fakeAddon();
  const p = new PreciseTimers(f.addon, () => now);
  const log: string[] = [];
  p.at(100, () => log.push(`ran@${now}`), { leadMs: 2, prepare: () => log.push(`prepared@${now}`) });
  t.same(f.arms, [98], 'armed lead ms before the deadline');
  now = 50;
  f.fire(); // a spurious wake-up before the lead: nothing, re-armed for the lead
  t.same(log, []);
  t.equal(f.arms.at(-1), 48);
  now = 98.25;
  f.fire();
  t.same(log, ['prepared@98.25'], 'prepare at the early wake-up, nothing run');
  t.equal(f.arms.at(-1), 1.75, 're-armed for the deadline itself');
  now = 99;
  f.fire();
  t.same(log, ['prepared@98.25'], 'a spurious wake-up after prepare neither prepares again nor runs');
  t.equal(f.arms.at(-1), 1);
  now = 100;
  f.fire();
  t.same(log, ['prepared@98.25', 'ran@100'], 'the deadline at its time');
  p.at(200, () => log.push('late'), { leadMs: 2, prepare: () => log.push('p2') });
  now = 201;
  f.fire();
  t.same(log.slice(2), ['late'], 'woken after the deadline (a busy loop): runs at once, nothing to prepare');
});

t.test('a lead is clamped to MAX_LEAD_MS; a deadline cancelled by its own prepare never runs', async (t) => {
  let now = 0;
  const f = fakeAddon();
  const p = new PreciseTimers(f.addon, () => now);
  p.at(100, () => undefined, { leadMs: 1e9 });
  t.equal(f.arms.at(-1), 100 - MAX_LEAD_MS);
  const ran: string[] = [];
  const p2 = new PreciseTimers(f.addon, () => now);
  const h = p2.at(10, () => ran.push('x'), { leadMs: 2, prepare: () => h.cancel() });
  p2.at(20, () => ran.push('y'));
  now = 8.5;
  f.fire();
  t.same(ran, [], 'cancelled at its prepare: never runs');
  t.equal(f.arms.at(-1), 11.5, 'the next deadline armed instead');
  now = 20;
  f.fire();
  t.same(ran, ['y']);
});
