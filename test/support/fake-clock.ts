import type { Clock, TimerHandle } from '../../src/runtime/clock';

/** Virtual time: timers fire only when the test advances the clock, in deadline order. */
export class FakeClock implements Clock {
  private t: number;
  private seq = 0;
  private timers = new Map<number, { at: number; fn: () => void }>();
  constructor(startMs = 1000, private readonly wallBase = 1_700_000_000_000) {
    this.t = startMs;
  }
  now(): number {
    return this.t;
  }
  wallNow(): number {
    return this.wallBase + this.t;
  }
  at(atMs: number, fn: () => void): TimerHandle {
    const id = ++this.seq;
    this.timers.set(id, { at: atMs, fn });
    return { cancel: () => void this.timers.delete(id) };
  }
  after(delayMs: number, fn: () => void): TimerHandle {
    return this.at(this.t + Math.max(0, delayMs), fn);
  }
  pending(): number {
    return this.timers.size;
  }
  /** Advance to `now + ms`, firing every timer due on the way (including ones they create). */
  advance(ms: number): void {
    this.advanceTo(this.t + ms);
  }
  advanceTo(target: number): void {
    for (;;) {
      let nextId = -1;
      let next: { at: number; fn: () => void } | undefined;
      for (const [id, tm] of this.timers) {
        if (tm.at <= target && (next === undefined || tm.at < next.at || (tm.at === next.at && id < nextId))) {
          next = tm;
          nextId = id;
        }
      }
      if (next === undefined) break;
      this.timers.delete(nextId);
      if (next.at > this.t) this.t = next.at;
      next.fn();
    }
    if (target > this.t) this.t = target;
  }
}
