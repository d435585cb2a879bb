/**
 * The per-checker state machine, pure: a function of (state, probe outcome, now).
 * keepalived copies this retry logic into every checker; here it exists once.
 *
 *  - A checker starts up, or down with `alpha`.
 *  - The first run is delayed by a random time in [0, warmup) (injected RNG; warmup 0 =
 *    run at once), so thousands of checkers do not fire in the same millisecond.
 *  - Success: the checker is up; the next run is `delay_loop` later.
 *  - Failure while up: up to `retry` further attempts, each `delay_before_retry` after the
 *    previous one; the checker goes down only when the attempt after the last retry fails
 *    too (so `retry` + 1 consecutive failures). Retries delay removing a server, never
 *    adding one, so a failure while already down just waits `delay_loop`.
 *  - A real server is up only if ALL its checkers are up.
 */

import type { CheckerType } from '../config/model';

/** The checker keywords (TCP_CHECK, HTTP_GET, ...), as the config model names them. */
export type CheckerKind = CheckerType;

export interface CheckTiming {
  delayLoopMs: number;
  /** Retries after a first failure before the checker is declared down. */
  retry: number;
  delayBeforeRetryMs: number;
  /** Upper bound of the random initial delay; 0 starts at once. */
  warmupMs: number;
  /** Start down (keepalived `alpha`). */
  alpha: boolean;
}

export interface CheckerState {
  readonly up: boolean;
  /** Failures already retried in the current streak (0..retry). */
  readonly retryIt: number;
  /** When the next probe should start (ms, same clock as `now`). */
  readonly nextAtMs: number;
  /** Weight reported by misc_dynamic / FILE_CHECK dynamic, if any. */
  readonly dynamicWeight?: number;
}

export type Verdict =
  /** The probe succeeded; `transition` when the checker just went down → up. */
  | { kind: 'success'; transition: boolean }
  /** Failed while up; attempt `attempt` of `retry` retries comes next. */
  | { kind: 'retry'; attempt: number; retry: number }
  /** Failed for good; `transition` when the checker just went up → down. */
  | { kind: 'failed'; transition: boolean; retries: number };

export interface StepResult {
  state: CheckerState;
  verdict: Verdict;
  /** The dynamic weight changed on this step (only meaningful while up). */
  weightChanged: boolean;
}

/** `random` returns a number in [0, 1) (Math.random in production, a fixed sequence in tests). */
export function initChecker(t: CheckTiming, now: number, random: () => number): CheckerState {
  const delay = t.warmupMs > 0 ? Math.floor(random() * t.warmupMs) : 0;
  return { up: !t.alpha, retryIt: 0, nextAtMs: now + delay };
}

export function stepChecker(
  s: CheckerState,
  t: CheckTiming,
  success: boolean,
  now: number,
  dynamicWeight?: number,
): StepResult {
  if (success) {
    const state: CheckerState =
      dynamicWeight === undefined
        ? { up: true, retryIt: 0, nextAtMs: now + t.delayLoopMs }
        : { up: true, retryIt: 0, nextAtMs: now + t.delayLoopMs, dynamicWeight };
    return {
      state,
      verdict: { kind: 'success', transition: !s.up },
      weightChanged: dynamicWeight !== s.dynamicWeight,
    };
  }
  if (s.up && s.retryIt < t.retry) {
    const attempt = s.retryIt + 1;
    return {
      state: { ...s, retryIt: attempt, nextAtMs: now + t.delayBeforeRetryMs },
      verdict: { kind: 'retry', attempt, retry: t.retry },
      weightChanged: false,
    };
  }
  return {
    state: { up: false, retryIt: 0, nextAtMs: now + t.delayLoopMs },
    verdict: { kind: 'failed', transition: s.up, retries: t.retry },
    weightChanged: s.dynamicWeight !== undefined,
  };
}

/** Restart the schedule after a pause (ha_suspend): keep the verdict, run at `now`. */
export function resumeChecker(s: CheckerState, now: number): CheckerState {
  return { ...s, retryIt: 0, nextAtMs: now };
}

export interface ServerHealth {
  up: boolean;
  /** Lowest dynamic weight reported by an up checker (misc_dynamic, FILE_CHECK dynamic). */
  dynamicWeight?: number;
}

/** A real server is up only if every one of its checkers is up (none = always up). */
export function serverHealth(checkers: ReadonlyArray<Pick<CheckerState, 'up' | 'dynamicWeight'>>): ServerHealth {
  let up = true;
  let w: number | undefined;
  for (const c of checkers) {
    if (!c.up) up = false;
    else if (c.dynamicWeight !== undefined) w = w === undefined ? c.dynamicWeight : Math.min(w, c.dynamicWeight);
  }
  return up && w !== undefined ? { up, dynamicWeight: w } : { up };
}

export function sameHealth(a: ServerHealth, b: ServerHealth): boolean {
  return a.up === b.up && a.dynamicWeight === b.dynamicWeight;
}
