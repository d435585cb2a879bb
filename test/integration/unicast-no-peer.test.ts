/**
 * unicast_fault_no_peer end to end, ours and keepalived 2.2.7: a lone instance with
 * unicast_src_ip and no unicast_peer. With the keyword it logs "(VI_1) Cannot use unicast
 * without any peers - going to fault state" and never takes the VIP (keepalived 2.2.7 observed);
 * without it, it logs the deprecation line, runs multicast and becomes MASTER.
 */
import t, { type Test } from 'tap';
import { Lab, isRoot, sleep, type LabHost } from '../support/netns';
import { logsOnFailure, startDaemon, vrrpConfig, type RunningDaemon } from '../support/daemon';
import { KEEPALIVED_BIN, startKeepalived } from '../support/keepalived';

type Starter = (lab: Lab, h: LabHost, conf: string) => RunningDaemon;
const FAULT_LINE = '(VI_1) Cannot use unicast without any peers - going to fault state';
const MCAST_LINE = '(VI_1) A unicast keyword has been specified without any unicast peers. Defaulting to multicast. This usage is deprecated - please update your configuration.';

async function scenario(t: Test, start: Starter, who: string, faultNoPeer: boolean): Promise<void> {
  const lab = await Lab.create(t, { hosts: 1 });
  const h = lab.host(1);
  const d = start(lab, h, vrrpConfig({ priority: 100, extra: `unicast_src_ip ${h.ipv4}\n  ${faultNoPeer ? 'unicast_fault_no_peer' : ''}` }));
  logsOnFailure(t, d);
  t.ok(await d.out.waitFor(faultNoPeer ? FAULT_LINE : MCAST_LINE, 15_000), `${who}: logs ${faultNoPeer ? 'the fault' : 'the deprecation'} line`);
  if (faultNoPeer) {
    await sleep(5000); // > Master_Down_Interval (3.6 s)
    t.notOk(await lab.hasAddress(h, '192.0.2.100'), `${who}: never takes the VIP`);
    t.notOk(d.out.has('Entering MASTER STATE'), `${who}: never MASTER`);
  } else {
    t.ok(await d.out.waitFor('(VI_1) Entering MASTER STATE', 8000), `${who}: runs multicast and becomes MASTER alone`);
  }
}

t.test('unicast_fault_no_peer', { skip: !isRoot() && 'needs root' }, async (t) => {
  t.test('ours, unicast_fault_no_peer', (t) => scenario(t, startDaemon, 'ours', true));
  t.test('ours, without it', (t) => scenario(t, startDaemon, 'ours', false));
  const noKa = !KEEPALIVED_BIN && 'keepalived not installed';
  t.test('keepalived 2.2.7, unicast_fault_no_peer', { skip: noKa }, (t) => scenario(t, startKeepalived, 'keepalived', true));
  t.test('keepalived 2.2.7, without it', { skip: noKa }, (t) => scenario(t, startKeepalived, 'keepalived', false));
});
