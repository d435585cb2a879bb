/**
 * What a takeover puts on the wire, and when: the first advert, the first VIP's netlink
 * request and its gratuitous ARP / unsolicited NA, then every other VIP's request and the rest
 * of the first announce round — all inside the timer callback that decided the takeover,
 * before any await (rtnetlink applies a request within the send, so the addresses exist by
 * then). The rest of the burst follows the ACKs.
 * (Issue: client-visible takeover; the latency figures are in scripts/bench/client-takeover.ts.)
 */
import t from 'tap';
import { loadConfigText } from '../../src/config/load';
import { InstanceRuntime, type InstanceWiring } from '../../src/runtime/instance';
import { MemoryLogger } from '../../src/observe/log';
import type { AnnouncePort } from '../../src/net/ports';
import { FakeClock } from '../support/fake-clock';
import { FakeRtnl } from '../support/fake-rtnl';

type Ev = { what: 'advert' | 'add' | 'garp' | 'na' | 'del' | 'log' | 'transition' | 'notify' | 'yield'; ip?: string; text?: string };

/** A MemoryLogger whose lines also land in the event list, to see them beside the wire effects. */
class EventLogger extends MemoryLogger {
  constructor(private readonly events: Ev[]) {
    super(true);
  }
  override info(text: string): void {
    super.info(text);
    this.events.push({ what: 'log', text });
  }
  override debug(text: string): void {
    super.debug(text);
    this.events.push({ what: 'log', text });
  }
}

function setup(vips: string[], family: 'inet' | 'inet6' = 'inet', extra = '') {
  const text = `global_defs {\n  vrrp_version 3\n}\nvrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  priority 90\n  advert_int 1\n${extra}\n  virtual_ipaddress {\n${vips.map((v) => `    ${v}`).join('\n')}\n  }\n}\n`;
  const r = loadConfigText(text, 't.conf', { configId: 't', readFile: (p) => { throw new Error(`no file ${p}`); } });
  const m = r.model?.vrrpInstances[0];
  if (!m) throw new Error(`config: ${JSON.stringify(r.diagnostics)}`);
  const events: Ev[] = [];
  const rtnl = new FakeRtnl();
  const add = rtnl.addAddress.bind(rtnl);
  rtnl.addAddress = (spec) => {
    events.push({ what: 'add', ip: spec.address });
    return add(spec);
  };
  const del = rtnl.delAddress.bind(rtnl);
  rtnl.delAddress = (spec) => {
    events.push({ what: 'del', ip: spec.address });
    return del(spec);
  };
  const announcer: AnnouncePort = {
    gratuitousArp: (_ifn, ip) => void events.push({ what: 'garp', ip }),
    unsolicitedNa: (_ifn, ip) => void events.push({ what: 'na', ip }),
  };
  const wiring: InstanceWiring = {
    vipIfname: 'eth0', announceIfname: 'eth0', announceMac: '02:00:00:00:00:02',
    primaryAddress: family === 'inet' ? '192.0.2.2' : 'fe80::2', destinations: [family === 'inet' ? '224.0.0.18' : 'ff02::12'],
    send: () => void events.push({ what: 'advert' }), router: false,
  };
  const clock = new FakeClock();
  const inst = new InstanceRuntime(m, wiring, {
    clock, log: new EventLogger(events), rtnl, announcer,
    onTransition: (_i, from, to) => void events.push({ what: 'transition', text: `${from}->${to}` }),
    onNotify: (_i, state) => void events.push({ what: 'notify', text: state }),
    yieldCpu: () => void events.push({ what: 'yield' }),
  });
  return { inst, clock, events };
}

const v4 = Array.from({ length: 50 }, (_, i) => `192.0.2.${100 + i}/24`);
const v6 = Array.from({ length: 3 }, (_, i) => `2001:db8::${(0x100 + i).toString(16)}/64`);

for (const [name, vips, family, kind] of [
  ['IPv4, 1 VIP', v4.slice(0, 1), 'inet', 'garp'],
  ['IPv4, 50 VIPs', v4, 'inet', 'garp'],
  ['IPv6, 3 VIPs', v6, 'inet6', 'na'],
] as const) {
  t.test(`${name}: advert, every VIP request and the first announce round leave in the timer callback`, async (t) => {
    const { inst, clock, events } = setup([...vips], family);
    inst.start();
    await inst.settled();
    events.length = 0;
    clock.advance(4000); // past Master_Down_Interval: the takeover runs synchronously in here
    const n = vips.length;
    const sync = events.filter((e) => e.what !== 'log' && e.what !== 'transition' && e.what !== 'notify').map((e) => e.what);
    const ips = vips.map((v) => v.split('/')[0]);
    t.same(sync.slice(0, 1), ['advert'], 'first advert first');
    if (n === 1) {
      t.same(sync.slice(1, 3), ['add', kind], 'then the VIP request and its announce');
    } else {
      t.same(sync.slice(1, 3), ['add', kind], 'then the first VIP request and its announce, before the other VIPs are requested');
      t.equal(events.filter((e) => e.what !== 'log')[2]?.ip, ips[0], 'announcing the first VIP, the one just added');
      t.same(sync.slice(3, 2 + n), Array(n - 1).fill('add'), 'then every other VIP request');
      t.same(sync.slice(2 + n, 1 + 2 * n), Array(n - 1).fill(kind), 'then one announce per other VIP, before any await');
    }
    const wire = events.filter((e) => e.what === 'add' || e.what === kind);
    t.same(wire.filter((e) => e.what === kind).map((e) => e.ip), ips, 'one announce per VIP in the first round');
    for (const ip of ips) t.ok(wire.findIndex((e) => e.what === 'add' && e.ip === ip) < wire.findIndex((e) => e.what === kind && e.ip === ip), `${ip} announced after its request`);
    t.equal(inst.state.state, 'MASTER');
    await inst.settled();
    const total = events.filter((e) => e.what === kind).length;
    t.equal(total, 5 * n, 'the rest of the burst (garp_master_repeat 5) follows the ACKs');
  });
}

t.test('an announce never jumps ahead of a queued removal', async (t) => {
  const { inst, clock, events } = setup(['192.0.2.100/24'], 'inet', '  preempt_delay 0');
  inst.start();
  await inst.settled();
  clock.advance(4000);
  t.equal(inst.state.state, 'MASTER');
  // Demote and promote again before anything settles: the second add is queued behind the
  // removal, so its burst must wait for it too.
  const before = events.length;
  inst.force('BACKUP', 'test');
  inst.force('MASTER', 'test');
  const early = events.slice(before).filter((e) => e.what === 'garp' || e.what === 'add');
  t.equal(early.length, 0, 'no add or GARP issued synchronously while a removal is queued');
  await inst.settled();
  const lastDel = events.map((e) => e.what).lastIndexOf('del');
  const lastAdd = events.map((e) => e.what).lastIndexOf('add');
  t.ok(lastAdd > lastDel, 're-added after the removal');
  t.ok(events.slice(lastAdd).some((e) => e.what === 'garp'), 'and announced after it');
});

t.test('log lines, the transition hook and notify follow the wire effects of the takeover, in the state machine order', async (t) => {
  const { inst, clock, events } = setup(['192.0.2.100/24', '192.0.2.101/24']);
  inst.start();
  await inst.settled();
  events.length = 0;
  clock.advance(4000);
  const kinds = events.map((e) => e.what);
  const lastWire = Math.max(kinds.lastIndexOf('advert'), kinds.lastIndexOf('add'), kinds.lastIndexOf('garp'));
  const firstOther = kinds.findIndex((k) => k === 'log' || k === 'transition' || k === 'notify');
  t.same(kinds.slice(0, 5), ['advert', 'add', 'garp', 'add', 'garp'], 'advert, VIP requests, first GARP round first');
  t.ok(firstOther > lastWire, 'nothing else runs between them');
  const rest = events.slice(firstOther).filter((e) => e.what !== 'garp' && e.what !== 'add');
  const idx = (pred: (e: Ev) => boolean): number => rest.findIndex(pred);
  const transition = idx((e) => e.what === 'transition');
  const entering = idx((e) => /Entering MASTER STATE/.test(e.text ?? ''));
  const setting = idx((e) => /setting VIPs/.test(e.text ?? ''));
  const queueing = idx((e) => /Sending\/queueing gratuitous ARPs on eth0 for 192.0.2.100/.test(e.text ?? ''));
  const notify = idx((e) => e.what === 'notify' && e.text === 'MASTER');
  t.ok(transition >= 0 && entering > transition && setting > entering && queueing > setting && notify > queueing, `keepalived's order kept: transition, Entering MASTER, setting VIPs, Sending/queueing, notify (${rest.map((e) => e.text).join(' | ')})`);
});

for (const [name, vips, family, yields] of [
  ['IPv6, 3 VIPs', v6, 'inet6', 1],
  ['IPv4, 2 VIPs', v4.slice(0, 2), 'inet', 0],
] as const) {
  t.test(`${name}: the CPU is yielded ${yields ? 'once, after the wire effects and before the lines and hooks' : 'never'}`, async (t) => {
    // (IPv6: the kernel's addrconf work that makes the address usable and announces it to
    // netlink listeners is queued on our CPU; it runs at the yield instead of after the hooks)
    const { inst, clock, events } = setup([...vips], family);
    inst.start();
    await inst.settled();
    events.length = 0;
    clock.advance(4000);
    const kinds = events.map((e) => e.what);
    t.equal(kinds.filter((k) => k === 'yield').length, yields, `${yields} yield(s) in the takeover's dispatch`);
    if (yields) {
      const at = kinds.indexOf('yield');
      const wire = Math.max(kinds.lastIndexOf('advert'), kinds.lastIndexOf('add'), kinds.lastIndexOf('na'));
      t.ok(at > wire, 'after the advert, the requests and the first announce round');
      t.ok(kinds.slice(0, at).every((k) => k !== 'log' && k !== 'transition' && k !== 'notify'), 'before any line, transition hook or notify');
      t.ok(kinds.includes('notify') && kinds.includes('transition'), 'which still run in the same callback');
    }
    await inst.settled();
    t.equal(events.filter((e) => e.what === 'yield').length, yields, 'none later (the ACKs and the rest of the burst)');
  });
}
