/**
 * vrrp_startup_delay end to end, ours and keepalived 2.2.7 in the same lab: a lone node with
 * `vrrp_startup_delay 2` logs "Delaying startup for 2 seconds", enters BACKUP (init) at once
 * and takes the VIP only after delay + Master_Down_Interval (2 + 3.609 s at priority 100,
 * advert_int 1), not before; the address owner waits as well.
 */
import t, { type Test } from 'tap';
import { Lab, isRoot, waitFor, type LabHost } from '../support/netns';
import { logsOnFailure, startDaemon, vrrpConfig, type RunningDaemon } from '../support/daemon';
import { KEEPALIVED_BIN, startKeepalived } from '../support/keepalived';

const VIP = '192.0.2.100';

type Starter = (lab: Lab, h: LabHost, conf: string) => RunningDaemon;

async function scenario(t: Test, start: Starter, who: string, priority: number): Promise<void> {
  const lab = await Lab.create(t, { hosts: 1 });
  const h1 = lab.host(1);
  // the delay and the first Master_Down wait count from the process start (as keepalived's do),
  // so the bound is measured from the spawn, not from a log line written after start-up work
  const spawned = Date.now();
  const d = start(lab, h1, vrrpConfig({ state: 'BACKUP', priority, global: 'vrrp_startup_delay 2' }));
  logsOnFailure(t, d);
  t.ok(await d.out.waitFor('Delaying startup for 2 seconds', 15_000), `${who}: logs the delay`);
  t.ok(await d.out.waitFor('(VI_1) Entering BACKUP STATE (init)', 5_000), `${who}: BACKUP (init) at once`);
  const got = await waitFor(() => lab.hasAddress(h1, VIP), 15_000, 20);
  const took = Date.now() - spawned;
  t.ok(got, `${who}: takes the VIP in the end`);
  // delay 2 s + Master_Down_Interval (3 × 1 s + skew) ≥ 5 s after the spawn; 100 ms for clock granularity
  t.ok(took >= 4900, `${who}: not before delay + Master_Down_Interval (${took} ms after the spawn)`);
  t.comment(`${who} priority ${priority}: spawn → VIP ${took} ms`);
}

t.test('vrrp_startup_delay', { skip: !isRoot() && 'needs root' }, async (t) => {
  t.test('ours, priority 100', (t) => scenario(t, startDaemon, 'ours', 100));
  t.test('ours, address owner', (t) => scenario(t, startDaemon, 'ours', 255));
  t.test('keepalived 2.2.7, priority 100', { skip: !KEEPALIVED_BIN && 'keepalived not installed' }, (t) => scenario(t, startKeepalived, 'keepalived', 100));
  t.test('keepalived 2.2.7, address owner', { skip: !KEEPALIVED_BIN && 'keepalived not installed' }, (t) => scenario(t, startKeepalived, 'keepalived', 255));
});
