/**
 * interface_up_down_delays follow a faster master, ours and keepalived 2.2.7 in the same lab: a
 * VRRPv3 BACKUP configured with advert_int 5 and `eth0 8 0` (8 s is below its 2 × 5 s bound)
 * hears a master advertising every 1 s. keepalived 2.2.7, observed: "(VI_1) advertisement
 * interval updated from 5000ms to 1000ms by master", then "VI_1: lower advert_int reducing
 * interface eth0 debounce timer(s)"; its cable pulled for 4 s then gives FAULT after ~2 s
 * ("eth0: Adding flags change from 0x11043 to 0x1003 delay by 1996094"), where 8 s would have
 * given none.
 */
import t, { type Test } from 'tap';
import { Lab, isRoot, sleep, waitFor, type LabHost } from '../support/netns';
import { logsOnFailure, startDaemon, type RunningDaemon } from '../support/daemon';
import { KEEPALIVED_BIN, startKeepalived } from '../support/keepalived';

type Starter = (lab: Lab, h: LabHost, conf: string) => RunningDaemon;

const conf = (priority: number, advertInt: number): string => `global_defs {
  router_id r${priority}
}
interface_up_down_delays {
  eth0 8 0
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  version 3
  priority ${priority}
  advert_int ${advertInt}
  virtual_ipaddress {
    192.0.2.100/24
  }
}
`;

async function scenario(t: Test, start: Starter, who: string): Promise<void> {
  const lab = await Lab.create(t, { hosts: 2 });
  const [h1, h2] = [lab.host(1), lab.host(2)];
  const master = start(lab, h2, conf(100, 1));
  logsOnFailure(t, master);
  t.ok(await master.out.waitFor('(VI_1) Entering MASTER STATE', 15_000), `${who}: h2 MASTER at advert_int 1`);
  const d = start(lab, h1, conf(90, 5));
  logsOnFailure(t, d);
  t.ok(await d.out.waitFor('(VI_1) advertisement interval updated from 5000ms to 1000ms by master', 15_000), `${who}: the backup adopts 1 s`);
  t.ok(await d.out.waitFor('VI_1: lower advert_int reducing interface eth0 debounce timer(s)', 3000), `${who}: and lowers the interface's delays`);
  await sleep(500);
  const downAt = Date.now();
  await lab.setLink(h1, false);
  t.ok(await d.out.waitFor('eth0: Adding flags change from 0x11043 to 0x1003 delay by 1996094', 3000), `${who}: down delay 1996094 us (2 x 1 s - 1 s/256)`);
  t.ok(await d.out.waitFor('(VI_1) Entering FAULT STATE', 3500), `${who}: FAULT within 3.5 s of a 4 s cable pull (8 s would give none)`);
  const ms = Date.now() - downAt;
  t.ok(ms >= 1800, `${who}: not before the reduced delay (${ms} ms)`);
  await sleep(Math.max(0, 4000 - ms));
  await lab.setLink(h1, true);
  const afterFault = (): string => d.out.text.slice(d.out.text.indexOf('(VI_1) Entering FAULT STATE'));
  t.ok(await waitFor(() => afterFault().includes('(VI_1) Entering BACKUP STATE'), 5000), `${who}: BACKUP again when the cable is back`);
}

t.test('interface_up_down_delays lowered by a faster master', { skip: !isRoot() && 'needs root' }, async (t) => {
  t.test('ours', (t) => scenario(t, startDaemon, 'ours'));
  t.test('keepalived 2.2.7', { skip: !KEEPALIVED_BIN && 'keepalived not installed' }, (t) => scenario(t, startKeepalived, 'keepalived'));
});
