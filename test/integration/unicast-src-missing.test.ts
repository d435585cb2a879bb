/**
 * A unicast_src_ip that is on no interface at start-up, ours and keepalived 2.2.7 (with and
 * without track_src_ip: keepalived 2.2.7 behaves the same either way, observed). keepalived logs
 * "bind unicast_src 198.51.100.1 failed 99 - Cannot assign requested address" and "(VI_1):
 * entering FAULT state (src address not configured)", enters FAULT and stays there even after
 * the address is added; the other instance runs normally.
 */
import t, { type Test } from 'tap';
import { Lab, isRoot, sleep, type LabHost } from '../support/netns';
import { logsOnFailure, startDaemon, type RunningDaemon } from '../support/daemon';
import { KEEPALIVED_BIN, startKeepalived } from '../support/keepalived';

type Starter = (lab: Lab, h: LabHost, conf: string) => RunningDaemon;

const conf = (extra: string): string => `global_defs {
  router_id r1
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 100
  advert_int 1
  unicast_src_ip 198.51.100.1
  unicast_peer {
    198.51.100.2
  }
  ${extra}
  virtual_ipaddress {
    192.0.2.100/24
  }
}
vrrp_instance VI_2 {
  state BACKUP
  interface eth0
  virtual_router_id 52
  priority 100
  advert_int 1
  virtual_ipaddress {
    192.0.2.101/24
  }
}
`;

async function scenario(t: Test, start: Starter, who: string, extra: string): Promise<void> {
  const lab = await Lab.create(t, { hosts: 1 });
  const h = lab.host(1);
  const d = start(lab, h, conf(extra));
  logsOnFailure(t, d);
  t.ok(await d.out.waitFor('bind unicast_src 198.51.100.1 failed 99 - Cannot assign requested address', 15_000), `${who}: bind failure line`);
  t.ok(await d.out.waitFor('(VI_1): entering FAULT state (src address not configured)', 3000), `${who}: FAULT reason line`);
  t.ok(await d.out.waitFor('(VI_1) Entering FAULT STATE', 3000), `${who}: VI_1 in FAULT`);
  t.ok(await d.out.waitFor('(VI_2) Entering MASTER STATE', 8000), `${who}: VI_2 runs`);
  await lab.exec(h.ns, ['ip', 'addr', 'add', '198.51.100.1/24', 'dev', 'eth0']);
  await sleep(5000); // > Master_Down_Interval
  t.notOk(d.out.has('(VI_1) Entering MASTER STATE'), `${who}: VI_1 stays in FAULT after the address appears`);
  t.notOk(await lab.hasAddress(h, '192.0.2.100'), `${who}: VI_1 never takes its VIP`);
}

t.test('unicast_src_ip missing at start-up', { skip: !isRoot() && 'needs root' }, async (t) => {
  t.test('ours', (t) => scenario(t, startDaemon, 'ours', ''));
  t.test('ours, track_src_ip', (t) => scenario(t, startDaemon, 'ours', 'track_src_ip'));
  const noKa = !KEEPALIVED_BIN && 'keepalived not installed';
  t.test('keepalived 2.2.7', { skip: noKa }, (t) => scenario(t, startKeepalived, 'keepalived', ''));
  t.test('keepalived 2.2.7, track_src_ip', { skip: noKa }, (t) => scenario(t, startKeepalived, 'keepalived', 'track_src_ip'));
});
