/**
 * dynamic_interfaces end to end, ours and keepalived 2.2.7 in the same lab: an instance whose
 * interface (vx0, a veth made inside the host namespace) does not exist at start-up waits
 * ("Configuration specifies interface vx0 which doesn't currently exist - will use if
 * created"), starts when vx0 appears with an address (BACKUP, then MASTER with the VIP after
 * Master_Down_Interval), and after vx0 is deleted and re-created takes the VIP again.
 */
import t, { type Test } from 'tap';
import { Lab, isRoot, waitFor, sleep, type LabHost } from '../support/netns';
import { logsOnFailure, startDaemon, type RunningDaemon } from '../support/daemon';
import { KEEPALIVED_BIN, startKeepalived } from '../support/keepalived';

const VIP = '198.51.100.100';

const CONF = `global_defs {
  router_id test
  dynamic_interfaces
}
vrrp_instance VI_1 {
  state BACKUP
  interface vx0
  virtual_router_id 51
  priority 100
  advert_int 1
  virtual_ipaddress {
    ${VIP}/24
  }
}
`;

type Starter = (lab: Lab, h: LabHost, conf: string) => RunningDaemon;

async function ip(lab: Lab, h: LabHost, ...args: string[]): Promise<void> {
  const r = await lab.exec(h.ns, ['ip', ...args]);
  if (r.code !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
}

async function createVx0(lab: Lab, h: LabHost): Promise<void> {
  await ip(lab, h, 'link', 'add', 'vx0', 'type', 'veth', 'peer', 'name', 'vx0p');
  await ip(lab, h, 'link', 'set', 'vx0p', 'up');
  await ip(lab, h, 'addr', 'add', '198.51.100.1/24', 'dev', 'vx0');
  await ip(lab, h, 'link', 'set', 'vx0', 'up');
}

async function scenario(t: Test, start: Starter, who: string): Promise<void> {
  const lab = await Lab.create(t, { hosts: 1 });
  const h1 = lab.host(1);
  const d = start(lab, h1, CONF);
  logsOnFailure(t, d);
  t.ok(await d.out.waitFor("Configuration specifies interface vx0 which doesn't currently exist - will use if created", 15_000), `${who}: waits for vx0`);
  await sleep(1500);
  t.equal(d.cp.exitCode, null, `${who}: still running without vx0`);

  await createVx0(lab, h1);
  t.ok(await d.out.waitFor('(VI_1) Entering BACKUP STATE', 10_000), `${who}: BACKUP once vx0 exists`);
  t.ok(await waitFor(() => lab.hasAddress(h1, VIP, 'vx0'), 15_000, 50), `${who}: VIP on vx0 after it appeared`);

  await ip(lab, h1, 'link', 'del', 'vx0');
  t.ok(await d.out.waitFor(/\(VI_1\) Entering FAULT STATE/, 10_000), `${who}: FAULT when vx0 is deleted`);
  await sleep(1000);
  await createVx0(lab, h1);
  t.ok(await waitFor(() => lab.hasAddress(h1, VIP, 'vx0'), 15_000, 50), `${who}: VIP on the re-created vx0`);
  t.equal(d.cp.exitCode, null, `${who}: survived the delete and re-create`);
}

t.test('dynamic_interfaces', { skip: !isRoot() && 'needs root' }, async (t) => {
  t.test('ours', (t) => scenario(t, startDaemon, 'ours'));
  t.test('keepalived 2.2.7', { skip: !KEEPALIVED_BIN && 'keepalived not installed' }, (t) => scenario(t, startKeepalived, 'keepalived'));
});
