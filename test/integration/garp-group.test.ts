/**
 * garp_group end to end, ours and keepalived 2.2.7 in the same kind of lab, gratuitous ARPs read
 * on the wire by a second host: two address-owner instances on eth0 (VI_1 with .100 .101 .102,
 * VI_2 with .110, garp_master_repeat 3) under `garp_group { garp_interval 0.2; interface eth0 }`.
 * keepalived 2.2.7 sends .100 at once, then .100 .101 .102 .110 one per 0.2 s (an address already
 * waiting is not queued again), the next burst 5 s later (garp_master_delay) the same way. Without
 * pacing the 12 frames of a burst leave within a millisecond. A second run puts eth0 in no group
 * and sets the global vrrp_garp_interval 0.2, which keepalived paces the same way.
 */
import t, { type Test } from 'tap';
import { Lab, isRoot, sleep, waitFor, type LabHost } from '../support/netns';
import { logsOnFailure, startDaemon, type RunningDaemon } from '../support/daemon';
import { KEEPALIVED_BIN, startKeepalived } from '../support/keepalived';
import { GarpCapture, GARP_TCPDUMP_ARGS } from '../support/garp-capture';

type Starter = (lab: Lab, h: LabHost, conf: string) => RunningDaemon;

function config(mode: 'group' | 'global'): string {
  return `global_defs {
  router_id test
  ${mode === 'global' ? 'vrrp_garp_interval 0.2' : ''}
}
${mode === 'group' ? 'garp_group {\n  garp_interval 0.2\n  interface eth0\n}' : ''}
vrrp_instance VI_1 {
  state MASTER
  interface eth0
  virtual_router_id 51
  priority 255
  advert_int 1
  garp_master_repeat 3
  virtual_ipaddress {
    192.0.2.100/24
    192.0.2.101/24
    192.0.2.102/24
  }
}
vrrp_instance VI_2 {
  state MASTER
  interface eth0
  virtual_router_id 52
  priority 255
  advert_int 1
  garp_master_repeat 3
  virtual_ipaddress {
    192.0.2.110/24
  }
}
`;
}

const FIRST_BURST = ['192.0.2.100', '192.0.2.100', '192.0.2.101', '192.0.2.102', '192.0.2.110'];

/** GARPs of the first burst (the first 3 s) as [ip, ms after the first]. */
async function scenario(t: Test, start: Starter, who: string, mode: 'group' | 'global'): Promise<string[]> {
  const lab = await Lab.create(t, { hosts: 2 });
  const [h1, h2] = [lab.host(1), lab.host(2)];
  const cap = new GarpCapture(lab.spawn(h2.ns, ['tcpdump', '-i', 'eth0', ...GARP_TCPDUMP_ARGS]));
  await sleep(1000); // tcpdump listening
  const d = start(lab, h1, config(mode));
  logsOnFailure(t, d);
  t.ok(await waitFor(() => cap.garps.length > 0, 15_000), `${who}: GARPs seen`);
  await sleep(3000);
  const t0 = cap.garps[0]?.t ?? 0;
  const burst = cap.garps.filter((g) => g.t - t0 < 3);
  const gaps = burst.slice(1).map((g, i) => Math.round((g.t - (burst[i]?.t ?? 0)) * 1000));
  t.comment(`${who} (${mode}): ${burst.map((g) => `${g.ip}@${Math.round((g.t - t0) * 1000)}ms`).join(' ')}`);
  t.same(burst.map((g) => g.ip), FIRST_BURST, `${who}: .100 at once, then each VIP once, in configuration order`);
  t.ok(gaps.every((g) => g >= 170), `${who}: at least ~0.2 s between frames on eth0 (gaps ${gaps.join(', ')} ms)`);
  t.ok(gaps.every((g) => g < 600), `${who}: and not much more (gaps ${gaps.join(', ')} ms)`);
  return burst.map((g) => g.ip);
}

t.test('garp_group paces gratuitous ARPs per interface', { skip: !isRoot() && 'needs root' }, async (t) => {
  t.test('ours, garp_group', (t) => scenario(t, startDaemon, 'ours', 'group'));
  t.test('ours, global vrrp_garp_interval', (t) => scenario(t, startDaemon, 'ours', 'global'));
  t.test('keepalived 2.2.7, garp_group', { skip: !KEEPALIVED_BIN && 'keepalived not installed' }, (t) => scenario(t, startKeepalived, 'keepalived', 'group'));
});
