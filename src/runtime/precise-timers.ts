/**
 * Timers exact to the microsecond for the VRRP state machines: one native timerfd (the
 * addon's timerCreate) armed for the earliest of a heap of deadlines. setTimeout counts whole
 * milliseconds from a cached loop time and fires up to ~0.6 ms early; the state machine then
 * finds its deadline not yet reached and re-arms, which lands a millisecond late — visible as
 * takeover latency. Only a backup's Master_Down deadline uses this; everything else keeps
 * setTimeout (cheaper: Node batches timers of equal duration into one libuv timer).
 */
import type { NativeAddon, NativeTimer } from '../net/native';
import type { TimerHandle } from './clock';
import { DeadlineHeap, type HeapEntry } from './deadline-heap';

/** One at() deadline; leaves the heap when it runs or is cancelled. */
interface Entry extends HeapEntry {
  readonly fn: () => void;
}

export class PreciseTimers {
  private readonly heap = new DeadlineHeap<Entry>();
  private readonly timer: NativeTimer;
  private armedAt: number | undefined;

  constructor(
    private readonly addon: NativeAddon,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.timer = addon.timerCreate(() => this.expired());
  }

  /** Run fn once when now() >= atMs. */
  at(atMs: number, fn: () => void): TimerHandle {
    const e: Entry = { at: atMs, seq: 0, index: -1, fn };
    this.heap.set(e, atMs);
    this.rearm();
    // (the timer stays armed: if it was armed for this entry, it wakes, finds nothing due and re-arms)
    return { cancel: () => this.heap.remove(e) };
  }

  close(): void {
    this.addon.timerClose(this.timer);
  }

  private expired(): void {
    this.armedAt = undefined;
    const now = this.now();
    for (let top = this.heap.peek(); top && top.at <= now; top = this.heap.peek()) {
      this.heap.remove(top);
      top.fn();
    }
    this.rearm();
  }

  private rearm(): void {
    const top = this.heap.peek();
    if (!top) {
      if (this.armedAt !== undefined) this.addon.timerDisarm(this.timer);
      this.armedAt = undefined;
      return;
    }
    if (top.at === this.armedAt) return;
    this.armedAt = top.at;
    this.addon.timerArm(this.timer, top.at - this.now());
  }
}
