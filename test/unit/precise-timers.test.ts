import t from 'tap';
import type { NativeAddon, NativeTimer } from '../../src/net/native';
import { PreciseTimers } from '../../src/runtime/precise-timers';

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
