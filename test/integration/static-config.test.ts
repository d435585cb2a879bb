/**
 * static_ipaddress / static_routes / static_rules end to end, ours and keepalived 2.2.7 in the
 * same lab: keepalived's sample keepalived.conf.vrrp.static_ipaddress (addresses moved into the
 * lab ranges, eth1/eth2 made as veths) plus static routes and rules. Measured on keepalived:
 * all installed at start-up (routes and rules `proto keepalived`), a static address deleted
 * behind its back is restored ("Restoring deleted static address"), with a vrrp_instance present
 * a deleted static route is restored too, a deleted static rule is not; at stop all are removed.
 */
import t, { type Test } from 'tap';
import { Lab, isRoot, waitFor, type LabHost } from '../support/netns';
import { startDaemon, logsOnFailure, vrrpConfig, type RunningDaemon } from '../support/daemon';
import { KEEPALIVED_BIN, startKeepalived } from '../support/keepalived';

const CONFIG = vrrpConfig({
  routerId: 'LVS_DEVEL',
  blocks: `static_ipaddress {
    192.0.2.16 dev eth0 scope link
    192.0.2.17 dev eth1 scope link
    192.0.2.18 dev eth2
}
static_routes {
    198.51.100.128/25 via 198.51.100.254 dev eth1
    198.51.100.64/26 dev eth2 table 100
}
static_rules {
    from 192.0.2.16 table 100 priority 100
}
`,
  priority: 100,
  vip: '192.0.2.20',
  extra: `virtual_routes {
    src 192.0.2.1 198.51.100.32/28 via 198.51.100.254 dev eth1
  }`,
});

async function sh(lab: Lab, h: LabHost, cmd: string): Promise<string> {
  const r = await lab.exec(h.ns, ['sh', '-c', cmd]);
  return r.stdout;
}

async function state(lab: Lab, h: LabHost): Promise<{ addrs: string; routes: string; rules: string }> {
  return {
    addrs: await sh(lab, h, 'ip -o -4 addr show'),
    routes: await sh(lab, h, 'ip route show table all'),
    rules: await sh(lab, h, 'ip rule show'),
  };
}

async function extraLinks(lab: Lab, h: LabHost): Promise<void> {
  for (const c of ['ip link add eth1 type veth peer name eth1p', 'ip link add eth2 type veth peer name eth2p', 'ip link set eth1 up', 'ip link set eth1p up', 'ip link set eth2 up', 'ip link set eth2p up', 'ip addr add 198.51.100.1/24 dev eth1']) {
    const r = await lab.exec(h.ns, ['sh', '-c', c]);
    if (r.code !== 0) throw new Error(`${c}: ${r.stderr}`);
  }
}

type Starter = (lab: Lab, h: LabHost, conf: string) => RunningDaemon;

async function scenario(t: Test, start: Starter, who: string): Promise<void> {
  const lab = await Lab.create(t, { hosts: 1 });
  const h = lab.host(1);
  await extraLinks(lab, h);
  const d = start(lab, h, CONFIG);
  logsOnFailure(t, d);
  const installed = await waitFor(async () => {
    const s = await state(lab, h);
    return /192\.0\.2\.16\/32 scope link/.test(s.addrs) && /192\.0\.2\.18\/32/.test(s.addrs) && /198\.51\.100\.128\/25 via 198\.51\.100\.254 dev eth1 proto keepalived/.test(s.routes) && /from 192\.0\.2\.16 lookup 100 proto keepalived/.test(s.rules) ? s : undefined;
  }, 10_000);
  t.ok(installed, `${who}: static addresses, routes and rules installed`);
  if (!installed) return;
  t.notMatch(d.out.text, /static_(ipaddress|routes|rules) is accepted for compatibility but not implemented/, `${who}: no "not implemented" warning for the static keywords`);
  t.match(installed.addrs, /eth1\s+inet 192\.0\.2\.17\/32 scope link/, `${who}: 192.0.2.17 on eth1, scope link`);
  t.match(installed.routes, /^198\.51\.100\.64\/26 dev eth2 table 100 proto keepalived\s*$/m, `${who}: route in table 100 (universe scope, as keepalived)`);

  // Behind its back: address, route and rule deleted.
  await sh(lab, h, 'ip addr del 192.0.2.16/32 dev eth0; ip route del 198.51.100.128/25; ip rule del pref 100');
  const restored = await waitFor(async () => {
    const s = await state(lab, h);
    return /192\.0\.2\.16\/32/.test(s.addrs) && /198\.51\.100\.128\/25 via/.test(s.routes) ? s : undefined;
  }, 5_000);
  t.ok(restored, `${who}: deleted static address and route restored`);
  t.ok(await d.out.waitFor('Restoring deleted static address 192.0.2.16 dev eth0 scope link', 2000), `${who}: logs the restore`);
  t.notMatch((await state(lab, h)).rules, /lookup 100/, `${who}: a deleted static rule is not restored`);

  d.cp.kill('SIGTERM');
  await Promise.race([d.exited, new Promise((r) => setTimeout(r, 8000))]);
  const after = await state(lab, h);
  t.notMatch(after.addrs, /192\.0\.2\.1[678]\//, `${who}: static addresses removed at stop`);
  t.notMatch(after.routes, /proto keepalived/, `${who}: static routes removed at stop`);
  t.match(after.addrs, /198\.51\.100\.1\/24/, `${who}: the host's own address untouched`);
}

t.test('static config', { skip: !isRoot() && 'needs root' }, async (t) => {
  t.test('ours', (t) => scenario(t, startDaemon, 'ours'));
  t.test('keepalived 2.2.7', { skip: !KEEPALIVED_BIN && 'keepalived not installed' }, (t) => scenario(t, startKeepalived, 'keepalived'));
});
