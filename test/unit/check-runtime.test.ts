import t from 'tap';
import type { CheckerSpec, ServerSpec } from '../../src/check/build';
import type { CheckTiming, CheckerState } from '../../src/check/policy';
import { fail, ok, type ProbeResult } from '../../src/check/result';
import { CheckerRuntime, type HealthEvent } from '../../src/runtime/checkers';
import { FakeClock } from '../support/fake-clock';

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Earliest armed timer (FakeClock keeps them in a private map). */
function nextDeadline(clock: FakeClock): number | undefined {
  const timers = (clock as unknown as { timers: Map<number, { at: number }> }).timers;
  let min: number | undefined;
  for (const tm of timers.values()) if (min === undefined || tm.at < min) min = tm.at;
  return min;
}

/**
 * Advance virtual time timer by timer, letting probe promises settle at each deadline, so
 * an instant probe completes at the very time it started (zero-latency probes).
 */
async function run(clock: FakeClock, ms: number): Promise<void> {
  const end = clock.now() + ms;
  for (;;) {
    await flush();
    const next = nextDeadline(clock);
    if (next === undefined || next > end) break;
    clock.advanceTo(Math.max(next, clock.now()));
  }
  clock.advanceTo(end);
  await flush();
}

interface Scripted {
  spec: CheckerSpec;
  calls: number[];
  results: boolean[];
}

function scripted(clock: FakeClock, timing: CheckTiming, results: boolean[], kind: CheckerSpec['kind'] = 'TCP_CHECK'): Scripted {
  const s: Scripted = {
    calls: [],
    results,
    spec: {
      kind,
      service: '[192.0.2.11]:tcp:80',
      vsLabel: '[192.0.2.100]:tcp:80',
      timing,
      logAllFailures: false,
      probe: async (): Promise<ProbeResult> => {
        s.calls.push(clock.now());
        const next = s.results.length > 1 ? s.results.shift() : s.results[0];
        return next ? ok() : fail('refused', 'ECONNREFUSED');
      },
    },
  };
  return s;
}

function harness(servers: ServerSpec[], clock: FakeClock, carry?: ReadonlyMap<string, CheckerState>) {
  const lines: string[] = [];
  const events: Array<HealthEvent & { at: number }> = [];
  const rt = new CheckerRuntime(servers, {
    clock,
    random: () => 0,
    ...(carry ? { carry } : {}),
    log: { info: (l) => lines.push(l), warn: (l) => lines.push(l), debug: () => undefined },
  });
  rt.on('health', (e) => events.push({ ...e, at: clock.now() }));
  return { rt, lines, events };
}

const T: CheckTiming = { delayLoopMs: 5000, retry: 2, delayBeforeRetryMs: 1000, warmupMs: 0, alpha: false };

t.test('retry and delay_before_retry timings exactly, and keepalived log lines', async (t) => {
  const clock = new FakeClock(0);
  const c = scripted(clock, T, [true, false, false, false, false, true]);
  const h = harness([{ vsKey: 'vs', rsKey: 'rs', checkers: [c.spec] }], clock);
  h.rt.start();
  t.same(h.events, [{ vsKey: 'vs', rsKey: 'rs', up: true, at: 0 }], 'initial health emitted at start');
  await run(clock, 20_000);
  h.rt.stop();
  // success at 0, fail 5000, retry 6000, retry 7000 → down, 12000 fail (down), 17000 success
  t.same(c.calls, [0, 5000, 6000, 7000, 12000, 17000]);
  t.same(
    h.events.map((e) => [e.at, e.up]),
    [[0, true], [7000, false], [17000, true]],
  );
  t.ok(h.lines.includes('Activating healthchecker for service [192.0.2.11]:tcp:80 for VS [192.0.2.100]:tcp:80'));
  t.ok(h.lines.includes('TCP connection to [192.0.2.11]:tcp:80 failed.'));
  t.ok(h.lines.includes('TCP_CHECK on service [192.0.2.11]:tcp:80 failed after 2 retries.'));
  t.ok(h.lines.includes('TCP connection to [192.0.2.11]:tcp:80 success.'));
  t.equal(h.lines.filter((l) => l.includes('failed after')).length, 1, 'final failure logged once');
});

t.test('alpha: server starts down and comes up on the first success', async (t) => {
  const clock = new FakeClock(0);
  const c = scripted(clock, { ...T, alpha: true }, [true]);
  const h = harness([{ vsKey: 'vs', rsKey: 'rs', checkers: [c.spec] }], clock);
  h.rt.start();
  await run(clock, 100);
  h.rt.stop();
  t.same(h.events.map((e) => [e.at, e.up]), [[0, false], [0, true]]);
});

t.test('warmup spreads the first run with the injected RNG', async (t) => {
  const clock = new FakeClock(0);
  const c = scripted(clock, { ...T, warmupMs: 4000 }, [true]);
  const rt = new CheckerRuntime([{ vsKey: 'vs', rsKey: 'rs', checkers: [c.spec] }], { clock, random: () => 0.25 });
  rt.start();
  await run(clock, 999 - 9);
  t.same(c.calls, [], 'not before the warmup delay');
  await run(clock, 20);
  t.same(c.calls, [1000]);
  rt.stop();
});

t.test('server is up only while all its checkers are up', async (t) => {
  const clock = new FakeClock(0);
  const t0 = { ...T, retry: 0 };
  const a = scripted(clock, t0, [true]);
  const b = scripted(clock, t0, [true, false, true]);
  const h = harness([{ vsKey: 'vs', rsKey: 'rs', checkers: [a.spec, b.spec] }], clock);
  h.rt.start();
  await run(clock, 12_000);
  h.rt.stop();
  t.same(h.events.map((e) => [e.at, e.up]), [[0, true], [5000, false], [10000, true]]);
});

t.test('misc_dynamic weight is reported in health events', async (t) => {
  const clock = new FakeClock(0);
  let w = 5;
  const spec: CheckerSpec = {
    kind: 'MISC_CHECK',
    service: '[192.0.2.11]:tcp:80',
    vsLabel: 'vs',
    script: '/bin/check',
    timing: { ...T, retry: 0 },
    logAllFailures: false,
    probe: async () => ok('exited with status 7', w),
  };
  const h = harness([{ vsKey: 'vs', rsKey: 'rs', checkers: [spec] }], clock);
  h.rt.start();
  await run(clock, 100);
  w = 9;
  await run(clock, 5000);
  h.rt.stop();
  t.same(h.events.map((e) => [e.at, e.up, e.dynamicWeight]), [[0, true, undefined], [0, true, 5], [5000, true, 9]]);
});

t.test('pause stops probing (ha_suspend), resume probes at once', async (t) => {
  const clock = new FakeClock(0);
  const c = scripted(clock, T, [true]);
  const h = harness([{ vsKey: 'vs', rsKey: 'rs', checkers: [c.spec] }], clock);
  h.rt.start();
  await run(clock, 100);
  h.rt.pause(['rs']);
  await run(clock, 20_000);
  t.same(c.calls, [0], 'no probes while paused');
  h.rt.resume(['vs']);
  await run(clock, 100);
  t.same(c.calls, [0, 20_100]);
  h.rt.stop();
  await run(clock, 20_000);
  t.equal(c.calls.length, 2, 'nothing after stop');
  t.equal(clock.pending(), 0, 'no timers left');
});

t.test('a probe that throws counts as a failure, never crashes the runtime', async (t) => {
  const clock = new FakeClock(0);
  const spec: CheckerSpec = {
    kind: 'TCP_CHECK',
    service: '[192.0.2.11]:tcp:80',
    vsLabel: 'vs',
    timing: { ...T, retry: 0 },
    logAllFailures: false,
    probe: async () => {
      throw new Error('boom');
    },
  };
  const h = harness([{ vsKey: 'vs', rsKey: 'rs', checkers: [spec] }], clock);
  h.rt.start();
  await run(clock, 100);
  h.rt.stop();
  t.same(h.events.map((e) => e.up), [true, false]);
});

t.test('reload: the same checker keeps its state (a failed real server stays out), a changed one starts afresh', async (t) => {
  const clock = new FakeClock(0);
  const dead = scripted(clock, { ...T, retry: 0 }, [false]);
  const h = harness([{ vsKey: 'vs', rsKey: 'rs', checkers: [dead.spec] }], clock);
  h.rt.start();
  await run(clock, 1);
  t.same(h.events.map((e) => e.up), [true, false], 'up at start (keepalived: alive until checked), down after the first failed check');
  const carry = h.rt.carriedStates();
  h.rt.stop();

  // the same checker after a reload: starts down, emits down, no up in between
  const again = scripted(clock, { ...T, retry: 0 }, [false]);
  const h2 = harness([{ vsKey: 'vs', rsKey: 'rs', checkers: [again.spec] }], clock, carry);
  h2.rt.start();
  t.same(h2.events.map((e) => e.up), [false], 'reloaded: the failed real server is reported down at once, never up');
  await run(clock, 1);
  t.same(h2.events.map((e) => e.up), [false], 'and stays down while its check still fails');

  // a checker on another port is another checker: fresh state (up until checked)
  const moved = scripted(clock, { ...T, retry: 0 }, [false]);
  moved.spec.service = '[192.0.2.11]:tcp:81';
  const h3 = new CheckerRuntime([{ vsKey: 'vs', rsKey: 'rs', checkers: [moved.spec] }], { clock, random: () => 0, carry });
  const ups: boolean[] = [];
  h3.on('health', (e: HealthEvent) => ups.push(e.up));
  h3.start();
  t.same(ups, [true], 'a changed checker starts as at start-up');
  h3.stop();
  h2.rt.stop();
});
