import t from 'tap';
import { applyResult, initRiseFall, type RiseFallParams, type RiseFallState } from '../../src/track/rise-fall';

function run(p: RiseFallParams, results: boolean[]): { states: string[]; changes: boolean[]; last: RiseFallState } {
  let s = initRiseFall(p);
  const states: string[] = [];
  const changes: boolean[] = [];
  for (const r of results) {
    const step = applyResult(s, p, r);
    s = step.state;
    states.push(s.state);
    changes.push(step.changed);
  }
  return { states, changes, last: s };
}

t.test('initial state', async (t) => {
  t.equal(initRiseFall({ rise: 2, fall: 2 }).state, 'init');
  t.equal(initRiseFall({ rise: 2, fall: 2, initFail: true }).state, 'down');
});

t.test('first result applies at once whatever rise/fall', async (t) => {
  t.same(run({ rise: 3, fall: 3 }, [true]).states, ['up']);
  t.same(run({ rise: 3, fall: 3 }, [false]).states, ['down']);
  t.same(run({ rise: 3, fall: 3, initFail: true }, [false]).changes, [false], 'init_fail then failure: no flip');
  t.same(run({ rise: 3, fall: 3, initFail: true }, [true]).changes, [true]);
});

t.test('fall: exactly `fall` consecutive failures leave OK', async (t) => {
  const r = run({ rise: 2, fall: 3 }, [true, false, false, false]);
  t.same(r.states, ['up', 'up', 'up', 'down']);
  t.same(r.changes, [true, false, false, true]);
});

t.test('rise: exactly `rise` consecutive successes come back', async (t) => {
  const r = run({ rise: 3, fall: 1 }, [false, true, true, true]);
  t.same(r.states, ['down', 'down', 'down', 'up']);
});

t.test('a success in between resets the fall count (counter climbs back to the top)', async (t) => {
  const r = run({ rise: 1, fall: 3 }, [true, false, false, true, false, false, false]);
  t.same(r.states, ['up', 'up', 'up', 'up', 'up', 'up', 'down']);
});

t.test('a failure in between a rise restarts it from 0', async (t) => {
  const r = run({ rise: 3, fall: 2 }, [false, true, true, false, true, true, true]);
  t.same(r.states, ['down', 'down', 'down', 'down', 'down', 'down', 'up']);
});

t.test('counter stays within 0..rise+fall-1', async (t) => {
  const p = { rise: 2, fall: 2 };
  const up = run(p, [true, true, true, true]).last;
  t.equal(up.result, 3);
  const down = run(p, [false, false, false]).last;
  t.equal(down.result, 0);
});

t.test('rise 1 fall 1 flips on every change', async (t) => {
  const r = run({ rise: 1, fall: 1 }, [true, false, true, false]);
  t.same(r.changes, [true, true, true, true]);
});
