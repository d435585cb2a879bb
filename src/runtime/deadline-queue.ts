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
import type { Clock, ClockAtOptions, TimerHandle } from './clock';
import { DeadlineHeap, type HeapEntry } from './deadline-heap';

/** One owner's deadline (at most one pending at a time); reused for every arming. */
export class Deadline implements HeapEntry {
  /** When it is due (ms, clock time); meaningful while queued. */
  at = 0;
  /** Order of setting: equal deadlines run in the order they were set. */
  seq = 0;
  /** Position in its queue's heap; -1 when not queued. */
  index = -1;
  /** The queue holding it (while queued). */
  queue: DeadlineQueue | undefined;
  /**
   * `wakeMs`: the clock time of the wake-up running it (the same for every deadline it runs).
   * `prepare`: run at a lead queue's early wake-up when this deadline is the next due.
   */
  constructor(
    readonly run: (wakeMs: number) => void,
    readonly prepare?: () => void,
  ) {}
}

export class DeadlineQueue {
  private readonly heap = new DeadlineHeap<Deadline>();
  private timer: TimerHandle | undefined;
  private timerAt: number | undefined;
  private firing = false;
  private readonly onTimer = (): void => this.fire();
  private readonly timerOpts: ClockAtOptions | undefined;

  /** `leadMs` (precise queues): wake that much early and prepare the next deadline (PreciseTimers). */
  constructor(
    private readonly clock: Clock,
    precise: boolean,
    leadMs = 0,
  ) {
    if (precise) this.timerOpts = leadMs > 0 ? { precise, leadMs, prepare: () => this.prepareNext() } : { precise };
  }

  get size(): number {
    return this.heap.size;
  }

  /** Queue `d` for `atMs` (moving it if it is already queued here or elsewhere). */
  set(d: Deadline, atMs: number): void {
    if (d.queue !== undefined && d.queue !== this) d.queue.clear(d);
    d.queue = this;
    this.heap.set(d, atMs);
    this.arm();
  }

  /** Unqueue `d` (nothing if it is not queued here). */
  clear(d: Deadline): void {
    if (d.queue !== this || d.index < 0) return;
    this.take(d);
    if (this.heap.size === 0) this.disarm();
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAt = undefined;
    const now = this.clock.now();
    this.firing = true;
    try {
      for (let top = this.heap.peek(); top !== undefined && top.at <= now; top = this.heap.peek()) {
        this.take(top);
        top.run(now);
      }
    } finally {
      this.firing = false;
      this.arm();
    }
  }

  /**
   * The early wake-up of a lead queue: prepare the deadline due at the armed time; if none is
   * (it moved later: a backup's Master_Down on every advert), arm for the new earliest instead
   * of rehearsing a takeover that is not due.
   */
  private prepareNext(): void {
    const top = this.heap.peek();
    if (top !== undefined && this.timerAt !== undefined && top.at <= this.timerAt) return top.prepare?.();
    this.disarm();
    this.arm();
  }

  private arm(): void {
    if (this.firing) return; // fire() arms once, after every due entry has run
    const top = this.heap.peek();
    if (top === undefined) return this.disarm();
    if (this.timerAt !== undefined && this.timerAt <= top.at) return;
    this.timer?.cancel();
    this.timerAt = top.at;
    this.timer = this.timerOpts ? this.clock.at(top.at, this.onTimer, this.timerOpts) : this.clock.at(top.at, this.onTimer);
  }

  private disarm(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.timerAt = undefined;
  }

  private take(d: Deadline): void {
    this.heap.remove(d);
    d.queue = undefined;
  }
}

const shared = new WeakMap<Clock, { coarse: DeadlineQueue; precise: DeadlineQueue }>();

/**
 * How early the precise queue wakes before a deadline (see PreciseTimers): measured on this VM,
 * Node needs ~1.3 ms after a sleep to get from the timerfd's expiry to the state machine.
 */
export const TAKEOVER_LEAD_MS = 2;

/** The queues every VRRP instance on this clock shares. */
export function deadlineQueues(clock: Clock): { coarse: DeadlineQueue; precise: DeadlineQueue } {
  let q = shared.get(clock);
  if (!q) {
    q = { coarse: new DeadlineQueue(clock, false), precise: new DeadlineQueue(clock, true, TAKEOVER_LEAD_MS) };
    shared.set(clock, q);
  }
  return q;
}
