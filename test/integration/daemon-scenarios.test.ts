import t from 'tap';
import { Lab, isRoot, waitFor, sleep } from '../support/netns';
import { logsOnFailure, seesMaster, startDaemon, vrrpConfig } from '../support/daemon';

const VIP = '192.0.2.100';
const skip = !isRoot() && 'needs root';

t.test('SIGTERM: priority-0 advert makes the backup take over after Skew_Time, not Master_Down_Interval', { skip }, async (t) => {
  const lab = await Lab.create(t, { hosts: 2 });
  const [h1, h2] = [lab.host(1), lab.host(2)];
  const d1 = startDaemon(lab, h1, vrrpConfig({ state: 'MASTER', priority: 100 }));
  const d2 = startDaemon(lab, h2, vrrpConfig({ priority: 90 }));
  t.ok(await waitFor(() => lab.hasAddress(h1, VIP), 15000), 'h1 master');
  t.ok(await seesMaster(d2, h1.ipv4, 5000), 'h2 sees the master');
  const t0 = Date.now();
  d1.cp.kill('SIGTERM');
  t.ok(await waitFor(() => lab.hasAddress(h2, VIP), 3000, 10), 'h2 takes over');
  const dt = Date.now() - t0;
  // Skew_Time for priority 90 at 1 s: (256-90)/256 s = 648 ms; Master_Down_Interval would be 3648 ms.
  t.ok(dt < 2500, `takeover in ${dt} ms (Skew_Time 648 ms), well before Master_Down_Interval`);
  t.ok(d2.out.has('(VI_1) Backup received priority 0 advertisement'), 'h2 logs the priority-0 advert');
  t.equal(await d1.exited, 0, 'h1 exited 0');
  t.ok(d1.out.has('(VI_1) sent 0 priority'), 'h1 logs sent 0 priority');
  t.notOk(await lab.hasAddress(h1, VIP), 'h1 released the VIP');
});

t.test('restart of the higher-priority node preempts; nopreempt keeps the running master', { skip }, async (t) => {
  const lab = await Lab.create(t, { hosts: 2 });
  const [h1, h2] = [lab.host(1), lab.host(2)];
  const cfg1 = vrrpConfig({ priority: 100 });
  const d1 = startDaemon(lab, h1, cfg1);
  const d2 = startDaemon(lab, h2, vrrpConfig({ priority: 90 }));
  t.ok(await waitFor(() => lab.hasAddress(h1, VIP), 15000), 'h1 master');
  d1.cp.kill('SIGKILL');
  t.ok(await waitFor(() => lab.hasAddress(h2, VIP), 8000), 'h2 master after h1 crashed');
  // The crashed node's VIP is still on h1 (kill -9): the restarted daemon must clean it up.
  const d1b = startDaemon(lab, h1, cfg1);
  t.ok(await d1b.out.waitFor('Entering BACKUP STATE', 10000), 'restarted h1 starts as BACKUP');
  t.ok(await waitFor(() => lab.hasAddress(h1, VIP), 10000), 'restarted h1 (100) preempts h2 (90)');
  t.ok(await waitFor(async () => !(await lab.hasAddress(h2, VIP)), 3000), 'h2 released the VIP');
  t.ok(await d2.out.waitFor('Entering BACKUP STATE', 3000), 'h2 back to BACKUP');

  // nopreempt: h3 with higher priority joins and must not take over
  const h3 = await lab.addHost();
  const d3 = startDaemon(lab, h3, vrrpConfig({ priority: 150, extra: 'nopreempt' }));
  t.ok(await d3.out.waitFor('master set to', 10000), 'h3 sees the master');
  await sleep(4500);
  t.notOk(await lab.hasAddress(h3, VIP), 'h3 (150, nopreempt) did not take over');
  t.ok(await lab.hasAddress(h1, VIP), 'h1 still master');
  void d3;
});

t.test('link down on the master: FAULT and takeover; link up: recovery', { skip }, async (t) => {
  const lab = await Lab.create(t, { hosts: 2 });
  const [h1, h2] = [lab.host(1), lab.host(2)];
  const d1 = startDaemon(lab, h1, vrrpConfig({ priority: 100 }));
  const d2 = startDaemon(lab, h2, vrrpConfig({ priority: 90 }));
  logsOnFailure(t, d1, d2);
  t.ok(await waitFor(() => lab.hasAddress(h1, VIP), 15000), 'h1 master');
  await lab.setHostIf(h1, false);
  t.ok(await d1.out.waitFor('Entering FAULT STATE', 3000), 'h1 enters FAULT');
  t.ok(d1.out.has('Netlink reports eth0 down'), 'h1 logs the link change');
  t.ok(await waitFor(() => lab.hasAddress(h2, VIP), 6000), 'h2 takes over');
  await lab.setHostIf(h1, true);
  t.ok(await waitFor(() => lab.hasAddress(h1, VIP), 10000), 'h1 recovers and preempts');
});

t.test('IPv6 VIP with VRRPv3 (adverts from the link-local address, unsolicited NA)', { skip }, async (t) => {
  const lab = await Lab.create(t, { hosts: 2 });
  const [h1, h2] = [lab.host(1), lab.host(2)];
  const v6 = (p: number) => vrrpConfig({ priority: p, version: 3, vip: '2001:db8::100/64', vrid: 61 });
  const d1 = startDaemon(lab, h1, v6(100));
  const d2 = startDaemon(lab, h2, v6(90));
  logsOnFailure(t, d1, d2);
  t.ok(await waitFor(() => lab.hasAddress(h1, '2001:db8::100'), 15000), 'h1 holds the IPv6 VIP');
  // h2 either met h1 as master ("master set to") or was master first and yielded to it
  t.ok(await d2.out.waitFor(/(master set to|advert from) fe80::/, 5000), 'h2 sees the master by its link-local address');
  // the burst's log line follows the netlink ACK of the VIP add, which may come after `ip` shows it
  t.ok(await d1.out.waitFor('Unsolicited Neighbour Adverts', 3000), 'h1 sends unsolicited NAs');
  d1.cp.kill('SIGKILL');
  t.ok(await waitFor(() => lab.hasAddress(h2, '2001:db8::100'), 8000), 'h2 takes the IPv6 VIP over');
});

t.test('unicast peers, and two instances on one interface with different VRIDs', { skip }, async (t) => {
  const lab = await Lab.create(t, { hosts: 2 });
  const [h1, h2] = [lab.host(1), lab.host(2)];
  const conf = (me: string, peer: string, p1: number, p2: number) => `
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  priority ${p1}
  advert_int 1
  unicast_src_ip ${me}
  unicast_peer {
    ${peer}
  }
  virtual_ipaddress {
    192.0.2.100/24
  }
}
vrrp_instance VI_2 {
  interface eth0
  virtual_router_id 52
  priority ${p2}
  advert_int 1
  virtual_ipaddress {
    192.0.2.101/24
  }
}
`;
  const d1 = startDaemon(lab, h1, conf(h1.ipv4, h2.ipv4, 100, 90));
  const d2 = startDaemon(lab, h2, conf(h2.ipv4, h1.ipv4, 90, 100));
  logsOnFailure(t, d1, d2);
  t.ok(await waitFor(async () => (await lab.hasAddress(h1, '192.0.2.100')) && (await lab.hasAddress(h2, '192.0.2.101')), 15000), 'VI_1 on h1, VI_2 on h2');
  t.ok(await waitFor(async () => !(await lab.hasAddress(h2, '192.0.2.100')), 3000), 'exactly one master for VI_1');
  t.ok(await waitFor(async () => !(await lab.hasAddress(h1, '192.0.2.101')), 3000), 'exactly one master for VI_2');
  t.ok(await seesMaster(d2, h1.ipv4, 3000), 'unicast adverts reach the peer');
  d1.cp.kill('SIGKILL');
  t.ok(await waitFor(() => lab.hasAddress(h2, '192.0.2.100'), 8000), 'unicast: h2 takes VI_1 over');
  void d2;
});

t.test('a VIP removed behind our back is restored while MASTER', { skip }, async (t) => {
  const lab = await Lab.create(t, { hosts: 1 });
  const h1 = lab.host(1);
  const d1 = startDaemon(lab, h1, vrrpConfig({ priority: 100 }));
  t.ok(await waitFor(() => lab.hasAddress(h1, VIP), 15000), 'master');
  await lab.exec(h1.ns, ['ip', 'addr', 'del', `${VIP}/24`, 'dev', 'eth0']);
  t.ok(await d1.out.waitFor(`Netlink reflector reports IP ${VIP} removed`, 3000), 'logged');
  t.ok(await waitFor(() => lab.hasAddress(h1, VIP), 3000), 'restored');
});
