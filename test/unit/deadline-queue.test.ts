import t from 'tap';
import { FakeClock } from '../support/fake-clock';
import type { Clock, ClockAtOptions, TimerHandle } from '../../src/runtime/clock';
import { Deadline, DeadlineQueue, deadlineQueues } from '../../src/runtime/deadline-queue';

/** A FakeClock that records every timer armed on it (time and precise flag). */
function recording(): { clock: FakeClock; arms: Array<{ at: number; precise: boolean }> } {
  const clock = new FakeClock(0);
  const arms: Array<{ at: number; precise: boolean }> = [];
  const at = clock.at.bind(clock);
  clock.at = (atMs: number, fn: () => void, opts?: { precise?: boolean }): TimerHandle => {
    arms.push({ at: atMs, precise: opts?.precise === true });
    return at(atMs, fn);
  };
  return { clock, arms };
}

t.test('many deadlines, one clock timer; each runs once, in deadline order, never early', async (t) => {
  const { clock, arms } = recording();
  const q = new DeadlineQueue(clock, false);
  const ran: Array<[string, number]> = [];
  const mk = (name: string): Deadline => new Deadline(() => ran.push([name, clock.now()]));
  const a = mk('a');
  const b = mk('b');
  const c = mk('c');
  q.set(c, 300);
  q.set(a, 100);
  q.set(b, 200);
  t.equal(clock.pending(), 1, 'one timer for three deadlines');
  t.same(arms.map((x) => x.at), [300, 100], 'armed for the earliest; re-armed only when one moved earlier');
  clock.advanceTo(99.9);
  t.same(ran, []);
  clock.advanceTo(1000);
  t.same(ran, [['a', 100], ['b', 200], ['c', 300]]);
  t.equal(q.size, 0);
  t.equal(clock.pending(), 0, 'no timer left once the queue is empty');
});

t.test('equal deadlines run in the order they were set; a moved one counts as set anew', async (t) => {
  const { clock } = recording();
  const q = new DeadlineQueue(clock, false);
  const ran: string[] = [];
  const ds = ['a', 'b', 'c', 'd'].map((n) => new Deadline(() => ran.push(n)));
  for (const d of ds) q.set(d, 50);
  q.set(ds[1] as Deadline, 50); // b again: now after d
  clock.advanceTo(50);
  t.same(ran, ['a', 'c', 'd', 'b']);
});

t.test('a deadline moved later costs no re-arm; the early timer finds nothing due and arms for the real one', async (t) => {
  const { clock, arms } = recording();
  const q = new DeadlineQueue(clock, true);
  const ran: number[] = [];
  const d = new Deadline(() => ran.push(clock.now()));
  q.set(d, 3600);
  // a backup hears an advert every second: its Master_Down deadline moves later each time
  for (let s = 1; s <= 3; s++) {
    clock.advanceTo(s * 1000);
    q.set(d, s * 1000 + 3600);
  }
  t.same(arms, [{ at: 3600, precise: true }], 'still the first timer: nothing re-armed per advert');
  clock.advanceTo(3600);
  t.same(ran, [], 'the early timer runs nothing');
  t.same(arms.map((x) => x.at), [3600, 6600], 'it arms for the deadline now earliest');
  clock.advanceTo(6599.999);
  t.same(ran, []);
  clock.advanceTo(6600);
  t.same(ran, [6600], 'runs exactly at its deadline');
});

t.test('cleared deadlines never run; moving a deadline between queues; clearing twice is harmless', async (t) => {
  const { clock } = recording();
  const { coarse, precise } = deadlineQueues(clock);
  t.equal(deadlineQueues(clock).coarse, coarse, 'the queues are shared per clock');
  const ran: string[] = [];
  const a = new Deadline(() => ran.push('a'));
  const b = new Deadline(() => ran.push('b'));
  coarse.set(a, 10);
  coarse.set(b, 20);
  coarse.clear(a);
  coarse.clear(a);
  precise.clear(b); // not queued there: nothing happens
  t.equal(coarse.size, 1);
  precise.set(b, 30); // moves b out of the coarse queue
  t.equal(coarse.size, 0);
  t.equal(b.queue, precise);
  t.equal(clock.pending(), 1, 'the emptied queue dropped its timer');
  clock.advanceTo(100);
  t.same(ran, ['b']);
  t.equal(b.queue, undefined);
  t.equal(b.index, -1);
});

t.test('a running deadline may set deadlines, including ones already due; the heap stays ordered', async (t) => {
  const { clock } = recording();
  const q = new DeadlineQueue(clock, false);
  const ran: Array<[string, number]> = [];
  const later = new Deadline(() => ran.push(['later', clock.now()]));
  const now = new Deadline(() => ran.push(['now', clock.now()]));
  const first = new Deadline(() => {
    ran.push(['first', clock.now()]);
    q.set(now, 5);
    q.set(later, 15);
  });
  q.set(first, 10);
  clock.advanceTo(20);
  t.same(ran, [['first', 10], ['now', 10], ['later', 15]]);
  // a shuffled load: the heap pops in (deadline, set order) order
  let seed = 7;
  const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const out: number[] = [];
  const ds = Array.from({ length: 200 }, (_, i) => new Deadline(() => out.push(i)));
  const at = new Map<number, number>();
  for (let k = 0; k < 600; k++) {
    const i = Math.floor(rnd() * ds.length);
    if (rnd() < 0.2) {
      q.clear(ds[i] as Deadline);
      at.delete(i);
    } else {
      const when = 100 + Math.floor(rnd() * 50);
      q.set(ds[i] as Deadline, when);
      at.delete(i);
      at.set(i, when); // re-insert: Map order = set order
    }
  }
  const expected = [...at.entries()].map(([i, w], order) => ({ i, w, order })).sort((x, y) => x.w - y.w || x.order - y.order).map((x) => x.i);
  clock.advanceTo(1000);
  t.same(out, expected);
});

t.test('with a clock whose timer fires early, nothing runs before its deadline', async (t) => {
  // setTimeout counts from a cached loop time and may fire up to ~1 ms early
  let now = 0;
  const fired: Array<() => void> = [];
  const clock: Clock = {
    now: () => now,
    wallNow: () => now,
    at: (_at, fn) => (fired.push(fn), { cancel: () => undefined }),
    after: (_ms, fn) => (fired.push(fn), { cancel: () => undefined }),
  };
  const q = new DeadlineQueue(clock, false);
  const ran: number[] = [];
  q.set(new Deadline(() => ran.push(now)), 1000);
  now = 999.4;
  fired.shift()?.();
  t.same(ran, [], 'early: nothing runs');
  t.equal(fired.length, 1, 'and the timer is armed again');
  now = 1000.2;
  fired.shift()?.();
  t.same(ran, [1000.2]);
});

t.test('a lead queue prepares the deadline due at its wake-up; one that moved later is re-armed, not waited for', async (t) => {
  const clock = new FakeClock(0);
  const timers: Array<{ at: number; fn: () => void; opts?: ClockAtOptions }> = [];
  const at = clock.at.bind(clock);
  clock.at = (atMs: number, fn: () => void, opts?: ClockAtOptions): TimerHandle => {
    timers.push({ at: atMs, fn, ...(opts ? { opts } : {}) });
    return at(atMs, fn);
  };
  const q = new DeadlineQueue(clock, true, 2);
  const log: string[] = [];
  const d = new Deadline(() => log.push('run'), () => log.push('prepare'));
  q.set(d, 100);
  const first = timers.at(-1);
  t.same([first?.at, first?.opts?.precise, first?.opts?.leadMs], [100, true, 2], 'a precise clock timer with the lead');
  first?.opts?.prepare?.();
  t.same(log, ['prepare'], "the early wake-up prepares the deadline it was armed for");
  q.set(d, 1100); // an advert moved Master_Down later: the armed timer stays (no re-arm per advert)
  t.equal(timers.length, 1);
  first?.opts?.prepare?.();
  t.same(log, ['prepare'], 'nothing prepared for a deadline that is not due then');
  t.equal(timers.at(-1)?.at, 1100, 're-armed for the real deadline');
  clock.advanceTo(1100);
  t.same(log, ['prepare', 'run']);
});
