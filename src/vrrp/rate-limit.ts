/**
 * A pure, keyed rate limiter in virtual time: no clock, no timers, no I/O. Callers pass `now`
 * (monotonic ms) and get decisions and "suppressed N" reports back as data.
 *
 * Each key has a fixed window that starts at its first event: the first `perKey` events of a
 * window are allowed, the rest are counted as suppressed. A global budget (`global` events per
 * `windowMs`, all keys together) bounds what many keys can do at once (spoofed adverts can come
 * from any source address), and `maxKeys` bounds the memory: when the table is full, new keys
 * share one overflow key ('*'). When a window that suppressed something has ended, `due()`
 * reports it once (at most one report per key per window, at most maxKeys + 1 reports).
 *
 * Used by the VRRP runtime for replies to lower-priority adverts, lower-priority GARP bursts
 * and the log lines of received adverts (runtime/instance.ts), and for the lines of dropped
 * packets (runtime/vrrp-service.ts).
 */

export interface RateLimitConfig {
  /** Window length (ms). */
  windowMs: number;
  /** Events allowed per key per window. */
  perKey: number;
  /** Events allowed per window over all keys (default: unlimited). */
  global?: number;
  /** Keys tracked at once (default 256); more share the overflow key '*'. */
  maxKeys?: number;
  /** Keep "suppressed N" reports for `due()` (default true); false for limiters nobody reports. */
  reports?: boolean;
}

/** A window that ended with suppressed events. `info`: what the caller attached to its first event. */
export interface SuppressedReport<T> {
  key: string;
  suppressed: number;
  allowed: number;
  windowStartMs: number;
  windowEndMs: number;
  info: T | undefined;
}

interface Slot<T> {
  start: number;
  allowed: number;
  suppressed: number;
  info: T | undefined;
}

export const OVERFLOW_KEY = '*';

export class RateLimiter<T = undefined> {
  /** Insertion order = window start order (a key is re-inserted when its window restarts). */
  private readonly slots = new Map<string, Slot<T>>();
  private globalStart = -Infinity;
  private globalCount = 0;
  private pendingReports: SuppressedReport<T>[] = [];
  readonly maxKeys: number;

  constructor(readonly cfg: RateLimitConfig) {
    if (!(cfg.windowMs > 0) || !(cfg.perKey >= 0)) throw new RangeError('rate limit: windowMs > 0 and perKey >= 0 needed');
    this.maxKeys = Math.max(1, cfg.maxKeys ?? 256);
  }

  /** Count an event for `key` at `now`; true when it may go ahead. */
  take(key: string, now: number, info?: T): boolean {
    const slot = this.slotFor(key, now, info);
    if (now >= this.globalStart + this.cfg.windowMs) {
      this.globalStart = now;
      this.globalCount = 0;
    }
    const globalOk = this.cfg.global === undefined || this.globalCount < this.cfg.global;
    if (slot.allowed < this.cfg.perKey && globalOk) {
      slot.allowed++;
      this.globalCount++;
      return true;
    }
    slot.suppressed++;
    return false;
  }

  /** Windows that have ended with something suppressed, each reported once; idle keys are forgotten. */
  due(now: number): SuppressedReport<T>[] {
    for (const [key, s] of this.slots) {
      if (now < s.start + this.cfg.windowMs) break; // ordered by start: the rest are younger
      this.slots.delete(key);
      this.ended(key, s);
    }
    const out = this.pendingReports;
    this.pendingReports = [];
    return out;
  }

  /** When `due()` next has something to report (undefined: nothing suppressed is pending). */
  nextDueAt(): number | undefined {
    if (this.pendingReports.length > 0) return -Infinity;
    if (this.cfg.reports === false) return undefined;
    for (const s of this.slots.values()) if (s.suppressed > 0) return s.start + this.cfg.windowMs;
    return undefined;
  }

  /** Keys tracked now (for tests and bounds). */
  get size(): number {
    return this.slots.size;
  }

  /** An ended window: queued for `due()` when it suppressed something (the queue stays ≤ maxKeys + 1). */
  private ended(key: string, s: Slot<T>): void {
    if (s.suppressed === 0 || this.cfg.reports === false) return;
    if (this.pendingReports.length > this.maxKeys) {
      const last = this.pendingReports[this.pendingReports.length - 1] as SuppressedReport<T>;
      last.suppressed += s.suppressed;
      last.allowed += s.allowed;
      last.key = OVERFLOW_KEY;
      return;
    }
    this.pendingReports.push(this.report(key, s));
  }

  private report(key: string, s: Slot<T>): SuppressedReport<T> {
    return { key, suppressed: s.suppressed, allowed: s.allowed, windowStartMs: s.start, windowEndMs: s.start + this.cfg.windowMs, info: s.info };
  }

  private slotFor(key: string, now: number, info: T | undefined): Slot<T> {
    const cur = this.slots.get(key);
    if (cur && now < cur.start + this.cfg.windowMs) return cur;
    if (cur) {
      // The key's window ended: report it (if it suppressed anything) and start a new one at the back.
      this.slots.delete(key);
      this.ended(key, cur);
    }
    if (this.slots.size >= this.maxKeys) this.expire(now);
    let k = key;
    if (this.slots.size >= this.maxKeys && key !== OVERFLOW_KEY) {
      k = OVERFLOW_KEY;
      const o = this.slots.get(k);
      if (o && now < o.start + this.cfg.windowMs) return o;
      if (o) {
        this.slots.delete(k);
        this.ended(k, o);
      }
      // Full of live keys: the overflow slot replaces the oldest one (reported if it suppressed).
      if (this.slots.size >= this.maxKeys) this.evictOldest();
    }
    const s: Slot<T> = { start: now, allowed: 0, suppressed: 0, info };
    this.slots.set(k, s);
    return s;
  }

  private expire(now: number): void {
    for (const [key, s] of this.slots) {
      if (now < s.start + this.cfg.windowMs) break;
      this.slots.delete(key);
      this.ended(key, s);
    }
  }

  private evictOldest(): void {
    const first = this.slots.entries().next();
    if (first.done) return;
    const [key, s] = first.value;
    this.slots.delete(key);
    this.ended(key, s);
  }
}
