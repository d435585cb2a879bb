/**
 * interface_up_down_delays end to end, ours and keepalived 2.2.7 in the same kind of lab: a lone
 * BACKUP (advert_int 4, so the 2 s down / 1 s up delays are below keepalived's 2 × advert_int
 * bound) whose cable is pulled (the bridge side of its veth goes down):
 * - 1 s down (shorter than the 2 s down delay): no FAULT, no "Netlink reports eth0 down";
 * - 4 s down: FAULT 2 s after the cable is pulled, not before;
 * - the way back: BACKUP 1 s after the cable is back (up delay), and an up shorter than the up
 *   delay (cable pulled again after 0.5 s) is never reported.
 * The relevant log lines of both daemons must be the same, word for word.
 */
import t, { type Test } from 'tap';
import { Lab, isRoot, sleep, waitFor, type LabHost } from '../support/netns';
import { logsOnFailure, startDaemon, type RunningDaemon } from '../support/daemon';
import { KEEPALIVED_BIN, startKeepalived } from '../support/keepalived';

type Starter = (lab: Lab, h: LabHost, conf: string) => RunningDaemon;

const CONF = `global_defs {
  router_id test
}
interface_up_down_delays {
  eth0 2 1
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 100
  advert_int 4
  virtual_ipaddress {
    192.0.2.100/24
  }
}
`;

const RELEVANT = /(eth0: Adding flags change.*|Netlink reports eth0 (?:up|down)|\(VI_1\) Entering (?:FAULT|BACKUP) STATE.*)$/;

function relevant(text: string): string[] {
  return text.split('\n').map((l) => RELEVANT.exec(l)?.[1]).filter((x): x is string => x !== undefined);
}

/** Runs the scenario, returns the relevant lines. */
async function scenario(t: Test, start: Starter, who: string): Promise<string[]> {
  const lab = await Lab.create(t, { hosts: 1 });
  const h = lab.host(1);
  const d = start(lab, h, CONF);
  logsOnFailure(t, d);
  t.ok(await d.out.waitFor('(VI_1) Entering BACKUP STATE', 15_000), `${who}: BACKUP at start`);
  await sleep(500);

  // 1 s down < 2 s down delay
  await lab.setLink(h, false);
  t.ok(await d.out.waitFor('eth0: Adding flags change from 0x11043 to 0x1003 delay by 2000000', 3000), `${who}: the down is put off`);
  await sleep(1000);
  await lab.setLink(h, true);
  await sleep(1800); // past where the 2 s deadline would have been
  t.notOk(d.out.has('FAULT'), `${who}: a 1 s down never reaches the instance`);
  t.notOk(d.out.has('Netlink reports eth0 down'), `${who}: nor is it reported`);

  // 4 s down > 2 s down delay
  const pulled = Date.now();
  await lab.setLink(h, false);
  t.ok(await waitFor(() => d.out.has('Entering FAULT STATE'), 4000, 20), `${who}: FAULT after a long down`);
  const faultAfter = Date.now() - pulled;
  t.ok(faultAfter >= 1950 && faultAfter < 2800, `${who}: FAULT ${faultAfter} ms after the cable is pulled (down delay 2 s)`);
  await sleep(4000 - faultAfter);

  // back up, 0.5 s < 1 s up delay, then down again: no BACKUP
  await lab.setLink(h, true);
  t.ok(await d.out.waitFor('eth0: Adding flags change from 0x1003 to 0x11043 delay by 1000000', 3000), `${who}: the up is put off`);
  await sleep(500);
  await lab.setLink(h, false);
  await sleep(1000);
  t.equal(d.out.count(/Entering BACKUP STATE/g), 1, `${who}: a 0.5 s up never reaches the instance`);

  // back up for good: BACKUP 1 s later
  const plugged = Date.now();
  await lab.setLink(h, true);
  t.ok(await waitFor(() => d.out.count(/Entering BACKUP STATE/g) === 2, 4000, 20), `${who}: BACKUP again`);
  const backAfter = Date.now() - plugged;
  t.ok(backAfter >= 950 && backAfter < 1800, `${who}: BACKUP ${backAfter} ms after the cable is back (up delay 1 s)`);
  t.comment(`${who}: FAULT ${faultAfter} ms after the pull, BACKUP ${backAfter} ms after the plug`);
  return relevant(d.out.text);
}

t.test('interface_up_down_delays', { skip: !isRoot() && 'needs root' }, async (t) => {
  let ours: string[] = [];
  let theirs: string[] | undefined;
  await t.test('ours', async (t) => {
    ours = await scenario(t, startDaemon, 'ours');
  });
  await t.test('keepalived 2.2.7', { skip: !KEEPALIVED_BIN && 'keepalived not installed' }, async (t) => {
    theirs = await scenario(t, startKeepalived, 'keepalived');
  });
  if (theirs) t.same(ours, theirs, 'the same lines as keepalived 2.2.7, word for word');
});
