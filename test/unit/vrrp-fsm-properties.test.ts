/**
 * Property tests of the pure VRRP core (fast-check): for every configuration and every sequence
 * of events (start-up, timer ticks at their deadlines or at random times, adverts of any
 * priority from any of three sources, priority changes from trackers, faults, forced states,
 * manual standby, shutdown), after every step:
 *  - the instance is in exactly one of INIT/BACKUP/MASTER/FAULT, and INIT only before start-up
 *    or after shutdown;
 *  - every armed deadline is not in the past, and a tick leaves nothing due (time moves on);
 *  - the effective priority is in 1..254, or 255 exactly for the address owner;
 *  - VIPs are added only by a step that enters MASTER, removed only by one that leaves it, and
 *    a MASTER holds them (add-vips seen since it last entered) while no other state does;
 *  - a stopped instance does nothing until started again.
 * A failure prints the shrunk configuration and event sequence.
 */
import t from 'tap';
import fc from 'fast-check';
import { initialState, nextDeadline, step } from '../../src/vrrp/fsm';
import type { Action, FsmEvent, InstanceConfig, InstanceState } from '../../src/vrrp/types';
import { advert, testConfig } from '../support/vrrp-cfg';

type Ev = { at: 'deadline' } | { at: 'later'; ms: number } | { at: 'now'; e: FsmEvent };

const SOURCES = ['192.0.2.1', '192.0.2.2', '192.0.2.3'];

const config = fc
  .record({
    basePriority: fc.oneof(fc.integer({ min: 1, max: 254 }), fc.constant(255)),
    version: fc.constantFrom(2 as const, 3 as const),
    advertIntCs: fc.constantFrom(5, 100, 300),
    initialState: fc.constantFrom('MASTER' as const, 'BACKUP' as const),
    preempt: fc.boolean(),
    preemptDelayMs: fc.constantFrom(0, 0, 2000),
    lowerPrioNoAdvert: fc.boolean(),
    higherPrioSendAdvert: fc.boolean(),
    ownerIgnoreAdverts: fc.boolean(),
  })
  .map((o): InstanceConfig => testConfig({ ...o, advertIntCs: o.version === 2 ? 100 : o.advertIntCs }));

const event: fc.Arbitrary<Ev> = fc.oneof(
  { arbitrary: fc.constant<Ev>({ at: 'deadline' }), weight: 6 },
  { arbitrary: fc.integer({ min: 1, max: 5000 }).map((ms): Ev => ({ at: 'later', ms })), weight: 2 },
  {
    arbitrary: fc
      .tuple(fc.integer({ min: 0, max: 255 }), fc.constantFrom(...SOURCES), fc.constantFrom(5, 100, 300))
      .map(([p, src, adv]): Ev => ({ at: 'now', e: { type: 'advert', advert: advert(p, { advertIntCs: adv }), src } })),
    weight: 6,
  },
  { arbitrary: fc.integer({ min: -300, max: 300 }).map((e): Ev => ({ at: 'now', e: { type: 'priority', effective: e } })), weight: 2 },
  { arbitrary: fc.boolean().map((f): Ev => ({ at: 'now', e: { type: 'fault', faulted: f, reason: 'test' } })), weight: 2 },
  { arbitrary: fc.constantFrom('MASTER' as const, 'BACKUP' as const, 'FAULT' as const).map((to): Ev => ({ at: 'now', e: { type: 'force', to } })), weight: 1 },
  { arbitrary: fc.tuple(fc.boolean(), fc.boolean()).map(([on, force]): Ev => ({ at: 'now', e: { type: 'standby', on, force } })), weight: 1 },
  { arbitrary: fc.constantFrom<Ev>({ at: 'now', e: { type: 'shutdown' } }, { at: 'now', e: { type: 'startup' } }), weight: 1 },
);

function deadlines(s: InstanceState): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  for (const k of ['masterDownAt', 'adverAt', 'garpDelayAt', 'garpRefreshAt', 'garpLowerPrioAt', 'handoverUntil', 'preemptAt'] as const) {
    const v = s[k];
    if (v !== undefined && k !== 'preemptAt') out.push([k, v]);
  }
  return out;
}

function check(cfg: InstanceConfig, events: Ev[]): void {
  let s = initialState(cfg);
  let now = 0;
  let holdsVips = false;
  let started = false;
  const run = (e: FsmEvent): void => {
    const before = s;
    const r = step(cfg, s, e, now);
    s = r.state;
    const what = `${e.type} at ${now} ms in ${before.state}`;
    if (!['INIT', 'BACKUP', 'MASTER', 'FAULT'].includes(s.state)) throw new Error(`${what}: state ${s.state}`);
    if (e.type === 'startup') started = true;
    if (e.type === 'shutdown') started = false;
    if (s.state === 'INIT' && started && !s.stopped) throw new Error(`${what}: INIT after start-up`);
    if (before.stopped && e.type !== 'startup' && r.actions.some((a) => a.type !== 'log')) throw new Error(`${what}: a stopped instance acted: ${JSON.stringify(r.actions)}`);
    for (const [k, v] of deadlines(s)) {
      if (v < now) throw new Error(`${what}: ${k} ${v} is in the past`);
      if (e.type === 'tick' && v <= now && !s.stopped) throw new Error(`${what}: ${k} still due after the tick`);
    }
    const owner = cfg.basePriority === 255;
    if (owner ? s.priority !== 255 : s.priority < 1 || s.priority > 254) throw new Error(`${what}: effective priority ${s.priority} (base ${cfg.basePriority})`);
    const trans = r.actions.filter((a): a is Extract<Action, { type: 'transition' }> => a.type === 'transition');
    for (const a of r.actions) {
      if (a.type === 'add-vips') {
        if (!trans.some((x) => x.to === 'MASTER')) throw new Error(`${what}: add-vips without entering MASTER: ${JSON.stringify(r.actions)}`);
        holdsVips = true;
      }
      if (a.type === 'remove-vips') {
        if (!trans.some((x) => x.from === 'MASTER') && before.state !== 'MASTER') throw new Error(`${what}: remove-vips without leaving MASTER: ${JSON.stringify(r.actions)}`);
        holdsVips = false;
      }
    }
    if (s.state === 'MASTER' && !holdsVips) throw new Error(`${what}: MASTER without its VIPs`);
    if (s.state !== 'MASTER' && holdsVips && !s.stopped) throw new Error(`${what}: ${s.state} still holding VIPs`);
  };
  run({ type: 'startup' });
  for (const ev of events) {
    if (ev.at === 'deadline') {
      const d = nextDeadline(s);
      if (d === undefined) continue;
      now = Math.max(now, d);
      run({ type: 'tick' });
    } else if (ev.at === 'later') {
      // fire everything due on the way, as the runtime's timers do
      const target = now + ev.ms;
      for (let d = nextDeadline(s), n = 0; d !== undefined && d <= target && n < 1000; d = nextDeadline(s), n++) {
        now = Math.max(now, d);
        run({ type: 'tick' });
      }
      now = target;
    } else {
      run(ev.e);
    }
  }
}

t.test('VRRP core invariants hold for every event sequence (fast-check)', async (t) => {
  const r = fc.check(fc.property(config, fc.array(event, { maxLength: 60 }), (cfg, evs) => check(cfg, evs)), { numRuns: 3000, seed: 5798 });
  t.notOk(r.failed, r.failed ? `counterexample: ${JSON.stringify(r.counterexample)}\n${String(r.errorInstance)}` : '3000 random configurations × up to 60 events');
});
