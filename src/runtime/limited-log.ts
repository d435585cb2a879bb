/**
 * Log lines through the pure RateLimiter (src/vrrp/rate-limit.ts): per key, the first line of a
 * window is written and the rest are counted; when a window that suppressed lines has ended, one
 * "suppressed N" line follows (one timer, armed only while something is suppressed). Used for
 * the lines of dropped packets (vrrp-service) and of received adverts (instance), so hostile
 * traffic cannot grow the log faster than (keys × 2) lines per window.
 */
import type { Clock, TimerHandle } from './clock';
import { RateLimiter, type RateLimitConfig } from '../vrrp/rate-limit';

export type LineWriter = (text: string) => void;

/** keepalived-style: one line per kind per 10 s (RFC 9568 §7.1 asks bad-packet logging to be rate-limited). */
export const LOG_WINDOW_MS = 10_000;

export class LimitedLog {
  private readonly limiter: RateLimiter<{ text: string; write: LineWriter }>;
  private timer: TimerHandle | undefined;
  private timerAt: number | undefined;
  /** Lines suppressed in total (for stats and tests). */
  suppressedTotal = 0;

  constructor(
    private readonly clock: Clock,
    cfg: Partial<RateLimitConfig> = {},
  ) {
    this.limiter = new RateLimiter({ windowMs: LOG_WINDOW_MS, perKey: 1, global: 32, maxKeys: 64, ...cfg });
  }

  /** Write `text` with `write` unless `key` has used its window; true when written. */
  line(key: string, text: string, write: LineWriter): boolean {
    const now = this.clock.now();
    if (this.limiter.take(key, now, { text, write })) {
      write(text);
      return true;
    }
    this.suppressedTotal++;
    this.arm();
    return false;
  }

  /** Flush the reports that are due now (the timer does this; tests may call it). */
  flush(): void {
    const now = this.clock.now();
    for (const r of this.limiter.due(now)) {
      const first = r.info?.text ?? r.key;
      // "(VI_1) text" → "(VI_1) suppressed N …: text", so the line still starts with its instance.
      const m = /^(\([^)]*\) )?([\s\S]*)$/.exec(first);
      const secs = Math.round((now - r.windowStartMs) / 100) / 10;
      const what = r.key === '*' ? 'log lines (many kinds/sources)' : 'similar log lines';
      r.info?.write(`${m?.[1] ?? ''}suppressed ${r.suppressed} ${what} in the last ${secs} s, first: ${m?.[2] ?? first}`);
    }
    this.arm();
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.timerAt = undefined;
  }

  private arm(): void {
    const at = this.limiter.nextDueAt();
    if (at === undefined) return this.stop();
    const when = Math.max(at, this.clock.now());
    if (this.timer && this.timerAt !== undefined && this.timerAt <= when) return;
    this.stop();
    this.timerAt = when;
    this.timer = this.clock.at(when, () => {
      this.timer = undefined;
      this.timerAt = undefined;
      this.flush();
    });
  }
}
