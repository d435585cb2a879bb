/**
 * Runs INSIDE the IPVS VM (npm run test:ipvs; its kernel 6.1 has ipvlan.ko, the host kernel has
 * no ipvlan): `use_ipvlan`, ours and keepalived 2.2.7 on the same configuration in a namespace
 * lab. Observed on keepalived 2.2.7: it creates an ipvlan in mode l2 with the configured flags
 * (bridge by default) on the interface, named as a VMAC would be (vrrp.VRID) unless named, up,
 * with the configured address (a bare address is a /32); the adverts leave from that address on
 * the ipvlan; the VIPs go on the interface itself (not on the ipvlan); at stop the VIPs go, then
 * the ipvlan ("(VI_1) Success removing VMAC interface NAME"). An IPv4 instance without an address:
 * "(VI_1) IPv4 ipvlan requires a source ip address to be configured. setting instance to fault
 * state" (-t exits 5).
 */
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import t, { type Test } from 'tap';
import { Lab, OutputWatcher, isRoot, waitFor, type LabHost } from '../support/netns';
import { MAIN, NODE_FLAGS, logsOnFailure, startDaemon, tmpDir, vrrpConfig, type RunningDaemon } from '../support/daemon';
import { KEEPALIVED_BIN, startKeepalived } from '../support/keepalived';

const VIP = '192.0.2.100';

function ipvlanWorks(): boolean {
  try {
    execFileSync('modprobe', ['ipvlan'], { stdio: 'ignore' });
    return fs.existsSync('/sys/module/ipvlan');
  } catch {
    return false;
  }
}

type Starter = (lab: Lab, h: LabHost, conf: string) => RunningDaemon;

interface IpvlanLink {
  kind?: string;
  mode?: string;
  flags?: string;
  parent?: string;
  up: boolean;
}

/** `ip -d -j link show NAME` in the host's namespace, or undefined when it does not exist. */
async function ipvlanOf(lab: Lab, h: LabHost, name: string): Promise<IpvlanLink | undefined> {
  const r = await lab.exec(h.ns, ['ip', '-d', '-j', 'link', 'show', 'dev', name]);
  if (r.code !== 0) return undefined;
  const [l] = JSON.parse(r.stdout) as Array<{ link?: string; flags?: string[]; linkinfo?: { info_kind?: string; info_data?: Record<string, unknown> } }>;
  const data = l?.linkinfo?.info_data ?? {};
  // iproute2 prints the ipvlan flag as a boolean key ("private": true), as in `ip -d link`'s "mode l2 private".
  const flags = typeof data.flags === 'string' ? data.flags : ['bridge', 'private', 'vepa'].find((f) => data[f] === true);
  return { kind: l?.linkinfo?.info_kind, mode: data.mode as string | undefined, flags, parent: l?.link, up: !!l?.flags?.includes('UP') };
}

async function addrsOf(lab: Lab, h: LabHost, dev: string): Promise<string[]> {
  const r = await lab.exec(h.ns, ['ip', '-j', '-4', 'addr', 'show', 'dev', dev]);
  if (r.code !== 0) return [];
  const [l] = JSON.parse(r.stdout) as Array<{ addr_info?: Array<{ local: string; prefixlen: number }> }>;
  return (l?.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`);
}

const stopped = (d: RunningDaemon): Promise<unknown> => Promise.race([d.exited, new Promise((r) => setTimeout(r, 30_000))]);

async function scenario(t: Test, start: Starter, who: string, o: { option: string; name: string; flags: string; addr: string }): Promise<void> {
  const lab = await Lab.create(t, { hosts: 2 });
  const [h1, h2] = [lab.host(1), lab.host(2)];
  // The other side of the LAN watches the adverts (a capture, not a second daemon: the VM is slow).
  const capture = new OutputWatcher(lab.spawn(h2.ns, ['tcpdump', '-l', '-n', '-i', 'eth0', 'ip', 'proto', '112']));
  const d = start(lab, h1, vrrpConfig({ priority: 150, extra: `use_ipvlan ${o.option}` }));
  logsOnFailure(t, d);
  t.ok(await waitFor(() => ipvlanOf(lab, h1, o.name), 90_000, 250), `${who}: ipvlan ${o.name} created`);
  const link = await ipvlanOf(lab, h1, o.name);
  t.match(link, { kind: 'ipvlan', mode: 'l2', flags: o.flags, parent: 'eth0', up: true }, `${who}: ipvlan mode l2 ${o.flags} on eth0, up`);
  t.ok(await waitFor(async () => ((await addrsOf(lab, h1, o.name)).includes(o.addr) ? true : undefined), 30_000, 250), `${who}: ${o.addr} on the ipvlan`);
  t.ok(await waitFor(() => lab.hasAddress(h1, VIP), 60_000, 250), `${who}: becomes master; the VIP goes on eth0`);
  t.same((await addrsOf(lab, h1, o.name)), [o.addr], `${who}: only its own address on the ipvlan (no VIP)`);
  const src = (o.addr.split('/')[0] as string).replace(/\./g, '\\.');
  t.ok(await capture.waitFor(new RegExp(`IP ${src} > 224\\.0\\.0\\.18: VRRPv2, Advertisement, vrid 51, prio 150`), 30_000), `${who}: adverts leave from the ipvlan's address`);
  d.cp.kill('SIGTERM');
  await stopped(d);
  t.ok(await capture.waitFor(new RegExp(`IP ${src} > 224\\.0\\.0\\.18: VRRPv2, Advertisement, vrid 51, prio 0`), 10_000), `${who}: priority-0 advert at stop, from the same address`);
  t.ok(d.out.has(`Success removing VMAC interface ${o.name}`), `${who}: says the ipvlan is removed`);
  t.equal(await ipvlanOf(lab, h1, o.name), undefined, `${who}: ipvlan removed at stop`);
  t.notOk(await lab.hasAddress(h1, VIP), `${who}: VIP removed at stop`);
}

const skip = (!isRoot() && 'needs root') || (!ipvlanWorks() && 'no ipvlan in this kernel: run with npm run test:ipvs (the VM loads ipvlan)');
const noKa = !KEEPALIVED_BIN && 'keepalived not installed';
const named = { option: 'vip51 192.0.2.51/24 private', name: 'vip51', flags: 'private', addr: '192.0.2.51/24' };
const defaults = { option: '192.0.2.52', name: 'vrrp.51', flags: 'bridge', addr: '192.0.2.52/32' };

t.test('use_ipvlan', { skip }, async (t) => {
  t.test('ours: named, private', (t) => scenario(t, startDaemon, 'ours', named));
  t.test('keepalived 2.2.7: named, private', { skip: noKa }, (t) => scenario(t, startKeepalived, 'keepalived', named));
  t.test('ours: default name and mode, bare address', (t) => scenario(t, startDaemon, 'ours', defaults));
  t.test('keepalived 2.2.7: default name and mode, bare address', { skip: noKa }, (t) => scenario(t, startKeepalived, 'keepalived', defaults));
  t.test('an IPv4 instance without an address is an error, in the same words', async (t) => {
    const dir = tmpDir('ipvlan-t');
    const conf = path.join(dir, 'keepalived.conf');
    fs.writeFileSync(conf, vrrpConfig({ priority: 100, extra: 'use_ipvlan' }));
    const line = '(VI_1) IPv4 ipvlan requires a source ip address to be configured. setting instance to fault state';
    const lab = await Lab.create(t, { hosts: 1 });
    const ours = await lab.exec(lab.host(1).ns, [process.execPath, ...NODE_FLAGS, MAIN, '-t', '-f', conf], 120_000);
    t.match(ours.stdout + ours.stderr, line, 'ours says it');
    t.not(ours.code, 0, 'ours: -t fails');
    if (!KEEPALIVED_BIN) return;
    const ka = await lab.exec(lab.host(1).ns, [KEEPALIVED_BIN, '-t', '-f', conf]);
    t.match(ka.stdout + ka.stderr, line, 'keepalived says it');
    t.equal(ours.code, ka.code, `same -t status (${ka.code})`);
  });
});
