/**
 * The pure rate limiter (src/vrrp/rate-limit.ts) in virtual time, LimitedLog's "suppressed N"
 * lines, and the master's answers to a flood of spoofed lower-priority adverts (issue 14:
 * 1,000 adverts/s at a master with 3 VIPs made 1,000 adverts, 15,000 GARPs and 4,000 lines/s).
 */
import t from 'tap';
import { RateLimiter, OVERFLOW_KEY } from '../../src/vrrp/rate-limit';
import { LimitedLog } from '../../src/runtime/limited-log';
import { loadConfigText } from '../../src/config/load';
import { InstanceRuntime, type InstanceWiring } from '../../src/runtime/instance';
import { MemoryLogger } from '../../src/observe/log';
import type { AnnouncePort } from '../../src/net/ports';
import { answersLowerPriority, initialState, step } from '../../src/vrrp/fsm';
import { FakeClock } from '../support/fake-clock';
import { FakeRtnl } from '../support/fake-rtnl';
import { advert, testConfig } from '../support/vrrp-cfg';

t.test('per key: the first of a window goes, the rest are counted, and reported once after the window', async (t) => {
  const r = new RateLimiter<string>({ windowMs: 1000, perKey: 1 });
  t.equal(r.take('a', 0, 'first'), true);
  t.equal(r.take('a', 1, 'second'), false);
  t.equal(r.take('a', 999, 'third'), false);
  t.equal(r.take('b', 500), true, 'other keys have their own window');
  t.equal(r.nextDueAt(), 1000, 'a report is due when the window of a ends');
  t.same(r.due(999), [], 'nothing before the window ends');
  const rep = r.due(1000);
  t.equal(rep.length, 1);
  t.match(rep[0], { key: 'a', suppressed: 2, allowed: 1, windowStartMs: 0, windowEndMs: 1000, info: 'first' });
  t.same(r.due(5000), [], 'each window is reported once; b suppressed nothing');
  t.equal(r.size, 0, 'idle keys are forgotten');
  t.equal(r.nextDueAt(), undefined);
  t.equal(r.take('a', 5000), true, 'a new window');
});

t.test('a window that ends on the next event is reported through due()', async (t) => {
  const r = new RateLimiter({ windowMs: 100, perKey: 2 });
  t.equal(r.take('k', 0), true);
  t.equal(r.take('k', 10), true);
  t.equal(r.take('k', 20), false);
  t.equal(r.take('k', 150), true, 'next window');
  t.equal(r.nextDueAt(), -Infinity, 'the ended window is pending');
  t.match(r.due(150), [{ key: 'k', suppressed: 1, allowed: 2, windowStartMs: 0 }]);
});

t.test('a flood from one key at 1,000/s for 5 s: one allowed per window', async (t) => {
  const r = new RateLimiter({ windowMs: 1000, perKey: 1 });
  let allowed = 0;
  for (let now = 0; now < 5000; now++) if (r.take('x', now)) allowed++;
  t.equal(allowed, 5);
});

t.test('the global budget bounds many keys; maxKeys bounds memory with one overflow key', async (t) => {
  const r = new RateLimiter({ windowMs: 1000, perKey: 1, global: 3, maxKeys: 10 });
  let allowed = 0;
  for (let i = 0; i < 1000; i++) if (r.take(`src${i}`, i % 1000)) allowed++;
  t.equal(allowed, 3, 'random sources get 3 per window in all');
  t.ok(r.size <= 10, `table bounded (${r.size})`);
  const reps = r.due(10_000);
  t.ok(reps.length <= 11, `reports bounded (${reps.length})`);
  t.ok(reps.some((x) => x.key === OVERFLOW_KEY), 'the overflow key carries the rest');
  t.equal(reps.reduce((s, x) => s + x.suppressed, 0), 997, 'every suppressed event is reported');
});

t.test('reports: false keeps nothing to report', async (t) => {
  const r = new RateLimiter({ windowMs: 10, perKey: 1, reports: false });
  for (let now = 0; now < 1000; now++) r.take('x', now);
  t.equal(r.nextDueAt(), undefined);
  t.same(r.due(2000), []);
});

t.test('LimitedLog writes the first line, then one "suppressed N" line after the window', async (t) => {
  const clock = new FakeClock(0);
  const lines: string[] = [];
  const log = new LimitedLog(clock, { windowMs: 10_000 });
  for (let i = 0; i < 5000; i++) {
    log.line('k', `(VI_1) bad packet ${i}`, (x) => lines.push(x));
    clock.advance(1);
  }
  t.same(lines, ['(VI_1) bad packet 0'], 'one line while the window runs');
  clock.advance(10_000);
  t.equal(lines.length, 2);
  t.match(lines[1], /^\(VI_1\) suppressed 4999 similar log lines in the last 10 s, first: bad packet 0$/);
  t.equal(clock.pending(), 0, 'no timer left once reported');
  t.equal(log.suppressedTotal, 4999);
});

// ---- the master's answers to lower-priority adverts ----------------------------------------

t.test('answersLowerPriority mirrors the state machine', async (t) => {
  const cfg = testConfig({ basePriority: 100 });
  const m = { ...initialState(cfg), state: 'MASTER' as const };
  t.equal(answersLowerPriority(cfg, m, advert(50), '192.0.2.9'), true);
  t.equal(answersLowerPriority(cfg, m, advert(0), '192.0.2.9'), false, 'priority 0 is another path');
  t.equal(answersLowerPriority(cfg, m, advert(150), '192.0.2.9'), false, 'higher: we step down');
  t.equal(answersLowerPriority(cfg, { ...m, state: 'BACKUP' }, advert(50), '192.0.2.9'), false);
  t.equal(answersLowerPriority({ ...cfg, lowerPrioNoAdvert: true }, m, advert(50), '192.0.2.9'), false);
  const unanswered = step(cfg, m, { type: 'advert', advert: advert(50), src: '192.0.2.9', answer: { advert: false, garp: false } }, 10);
  t.same(unanswered.actions, [], 'an unanswered one is only discarded');
  t.equal(unanswered.state, m);
  const noGarp = step(cfg, m, { type: 'advert', advert: advert(50), src: '192.0.2.9', answer: { advert: true, garp: false } }, 10);
  t.same(noGarp.actions.filter((a) => a.type !== 'log').map((a) => a.type), ['send-advert', 'notify-rx-lower-pri']);
});

function masterWith3Vips() {
  const text = `vrrp_instance VI_1 {\n  state MASTER\n  interface eth0\n  virtual_router_id 51\n  priority 200\n  advert_int 1\n  virtual_ipaddress {\n    192.0.2.100/24\n    192.0.2.101/24\n    192.0.2.102/24\n  }\n}\n`;
  const r = loadConfigText(text, 't.conf', { configId: 't', readFile: (p) => { throw new Error(`no file ${p}`); } });
  const m = r.model?.vrrpInstances[0];
  if (!m) throw new Error(`config: ${JSON.stringify(r.diagnostics)}`);
  const counts = { adverts: 0, garps: 0 };
  const announcer: AnnouncePort = { gratuitousArp: () => void counts.garps++, unsolicitedNa: () => undefined };
  const wiring: InstanceWiring = {
    vipIfname: 'eth0', announceIfname: 'eth0', announceMac: '02:00:00:00:00:01', primaryAddress: '192.0.2.1',
    destinations: ['224.0.0.18'], send: () => void counts.adverts++, router: false,
  };
  const clock = new FakeClock(0);
  const log = new MemoryLogger(false);
  const inst = new InstanceRuntime(m, wiring, { clock, log, rtnl: new FakeRtnl(), announcer });
  return { inst, clock, log, counts };
}

t.test('a master with 3 VIPs under 1,000 spoofed lower-priority adverts/s for 5 s stays bounded', async (t) => {
  const { inst, clock, log, counts } = masterWith3Vips();
  inst.start();
  await inst.settled();
  clock.advance(6000); // past the initial GARP bursts
  await inst.settled();
  t.equal(inst.state.state, 'MASTER');
  const base = { ...counts, lines: log.lines.length };
  const spoof = advert(100, { countAddrs: 3, addresses: ['192.0.2.100', '192.0.2.101', '192.0.2.102'] });
  for (let i = 0; i < 5000; i++) {
    inst.receive(spoof, '192.0.2.66');
    clock.advance(1);
    if (i % 100 === 0) await inst.settled();
  }
  await inst.settled();
  clock.advance(10_000); // the "suppressed N" line follows the window
  await inst.settled();
  const adverts = counts.adverts - base.adverts;
  const garps = counts.garps - base.garps;
  const lines = log.lines.slice(base.lines).map((l) => l.text);
  t.comment(`5,000 spoofed adverts: ${adverts} adverts, ${garps} GARPs, ${lines.length} log lines in 15 s`);
  // Without the limiter: 5,000 replies + ~15 regular, 75,000 GARPs, 20,000 lines.
  t.ok(adverts <= 15 + 5 + 1, `adverts bounded (${adverts}): regular ones plus ≤ 1 reply per interval`);
  t.ok(garps <= 3 * 5 * 4, `GARPs bounded (${garps}): ≤ 1 burst per garp_lower_prio_delay plus the delayed one`);
  t.ok(lines.length <= 12, `log lines bounded (${lines.length})`);
  t.ok(lines.some((l) => /^\(VI_1\) suppressed \d+ similar log lines/.test(l)), 'a "suppressed N" line');
  t.ok((inst.stats.drops.lower_prio_unanswered ?? 0) >= 4990, `unanswered adverts counted (${inst.stats.drops.lower_prio_unanswered})`);
  t.equal(inst.state.state, 'MASTER');
  await inst.stop();
});

t.test('the first lower-priority advert from each real peer is still answered at once', async (t) => {
  const { inst, clock, counts } = masterWith3Vips();
  inst.start();
  clock.advance(6000);
  await inst.settled();
  const before = counts.adverts;
  const spoof = advert(100, { countAddrs: 3, addresses: ['192.0.2.100', '192.0.2.101', '192.0.2.102'] });
  inst.receive(spoof, '192.0.2.2');
  inst.receive(spoof, '192.0.2.3');
  t.equal(counts.adverts - before, 2, 'one answer per source');
  inst.receive(spoof, '192.0.2.2');
  t.equal(counts.adverts - before, 2, 'a second one within the interval is not');
  clock.advance(1000); // a regular advert goes out here too
  const mid = counts.adverts;
  inst.receive(spoof, '192.0.2.2');
  t.equal(counts.adverts - mid, 1, 'answered again in the next interval');
  await inst.stop();
});
