import t from 'tap';
import { AttrStream, rt } from 'netlink';
import {
  AF_INET, AF_INET6, addrGenModeNoneSpec, broadcastFor, decodeAddress, decodeLink, effectiveAddressOptions,
  encodeAddress, encodeMacvlan, encodeRoute, encodeRule, formatIp, INFINITY_LIFE_TIME, nlattr, nlattrs, parseIp,
  parsePrefix, RtnlError, toLinkInfo,
} from '../../src/net/rtnl-codec';
import type { AddressSpec } from '../../src/net/ports';

t.test('parseIp / formatIp round trips and RFC 5952 text', async (t) => {
  const rows: Array<[string, string]> = [
    ['192.0.2.100', '192.0.2.100'],
    ['0.0.0.0', '0.0.0.0'],
    ['2001:db8::100', '2001:db8::100'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['::', '::'],
    ['::1', '::1'],
    ['fe80::1:0:0:1', 'fe80::1:0:0:1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // first of two equal runs
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'], // longest run wins
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2:3:4:5:6'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a single zero group is not compressed
    ['::ffff:192.0.2.1', '::ffff:c000:201'],
    ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
  ];
  for (const [input, text] of rows) {
    const p = parseIp(input);
    t.ok(p, `parses ${input}`);
    if (p) t.equal(formatIp(p.bytes), text, `${input} -> ${text}`);
  }
  t.equal(parseIp('192.0.2.1')?.family, 'inet');
  t.equal(parseIp('2001:db8::1')?.family, 'inet6');
  for (const bad of ['', '256.0.0.1', '1.2.3', '1.2.3.4.5', '2001:db8::1::2', '12345::', ':::', '2001:db8:1:2:3:4:5:6:7', 'fe80::1%eth0', 'x::1', '1:2:3:4:5:6:7']) {
    t.equal(parseIp(bad), undefined, `rejects "${bad}"`);
  }
  t.equal(parseIp('192.0.2.1', 'inet6'), undefined, 'family restricts');
  t.equal(parseIp('::1', 'inet'), undefined, 'family restricts (v6)');
});

t.test('parsePrefix', async (t) => {
  t.same(parsePrefix('default', 'inet'), { len: 0 });
  t.same(parsePrefix('192.0.2.0/24', 'inet'), { bytes: Buffer.from([192, 0, 2, 0]), len: 24 });
  t.equal(parsePrefix('192.0.2.7', 'inet')?.len, 32, 'bare address is a host route');
  t.equal(parsePrefix('2001:db8::/48', 'inet6')?.len, 48);
  t.equal(parsePrefix('2001:db8::1', 'inet6')?.len, 128);
  t.equal(parsePrefix('192.0.2.0/33', 'inet'), undefined);
  t.equal(parsePrefix('192.0.2.0/-1', 'inet'), undefined);
  t.equal(parsePrefix('192.0.2.0/24/1', 'inet'), undefined);
  t.equal(parsePrefix('2001:db8::/24', 'inet'), undefined, 'wrong family');
});

const vip = (o: Partial<AddressSpec> = {}): AddressSpec => ({ family: 'inet', address: '192.0.2.100', prefixLen: 24, dev: 'eth0', ...o });

t.test('broadcast: explicit, + and -', async (t) => {
  t.same(broadcastFor(vip({ broadcast: '+' })), Buffer.from([192, 0, 2, 255]));
  t.same(broadcastFor(vip({ broadcast: '-' })), Buffer.from([192, 0, 2, 0]));
  t.same(broadcastFor(vip({ broadcast: '192.0.2.127' })), Buffer.from([192, 0, 2, 127]));
  t.same(broadcastFor(vip({ prefixLen: 20, address: '10.1.2.3', broadcast: '+' })), Buffer.from([10, 1, 15, 255]));
  t.equal(broadcastFor(vip()), undefined);
  t.equal(broadcastFor(vip({ prefixLen: 32, broadcast: '+' })), undefined, '/32 has no broadcast');
});

t.test('keepalived address defaults: IPv6 /128 deprecated, IPv6 nodad', async (t) => {
  t.same(effectiveAddressOptions(vip()), { preferredLft: undefined, noDad: false });
  t.same(effectiveAddressOptions(vip({ family: 'inet6', address: '2001:db8::1', prefixLen: 128 })), { preferredLft: 0, noDad: true });
  t.same(effectiveAddressOptions(vip({ family: 'inet6', address: '2001:db8::1', prefixLen: 64 })), { preferredLft: undefined, noDad: true });
  t.same(effectiveAddressOptions(vip({ family: 'inet6', address: '2001:db8::1', prefixLen: 128, preferredLft: 'forever', noDad: false })), { preferredLft: 'forever', noDad: false });
});

t.test('encodeAddress', async (t) => {
  const a = encodeAddress(vip({ broadcast: '+', label: 'eth0:vip', scope: 'link' }), 7, 'add');
  t.same(a.data, { family: AF_INET, prefixlen: 24, index: 7, scope: 253 });
  t.same(a.attrs.local, Buffer.from([192, 0, 2, 100]));
  t.same(a.attrs.address, Buffer.from([192, 0, 2, 100]), 'IFA_ADDRESS = local without peer');
  t.same(a.attrs.broadcast, Buffer.from([192, 0, 2, 255]));
  t.equal(a.attrs.label, 'eth0:vip');
  t.equal(a.attrs.flags, undefined, 'IPv4 gets no nodad');
  t.equal(a.attrs.cacheInfo, undefined);

  const p = encodeAddress(vip({ peer: '192.0.2.200', prefixLen: 32 }), 7, 'add');
  t.same(p.attrs.address, Buffer.from([192, 0, 2, 200]), 'peer goes in IFA_ADDRESS');

  const v6 = encodeAddress(vip({ family: 'inet6', address: '2001:db8::100', prefixLen: 128, label: 'ignored' }), 3, 'add');
  t.equal(v6.data.family, AF_INET6);
  t.same(v6.attrs.flags, { nodad: true });
  t.same(v6.attrs.cacheInfo, { ifaPrefered: 0, ifaValid: INFINITY_LIFE_TIME });
  t.equal(v6.attrs.label, undefined, 'labels are IPv4 only');
  const v6f = encodeAddress(vip({ family: 'inet6', address: '2001:db8::100', prefixLen: 128, preferredLft: 'forever' }), 3, 'add');
  t.same(v6f.attrs.cacheInfo, { ifaPrefered: INFINITY_LIFE_TIME, ifaValid: INFINITY_LIFE_TIME });

  const del = encodeAddress(vip({ broadcast: '+', label: 'eth0:vip' }), 7, 'del');
  t.same(Object.keys(del.attrs).sort(), ['address', 'local'], 'delete only identifies the address');

  for (const [bad, why] of [
    [vip({ address: '192.0.2.300' }), 'bad address'],
    [vip({ prefixLen: 33 }), 'prefix'],
    [vip({ family: 'inet6', address: '192.0.2.1' }), 'family mismatch'],
    [vip({ peer: 'nope' }), 'peer'],
    [vip({ broadcast: 'x' }), 'broadcast'],
    [vip({ label: 'a-very-long-label-name' }), 'label'],
  ] as const) {
    t.throws(() => encodeAddress(bad, 1, 'add'), { code: 'ERR_NETLINK_INVALID_ARG', errno: 22 }, why);
  }
});

t.test('encodeRoute', async (t) => {
  const r = encodeRoute({ family: 'inet', to: '198.51.100.0/24', via: '192.0.2.254', dev: 'eth0', metric: 50 }, 2, 'add');
  t.same(r.data, { family: AF_INET, dstLen: 24, srcLen: 0, tos: 0, table: 254, scope: 0, type: 1, protocol: 3 });
  t.same(r.attrs, { table: 254, dst: Buffer.from([198, 51, 100, 0]), gateway: Buffer.from([192, 0, 2, 254]), oif: 2, priority: 50 });

  const onlink = encodeRoute({ family: 'inet', to: '198.51.100.0/24', dev: 'eth0', src: '192.0.2.1', table: 1000, proto: 18 }, 2, 'add');
  t.equal(onlink.data.scope, 253, 'no gateway: link scope, as ip route');
  t.equal(onlink.data.table, 0, 'table >= 256 only in RTA_TABLE');
  t.equal(onlink.attrs.table, 1000);
  t.equal(onlink.data.protocol, 18);
  t.same(onlink.attrs.prefsrc, Buffer.from([192, 0, 2, 1]));

  const bh = encodeRoute({ family: 'inet', to: '203.0.113.0/24', type: 'blackhole' }, undefined, 'add');
  t.equal(bh.data.type, 6);
  t.equal(bh.data.scope, 0);
  t.equal(bh.attrs.oif, undefined);

  const def = encodeRoute({ family: 'inet6', to: 'default', via: '2001:db8::1', dev: 'eth0', onlink: true }, 4, 'add');
  t.equal(def.data.dstLen, 0);
  t.equal(def.attrs.dst, undefined, 'default has no RTA_DST');
  t.same(def.data.flags, { __unknown: 4 }, 'RTNH_F_ONLINK');

  const del = encodeRoute({ family: 'inet', to: '198.51.100.0/24', via: '192.0.2.254' }, undefined, 'del');
  t.equal(del.data.scope, 255, 'delete matches any scope');
  t.equal(del.data.protocol, 0, 'delete matches any protocol');

  const src = encodeRoute({ family: 'inet6', to: '2001:db8:1::/48', from: '2001:db8::/64', dev: 'eth0' }, 4, 'add');
  t.equal(src.data.srcLen, 64);
  t.ok(src.attrs.src);

  t.throws(() => encodeRoute({ family: 'inet', to: 'nowhere' }, undefined, 'add'), { code: 'ERR_NETLINK_INVALID_ARG' });
  t.throws(() => encodeRoute({ family: 'inet', to: '10.0.0.0/8', via: '2001:db8::1' }, undefined, 'add'), { code: 'ERR_NETLINK_INVALID_ARG' });
});

t.test('encodeRule', async (t) => {
  const r = encodeRule({ family: 'inet', from: '192.0.2.0/24', to: '198.51.100.0/24', table: 100, priority: 1000 }, 'add');
  t.same(r.data, { family: AF_INET, dstLen: 24, srcLen: 24, tos: 0, table: 100, action: 1 });
  t.same(r.attrs, { src: Buffer.from([192, 0, 2, 0]), dst: Buffer.from([198, 51, 100, 0]), table: 100, priority: 1000 });

  const m = encodeRule({ family: 'inet', fwmark: 0x7, fwmask: 0xff, table: 1000, iif: 'eth0', oif: 'eth1', proto: 18 }, 'add');
  t.equal(m.data.table, 0);
  t.same(m.attrs, { table: 1000, fwmark: 7, fwmask: 255, iifname: 'eth0', oifname: 'eth1', protocol: 18 });

  const u = encodeRule({ family: 'inet6', to: '2001:db8::9', action: 'unreachable', invert: true, priority: 5 }, 'add');
  t.equal(u.data.action, 7);
  t.same(u.data.flags, { invert: true });
  t.equal(u.data.dstLen, 128);

  const g = encodeRule({ family: 'inet', action: 'goto', gotoPriority: 300, priority: 10 }, 'add');
  t.equal(g.data.action, 2);
  t.equal(g.attrs.goto, 300);

  t.equal(encodeRule({ family: 'inet', priority: 10 }, 'del').data.action, 0, 'delete by priority alone');
  t.throws(() => encodeRule({ family: 'inet', priority: 10 }, 'add'), { code: 'ERR_NETLINK_INVALID_ARG' }, 'add needs an action');
  t.throws(() => encodeRule({ family: 'inet', action: 'goto' }, 'add'), { code: 'ERR_NETLINK_INVALID_ARG' });
  t.throws(() => encodeRule({ family: 'inet', from: '2001:db8::/64', table: 1 }, 'add'), { code: 'ERR_NETLINK_INVALID_ARG' });
});

t.test('netlink attributes and the macvlan IFLA_LINKINFO', async (t) => {
  t.same(nlattr(1, Buffer.from('abc')), Buffer.from([7, 0, 1, 0, 0x61, 0x62, 0x63, 0]), 'length excludes padding');
  t.same(nlattr(2, Buffer.alloc(0), true), Buffer.from([4, 0, 2, 0x80]), 'NLA_F_NESTED');
  const m = encodeMacvlan('vrrp.51', 2, '00:00:5e:00:01:33', 'private');
  t.equal(m.attrs.ifname, 'vrrp.51');
  t.same(m.attrs.link, Buffer.from([2, 0, 0, 0]));
  t.same(m.attrs.address, Buffer.from([0, 0, 0x5e, 0, 1, 0x33]));
  // IFLA_INFO_KIND "macvlan" (11 bytes, padded to 12), IFLA_INFO_DATA nested { IFLA_MACVLAN_MODE u32 1 }.
  t.same(m.attrs.linkinfo, Buffer.from([
    11, 0, 1, 0, ...Buffer.from('macvlan'), 0,
    12, 0, 2, 0x80, 8, 0, 1, 0, 1, 0, 0, 0,
  ]));
  t.equal(encodeMacvlan('v', 2, '00:00:5e:00:01:33', 'bridge').attrs.linkinfo?.readUInt32LE(20), 4, 'bridge = 4');
  const parsed = [...nlattrs(m.attrs.linkinfo ?? Buffer.alloc(0))];
  t.same(parsed.map(([type]) => type), [1, 2], 'walker strips the nested flag');
  t.throws(() => encodeMacvlan('v', 2, '00:00:5e:00:01', 'private'), { code: 'ERR_NETLINK_INVALID_ARG' });
  t.same(addrGenModeNoneSpec().get(AF_INET6), Buffer.from([5, 0, 8, 0, 1, 0, 0, 0]));
});

t.test('encoded messages survive the netlink package formatter and parser', async (t) => {
  const a = encodeAddress(vip({ broadcast: '+', label: 'eth0:vip' }), 7, 'add');
  const out = new AttrStream();
  rt.formatAddressMessage({ kind: 'address', ...a }, out);
  const back = rt.parseAddressMessage(Buffer.concat(out.bufs));
  t.equal(back.data.index, 7);
  t.equal(back.data.prefixlen, 24);
  t.same(back.attrs.local, a.attrs.local);
  t.equal(back.attrs.label, 'eth0:vip');

  const r = encodeRoute({ family: 'inet', to: '198.51.100.0/24', via: '192.0.2.254', table: 1000, onlink: true }, 2, 'add');
  const ro = new AttrStream();
  rt.formatRouteMessage({ kind: 'route', ...r }, ro);
  const rb = rt.parseRouteMessage(Buffer.concat(ro.bufs));
  t.equal(rb.attrs.table, 1000);
  t.equal(rb.data.flags?.__unknown, 4, 'onlink bit on the wire');

  const m = encodeMacvlan('vrrp.51', 2, '00:00:5e:00:01:33', 'private');
  const lo = new AttrStream();
  rt.formatLinkMessage({ kind: 'link', ...m }, lo);
  const lb = rt.parseLinkMessage(Buffer.concat(lo.bufs));
  t.equal(decodeLink(lb).kind, 'macvlan');
  t.equal(decodeLink(lb).parentIndex, 2);
});

t.test('decodeLink / decodeAddress', async (t) => {
  const base = { data: { index: 3, flags: { up: true, running: true } }, attrs: { ifname: 'eth0', address: Buffer.from([2, 0, 0, 0, 0, 1]) } } as const;
  const d = decodeLink({ data: { ...base.data }, attrs: { ...base.attrs } });
  t.same(toLinkInfo(d), { ifindex: 3, ifname: 'eth0', up: true, mac: '02:00:00:00:00:01', flags: 0x41 });
  t.equal(decodeLink({ data: { index: 3, flags: { up: true, broadcast: true, running: true, multicast: true, lowerUp: true } }, attrs: { ifname: 'eth0' } }).flags, 0x11043, 'ifi_flags as keepalived logs them');
  t.equal(decodeLink({ data: { index: 3, flags: { up: true } }, attrs: { ifname: 'eth0' } }).up, false, 'admin up without carrier is not up');
  t.equal(decodeLink({ data: { index: 3, flags: { up: true } }, attrs: { ifname: 'eth0' } }).adminUp, true);
  t.equal(decodeLink({ data: { index: 3, flags: {} }, attrs: { ifname: 'eth0', linkinfo: nlattr(1, Buffer.from('veth\0')) } }).kind, 'veth');

  const v4 = decodeAddress({ data: { family: AF_INET, prefixlen: 24, index: 2 }, attrs: { local: Buffer.from([192, 0, 2, 1]), address: Buffer.from([192, 0, 2, 9]), label: 'eth0' } }, 'eth0');
  t.same(v4, { family: 'inet', address: '192.0.2.1', prefixLen: 24, ifname: 'eth0', ifindex: 2, label: 'eth0' }, 'IFA_LOCAL wins over the peer');
  const v6 = decodeAddress({ data: { family: AF_INET6, prefixlen: 64, index: 2 }, attrs: { address: parseIp('2001:db8::1')?.bytes } }, 'eth0');
  t.equal(v6?.address, '2001:db8::1');
  t.equal(decodeAddress({ data: { family: 7 }, attrs: {} }, 'x'), undefined);
});

t.test('RtnlError carries code, errno, op and a readable message', async (t) => {
  const e = new RtnlError('ERR_NETLINK_REQUEST', 17, 'addAddress', '192.0.2.1/24 dev eth0');
  t.ok(e instanceof Error);
  t.equal(e.code, 'ERR_NETLINK_REQUEST');
  t.equal(e.errno, 17);
  t.equal(e.message, 'addAddress 192.0.2.1/24 dev eth0: EEXIST');
  t.match(new RtnlError('ERR_NETLINK_REQUEST', 250, 'x', 'y').message, /errno 250/);
});
