/** The in-memory RtnlPort other suites rely on must behave like the real adapter. */
import t from 'tap';
import { FakeRtnl, routeKey } from '../support/fake-rtnl';
import type { NetEvent } from '../../src/net/ports';

const vip = { family: 'inet' as const, address: '192.0.2.100', prefixLen: 24, dev: 'eth0' };

t.test('addresses: idempotent, normalised, reported to watchers after the call', async (t) => {
  const f = new FakeRtnl();
  const events: NetEvent[] = [];
  f.watch((e) => events.push(e));
  const first = f.addAddress(vip);
  t.equal(events.length, 0, 'not delivered from inside the call');
  await first;
  await f.addAddress(vip);
  await f.addAddress({ family: 'inet6', address: '2001:DB8:0::100', prefixLen: 128, dev: 'eth0' });
  t.ok(f.hasAddress('192.0.2.100', 'eth0'));
  t.ok(f.hasAddress('2001:db8::100'), 'IPv6 text normalised');
  t.equal((await f.listAddresses('eth0')).length, 2);
  await f.settle();
  t.same(events.map((e) => e.type), ['addr-added', 'addr-added'], 'second add of the same VIP is silent');
  await f.delAddress(vip);
  await f.delAddress(vip);
  await f.delAddress({ ...vip, dev: 'gone0' });
  await f.settle();
  t.same(events.map((e) => e.type), ['addr-added', 'addr-added', 'addr-removed']);
  t.equal(f.callsOf('addAddress').length, 3, 'every call recorded');
  t.same(f.callbackErrors, []);
});

t.test('errors match the real adapter codes', async (t) => {
  const f = new FakeRtnl();
  await t.rejects(f.addAddress({ ...vip, dev: 'nope0' }), { code: 'ERR_NETLINK_NO_DEVICE', errno: 19 });
  await t.rejects(f.addAddress({ ...vip, address: '192.0.2.999' }), { code: 'ERR_NETLINK_INVALID_ARG' });
  await t.rejects(f.addRule({ family: 'inet', priority: 5 }), { code: 'ERR_NETLINK_INVALID_ARG' });
  f.failNext('addAddress', 'ERR_NETLINK_REQUEST', 1);
  await t.rejects(f.addAddress(vip), { code: 'ERR_NETLINK_REQUEST', errno: 1 });
  await t.resolves(f.addAddress(vip), 'only the next call fails');
  f.close();
  await t.rejects(f.listLinks(), { code: 'ERR_NETLINK_CLOSED' });
});

t.test('links: carrier, admin state, macvlan lifecycle', async (t) => {
  const f = new FakeRtnl({ links: [{ ifname: 'eth0', mac: '02:00:00:00:00:aa' }] });
  const events: NetEvent[] = [];
  const w = f.watch((e) => events.push(e));
  f.setCarrier('eth0', false);
  t.equal((await f.getLink('eth0'))?.up, false);
  f.setCarrier('eth0', true);
  const v = await f.createMacvlan('vrrp.51', 'eth0', '00:00:5E:00:01:33', 'private');
  t.same(v, { ifindex: v.ifindex, ifname: 'vrrp.51', up: false, mac: '00:00:5e:00:01:33', kind: 'macvlan' });
  t.same(await f.createMacvlan('vrrp.51', 'eth0', '00:00:5e:00:01:33', 'private'), v, 'leftover reused');
  await t.rejects(f.createMacvlan('vrrp.51', 'eth0', '00:00:5e:00:01:34', 'private'), { code: 'ERR_NETLINK_REQUEST', errno: 17 });
  await f.setLinkUp('vrrp.51', true);
  await f.addAddress({ ...vip, dev: 'vrrp.51' });
  await f.deleteLink('vrrp.51');
  await f.deleteLink('vrrp.51');
  await f.settle();
  t.same(events.map((e) => (e.type === 'link' ? `link ${e.link.ifname} ${e.link.up}` : e.type)), [
    'link eth0 false', 'link eth0 true', 'link vrrp.51 false', 'link vrrp.51 true', 'addr-added', 'addr-removed', 'link-deleted',
  ]);
  t.notOk(f.hasAddress('192.0.2.100'), 'addresses go with their link');
  w.close();
  f.setCarrier('eth0', false);
  await f.settle();
  t.equal(events.length, 7, 'closed watch gets nothing');
});

t.test('test controls: inject and removeBehindBack', async (t) => {
  const f = new FakeRtnl();
  const events: NetEvent[] = [];
  f.watch((e) => events.push(e));
  await f.addAddress(vip);
  t.ok(f.removeBehindBack('192.0.2.100'));
  t.notOk(f.removeBehindBack('192.0.2.100'));
  f.inject({ type: 'link-deleted', ifindex: 42, ifname: 'x' });
  await f.settle();
  t.same(events.map((e) => e.type), ['addr-added', 'addr-removed', 'link-deleted']);
  t.match(events[1], { addr: { address: '192.0.2.100', ifname: 'eth0' } });
});

t.test('routes and rules keyed like the kernel', async (t) => {
  const f = new FakeRtnl();
  await f.addRoute({ family: 'inet', to: '198.51.100.0/24', via: '192.0.2.254', dev: 'eth0' });
  await f.addRoute({ family: 'inet', to: '198.51.100.0/24', via: '192.0.2.253', dev: 'eth0' });
  t.equal(f.routes.size, 1, 'same dst/table/metric is the same route');
  await f.addRoute({ family: 'inet', to: '198.51.100.0/24', via: '192.0.2.254', table: 100 });
  t.equal(f.routes.size, 2);
  await f.delRoute({ family: 'inet', to: '198.51.100.0/24' });
  await f.delRoute({ family: 'inet', to: '198.51.100.0/24' });
  t.equal(f.routes.size, 1);
  t.equal(routeKey({ family: 'inet6', to: '2001:DB8::1' }), 'inet6 2001:db8::1/128 table 254 metric 0 tos 0');
  await f.addRule({ family: 'inet', from: '192.0.2.0/24', table: 100, priority: 10 });
  await f.addRule({ family: 'inet', from: '192.0.2.0/24', table: 100, priority: 10 });
  t.equal(f.rules.size, 1);
  await f.delRule({ family: 'inet', from: '192.0.2.0/24', table: 100, priority: 10 });
  t.equal(f.rules.size, 0);
});
