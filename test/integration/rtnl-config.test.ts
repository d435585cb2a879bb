/**
 * The real Rtnl adapter against the kernel, inside a lab namespace: VIPs, routes, rules and the
 * use_vmac macvlan, each checked with `ip -j`. The adapter runs in test/support/rtnl-probe.js
 * started inside the namespace (a netlink socket belongs to its opener's namespace).
 */
import t from 'tap';
import { join } from 'node:path';
import { Lab, isRoot, type LabHost } from '../support/netns';

const PROBE = join(__dirname, '..', 'support', 'rtnl-probe.js');

type Outcome = { ok: true; value: unknown } | { ok: false; code: string; errno: number; message: string };
type Call = { op: string; args: unknown[] };

async function run(lab: Lab, host: LabHost, calls: Call[]): Promise<Outcome[]> {
  const r = await lab.exec(host.ns, [process.execPath, PROBE, 'ops', JSON.stringify(calls)], 30_000);
  if (r.code !== 0) throw new Error(`probe exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Outcome[];
}

async function ipJson<T>(lab: Lab, host: LabHost, args: string[]): Promise<T> {
  const r = await lab.exec(host.ns, ['ip', '-j', ...args]);
  if (r.code !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout || '[]') as T;
}

interface AddrInfo {
  family: string; local: string; prefixlen: number; broadcast?: string; scope: string; label?: string;
  nodad?: boolean; deprecated?: boolean; preferred_life_time: number; valid_life_time: number;
}

async function addrs(lab: Lab, host: LabHost, dev = 'eth0'): Promise<AddrInfo[]> {
  const links = await ipJson<Array<{ addr_info?: AddrInfo[] }>>(lab, host, ['addr', 'show', 'dev', dev]);
  return links.flatMap((l) => l.addr_info ?? []);
}

/** The failed calls, as "index code errno" (empty when all succeeded). */
const failures = (out: Outcome[]): string[] => out.flatMap((o, i) => (o.ok ? [] : [`${i} ${o.code} ${o.errno}`]));

t.test('rtnl against the kernel', { skip: !isRoot() && 'needs root' }, async (t) => {
  const lab = await Lab.create(t, { hosts: 1 });
  const h = lab.host(1);

  t.test('IPv4 VIP with prefix, brd, label and scope; add twice, delete twice', async (t) => {
    const spec = { family: 'inet', address: '192.0.2.100', prefixLen: 24, dev: 'eth0', broadcast: '+', label: 'eth0:vip', scope: 'global' };
    t.same(failures(await run(lab, h, [{ op: 'addAddress', args: [spec] }, { op: 'addAddress', args: [spec] }])), [], 'both adds succeed');
    const a = (await addrs(lab, h)).filter((x) => x.local === '192.0.2.100');
    t.equal(a.length, 1, 'installed once');
    t.match(a[0], { family: 'inet', prefixlen: 24, broadcast: '192.0.2.255', label: 'eth0:vip', scope: 'global' });
    const listed = await run(lab, h, [{ op: 'listAddresses', args: ['eth0'] }]);
    t.match(listed[0], { ok: true, value: [{ address: '192.0.2.1' }, { address: '192.0.2.100', prefixLen: 24, ifname: 'eth0', label: 'eth0:vip' }] });
    t.same(failures(await run(lab, h, [{ op: 'delAddress', args: [spec] }, { op: 'delAddress', args: [spec] }])), [], 'both deletes succeed');
    t.notOk((await addrs(lab, h)).some((x) => x.local === '192.0.2.100'), 'gone');
    t.ok((await addrs(lab, h)).some((x) => x.local === '192.0.2.1'), 'the host address is untouched');
  });

  t.test('IPv6 VIPs: /64 preferred, /128 deprecated (preferred_lft 0), both nodad', async (t) => {
    const v64 = { family: 'inet6', address: '2001:db8::64', prefixLen: 64, dev: 'eth0' };
    const v128 = { family: 'inet6', address: '2001:db8::128', prefixLen: 128, dev: 'eth0' };
    const forever = { family: 'inet6', address: '2001:db8::129', prefixLen: 128, dev: 'eth0', preferredLft: 'forever' };
    t.same(failures(await run(lab, h, [v64, v128, forever, v128].map((s) => ({ op: 'addAddress', args: [s] })))), [], 'adds succeed');
    const a = await addrs(lab, h);
    t.match(a.find((x) => x.local === '2001:db8::64'), { prefixlen: 64, nodad: true, preferred_life_time: 4294967295 });
    t.notOk(a.find((x) => x.local === '2001:db8::64')?.deprecated, '/64 not deprecated');
    t.match(a.find((x) => x.local === '2001:db8::128'), { prefixlen: 128, nodad: true, deprecated: true, preferred_life_time: 0, valid_life_time: 4294967295 });
    t.match(a.find((x) => x.local === '2001:db8::129'), { prefixlen: 128, preferred_life_time: 4294967295 });
    t.same(failures(await run(lab, h, [v64, v128, forever, v128].map((s) => ({ op: 'delAddress', args: [s] })))), [], 'deletes succeed');
    t.notOk((await addrs(lab, h)).some((x) => ['2001:db8::64', '2001:db8::128', '2001:db8::129'].includes(x.local)), 'gone');
  });

  t.test('routes: via + metric, dev + table + src, blackhole, IPv6; add/del twice', async (t) => {
    const routes = [
      { family: 'inet', to: '198.51.100.0/24', via: '192.0.2.254', dev: 'eth0', metric: 50 },
      { family: 'inet', to: '198.51.100.128/25', dev: 'eth0', table: 1000, src: '192.0.2.1' },
      { family: 'inet', to: '203.0.113.0/24', type: 'blackhole', table: 100 },
      { family: 'inet6', to: '2001:db8:1::/48', via: '2001:db8::fe', dev: 'eth0', metric: 7 },
    ];
    t.same(failures(await run(lab, h, [...routes, ...routes].map((r) => ({ op: 'addRoute', args: [r] })))), [], 'adds succeed twice');
    type R = { dst: string; gateway?: string; dev?: string; metric?: number; table?: string; type?: string; prefsrc?: string; scope?: string };
    const v4 = await ipJson<R[]>(lab, h, ['route', 'show', 'table', 'all']);
    t.match(v4.filter((r) => r.dst === '198.51.100.0/24'), [{ gateway: '192.0.2.254', dev: 'eth0', metric: 50 }], 'via route once');
    t.match(v4.find((r) => r.dst === '198.51.100.128/25'), { dev: 'eth0', table: '1000', prefsrc: '192.0.2.1', scope: 'link' });
    t.match(v4.find((r) => r.dst === '203.0.113.0/24'), { type: 'blackhole', table: '100' });
    const v6 = await ipJson<R[]>(lab, h, ['-6', 'route', 'show']);
    t.match(v6.find((r) => r.dst === '2001:db8:1::/48'), { gateway: '2001:db8::fe', metric: 7 });
    t.same(failures(await run(lab, h, [...routes, ...routes].map((r) => ({ op: 'delRoute', args: [r] })))), [], 'deletes succeed twice');
    const after = [...await ipJson<R[]>(lab, h, ['route', 'show', 'table', 'all']), ...await ipJson<R[]>(lab, h, ['-6', 'route', 'show'])];
    t.notOk(after.some((r) => ['198.51.100.0/24', '198.51.100.128/25', '203.0.113.0/24', '2001:db8:1::/48'].includes(r.dst)), 'all removed');
  });

  t.test('rules: from/to/table/priority, fwmark/mask, IPv6 iif; add/del twice', async (t) => {
    const rules = [
      { family: 'inet', from: '192.0.2.0/24', to: '198.51.100.0/24', table: 100, priority: 1000 },
      { family: 'inet', fwmark: 7, fwmask: 255, table: 1000, priority: 1001 },
      { family: 'inet6', from: '2001:db8::/64', iif: 'eth0', table: 100, priority: 1002 },
    ];
    t.same(failures(await run(lab, h, [...rules, ...rules].map((r) => ({ op: 'addRule', args: [r] })))), [], 'adds succeed twice');
    type Rule = { priority: number; src: string; srclen?: number; dst?: string; dstlen?: number; table: string; fwmark?: string; fwmask?: string; iif?: string };
    const v4 = await ipJson<Rule[]>(lab, h, ['rule']);
    t.match(v4.filter((r) => r.priority === 1000), [{ src: '192.0.2.0', srclen: 24, dst: '198.51.100.0', dstlen: 24, table: '100' }], 'once');
    t.match(v4.filter((r) => r.priority === 1001), [{ fwmark: '0x7', fwmask: '0xff', table: '1000' }], 'once');
    const v6 = await ipJson<Rule[]>(lab, h, ['-6', 'rule']);
    t.match(v6.filter((r) => r.priority === 1002), [{ src: '2001:db8::', srclen: 64, iif: 'eth0', table: '100' }]);
    t.same(failures(await run(lab, h, [...rules, ...rules].map((r) => ({ op: 'delRule', args: [r] })))), [], 'deletes succeed twice');
    const left = [...await ipJson<Rule[]>(lab, h, ['rule']), ...await ipJson<Rule[]>(lab, h, ['-6', 'rule'])];
    t.notOk(left.some((r) => r.priority >= 1000 && r.priority <= 1002), 'all removed');
  });

  t.test('use_vmac macvlan: created with the VRRP MAC, up, reused, removed', async (t) => {
    const out = await run(lab, h, [
      { op: 'createMacvlan', args: ['vrrp.51', 'eth0', '00:00:5e:00:01:33', 'private'] },
      { op: 'setLinkUp', args: ['vrrp.51', true] },
      { op: 'createMacvlan', args: ['vrrp.51', 'eth0', '00:00:5e:00:01:33', 'private'] },
      { op: 'createMacvlan', args: ['vrrp.51', 'eth0', '00:00:5e:00:01:34', 'private'] },
      { op: 'getLink', args: ['vrrp.51'] },
    ]);
    t.match(out[0], { ok: true, value: { ifname: 'vrrp.51', mac: '00:00:5e:00:01:33', kind: 'macvlan', up: false } });
    t.match(out[1], { ok: true });
    t.match(out[2], { ok: true, value: { ifname: 'vrrp.51' } }, 'leftover with same MAC reused');
    t.match(out[3], { ok: false, code: 'ERR_NETLINK_REQUEST', errno: 17 }, 'a different MAC is refused');
    t.match(out[4], { ok: true, value: { up: true, mac: '00:00:5e:00:01:33' } });
    type L = { ifname: string; link: string; address: string; linkinfo: { info_kind: string; info_data: { mode: string } }; inet6_addr_gen_mode?: string; operstate: string };
    const [l] = await ipJson<L[]>(lab, h, ['-d', 'link', 'show', 'vrrp.51']);
    t.match(l, { link: 'eth0', address: '00:00:5e:00:01:33', linkinfo: { info_kind: 'macvlan', info_data: { mode: 'private' } }, inet6_addr_gen_mode: 'none' });
    const vmacAddrs = await addrs(lab, h, 'vrrp.51');
    t.notOk(vmacAddrs.some((a) => a.family === 'inet6' && a.scope === 'link'), 'no kernel link-local on the VMAC');
    t.same(failures(await run(lab, h, [{ op: 'deleteLink', args: ['vrrp.51'] }, { op: 'deleteLink', args: ['vrrp.51'] }])), [], 'deleted twice');
    const gone = await lab.exec(h.ns, ['ip', 'link', 'show', 'vrrp.51']);
    t.not(gone.code, 0, 'interface removed');
  });

  t.test('use_vmac sysctls applied inside the namespace and restored', async (t) => {
    const conf = async (fam: string, dev: string, key: string): Promise<string> =>
      (await lab.exec(h.ns, ['cat', `/proc/sys/net/${fam}/conf/${dev}/${key}`])).stdout.trim();
    const [mk, applied] = await run(lab, h, [
      { op: 'createMacvlan', args: ['vrrp.52', 'eth0', '00:00:5e:00:01:34', 'private'] },
      { op: 'applyVmacSysctls', args: ['eth0', 'vrrp.52', 'inet'] },
    ]);
    t.match(mk, { ok: true });
    t.match(applied, { ok: true });
    t.equal(await conf('ipv4', 'eth0', 'arp_ignore'), '1');
    t.equal(await conf('ipv4', 'eth0', 'arp_filter'), '1');
    t.equal(await conf('ipv4', 'vrrp.52', 'arp_ignore'), '1');
    t.equal(await conf('ipv4', 'vrrp.52', 'accept_local'), '1');
    t.equal(await conf('ipv4', 'vrrp.52', 'rp_filter'), '0');
    t.equal(await conf('ipv6', 'vrrp.52', 'disable_ipv6'), '1');
    const restored = await run(lab, h, [{ op: 'restoreSysctls', args: [applied?.ok ? applied.value : []] }]);
    t.match(restored, [{ ok: true, value: [] }]);
    t.equal(await conf('ipv4', 'eth0', 'arp_ignore'), '0', 'base restored');
    t.equal(await conf('ipv4', 'eth0', 'arp_filter'), '0', 'base restored');
    await run(lab, h, [{ op: 'deleteLink', args: ['vrrp.52'] }]);
  });

  t.test('IPv4 VIP scope link: installed with that scope, or refused with EINVAL as `ip` is', async (t) => {
    // Measured: this lab's kernel (6.18) answers "ipv4: Invalid scope value" to any non-global
    // IPv4 address scope, for `ip addr add ... scope link` too. Older kernels accept it.
    const spec = { family: 'inet', address: '192.0.2.110', prefixLen: 24, dev: 'eth0', scope: 'link' };
    const [o] = await run(lab, h, [{ op: 'addAddress', args: [spec] }]);
    const byIp = await lab.exec(h.ns, ['ip', 'addr', 'add', '192.0.2.111/24', 'scope', 'link', 'dev', 'eth0']);
    if (o?.ok) {
      t.match((await addrs(lab, h)).find((x) => x.local === '192.0.2.110'), { scope: 'link' });
      t.equal(byIp.code, 0, 'ip agrees');
    } else {
      t.match(o, { code: 'ERR_NETLINK_REQUEST', errno: 22 });
      t.not(byIp.code, 0, 'ip is refused too');
    }
    await run(lab, h, [{ op: 'delAddress', args: [spec] }, { op: 'delAddress', args: [{ ...spec, address: '192.0.2.111' }] }]);
  });

  t.test('kernel errors carry errno and a stable code', async (t) => {
    const out = await run(lab, h, [
      { op: 'addRoute', args: [{ family: 'inet', to: '198.51.100.0/24', via: '203.0.113.1', dev: 'eth0' }] },
      { op: 'addAddress', args: [{ family: 'inet', address: '192.0.2.100', prefixLen: 24, dev: 'nope0' }] },
      { op: 'addAddress', args: [{ family: 'inet', address: '192.0.2.300', prefixLen: 24, dev: 'eth0' }] },
      { op: 'getLink', args: ['nope0'] },
    ]);
    t.match(out[0], { ok: false, code: 'ERR_NETLINK_REQUEST', errno: 101, message: /ENETUNREACH/ }, 'gateway not on link');
    t.match(out[1], { ok: false, code: 'ERR_NETLINK_NO_DEVICE', errno: 19 });
    t.match(out[2], { ok: false, code: 'ERR_NETLINK_INVALID_ARG', errno: 22 });
    t.match(out[3], { ok: true, value: null });
  });
});
