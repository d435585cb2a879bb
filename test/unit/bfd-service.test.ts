import t from 'tap';
import { load, errors, withCode } from './config-helpers';
import { BfdService } from '../../src/runtime/bfd-service';
import { BfdState, encodeControl } from '../../src/bfd/packet';
import type { BfdDatagram, BfdFamily, BfdListener, BfdSender, BfdSenderOptions, BfdTransport } from '../../src/net/bfd-socket';
import { instanceTrackRefs, computePriority } from '../../src/track/priority';
import { FakeClock } from '../support/fake-clock';
import type { Model } from '../../src/config/model';

const conf = (me: string, peer: string, extra = '') => `bfd_instance B1 {\n  neighbor_ip ${peer}\n  source_ip ${me}\n  min_rx 50\n  min_tx 50\n  multiplier 3\n${extra}}\n`;

t.test('bfd_instance: every keyword, keepalived defaults, ms → µs', async (t) => {
  const r = load(conf('192.0.2.1', '192.0.2.2', '  idle_tx 2000\n  passive\n  ttl 64\n  max_hops 3\n  weight -20 reverse\n  vrrp\n  disabled\n'));
  t.same(errors(r), []);
  t.match(r.model?.bfdInstances?.[0], { name: 'B1', family: 4, neighborIp: '192.0.2.2', sourceIp: '192.0.2.1', minRxUs: 50_000, minTxUs: 50_000, idleTxUs: 2_000_000, multiplier: 3, passive: true, ttl: 64, maxHops: 3, weight: -20, weightReverse: true, notifyVrrp: true, notifyChecker: false, disabled: true });
  const d = load('bfd_instance D {\n  neighbour_ip 2001:db8::2\n  min_rx 3.312\n}\n');
  t.same(errors(d), []);
  t.match(d.model?.bfdInstances?.[0], { family: 6, neighborIp: '2001:db8::2', minRxUs: 3312, minTxUs: 10_000, idleTxUs: 1_000_000, multiplier: 5, ttl: 255, hoplimit: 64, maxHops: 0, weight: 0, passive: false, multihop: false, notifyVrrp: true, notifyChecker: true });
  const ck = load('bfd_instance C {\n  neighbor_ip 192.0.2.9\n  checker\n}\n');
  t.match(ck.model?.bfdInstances?.[0], { notifyVrrp: false, notifyChecker: true });
});

t.test('bfd_instance errors: missing/bad neighbor_ip, mixed families, unknown track_bfd', async (t) => {
  t.ok(withCode(load('bfd_instance X {\n  min_rx 10\n}\n'), 'ERR_CONFIG_MISSING_KEYWORD').length >= 1);
  t.equal(withCode(load('bfd_instance X {\n  neighbor_ip nope\n}\n'), 'ERR_CONFIG_BAD_ADDRESS').length, 1);
  t.equal(withCode(load('bfd_instance X {\n  neighbor_ip 192.0.2.2\n  source_ip 2001:db8::1\n}\n'), 'ERR_CONFIG_BAD_ADDRESS').length, 1);
  t.equal(withCode(load('bfd_instance X {\n  neighbor_ip 192.0.2.2\n  multiplier 0\n}\n'), 'ERR_CONFIG_OUT_OF_RANGE').length, 1);
  const r = load(`vrrp_instance VI {\n  interface eth0\n  virtual_router_id 1\n  priority 100\n  virtual_ipaddress {\n    192.0.2.100\n  }\n  track_bfd {\n    NOPE\n  }\n}\n`);
  t.ok(withCode(r, 'ERR_CONFIG_UNKNOWN_TRACKER').some((x) => /track bfd NOPE not found, ignoring/.test(x.message)));
});

t.test('track_bfd in vrrp_instance and sync group: weights from the line or the bfd_instance; checker-only ignored', async (t) => {
  const r = load(`${conf('192.0.2.1', '192.0.2.2', '  weight 7\n')}bfd_instance B2 {\n  neighbor_ip 192.0.2.3\n}\nbfd_instance B3 {\n  neighbor_ip 192.0.2.4\n  checker\n}\nvrrp_sync_group G {\n  group {\n    VI\n    VI2\n  }\n  track_bfd {\n    B2 weight -30\n  }\n}\nvrrp_instance VI {\n  interface eth0\n  virtual_router_id 1\n  priority 100\n  virtual_ipaddress {\n    192.0.2.100\n  }\n  track_bfd {\n    B1\n    B2 weight -10 reverse\n    B3\n  }\n}\nvrrp_instance VI2 {\n  interface eth0\n  virtual_router_id 2\n  priority 100\n  virtual_ipaddress {\n    192.0.2.101\n  }\n}\n`);
  t.same(errors(r), []);
  const m = r.model as Model;
  const vi = m.vrrpInstances[0]!;
  t.same(vi.trackBfd?.map((x) => [x.name, x.weight, x.reverse]), [['B1', undefined, false], ['B2', -10, true], ['B3', undefined, false]]);
  const refs = instanceTrackRefs(m, vi);
  t.same(refs.filter((x) => x.kind === 'bfd').map((x) => [x.name, x.weight, x.reverse, x.fromGroup ?? false]), [['B1', 7, false, false], ['B2', -10, true, false], ['B2', -30, false, true]]);
  // Unweighted track_bfd: FAULT while down (keepalived's man page warning about pairs).
  const p = computePriority({ basePriority: 100, items: [{ kind: 'bfd', name: 'B1', weight: 0, reverse: false, state: 'down' }] });
  t.equal(p.fault, true);
  t.same(p.faultReasons, ['bfd B1 down']);
});

/** A lossless in-memory network: datagrams are delivered synchronously, TTL as sent. */
class FakeNet {
  cut = false;
  /** Deliver datagrams stamped as received by the kernel lagMs before the read (SO_TIMESTAMPNS). */
  lagMs: number | undefined;
  /** When each host last had a datagram delivered (virtual ms). */
  readonly lastTo = new Map<string, number>();
  constructor(private readonly clock?: FakeClock) {}
  readonly listeners = new Map<string, (d: BfdDatagram) => void>();
  /** Every sender opened (family, source, TTL / hop limit). */
  readonly opened: BfdSenderOptions[] = [];
  ttlOverride: number | undefined;
  transport(host: string): BfdTransport {
    return {
      listen: (family: BfdFamily, port: number, onPacket: (d: BfdDatagram) => void): BfdListener => {
        this.listeners.set(`${host}|${port}`, onPacket);
        return { close: () => void this.listeners.delete(`${host}|${port}`) };
      },
      sender: (o: BfdSenderOptions): BfdSender => (this.opened.push(o), {
        srcPort: 49152,
        send: (payload, dst, dstPort) => {
          if (this.cut) return;
          const d: BfdDatagram = { data: payload, family: o.family, src: host, srcPort: 49152, dst, ifindex: 2, ttl: this.ttlOverride ?? o.ttl, multihop: dstPort === 4784 };
          if (this.lagMs !== undefined && this.clock) Object.assign(d, { ageMs: this.lagMs, readAtMs: this.clock.now() });
          if (this.clock) this.lastTo.set(dst, this.clock.now());
          this.listeners.get(`${dst}|${dstPort}`)?.(d);
        },
        close: () => undefined,
      }),
    };
  }
}

function pair(t: { teardown(fn: () => void): void }, extraA = '', extraB = '', deferA?: (fn: () => void) => void) {
  const clock = new FakeClock(0);
  const net = new FakeNet(clock);
  const logs: string[] = [];
  let seed = 1;
  const rand = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
  const mk = (me: string, peer: string, extra: string, defer: (fn: () => void) => void = (fn) => fn()) => {
    const m = load(conf(me, peer, extra)).model as Model;
    const s = new BfdService({ clock, defer, transport: net.transport(me), log: { info: (x) => logs.push(`${me} ${x}`), warn: (x) => logs.push(`${me} W ${x}`), debug: () => undefined }, random: rand });
    const events: Array<[number, boolean]> = [];
    s.onStateChange((_n, up) => events.push([clock.now(), up]));
    s.start(m);
    return { s, events };
  };
  const a = mk('192.0.2.1', '192.0.2.2', extraA, deferA);
  const b = mk('192.0.2.2', '192.0.2.1', extraB);
  t.teardown(() => (a.s.stop(), b.s.stop()));
  return { clock, net, logs, a, b };
}

/** An Up packet from 192.0.2.2's session to 192.0.2.1's (v: 192.0.2.1's session view). */
function upFromPeer(v: { localDiscr: number; remoteDiscr: number }): BfdDatagram {
  return { data: encodeControl({ diag: 0, state: BfdState.Up, poll: false, final: false, detectMult: 3, myDiscr: v.remoteDiscr, yourDiscr: v.localDiscr, desiredMinTxUs: 50_000, requiredMinRxUs: 50_000 }), family: 4, src: '192.0.2.2', srcPort: 49152, dst: '192.0.2.1', ifindex: 2, ttl: 255, multihop: false };
}

t.test('two services over a fake network: Up both ways, keepalived log lines, Down within Detection Time of a cut', async (t) => {
  const { clock, net, logs, a, b } = pair(t);
  clock.advance(3000);
  t.equal(a.s.isUp('B1'), true);
  t.equal(b.s.isUp('B1'), true);
  t.ok(logs.includes('192.0.2.1 (B1) Entering Up state'), logs.join('\n'));
  t.ok(logs.includes('192.0.2.1 (B1) Starting poll sequence'));
  const v = a.s.sessions()[0]!;
  t.match(v, { state: 'Up', remoteState: 'Up', detectionTimeUs: 150_000, txIntervalUs: 50_000 });
  t.ok(v.rx > 20 && v.tx > 20, `packets both ways (rx ${v.rx}, tx ${v.tx})`);
  const discrBefore = v.localDiscr;
  const cutAt = clock.now();
  net.cut = true;
  clock.advance(1000);
  const down = a.events.find(([, up]) => !up)!;
  t.ok(down, 'Down reported');
  t.ok(down[0] - cutAt <= 150, `Down ${(down[0] - cutAt).toFixed(1)} ms after the cut (Detection Time 150 ms)`);
  t.ok(logs.some((l) => /^192\.0\.2\.1 \(B1\) Expired after 150 ms \(\d+ usec overdue\)$/.test(l)));
  t.ok(logs.includes('192.0.2.1 (B1) Entering Down state (Local diagnostic - Control Detection Time Expired, Remote diagnostic - No Diagnostic)'));
  const discrDown = a.s.sessions()[0]!.localDiscr;
  t.not(discrDown, discrBefore, 'Up → Down: a new local discriminator (as keepalived 2.2.7; RFC 5880 §6.3)');
  net.cut = false;
  clock.advance(5000);
  t.equal(a.s.isUp('B1'), true, 'back Up after the link heals');
  t.equal(a.s.sessions()[0]!.localDiscr, discrDown, 'Up again with it (the table follows the change)');
  t.equal(b.s.sessions()[0]!.remoteDiscr, discrDown, 'the peer echoes it');
});

t.test('RFC 5881 §5: a packet with TTL below 255 is dropped (max_hops 0); max_hops 255 disables the check', async (t) => {
  const { clock, net, a, b } = pair(t);
  net.ttlOverride = 254;
  clock.advance(3000);
  t.equal(a.s.isUp('B1'), false);
  t.ok(a.s.drops.ttl > 0 && b.s.drops.ttl > 0, 'ttl drops counted');
  const p = pair(t, '  max_hops 255\n', '  max_hops 255\n');
  p.net.ttlOverride = 1;
  p.clock.advance(3000);
  t.equal(p.a.s.isUp('B1'), true);
});

t.test('stop() sends AdminDown: the peer goes Down at once with Diag 3', async (t) => {
  const { clock, logs, a, b } = pair(t);
  clock.advance(3000);
  a.s.stop();
  t.equal(b.s.isUp('B1'), false);
  t.ok(logs.includes('192.0.2.2 (B1) Entering Down state (Local diagnostic - Neighbor Signaled Session Down, Remote diagnostic - Administratively Down)'));
});

t.test('passive on both ends: nothing comes up; passive on one end: Up', async (t) => {
  const both = pair(t, '  passive\n', '  passive\n');
  both.clock.advance(5000);
  t.equal(both.a.s.isUp('B1'), false);
  const one = pair(t, '  passive\n');
  one.clock.advance(5000);
  t.equal(one.a.s.isUp('B1'), true);
});

t.test('event-loop stall: a packet queued when the detection timer fires wins (expiry confirmed after pending I/O)', async (t) => {
  let deferred: (() => void) | undefined;
  const { clock, net, a } = pair(t, '', '', (fn) => void (deferred = fn));
  clock.advance(3000);
  t.equal(a.s.isUp('B1'), true);
  net.cut = true;
  clock.advance(200);
  t.ok(deferred, 'expiry deferred to after pending I/O');
  t.equal(a.s.isUp('B1'), true, 'not Down before the confirmation');
  const v = a.s.sessions()[0]!;
  a.s.onDatagram(upFromPeer(v));
  const fn = deferred!;
  deferred = undefined;
  fn();
  t.equal(a.s.isUp('B1'), true, 'the queued packet restarted the detection timer: no false Down');
  clock.advance(200);
  t.ok(deferred, 'the next expiry is deferred again');
  deferred!();
  t.equal(a.s.isUp('B1'), false, 'with nothing queued the expiry stands');
});

t.test('RFC 5880 §6.8.4: the Detection Time runs from the kernel\'s arrival stamp (SO_TIMESTAMPNS), not from the read', async (t) => {
  for (const [lagMs, expectMs, what] of [
    [8, 142, 'a packet read 8 ms after the kernel got it: Down 8 ms sooner'],
    [2000, 150, 'an implausible age (clock step, > 1 s) counts as none'],
    [0, 150, 'no lag'],
  ] as const) {
    const { clock, net, a } = pair(t);
    net.lagMs = lagMs;
    clock.advance(3000);
    t.equal(a.s.isUp('B1'), true);
    net.cut = true;
    const last = net.lastTo.get('192.0.2.1')!;
    clock.advance(1000);
    const down = a.events.find(([, up]) => !up);
    t.ok(down, 'Down reported');
    t.ok(Math.abs(down![0] - last - expectMs) < 0.01, `${what} (Down ${(down![0] - last).toFixed(2)} ms after the last packet was read)`);
  }
});

t.test('an arrival stamp older than the session\'s previous step is dated at that step (time never runs backwards for it)', async (t) => {
  const { clock, a } = pair(t);
  clock.advance(3000);
  const v = a.s.sessions()[0]!;
  a.s.onDatagram({ ...upFromPeer(v), ageMs: 500, readAtMs: clock.now() });
  const seen = a.s.sessions()[0]!.lastSeenWallMs!;
  t.ok(seen >= clock.wallNow() - 60, `dated at most one TX interval back (${clock.wallNow() - seen} ms), not 500 ms`);
  t.equal(a.s.isUp('B1'), true);
});

t.test('event-loop stall with arrival stamps: a queued packet received in time keeps the session Up; its Detection Time counts from its arrival', async (t) => {
  let deferred: (() => void) | undefined;
  const { clock, net, a } = pair(t, '', '', (fn) => void (deferred = fn));
  clock.advance(3000);
  net.cut = true;
  clock.advance(200);
  t.ok(deferred, 'expiry deferred to after pending I/O');
  const v = a.s.sessions()[0]!;
  a.s.onDatagram({ ...upFromPeer(v), ageMs: 40, readAtMs: clock.now() });
  const fn = deferred!;
  deferred = undefined;
  fn();
  t.equal(a.s.isUp('B1'), true, 'received 40 ms ago, within the Detection Time: no false Down');
  clock.advance(109);
  t.notOk(deferred, 'not expired 109 ms later (150 − 40 = 110)');
  clock.advance(2);
  t.ok(deferred, 'expired 110 ms after the read');
});

t.test('reload (SIGHUP): an unchanged session stays Up with its discriminator; timers change by a Poll Sequence; a wire change restarts; weight-only changes do not', async (t) => {
  const { clock, logs, a, b } = pair(t);
  clock.advance(3000);
  t.equal(a.s.isUp('B1'), true);
  const discr = a.s.sessions()[0]!.localDiscr;
  const eventsBefore = b.events.length;
  // Same session, moved in the file (new locations) and with another track weight: kept.
  const same = load(`\n\n${conf('192.0.2.1', '192.0.2.2', '  weight -30\n')}`).model as Model;
  t.same(a.s.reload(same), [], 'nothing restarted');
  clock.advance(2000);
  t.equal(a.s.isUp('B1'), true, 'still Up');
  t.equal(a.s.sessions()[0]!.localDiscr, discr, 'same local discriminator');
  t.equal(a.s.sessions()[0]!.inst.weight, -30, 'the new configuration is in place');
  t.equal(b.events.length, eventsBefore, 'the peer saw no state change');
  t.notOk(logs.slice(-20).some((l) => /192\.0\.2\.2 \(B1\) Entering Down/.test(l)), 'no Down at the peer');
  // min_tx changed: RFC 5880 §6.8.3 Poll Sequence in place, as keepalived 2.2.7: no restart, no Down.
  const retimed = load(conf('192.0.2.1', '192.0.2.2', '  min_tx 100\n')).model as Model;
  let mark = logs.length;
  t.same(a.s.reload(retimed), [], 'min_tx 50 → 100: nothing restarted');
  t.ok(logs.slice(mark).includes('192.0.2.1 (B1) Starting poll sequence'), 'a Poll Sequence starts');
  t.equal(a.s.sessions()[0]!.polling, true);
  clock.advance(2000);
  t.equal(a.s.isUp('B1'), true, 'still Up');
  t.equal(a.s.sessions()[0]!.localDiscr, discr, 'same discriminator');
  t.equal(a.s.sessions()[0]!.polling, false, 'the Final came back');
  t.match(a.s.sessions()[0]!, { txIntervalUs: 100_000 }, 'the new interval is in force');
  t.equal(b.s.sessions()[0]!.remoteMinTxUs, 100_000, 'the peer sees min_tx 100 ms');
  t.equal(b.s.sessions()[0]!.detectionTimeUs, 300_000, "the peer's Detection Time follows (3 × 100 ms)");
  t.equal(b.events.length, eventsBefore, 'the peer saw no state change');
  t.notOk(logs.slice(mark).some((l) => /Entering/.test(l)), 'no state line on either side');
  // A wire setting changed (max_hops): the session restarts (AdminDown to the peer), then comes Up again.
  const changed = load(conf('192.0.2.1', '192.0.2.2', '  min_tx 100\n  max_hops 1\n')).model as Model;
  mark = logs.length;
  t.same(a.s.reload(changed), ['B1'], 'B1 restarted');
  t.ok(logs.slice(mark).includes('192.0.2.2 (B1) Entering Down state (Local diagnostic - Neighbor Signaled Session Down, Remote diagnostic - Administratively Down)'), 'the peer went Down on our AdminDown');
  t.not(a.s.sessions()[0]!.localDiscr, discr, 'a new discriminator');
  clock.advance(5000);
  t.equal(a.s.isUp('B1'), true, 'Up again');
  // Removed from the configuration: stopped.
  t.same(a.s.reload(load('').model as Model), ['B1']);
  t.equal(a.s.isUp('B1'), undefined, 'no such session any more');
});

/** Two services over the fake network with any addresses (the pair above is IPv4 only). */
function pairOf(t: { teardown(fn: () => void): void }, me: string, peer: string, extraA: string, extraB = extraA) {
  const clock = new FakeClock(0);
  const net = new FakeNet();
  let seed = 7;
  const rand = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
  const mk = (self: string, other: string, extra: string) => {
    const s = new BfdService({ clock, defer: (fn) => fn(), transport: net.transport(self), log: { info: () => undefined, warn: () => undefined, debug: () => undefined }, random: rand });
    s.start(load(conf(self, other, extra)).model as Model);
    return s;
  };
  const a = mk(me, peer, extraA);
  const b = mk(peer, me, extraB);
  t.teardown(() => (a.stop(), b.stop()));
  return { clock, net, a, b };
}

t.test('IPv6 multihop across one router hop: hoplimit 255 sent, 254 accepted with max_hops 1 on 4784; max_hops 0 drops it', async (t) => {
  const up = pairOf(t, '2001:db8:1::1', '2001:db8:2::3', '  hoplimit 255\n  max_hops 1\n  multihop\n');
  up.net.ttlOverride = 254; // one router hop
  up.clock.advance(3000);
  t.same(up.net.opened.map((o) => [o.family, o.sourceIp, o.ttl]), [[6, '2001:db8:1::1', 255], [6, '2001:db8:2::3', 255]], 'IPv6 senders from source_ip with hop limit 255');
  t.ok(up.net.listeners.has('2001:db8:1::1|4784') && !up.net.listeners.has('2001:db8:1::1|3784'), 'multihop: listening on 4784 only');
  t.equal(up.a.isUp('B1'), true, 'Up');
  t.equal(up.b.isUp('B1'), true, 'Up on the other side');
  t.equal(up.a.drops.ttl, 0);
  const strict = pairOf(t, '2001:db8:1::1', '2001:db8:2::3', '  hoplimit 255\n  max_hops 0\n  multihop\n', '  hoplimit 255\n  max_hops 1\n  multihop\n');
  strict.net.ttlOverride = 254;
  strict.clock.advance(3000);
  t.equal(strict.a.isUp('B1'), false, 'max_hops 0: never Up');
  t.ok(strict.a.drops.ttl >= 3, `hop limit 254 < 255 dropped and counted (${strict.a.drops.ttl} in 3 s: the peer, never Up, sends at idle_tx 1 s)`);
  // keepalived's default IPv6 hop limit is 64: the check is against it (63 arrives after one hop).
  const dflt = pairOf(t, '2001:db8:1::1', '2001:db8:2::3', '  max_hops 1\n');
  dflt.net.ttlOverride = 63;
  dflt.clock.advance(3000);
  t.same(dflt.net.opened.map((o) => o.ttl), [64, 64], 'default hoplimit 64 (keepalived.conf(5))');
  t.equal(dflt.a.isUp('B1'), true, '63 ≥ 64 − 1: Up');
});

t.test('IPv6 addresses written in any form match the kernel\'s text of a datagram\'s source and destination', async (t) => {
  const r = load(conf('2001:DB8:1:0:0::0001', '2001:0db8:0002::0:3', '  passive\n'));
  t.same(errors(r), []);
  t.match(r.model?.bfdInstances?.[0], { family: 6, neighborIp: '2001:db8:2::3', sourceIp: '2001:db8:1::1' }, 'RFC 5952 text in the model');
  // A passive session learns of its peer only from a packet with Your Discriminator 0, found by address.
  const clock = new FakeClock(0);
  const net = new FakeNet();
  const s = new BfdService({ clock, defer: (fn) => fn(), transport: net.transport('2001:db8:1::1'), log: { info: () => undefined, warn: () => undefined, debug: () => undefined } });
  s.start(r.model as Model);
  t.teardown(() => s.stop());
  s.onDatagram({ data: encodeControl({ diag: 0, state: BfdState.Down, poll: false, final: false, detectMult: 3, myDiscr: 77, yourDiscr: 0, desiredMinTxUs: 50_000, requiredMinRxUs: 50_000 }), family: 6, src: '2001:db8:2::3', srcPort: 49152, dst: '2001:db8:1::1', ifindex: 2, ttl: 64, multihop: false });
  t.equal(s.drops.no_session, 0, 'not dropped as no_session');
  t.match(s.sessions()[0], { state: 'Init', remoteDiscr: 77 }, 'the session took the packet: Down → Init');
});
