/**
 * Rise/fall debouncing shared by vrrp_script trackers and checkers (keepalived-features.md,
 * "vrrp_script ... Counter model"). A counter `result` lives in 0..rise+fall-1 and the
 * tracker is OK while result >= rise:
 *  - a success climbs one step; the step that reaches `rise` flips to OK and the counter
 *    then jumps to the top (rise+fall-1), so exactly `fall` failures are needed to leave OK;
 *  - a failure descends one step; the step that goes below `rise` flips to KO and the counter
 *    jumps to 0, so exactly `rise` successes are needed to come back.
 * The first result ever seen applies at once (keepalived's initial run), whatever rise/fall.
 * `init_fail` only decides the state before that first result: 'down' instead of 'init'.
 */

export type TrackState = 'init' | 'up' | 'down';

export interface RiseFallParams {
  rise: number;
  fall: number;
  initFail?: boolean;
}

export interface RiseFallState {
  readonly result: number;
  readonly state: TrackState;
  /** False until the first result has been applied. */
  readonly seen: boolean;
}

export interface RiseFallStep {
  state: RiseFallState;
  /** The up/down state flipped on this result (including init → up/down). */
  changed: boolean;
}

function top(p: RiseFallParams): number {
  return Math.max(1, p.rise) + Math.max(1, p.fall) - 1;
}

export function initRiseFall(p: RiseFallParams): RiseFallState {
  return p.initFail ? { result: 0, state: 'down', seen: false } : { result: 0, state: 'init', seen: false };
}

export function applyResult(s: RiseFallState, p: RiseFallParams, success: boolean): RiseFallStep {
  const rise = Math.max(1, p.rise);
  if (!s.seen) {
    const state: TrackState = success ? 'up' : 'down';
    return { state: { result: success ? top(p) : 0, state, seen: true }, changed: state !== s.state };
  }
  if (success) {
    if (s.result < rise - 1) return { state: { ...s, result: s.result + 1 }, changed: false };
    const changed = s.state !== 'up';
    return { state: { result: top(p), state: 'up', seen: true }, changed };
  }
  if (s.result > rise) return { state: { ...s, result: s.result - 1 }, changed: false };
  const changed = s.state !== 'down';
  return { state: { result: 0, state: 'down', seen: true }, changed };
}
