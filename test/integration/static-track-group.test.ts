/**
 * Static track groups end to end, ours and keepalived 2.2.7 in the same lab: a static address,
 * route and rule on eth1 name `track_group G1`, G1 = { VI_1 }; VI_2 is in no group. Observed
 * on keepalived 2.2.7: the tracked static address deleted behind its back is restored ("Restoring
 * deleted static address ...") and no instance moves, so is the tracked static rule (without
 * track_group a deleted static rule stays deleted); eth1 down → "Netlink reports eth1 down",
 * "(VI_1) Entering FAULT STATE" (its VIP goes; VI_2 stays MASTER); eth1 up → "(VI_1) Entering
 * BACKUP STATE", the static route the kernel dropped with the link is installed again
 * ("Restoring deleted static route ...") and VI_1 becomes MASTER again.
 */
import t, { type Test } from 'tap';
import { Lab, isRoot, sleep, waitFor, type LabHost } from '../support/netns';
import { logsOnFailure, startDaemon, type RunningDaemon } from '../support/daemon';
import { KEEPALIVED_BIN, startKeepalived } from '../support/keepalived';

type Starter = (lab: Lab, h: LabHost, conf: string) => RunningDaemon;

const inst = (name: string, vrid: number, vip: string): string => `vrrp_instance ${name} {
  state BACKUP
  interface eth0
  virtual_router_id ${vrid}
  priority 100
  advert_int 1
  virtual_ipaddress {
    ${vip}
  }
}
`;

const CONFIG = `global_defs {
  router_id r1
}
track_group G1 {
  group {
    VI_1
  }
}
static_ipaddress {
  198.51.100.50/25 dev eth1 track_group G1
}
static_routes {
  198.51.100.128/25 via 198.51.100.2 dev eth1 track_group G1
}
static_rules {
  from 198.51.100.0/24 table 100 iif eth1 preference 100 track_group G1
}
${inst('VI_1', 51, '192.0.2.100/24')}${inst('VI_2', 52, '192.0.2.101/24')}`;

async function run(lab: Lab, h: LabHost, cmd: string): Promise<string> {
  return (await lab.exec(h.ns, ['sh', '-c', cmd])).stdout;
}

async function scenario(t: Test, start: Starter, who: string, tracked: boolean): Promise<void> {
  const lab = await Lab.create(t, { hosts: 1 });
  const h = lab.host(1);
  await run(lab, h, 'ip link add eth1 type veth peer name eth2 && ip link set eth1 up && ip link set eth2 up && ip addr add 198.51.100.1/25 dev eth1');
  const conf = tracked ? CONFIG : CONFIG.replace(/ track_group G1/g, '');
  const d = start(lab, h, conf);
  logsOnFailure(t, d);
  t.ok(await d.out.waitFor('(VI_1) Entering MASTER STATE', 15_000), `${who}: VI_1 MASTER`);
  t.ok(await d.out.waitFor('(VI_2) Entering MASTER STATE', 5_000), `${who}: VI_2 MASTER`);
  const route = (): Promise<boolean> => run(lab, h, 'ip route show 198.51.100.128/25').then((o) => o.includes('via 198.51.100.2'));
  t.ok(await waitFor(route, 3000), `${who}: static route installed`);

  await run(lab, h, 'ip addr del 198.51.100.50/25 dev eth1');
  t.ok(await waitFor(() => lab.hasAddress(h, '198.51.100.50', 'eth1'), 3000), `${who}: the deleted static address is restored`);
  await sleep(1000);
  t.notOk(d.out.has('Entering FAULT STATE'), `${who}: a restored address moves no instance`);

  const rule = (): Promise<boolean> => run(lab, h, 'ip rule show pref 100').then((o) => o.includes('iif eth1 lookup 100'));
  t.ok(await waitFor(rule, 3000), `${who}: static rule installed`);
  await run(lab, h, 'ip rule del pref 100');
  if (tracked) t.ok(await waitFor(rule, 3000), `${who}: a deleted tracked static rule is restored`);
  else {
    await sleep(1500);
    t.notOk(await rule(), `${who}: a deleted static rule without track_group is not restored`);
  }

  await run(lab, h, 'ip link set eth1 down');
  if (tracked) {
    t.ok(await d.out.waitFor('(VI_1) Entering FAULT STATE', 5000), `${who}: eth1 down: VI_1 (in G1) enters FAULT`);
    t.ok(await waitFor(async () => !(await lab.hasAddress(h, '192.0.2.100')), 3000), `${who}: VI_1's VIP removed`);
  } else {
    await sleep(3000);
    t.notOk(d.out.has('Entering FAULT STATE'), `${who}: without track_group eth1 down moves no instance`);
  }
  t.notOk(d.out.has('(VI_2) Entering FAULT STATE'), `${who}: VI_2 (no group) is not affected`);
  t.ok(await lab.hasAddress(h, '192.0.2.101'), `${who}: VI_2 keeps its VIP`);

  await run(lab, h, 'ip link set eth1 up');
  if (tracked) {
    t.ok(await d.out.waitFor('(VI_1) Entering BACKUP STATE', 5000), `${who}: eth1 up: VI_1 leaves FAULT for BACKUP`);
    t.ok(await waitFor(() => lab.hasAddress(h, '192.0.2.100'), 8000), `${who}: VI_1 becomes MASTER again (VIP back)`);
  }
  t.ok(await waitFor(route, 5000), `${who}: the static route dropped with the link is installed again`);
}

t.test('static track groups', { skip: !isRoot() && 'needs root' }, async (t) => {
  t.test('ours, track_group', (t) => scenario(t, startDaemon, 'ours', true));
  t.test('ours, without track_group', (t) => scenario(t, startDaemon, 'ours', false));
  const noKa = !KEEPALIVED_BIN && 'keepalived not installed';
  t.test('keepalived 2.2.7, track_group', { skip: noKa }, (t) => scenario(t, startKeepalived, 'keepalived', true));
  t.test('keepalived 2.2.7, without track_group', { skip: noKa }, (t) => scenario(t, startKeepalived, 'keepalived', false));
});
