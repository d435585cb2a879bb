/**
 * interface_up_down_delays (keepalived.conf(5) "Interface up/down status change debouncing"):
 * the pure debounce core (src/track/link-debounce.ts) in virtual time, the config lines, and the
 * gate the daemon uses (src/runtime/link-delays.ts) on a FakeClock. Rows follow keepalived
 * 2.2.7 as observed in the namespace lab (test/integration/link-debounce.test.ts).
 */
import t from 'tap';
import { boundDelays, linkChanged, linkDue, lowerAdvertInt, type DebouncedLink } from '../../src/track/link-debounce';
import { LinkDelayGate } from '../../src/runtime/link-delays';
import { loadConfigText } from '../../src/config/load';
import { configTestStatus } from '../../src/cli/exit-status';
import { MemoryLogger } from '../../src/observe/log';
import { FakeClock } from '../support/fake-clock';

const UP = 0x11043;
const DOWN = 0x1003;
const upLink: DebouncedLink = { up: true, flags: UP };
const delays = { downUs: 2_000_000, upUs: 1_000_000 };

t.test('a down shorter than the down delay never reaches the instances', async (t) => {
  const a = linkChanged(upLink, 'eth0', false, DOWN, delays, 1000);
  t.equal(a.apply, false, 'put off');
  t.equal(a.armAtMs, 3000, 'due after down_delay');
  t.equal(a.line, 'eth0: Adding flags change from 0x11043 to 0x1003 delay by 2000000', "keepalived's line");
  t.equal(a.link.up, true, 'instances still see it up');
  const b = linkChanged(a.link, 'eth0', true, UP, delays, 2999);
  t.equal(b.apply, false);
  t.equal(b.cancel, true, 'the timer is cancelled');
  t.equal(b.line, undefined, 'the change back is silent');
  t.same(b.link, upLink, 'nothing pending');
});

t.test('a down longer than the delay reaches them exactly at the deadline', async (t) => {
  const a = linkChanged(upLink, 'eth0', false, DOWN, delays, 1000);
  t.equal(linkDue(a.link, 2999).apply, false, '1 ms early: not yet');
  t.equal(linkDue(a.link, 2999).armAtMs, 3000, 'an early timer is re-armed');
  const due = linkDue(a.link, 3000);
  t.equal(due.apply, true);
  t.same(due.link, { up: false, flags: DOWN });
});

t.test('the up delay applies to the way back; a new down during it cancels the up', async (t) => {
  const down: DebouncedLink = { up: false, flags: DOWN };
  const a = linkChanged(down, 'eth0', true, UP, delays, 0);
  t.equal(a.armAtMs, 1000);
  t.equal(a.line, 'eth0: Adding flags change from 0x1003 to 0x11043 delay by 1000000');
  const b = linkChanged(a.link, 'eth0', false, DOWN, delays, 500);
  t.same(b.link, down);
  t.equal(b.cancel, true);
});

t.test('a delay of 0 (the omitted up delay) applies at once', async (t) => {
  const r = linkChanged({ up: false, flags: DOWN }, 'eth0', true, UP, { downUs: 2_000_000, upUs: 0 }, 0);
  t.equal(r.apply, true);
  t.equal(r.armAtMs, undefined);
  t.same(r.link, { up: true, flags: UP });
});

t.test('a repeated change in the same direction keeps the first deadline', async (t) => {
  const a = linkChanged(upLink, 'eth0', false, DOWN, delays, 0);
  const b = linkChanged(a.link, 'eth0', false, 0x1002, delays, 1500);
  t.equal(b.armAtMs, undefined);
  t.equal(b.link.pending?.dueMs, 2000);
});

t.test('delays not below (down_timer_adverts - 1) x advert_int are reset below it', async (t) => {
  const conf = new Map([['eth0', { downUs: 5_000_000, upUs: 1_000_000 }]]);
  const r = boundDelays(conf, [{ name: 'VI_1', ifname: 'eth0', advertIntMs: 1000, downTimerAdverts: 3 }]);
  t.same(r.delays.get('eth0'), { downUs: 1_996_094, upUs: 1_000_000 }, 'advert 1 s: 1996094 µs, as keepalived 2.2.7');
  t.same(r.lines, ['VI_1: interface eth0 debounce timer(s) not less that 2 * advert_int - resetting']);
  const r2 = boundDelays(new Map([['eth0', { downUs: 10_000_000, upUs: 9_000_000 }]]), [{ name: 'VI_1', ifname: 'eth0', advertIntMs: 2000, downTimerAdverts: 3 }]);
  t.same(r2.delays.get('eth0'), { downUs: 3_992_188, upUs: 3_992_188 }, 'advert 2 s: 3992188 µs');
  const ok = boundDelays(new Map([['eth0', { downUs: 2_000_000, upUs: 1_000_000 }]]), [{ name: 'VI_1', ifname: 'eth0', advertIntMs: 4000, downTimerAdverts: 3 }]);
  t.same(ok.lines, [], 'below the bound: kept, no line');
  const other = boundDelays(conf, [{ name: 'VI_2', ifname: 'eth1', advertIntMs: 1000, downTimerAdverts: 3 }]);
  t.same(other.delays.get('eth0'), { downUs: 5_000_000, upUs: 1_000_000 }, 'only instances on that interface bound it');
});

t.test('config: lines, defaults and keepalived 2.2.7 diagnostics', async (t) => {
  const load = (body: string) => loadConfigText(`interface_up_down_delays {\n${body}\n}\n`, 'k.conf', { configId: 'x', interfaceExists: (n) => (n === 'eth0' || n === 'eth1' ? 'present' : 'absent') });
  const r = load('  eth0 2 1\n  eth1 0.5');
  t.same(r.model?.interfaceUpDownDelays?.map((d) => [d.ifname, d.downUs, d.upUs]), [['eth0', 2_000_000, 1_000_000], ['eth1', 500_000, 0]], 'up omitted: 0');
  t.match(load('  eth0 300').diagnostics.map((d) => d.message), [/number '300' outside range \[0\.000000, 255\.000000\]/]);
  t.match(load('  eth0 abc').diagnostics.map((d) => d.message), [/invalid number 'abc'/]);
  t.match(load('  eth0 -1').diagnostics.map((d) => d.message), [/negative number '-1'/]);
  const missing = load('  nosuch 1 2');
  t.match(missing.diagnostics.map((d) => d.message), [/unknown interface nosuch specified for up\/down delay/]);
  t.equal(configTestStatus(missing.diagnostics), 4, '-t exits 4 as keepalived 2.2.7');
});

t.test('gate: delayed interfaces debounce, others pass at once; a VMAC inherits its parent', async (t) => {
  const clock = new FakeClock();
  const log = new MemoryLogger();
  const applied: string[] = [];
  const gate = new LinkDelayGate(clock, log, (ifname, up) => applied.push(`${ifname} ${up ? 'up' : 'down'}`));
  const model = loadConfigText('interface_up_down_delays {\n  eth0 2 1\n}\n', 'k.conf', { configId: 'x' }).model;
  if (!model) throw new Error('no model');
  gate.setParent('vrrp.51', 'eth0');
  gate.configure(model, [{ name: 'VI_1', ifname: 'eth0', advertIntMs: 4000, downTimerAdverts: 3 }]);
  const l = (ifname: string, up: boolean) => ({ ifindex: 2, ifname, up, mac: '', flags: up ? UP : DOWN });
  t.equal(gate.onLink(l('eth1', false), l('eth1', true)), true, 'no delay: at once');
  t.equal(gate.onLink(l('eth0', false), l('eth0', true)), false, 'delayed');
  t.equal(gate.isUp('eth0', false), true, 'instances still see it up');
  clock.advance(1999);
  t.same(applied, []);
  clock.advance(1);
  t.same(applied, ['eth0 down'], 'reported after 2 s');
  t.equal(gate.isUp('eth0', false), false);
  t.equal(gate.onLink(l('vrrp.51', false), l('vrrp.51', true)), false, 'the VMAC has eth0 delays');
  gate.onLink(l('vrrp.51', true), l('vrrp.51', false));
  clock.advance(5000);
  t.same(applied, ['eth0 down'], 'bounce shorter than the delay: never reported');
  t.match(log.lines.map((x) => x.text), [/eth0: Adding flags change from 0x11043 to 0x1003 delay by 2000000/, /vrrp\.51: Adding flags change/]);
});

t.test('a faster master lowers the delays once, with keepalived 2.2.7 line (observed: 8 s -> 1996094 us at 1 s)', async (t) => {
  const conf = new Map([['eth0', { downUs: 8_000_000, upUs: 0 }]]);
  const u = { name: 'VI_1', ifname: 'eth0', advertIntMs: 1000, downTimerAdverts: 3 };
  const r = lowerAdvertInt(conf, u);
  t.same(r.delays.get('eth0'), { downUs: 1_996_094, upUs: 0 });
  t.equal(r.line, 'VI_1: lower advert_int reducing interface eth0 debounce timer(s)');
  const again = lowerAdvertInt(r.delays, u);
  t.same(again.delays.get('eth0'), { downUs: 1_996_094, upUs: 0 }, 'already below: unchanged');
  t.equal(again.line, undefined, 'and no second line');
  t.equal(lowerAdvertInt(conf, { ...u, advertIntMs: 5000 }).line, undefined, 'still below the bound of a 5 s interval');
});
