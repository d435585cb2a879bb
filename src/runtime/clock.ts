/**
 * The one place the runtime reads time. Everything else receives `now` (ms, monotonic)
 * from a Clock so tests can drive the daemon in virtual time (FakeClock in test/support).
 */
export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Monotonic milliseconds (fractional allowed). Never wall-clock. */
  now(): number;
  /** Run `fn` once when now() >= atMs. */
  at(atMs: number, fn: () => void): TimerHandle;
  /** Run `fn` once after `delayMs`. */
  after(delayMs: number, fn: () => void): TimerHandle;
  /** Wall-clock epoch ms, only for log lines and dump files. */
  wallNow(): number;
}

export class SystemClock implements Clock {
  now(): number {
    return performance.now();
  }
  wallNow(): number {
    return Date.now();
  }
  at(atMs: number, fn: () => void): TimerHandle {
    return this.after(atMs - this.now(), fn);
  }
  after(delayMs: number, fn: () => void): TimerHandle {
    const h = setTimeout(fn, Math.max(0, delayMs));
    return { cancel: () => clearTimeout(h) };
  }
}
