/**
 * Many instances, one timer: every InstanceRuntime on a clock keeps its Adver/Master_Down
 * deadline in the clock's shared queues (runtime/deadline-queue), so 200 masters arm one clock
 * timer, not 200 per second; adverts still leave exactly at each instance's own deadline, and a
 * master sends the very same encoded advert every interval (no copy, no re-encoding).
 */
import t from 'tap';
import { loadConfigText } from '../../src/config/load';
import { InstanceRuntime, type InstanceWiring } from '../../src/runtime/instance';
import { MemoryLogger } from '../../src/observe/log';
import type { AnnouncePort } from '../../src/net/ports';
import type { ClockAtOptions, TimerHandle } from '../../src/runtime/clock';
import type { Advert } from '../../src/vrrp/types';
import { FakeClock } from '../support/fake-clock';
import { FakeRtnl } from '../support/fake-rtnl';

function models(n: number) {
  const blocks = Array.from({ length: n }, (_, i) => `vrrp_instance VI_${i + 1} {\n  interface eth0\n  virtual_router_id ${i + 1}\n  priority 100\n  advert_int 1\n  virtual_ipaddress {\n    192.0.2.${(i % 200) + 20}/24\n  }\n}\n`);
  const r = loadConfigText(blocks.join(''), 't.conf', { configId: 't', readFile: (p) => { throw new Error(`no file ${p}`); } });
  const ms = r.model?.vrrpInstances;
  if (!ms || ms.length !== n) throw new Error(`config: ${JSON.stringify(r.diagnostics.slice(0, 3))}`);
  return ms;
}

function lab(n: number) {
  const clock = new FakeClock(0);
  let arms = 0;
  const at = clock.at.bind(clock);
  clock.at = (atMs: number, fn: () => void): TimerHandle => {
    arms++;
    return at(atMs, fn);
  };
  const sent: Array<{ inst: string; at: number; bytes: Uint8Array }> = [];
  const announcer: AnnouncePort = { gratuitousArp: () => undefined, unsolicitedNa: () => undefined };
  const rtnl = new FakeRtnl();
  const insts = models(n).map((m) => {
    const wiring: InstanceWiring = {
      vipIfname: 'eth0', announceIfname: 'eth0', announceMac: '02:00:00:00:00:02', primaryAddress: '192.0.2.2',
      destinations: ['224.0.0.18'], send: (bytes) => void sent.push({ inst: m.name, at: clock.now(), bytes }), router: false,
    };
    return new InstanceRuntime(m, wiring, { clock, log: new MemoryLogger(), rtnl, announcer });
  });
  return { clock, insts, sent, arms: () => arms };
}

t.test('200 masters share one clock timer and each advertises exactly on its own deadline', async (t) => {
  const { clock, insts, sent } = lab(200);
  // started 1 ms apart: 200 different deadlines
  insts.forEach((inst, i) => {
    clock.advanceTo(i);
    inst.start();
  });
  t.ok(clock.pending() <= 2, `timers pending at start-up: ${clock.pending()} (one per queue at most)`);
  clock.advanceTo(5000);
  t.ok(insts.every((i) => i.state.state === 'MASTER'), 'all MASTER');
  t.ok(clock.pending() <= 2, `timers pending with 200 masters: ${clock.pending()}`);
  sent.length = 0;
  clock.advanceTo(15000);
  t.equal(sent.length, 200 * 10, 'one advert per instance per second');
  const byInst = new Map<string, Array<{ at: number; bytes: Uint8Array }>>();
  for (const s of sent) byInst.set(s.inst, [...(byInst.get(s.inst) ?? []), s]);
  let exact = 0;
  let same = 0;
  for (const list of byInst.values()) {
    if (list.every((s, k) => k === 0 || s.at - (list[k - 1] as { at: number }).at === 1000)) exact++;
    if (list.every((s) => s.bytes === (list[0] as { bytes: Uint8Array }).bytes)) same++;
  }
  t.equal(exact, 200, 'every instance: adverts exactly 1,000 ms apart');
  t.equal(same, 200, 'every instance sends the same encoded advert object each interval');
  const firstAt = [...byInst.values()].map((l) => (l[0] as { at: number }).at);
  t.equal(new Set(firstAt.map((x) => x % 1000)).size, 200, 'each on its own deadline (200 different phases)');
  for (const i of insts) await i.stop();
  t.equal(clock.pending(), 0, 'no timer left after stop');
});

t.test('a backup hearing its master re-arms no clock timer per advert', async (t) => {
  const { clock, insts, arms } = lab(20);
  for (const i of insts) i.start();
  const advert = (vrid: number): Advert => ({
    version: 2, type: 1, vrid, priority: 200, countAddrs: 1, authType: 0, authData: new Uint8Array(8), advertIntCs: 100, checksum: 0,
    addresses: [`192.0.2.${((vrid - 1) % 200) + 20}`],
  });
  const before = arms();
  for (let s = 1; s <= 30; s++) {
    clock.advanceTo(s * 1000);
    insts.forEach((inst, k) => inst.receive(advert(k + 1), '192.0.2.9'));
  }
  t.ok(insts.every((i) => i.state.state === 'BACKUP'), 'all still BACKUP after 30 s of adverts');
  // 600 adverts moved 20 Master_Down deadlines later; the one timer fires every Master_Down_Interval at most
  t.ok(arms() - before <= 12, `clock timers armed for 600 received adverts: ${arms() - before}`);
  clock.advanceTo(30000 + 3610);
  t.ok(insts.every((i) => i.state.state === 'MASTER'), 'Master_Down_Interval after the last advert: all MASTER');
  for (const i of insts) await i.stop();
});

t.test('masters that took over in one wake-up advertise in one wake-up a second, however long their takeovers took', async (t) => {
  const base = new FakeClock(0);
  // every read of the clock costs 10 µs: 50 takeovers in one wake-up end ~ms after it began
  let spent = 0;
  let fires = 0;
  const clock = {
    now: () => base.now() + (spent += 0.01),
    wallNow: () => base.wallNow(),
    at: (atMs: number, fn: () => void): TimerHandle => base.at(atMs, () => (fires++, fn())),
    after: (ms: number, fn: () => void): TimerHandle => base.after(ms, () => (fires++, fn())),
  };
  const sent: number[] = [];
  const rtnl = new FakeRtnl();
  const announcer: AnnouncePort = { gratuitousArp: () => undefined, unsolicitedNa: () => undefined };
  const insts = models(50).map((m) => new InstanceRuntime(m, {
    vipIfname: 'eth0', announceIfname: 'eth0', announceMac: '02:00:00:00:00:02', primaryAddress: '192.0.2.2',
    destinations: ['224.0.0.18'], send: () => void sent.push(base.now()), router: false,
  }, { clock, log: new MemoryLogger(), rtnl, announcer }));
  for (const i of insts) i.start();
  base.advanceTo(4000);
  t.ok(insts.every((i) => i.state.state === 'MASTER'), 'all MASTER, after one Master_Down wake-up');
  base.advanceTo(6000);
  sent.length = 0;
  fires = 0;
  base.advanceTo(16000);
  t.equal(sent.length, 500, 'one advert per instance per second');
  t.equal(fires, 10, 'one wake-up per second for all 50');
  t.equal(new Set(sent).size, 10, 'the 50 adverts of a second leave together');
  for (const i of insts) await i.stop();
});

t.test('instances started together (one start time) wait for the same Master_Down and take over in one wake-up', async (t) => {
  const { clock, insts } = lab(30);
  const startedAt = clock.now();
  for (const i of insts) {
    clock.advance(5); // the daemon's start loop takes time: 150 ms for these 30
    i.start(0, undefined, startedAt);
  }
  t.equal(new Set(insts.map((i) => i.state.masterDownAt)).size, 1, 'one Master_Down deadline for all 30');
  t.equal(insts[0]?.state.masterDownAt, startedAt + 3609.375, 'counted from the start time');
  clock.advanceTo(startedAt + 3609.375);
  t.ok(insts.every((i) => i.state.state === 'MASTER'), 'all MASTER at that deadline');
  t.equal(new Set(insts.map((i) => i.state.adverAt)).size, 1, 'and one advert deadline from then on');
  for (const i of insts) await i.stop();
});

t.test("a backup's Master_Down timer wakes early to rehearse the takeover on scratch data: nothing changes until the deadline", async (t) => {
  const clock = new FakeClock(0);
  const leads: Array<{ at: number; opts: ClockAtOptions | undefined }> = [];
  const at = clock.at.bind(clock);
  clock.at = (atMs: number, fn: () => void, opts?: ClockAtOptions): TimerHandle => {
    leads.push({ at: atMs, opts });
    return at(atMs, fn);
  };
  const sent: number[] = [];
  const rtnl = new FakeRtnl();
  const log = new MemoryLogger();
  const announcer: AnnouncePort = { gratuitousArp: () => void sent.push(-1), unsolicitedNa: () => void sent.push(-1) };
  const [m] = models(1);
  if (!m) throw new Error('no model');
  const inst = new InstanceRuntime(m, {
    vipIfname: 'eth0', announceIfname: 'eth0', announceMac: '02:00:00:00:00:02', primaryAddress: '192.0.2.2',
    destinations: ['224.0.0.18'], send: () => void sent.push(clock.now()), router: false,
  }, { clock, log, rtnl, announcer });
  inst.start();
  const down = inst.state.masterDownAt as number;
  const timer = leads.find((l) => l.at === down);
  t.ok(timer?.opts?.precise && (timer.opts.leadMs ?? 0) > 0 && timer.opts.prepare, 'Master_Down armed precise, with a lead and a prepare');
  const before = { state: inst.state, calls: rtnl.calls.length, lines: log.lines.length };
  clock.advanceTo(down - (timer?.opts?.leadMs ?? 0));
  timer?.opts?.prepare?.();
  t.equal(inst.state, before.state, 'state untouched by the rehearsal');
  t.same([sent.length, rtnl.calls.length, log.lines.length], [0, before.calls, before.lines], 'no advert, no netlink request, no log line');
  clock.advanceTo(down);
  t.equal(inst.state.state, 'MASTER', 'then MASTER at the deadline itself');
  t.equal(sent[0], down, 'first advert exactly at Master_Down');
  await inst.stop();
});
