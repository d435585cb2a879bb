/**
 * The one place the runtime reads time. Everything else receives `now` (ms, monotonic)
 * from a Clock so tests can drive the daemon in virtual time (FakeClock in test/support).
 */
import { loadNative } from '../net/native';
import { PreciseTimers, type PreciseOptions } from './precise-timers';

export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Monotonic milliseconds (fractional allowed). Never wall-clock. */
  now(): number;
  /**
   * Run `fn` once when now() >= atMs. `precise` asks for sub-millisecond accuracy (the VRRP
   * state machines' timers), with an optional early wake-up (PreciseOptions); other timers may
   * be up to a millisecond off either way.
   */
  at(atMs: number, fn: () => void, opts?: ClockAtOptions): TimerHandle;
  /** Run `fn` once after `delayMs`. */
  after(delayMs: number, fn: () => void): TimerHandle;
  /** Wall-clock epoch ms, only for log lines and dump files. */
  wallNow(): number;
}

export interface ClockAtOptions extends PreciseOptions {
  precise?: boolean;
}

export class SystemClock implements Clock {
  private precise: PreciseTimers | null | undefined;

  /** `precise`: the timer source for precise deadlines (default: the addon's, made on first use). */
  constructor(opts: { precise?: PreciseTimers | null } = {}) {
    this.precise = opts.precise;
  }

  now(): number {
    return performance.now();
  }
  wallNow(): number {
    return Date.now();
  }
  at(atMs: number, fn: () => void, opts?: ClockAtOptions): TimerHandle {
    if (opts?.precise) {
      const p = this.preciseTimers();
      if (p) return p.at(atMs, fn, opts);
    }
    return this.after(atMs - this.now(), fn);
  }
  after(delayMs: number, fn: () => void): TimerHandle {
    const h = setTimeout(fn, Math.max(0, delayMs));
    return { cancel: () => clearTimeout(h) };
  }

  /** Without the addon (never in the daemon) precise timers fall back to setTimeout. */
  private preciseTimers(): PreciseTimers | null {
    if (this.precise === undefined) {
      try {
        this.precise = new PreciseTimers(loadNative());
      } catch {
        this.precise = null;
      }
    }
    return this.precise;
  }
}
