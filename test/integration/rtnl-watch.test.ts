/**
 * Rtnl.watch against the kernel: link down/up (admin and carrier), addresses added and removed
 * behind our back (what the daemon turns into "Netlink reflector reports IP ... removed"), and
 * VMAC creation/deletion, all seen by a probe process watching inside the namespace.
 */
import t from 'tap';
import { join } from 'node:path';
import { Lab, OutputWatcher, isRoot, waitFor, type LabHost } from '../support/netns';
import type { NetEvent } from '../../src/net/ports';

const PROBE = join(__dirname, '..', 'support', 'rtnl-probe.js');
const WAIT_MS = 5000;

function events(w: OutputWatcher): NetEvent[] {
  return w.text.split('\n').filter((l) => l.startsWith('{"type"')).map((l) => JSON.parse(l) as NetEvent);
}

/** Wait for an event matching `pred` among those after index `from`; returns it or undefined. */
async function next(w: OutputWatcher, from: number, pred: (e: NetEvent) => boolean): Promise<NetEvent | undefined> {
  return waitFor(() => events(w).slice(from).find(pred), WAIT_MS, 20);
}

const isLink = (ifname: string, up: boolean) => (e: NetEvent): boolean => e.type === 'link' && e.link.ifname === ifname && e.link.up === up;
const isAddr = (type: 'addr-added' | 'addr-removed', address: string) => (e: NetEvent): boolean => e.type === type && e.addr.address === address;

async function ip(lab: Lab, h: LabHost, args: string[]): Promise<void> {
  const r = await lab.exec(h.ns, ['ip', ...args]);
  if (r.code !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
}

t.test('watch reports link and address changes made by others', { skip: !isRoot() && 'needs root' }, async (t) => {
  const lab = await Lab.create(t, { hosts: 1 });
  const h = lab.host(1);
  const cp = lab.spawn(h.ns, [process.execPath, PROBE, 'watch']);
  const w = new OutputWatcher(cp);
  t.ok(await w.waitFor('{"ready":true}', 10_000), 'watcher subscribed');

  t.test('interface set down and up', async (t) => {
    let from = events(w).length;
    await lab.setHostIf(h, false);
    t.match(await next(w, from, isLink('eth0', false)), { link: { ifindex: 2, ifname: 'eth0', up: false } }, 'down reported');
    from = events(w).length;
    await lab.setHostIf(h, true);
    t.ok(await next(w, from, isLink('eth0', true)), 'up reported');
  });

  t.test('cable pulled (peer down): carrier loss is "not up"', async (t) => {
    let from = events(w).length;
    await lab.setLink(h, false);
    t.ok(await next(w, from, isLink('eth0', false)), 'carrier loss reported');
    from = events(w).length;
    await lab.setLink(h, true);
    t.ok(await next(w, from, isLink('eth0', true)), 'carrier back');
  });

  t.test('a VIP removed behind our back is reported with its address and interface', async (t) => {
    let from = events(w).length;
    await ip(lab, h, ['addr', 'add', '192.0.2.100/24', 'dev', 'eth0']);
    t.match(await next(w, from, isAddr('addr-added', '192.0.2.100')), { addr: { family: 'inet', prefixLen: 24, ifname: 'eth0', ifindex: 2 } });
    from = events(w).length;
    await ip(lab, h, ['addr', 'del', '192.0.2.100/24', 'dev', 'eth0']);
    t.match(await next(w, from, isAddr('addr-removed', '192.0.2.100')), { addr: { family: 'inet', prefixLen: 24, ifname: 'eth0' } }, 'removal reported');
    from = events(w).length;
    await ip(lab, h, ['addr', 'add', '2001:db8::200/64', 'dev', 'eth0', 'nodad']);
    t.match(await next(w, from, isAddr('addr-added', '2001:db8::200')), { addr: { family: 'inet6', prefixLen: 64, ifname: 'eth0' } });
    from = events(w).length;
    await ip(lab, h, ['addr', 'del', '2001:db8::200/64', 'dev', 'eth0']);
    t.ok(await next(w, from, isAddr('addr-removed', '2001:db8::200')), 'IPv6 removal reported');
  });

  t.test('a macvlan appearing, going up, and being deleted', async (t) => {
    const from = events(w).length;
    await ip(lab, h, ['link', 'add', 'vrrp.9', 'link', 'eth0', 'address', '00:00:5e:00:01:09', 'type', 'macvlan', 'mode', 'private']);
    await ip(lab, h, ['link', 'set', 'vrrp.9', 'up']);
    t.match(await next(w, from, isLink('vrrp.9', true)), { link: { kind: 'macvlan', mac: '00:00:5e:00:01:09' } });
    await ip(lab, h, ['link', 'del', 'vrrp.9']);
    t.ok(await next(w, from, (e) => e.type === 'link-deleted' && e.ifname === 'vrrp.9'), 'deletion reported');
  });

  t.test('no socket errors were reported', async (t) => {
    t.notMatch(w.text, /"error"/);
  });
});
