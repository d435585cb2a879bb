/**
 * Many deadlines, one timer: the VRRP instances' Adver/Master_Down deadlines share a min-heap
 * per clock and timer kind (precise or not), and the heap keeps one clock timer armed for its
 * earliest entry. Each instance owns one Deadline for its whole life and moves it (an index in
 * the heap, no allocation), instead of a timer object, a handle and two closures per advert.
 * When the clock timer fires, every entry due runs, in (deadline, order set) order, each told
 * the time of that wake-up.
 *
 * The clock timer is re-armed only when a deadline moves EARLIER than it: a backup's
 * Master_Down deadline moves later on every advert, and re-arming a timer for that (a timerfd
 * syscall, a heap entry) was the cost of each received advert. A timer left armed before the
 * earliest deadline fires, finds nothing due and arms for the real one, so nothing ever runs
 * early and nothing runs late.
 */
import type { Clock, TimerHandle } from './clock';

/** One owner's deadline (at most one pending at a time); reused for every arming. */
export class Deadline {
  /** When it is due (ms, clock time); meaningful while queued. */
  at = 0;
  /** Order of setting: equal deadlines run in the order they were set. */
  seq = 0;
  /** Position in its queue's heap; -1 when not queued. */
  index = -1;
  /** The queue holding it (while queued). */
  queue: DeadlineQueue | undefined;
  /** `wakeMs`: the clock time of the wake-up running it (the same for every deadline it runs). */
  constructor(readonly run: (wakeMs: number) => void) {}
}

const PRECISE = { precise: true } as const;

export class DeadlineQueue {
  private readonly heap: Deadline[] = [];
  private seq = 0;
  private timer: TimerHandle | undefined;
  private timerAt: number | undefined;
  private firing = false;
  private readonly onTimer = (): void => this.fire();

  constructor(
    private readonly clock: Clock,
    private readonly precise: boolean,
  ) {}

  get size(): number {
    return this.heap.length;
  }

  /** Queue `d` for `atMs` (moving it if it is already queued here or elsewhere). */
  set(d: Deadline, atMs: number): void {
    if (d.queue !== undefined && d.queue !== this) d.queue.clear(d);
    d.seq = this.seq++;
    if (d.index < 0) {
      d.at = atMs;
      d.queue = this;
      d.index = this.heap.length;
      this.heap.push(d);
      this.up(d.index);
    } else {
      const earlier = atMs < d.at;
      d.at = atMs;
      if (earlier) this.up(d.index);
      else this.down(d.index);
    }
    this.arm();
  }

  /** Unqueue `d` (nothing if it is not queued here). */
  clear(d: Deadline): void {
    if (d.queue !== this || d.index < 0) return;
    this.removeAt(d.index);
    if (this.heap.length === 0) this.disarm();
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAt = undefined;
    const now = this.clock.now();
    this.firing = true;
    try {
      for (let top = this.heap[0]; top !== undefined && top.at <= now; top = this.heap[0]) {
        this.removeAt(0);
        top.run(now);
      }
    } finally {
      this.firing = false;
      this.arm();
    }
  }

  private arm(): void {
    if (this.firing) return; // fire() arms once, after every due entry has run
    const top = this.heap[0];
    if (top === undefined) return this.disarm();
    if (this.timerAt !== undefined && this.timerAt <= top.at) return;
    this.timer?.cancel();
    this.timerAt = top.at;
    this.timer = this.precise ? this.clock.at(top.at, this.onTimer, PRECISE) : this.clock.at(top.at, this.onTimer);
  }

  private disarm(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.timerAt = undefined;
  }

  // ---- binary min-heap on (at, seq), each entry knowing its index ----------------------

  private removeAt(i: number): void {
    const h = this.heap;
    const d = h[i] as Deadline;
    const last = h.pop() as Deadline;
    d.index = -1;
    d.queue = undefined;
    if (last === d) return;
    h[i] = last;
    last.index = i;
    this.up(i);
    this.down(last.index);
  }

  private up(i: number): void {
    const h = this.heap;
    const d = h[i] as Deadline;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = h[p] as Deadline;
      if (!before(d, parent)) break;
      h[i] = parent;
      parent.index = i;
      i = p;
    }
    h[i] = d;
    d.index = i;
  }

  private down(i: number): void {
    const h = this.heap;
    const n = h.length;
    const d = h[i] as Deadline;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && before(h[r] as Deadline, h[l] as Deadline) ? r : l;
      const child = h[c] as Deadline;
      if (!before(child, d)) break;
      h[i] = child;
      child.index = i;
      i = c;
    }
    h[i] = d;
    d.index = i;
  }
}

function before(x: Deadline, y: Deadline): boolean {
  return x.at < y.at || (x.at === y.at && x.seq < y.seq);
}

const shared = new WeakMap<Clock, { coarse: DeadlineQueue; precise: DeadlineQueue }>();

/** The queues every VRRP instance on this clock shares. */
export function deadlineQueues(clock: Clock): { coarse: DeadlineQueue; precise: DeadlineQueue } {
  let q = shared.get(clock);
  if (!q) {
    q = { coarse: new DeadlineQueue(clock, false), precise: new DeadlineQueue(clock, true) };
    shared.set(clock, q);
  }
  return q;
}
