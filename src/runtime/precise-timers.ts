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

interface Entry {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/** Min-heap on (at, seq): equal deadlines run in the order they were set. */
class DeadlineHeap {
  private readonly a: Entry[] = [];
  get size(): number {
    return this.a.length;
  }
  peek(): Entry | undefined {
    return this.a[0];
  }
  push(e: Entry): void {
    const a = this.a;
    a.push(e);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(e, a[p] as Entry)) break;
      a[i] = a[p] as Entry;
      i = p;
    }
    a[i] = e;
  }
  pop(): Entry | undefined {
    const a = this.a;
    const top = a[0];
    const last = a.pop();
    if (a.length === 0 || last === undefined) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= a.length) break;
      const r = l + 1;
      const c = r < a.length && before(a[r] as Entry, a[l] as Entry) ? r : l;
      if (!before(a[c] as Entry, last)) break;
      a[i] = a[c] as Entry;
      i = c;
    }
    a[i] = last;
    return top;
  }
}

function before(x: Entry, y: Entry): boolean {
  return x.at < y.at || (x.at === y.at && x.seq < y.seq);
}

export class PreciseTimers {
  private readonly heap = new DeadlineHeap();
  private readonly timer: NativeTimer;
  private armedAt: number | undefined;
  private seq = 0;

  constructor(
    private readonly addon: NativeAddon,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.timer = addon.timerCreate(() => this.expired());
  }

  /** Run fn once when now() >= atMs. */
  at(atMs: number, fn: () => void): TimerHandle {
    const e: Entry = { at: atMs, seq: this.seq++, fn, cancelled: false };
    this.heap.push(e);
    this.rearm();
    // Cancelled entries stay in the heap until they reach the top (cheap; bounded by deadlines).
    return { cancel: () => void (e.cancelled = true) };
  }

  close(): void {
    this.addon.timerClose(this.timer);
  }

  private expired(): void {
    this.armedAt = undefined;
    const now = this.now();
    for (let top = this.heap.peek(); top && (top.cancelled || top.at <= now); top = this.heap.peek()) {
      this.heap.pop();
      if (!top.cancelled) top.fn();
    }
    this.rearm();
  }

  private rearm(): void {
    let top = this.heap.peek();
    while (top?.cancelled) {
      this.heap.pop();
      top = this.heap.peek();
    }
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
