/**
 * Timers exact to the microsecond for the VRRP state machines: one native timerfd (the
 * addon's timerCreate) armed for the earliest of a heap of deadlines. setTimeout counts whole
 * milliseconds from a cached loop time and fires up to ~0.6 ms early; the state machine then
 * finds its deadline not yet reached and re-arms, which lands a millisecond late — visible as
 * takeover latency. Only a backup's Master_Down deadline uses this; everything else keeps
 * setTimeout (cheaper: Node batches timers of equal duration into one libuv timer).
 *
 * A deadline may ask for a lead (`leadMs`): the timer wakes that much before it, runs its
 * `prepare`, and is armed again for the deadline itself. Measured on this VM (perf trace, a
 * 648 ms timerfd in an idle process): the kernel returns from epoll_wait ~0.1 ms after the
 * expiry, as for a C program, but Node then needs ~0.8 ms more to reach the timer's read() and
 * ~0.5 ms to reach the state machine: after a long sleep every page it touches misses the TLB
 * and the caches (a C loop touching 40 MB: 0.3-1.2 ms after a 648 ms sleep, 0.1 ms hot, and
 * still 0.08-0.2 ms after a further 1.5 ms sleep). keepalived's small C working set pays
 * ~0.2 ms. Woken early, that cost falls before the deadline, and the short second sleep keeps
 * it warm. (Spinning until the deadline instead was worse: V8 compiling the spin loop on the
 * stack stalled it 1-2.7 ms past the deadline in 2 of 3 takeovers.)
 */
import type { NativeAddon, NativeTimer } from '../net/native';
import type { TimerHandle } from './clock';
import { DeadlineHeap, type HeapEntry } from './deadline-heap';

/** The longest lead a deadline may ask for. */
export const MAX_LEAD_MS = 5;

export interface PreciseOptions {
  /** Wake this long before the deadline (0..MAX_LEAD_MS) and run `prepare`, then wake at the deadline. */
  leadMs?: number;
  /** Run once, at the early wake-up (only with leadMs): warm what the deadline will touch. */
  prepare?: () => void;
}

/** One at() deadline; leaves the heap when it runs or is cancelled. */
interface Entry extends HeapEntry {
  readonly fn: () => void;
  readonly leadMs: number;
  readonly prepare: (() => void) | undefined;
  prepared: boolean;
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
  at(atMs: number, fn: () => void, opts: PreciseOptions = {}): TimerHandle {
    const leadMs = Math.min(MAX_LEAD_MS, Math.max(0, opts.leadMs ?? 0));
    const e: Entry = { at: atMs, seq: 0, index: -1, fn, leadMs, prepare: opts.prepare, prepared: false };
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
    for (let top = this.heap.peek(); top; top = this.heap.peek()) {
      const now = this.now();
      if (top.at > now) {
        // not due: before its lead, or already prepared (a spurious wake-up) → re-arm
        if (top.prepared || top.at - top.leadMs > now) break;
        top.prepared = true;
        top.prepare?.();
        continue; // (prepare may have moved or cancelled it; else re-armed for the deadline)
      }
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
    const wakeAt = top.prepared ? top.at : top.at - top.leadMs;
    if (wakeAt === this.armedAt) return;
    this.armedAt = wakeAt;
    this.addon.timerArm(this.timer, wakeAt - this.now());
  }
}
