/**
 * use_ipvlan without a kernel: the keyword's grammar (name, address, flags in any order; the
 * IPv4 address requirement in keepalived 2.2.7's words), the RTM_NEWLINK attributes, and the
 * wiring: the ipvlan is created on the interface, brought up, given its address, carries the
 * adverts from that address, while VIPs and GARPs stay on the interface (keepalived 2.2.7,
 * observed in the IPVS VM; test/ipvs/ipvlan.test.ts runs both daemons there).
 */
import t from 'tap';
import { load, withCode } from './config-helpers';
import { encodeIpvlan, nlattrs } from '../../src/net/rtnl-codec';
import { resolveWiring } from '../../src/runtime/wiring';
import { FakeRtnl } from '../support/fake-rtnl';
import type { Model } from '../../src/config/model';

const conf = (opt: string, vip = '192.0.2.100/24'): string =>
  `vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  priority 100\n  use_ipvlan ${opt}\n  virtual_ipaddress {\n    ${vip}\n  }\n}\n`;
const inst = (m: Model | undefined) => m?.vrrpInstances[0];

t.test('use_ipvlan [NAME] [IP[/LEN]] [bridge|private|vepa]', async (t) => {
  t.same(inst(load(conf('vip51 192.0.2.51/24 private')).model)?.useIpvlan, { name: 'vip51', address: { address: '192.0.2.51', prefixLen: 24 }, flags: 'private' });
  t.same(inst(load(conf('192.0.2.52')).model)?.useIpvlan, { address: { address: '192.0.2.52', prefixLen: 32 }, flags: 'bridge' }, 'bare address: /32, bridge, default name');
  t.same(inst(load(conf('vepa 192.0.2.53/25 v53')).model)?.useIpvlan, { name: 'v53', address: { address: '192.0.2.53', prefixLen: 25 }, flags: 'vepa' }, 'any order');
  t.same(inst(load(conf('', '2001:db8::100/64')).model)?.useIpvlan, { flags: 'bridge' }, 'IPv6 needs no address (link-local)');
  const bare = load(conf(''));
  t.match(withCode(bare, 'ERR_CONFIG_IPVLAN'), [{ severity: 'error', message: '(VI_1) IPv4 ipvlan requires a source ip address to be configured. setting instance to fault state' }]);
  t.match(withCode(load(conf('x 2001:db8::5')), 'ERR_CONFIG_IPVLAN'), [{ message: /not of the instance's address family/ }, { message: /requires a source ip address/ }]);
  t.notOk(withCode(load(conf('vip51 192.0.2.51/24')), 'ERR_CONFIG_UNSUPPORTED').length, 'no "not implemented" warning');
});

t.test('RTM_NEWLINK: kind ipvlan, IFLA_IPVLAN_MODE l2 (0), IFLA_IPVLAN_FLAGS bridge 0 / private 1 / vepa 2', async (t) => {
  for (const [flags, want] of [['bridge', 0], ['private', 1], ['vepa', 2]] as const) {
    const { attrs } = encodeIpvlan('vip51', 7, flags);
    t.equal(attrs.ifname, 'vip51');
    t.equal((attrs.link as Buffer).readUInt32LE(0), 7, 'parent ifindex');
    const info = new Map(nlattrs(attrs.linkinfo as Buffer));
    t.equal(info.get(1)?.toString(), 'ipvlan');
    const data = new Map(nlattrs(info.get(2) as Buffer));
    t.equal(data.get(1)?.readUInt16LE(0), 0, 'mode l2');
    t.equal(data.get(2)?.readUInt16LE(0), want, `flags ${flags}`);
  }
});

t.test('wiring: ipvlan on eth0, up, with its address; adverts from it; VIPs and GARPs on eth0', async (t) => {
  const m = load(conf('vip51 192.0.2.51/24 private')).model as Model;
  const rtnl = new FakeRtnl();
  await rtnl.addAddress({ family: 'inet', address: '192.0.2.1', prefixLen: 24, dev: 'eth0' });
  const said: string[] = [];
  const w = await resolveWiring(m.vrrpInstances[0]!, m.globalDefs, rtnl, new Map(), (l) => said.push(l));
  t.same(rtnl.callsOf('createIpvlan'), [['vip51', 'eth0', 'private']]);
  t.equal(rtnl.links.get('vip51')?.adminUp, true, 'up');
  t.ok(rtnl.addresses.some((a) => a.address === '192.0.2.51' && a.prefixLen === 24 && a.ifindex === rtnl.links.get('vip51')?.ifindex), 'address on the ipvlan');
  t.match(w, { baseIfname: 'eth0', xmitIfname: 'vip51', primaryAddress: '192.0.2.51', vipIfname: 'eth0', announceIfname: 'eth0', vmac: 'vip51' });
  t.same(said, ['(VI_1): Success creating ipvlan interface vip51']);
  const again = await resolveWiring(m.vrrpInstances[0]!, m.globalDefs, rtnl, new Map());
  t.equal(again.xmitIfname, 'vip51', 'a left-over ipvlan (crashed run) is reused');
  t.equal(rtnl.addresses.filter((a) => a.address === '192.0.2.51').length, 1, 'its address is not added twice');
});

t.test('wiring: default name vrrp.VRID, bridge', async (t) => {
  const m = load(conf('192.0.2.52')).model as Model;
  const rtnl = new FakeRtnl();
  const w = await resolveWiring(m.vrrpInstances[0]!, m.globalDefs, rtnl, new Map());
  t.same(rtnl.callsOf('createIpvlan'), [['vrrp.51', 'eth0', 'bridge']]);
  t.equal(w.primaryAddress, '192.0.2.52');
});

t.test('wiring: an IPv4 instance without an address is refused before anything is created', async (t) => {
  const m = load(conf('')).model as Model;
  const rtnl = new FakeRtnl();
  await t.rejects(resolveWiring(m.vrrpInstances[0]!, m.globalDefs, rtnl, new Map()), { code: 'ERR_WIRING_NO_ADDRESS', message: /IPv4 ipvlan requires a source ip address/ });
  t.same(rtnl.callsOf('createIpvlan'), []);
});
