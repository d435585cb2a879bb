import t from 'tap';
import {
  initChecker,
  serverHealth,
  stepChecker,
  type CheckTiming,
  type CheckerState,
} from '../../src/check/policy';

const T: CheckTiming = { delayLoopMs: 5000, retry: 2, delayBeforeRetryMs: 1000, warmupMs: 0, alpha: false };

t.test('retry then down: retry+1 consecutive failures, delay_before_retry between them', async (t) => {
  let s: CheckerState = initChecker(T, 0, () => 0);
  t.same(s, { up: true, retryIt: 0, nextAtMs: 0 });
  let r = stepChecker(s, T, false, 0);
  t.same(r.verdict, { kind: 'retry', attempt: 1, retry: 2 });
  t.equal(r.state.nextAtMs, 1000, 'first retry after delay_before_retry');
  t.ok(r.state.up, 'still up during retries');
  s = r.state;
  r = stepChecker(s, T, false, 1000);
  t.same(r.verdict, { kind: 'retry', attempt: 2, retry: 2 });
  t.equal(r.state.nextAtMs, 2000);
  s = r.state;
  r = stepChecker(s, T, false, 2000);
  t.same(r.verdict, { kind: 'failed', transition: true, retries: 2 });
  t.equal(r.state.up, false);
  t.equal(r.state.nextAtMs, 7000, 'after going down, next run is delay_loop later');
  s = r.state;
  r = stepChecker(s, T, false, 7000);
  t.same(r.verdict, { kind: 'failed', transition: false, retries: 2 }, 'no retries while down');
  t.equal(r.state.nextAtMs, 12000);
  r = stepChecker(r.state, T, true, 12000);
  t.same(r.verdict, { kind: 'success', transition: true });
  t.equal(r.state.nextAtMs, 17000);
});

t.test('a success in the middle of retries resets the streak', async (t) => {
  let s = initChecker(T, 0, () => 0);
  s = stepChecker(s, T, false, 0).state;
  s = stepChecker(s, T, false, 1000).state;
  const ok = stepChecker(s, T, true, 2000);
  t.same(ok.verdict, { kind: 'success', transition: false });
  t.equal(ok.state.retryIt, 0);
  const again = stepChecker(ok.state, T, false, 7000);
  t.same(again.verdict, { kind: 'retry', attempt: 1, retry: 2 }, 'full retry budget again');
});

t.test('retry 0: the first failure takes the checker down', async (t) => {
  const t0 = { ...T, retry: 0 };
  const r = stepChecker(initChecker(t0, 0, () => 0), t0, false, 0);
  t.same(r.verdict, { kind: 'failed', transition: true, retries: 0 });
});

t.test('alpha starts down; the first success brings it up', async (t) => {
  const ta = { ...T, alpha: true };
  const s = initChecker(ta, 100, () => 0);
  t.equal(s.up, false);
  const f = stepChecker(s, ta, false, 100);
  t.same(f.verdict, { kind: 'failed', transition: false, retries: 2 }, 'no retries when already down');
  const r = stepChecker(s, ta, true, 100);
  t.same(r.verdict, { kind: 'success', transition: true });
});

t.test('warmup: random initial delay in [0, warmup); 0 disables', async (t) => {
  const tw = { ...T, warmupMs: 10_000 };
  t.equal(initChecker(tw, 1000, () => 0.5).nextAtMs, 6000);
  t.equal(initChecker(tw, 1000, () => 0).nextAtMs, 1000);
  t.equal(initChecker(tw, 1000, () => 0.99999).nextAtMs, 10_999);
  t.equal(initChecker({ ...tw, warmupMs: 0 }, 1000, () => 0.7).nextAtMs, 1000);
});

t.test('dynamic weight is carried on success and dropped on failure', async (t) => {
  const s = initChecker(T, 0, () => 0);
  const a = stepChecker(s, T, true, 0, 7);
  t.equal(a.state.dynamicWeight, 7);
  t.equal(a.weightChanged, true);
  const b = stepChecker(a.state, T, true, 5000, 7);
  t.equal(b.weightChanged, false);
  const down = stepChecker({ ...b.state, retryIt: 2 }, T, false, 10_000);
  t.equal(down.state.dynamicWeight, undefined);
});

t.test('a real server is up only if all its checkers are up', async (t) => {
  t.same(serverHealth([]), { up: true });
  t.same(serverHealth([{ up: true }, { up: true }]), { up: true });
  t.same(serverHealth([{ up: true }, { up: false }]), { up: false });
  t.same(serverHealth([{ up: true, dynamicWeight: 5 }, { up: true, dynamicWeight: 3 }]), { up: true, dynamicWeight: 3 });
  t.same(serverHealth([{ up: false, dynamicWeight: 5 }]), { up: false });
});

