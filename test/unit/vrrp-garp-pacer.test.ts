/**
 * GARP/NA pacing (garp_group, vrrp_garp_interval, vrrp_gna_interval): the pure pacer
 * (src/vrrp/garp-pacer.ts) in virtual time, the group lookup, the config block, and the daemon's
 * GarpPacing on a FakeClock. Rows follow keepalived 2.2.7 as captured on the wire
 * (test/integration/garp-group.test.ts).
 */
import t from 'tap';
import { newPacer, pacerDue, pacerForget, pacerRequest, pacingOf, type PacerState } from '../../src/vrrp/garp-pacer';
import { GarpPacing } from '../../src/runtime/garp-pacing';
import { loadConfigText } from '../../src/config/load';
import { FakeClock } from '../support/fake-clock';

t.test('one frame per interval; a key already waiting is not queued twice; waiting keys in configuration order', async (t) => {
  let s: PacerState<string> = newPacer();
  const sent: string[] = [];
  const req = (k: string, now: number): number | undefined => {
    const r = pacerRequest(s, k, now, 200, (x) => Number(x)); // rank: configuration order
    s = r.state;
    if (r.send) sent.push(`${now}:${r.send}`);
    return r.armAtMs;
  };
  // garp_master_repeat 3 for .100 .101 .102: three rounds asked at once
  for (let round = 0; round < 3; round++) for (const ip of ['100', '101', '102']) req(ip, 0);
  t.same(sent, ['0:100'], 'the first goes at once');
  t.same(s.pending, ['100', '101', '102'], 'each waiting address once, .100 (asked again in round 2) first');
  for (const now of [199, 200, 400, 600, 800]) {
    const r = pacerDue(s, now, 200);
    s = r.state;
    if (r.send) sent.push(`${now}:${r.send}`);
  }
  t.same(sent, ['0:100', '200:100', '400:101', '600:102'], 'keepalived 2.2.7: .100 at 0, then .100 .101 .102 at 0.2 s steps');
  t.same(s.pending, []);
  t.equal(req('100', 700), 800, 'after a frame at 600, the next slot is 800');
  t.equal(req('100', 900) , undefined, 'already pending: no new timer asked');
});

t.test('early timer: re-armed for the slot; interval 0: no pacing', async (t) => {
  const s = pacerRequest(pacerRequest(newPacer<string>(), 'a', 0, 200).state, 'b', 10, 200).state;
  const early = pacerDue(s, 199.5, 200);
  t.equal(early.send, undefined);
  t.equal(early.armAtMs, 200);
  t.equal(pacerRequest(s, 'c', 10, 0).send, 'c');
  t.same(pacerForget(s, (k) => k === 'b').pending, [], 'a stepped-down instance drops its waiting frames');
});

t.test('garp_group: its interfaces share one clock per family; others use the global intervals', async (t) => {
  const groups = [{ garpIntervalMs: 200, gnaIntervalMs: 500, interfaces: ['eth0', 'eth1'] }];
  t.same(pacingOf('eth0', 'inet', groups, 0, 0), { group: 'group0|inet', intervalMs: 200 });
  t.same(pacingOf('eth1', 'inet', groups, 0, 0).group, 'group0|inet', 'interfaces { } aggregate');
  t.same(pacingOf('eth1', 'inet6', groups, 0, 0), { group: 'group0|inet6', intervalMs: 500 });
  t.same(pacingOf('eth2', 'inet', groups, 100, 0), { group: 'if:eth2|inet', intervalMs: 100 }, 'not in a group: global vrrp_garp_interval, per interface');
});

t.test('config: garp_group blocks', async (t) => {
  const r = loadConfigText('garp_group {\n garp_interval 0.2\n gna_interval 0.5\n interface eth0\n}\ngarp_group {\n garp_interval 1.5\n interfaces {\n  eth1\n  eth2\n }\n}\n', 'k.conf', { configId: 'x' });
  t.same(r.model?.garpGroups?.map((g) => [g.garpIntervalMs, g.gnaIntervalMs, g.interfaces]), [[200, 500, ['eth0']], [1500, 0, ['eth1', 'eth2']]]);
  const bad = loadConfigText('garp_group {\n garp_interval 0.2\n interface nosuch\n}\n', 'k.conf', { configId: 'x', interfaceExists: () => 'absent' });
  t.match(bad.diagnostics.map((d) => d.message), [/WARNING - interface nosuch specified for garp_group doesn't exist/, /Non-existent interface/]);
});

t.test('GarpPacing: two instances on a grouped interface share its slots', async (t) => {
  const clock = new FakeClock();
  const model = loadConfigText('garp_group {\n garp_interval 0.2\n interface eth0\n}\n', 'k.conf', { configId: 'x' }).model;
  if (!model) throw new Error('no model');
  const p = new GarpPacing(clock, model);
  const sent: string[] = [];
  const t0 = clock.now();
  const ask = (key: string, rank: number) => p.request('eth0', 'inet', key, () => sent.push(`${clock.now() - t0}:${key}`), rank);
  t.equal(p.paced('eth0', 'inet'), true);
  t.equal(p.paced('eth1', 'inet'), false, 'no group, no global interval: not paced');
  ask('VI_1|192.0.2.100', 0);
  ask('VI_1|192.0.2.101', 1);
  ask('VI_2|192.0.2.110', 65536);
  ask('VI_1|192.0.2.100', 0); // VI_1's second round
  clock.advance(1000);
  t.same(sent, ['0:VI_1|192.0.2.100', '200:VI_1|192.0.2.100', '400:VI_1|192.0.2.101', '600:VI_2|192.0.2.110'], 'waiting frames in configuration order, as keepalived 2.2.7');
  p.stop();
});
