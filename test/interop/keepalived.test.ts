/**
 * Our daemon and the real keepalived 2.2.7 as the two routers of one virtual router, both
 * roles each way: exactly one master, correct takeover on a crash, and keepalived accepting
 * every advert we send (no invalid-packet, checksum or mismatch complaints in its log).
 */
import t from 'tap';
import { isRoot, waitFor } from '../support/netns';
import { logsOnFailure, startDaemon, vrrpConfig, type RunningDaemon } from '../support/daemon';
import { KEEPALIVED_BIN, KEEPALIVED_PACKET_COMPLAINTS, crashTree, interopLab, startKeepalived } from '../support/keepalived';
import type { LabHost } from '../support/netns';

interface Variant {
  name: string;
  vip: string;
  version: 2 | 3;
  auth?: boolean;
  unicast?: boolean;
}

const variants: Variant[] = [
  { name: 'VRRPv2 IPv4 multicast auth_type PASS', vip: '192.0.2.100', version: 2, auth: true },
  { name: 'VRRPv3 IPv4 multicast', vip: '192.0.2.100', version: 3 },
  { name: 'VRRPv3 IPv6 multicast', vip: '2001:db8::100', version: 3 },
  { name: 'VRRPv2 IPv4 unicast', vip: '192.0.2.100', version: 2, unicast: true },
];

function conf(v: Variant, me: LabHost, peer: LabHost, priority: number): string {
  const v6 = v.vip.includes(':');
  return vrrpConfig({
    routerId: me.name,
    global: `vrrp_version ${v.version}`,
    vrid: 42,
    priority,
    vip: `${v.vip}/${v6 ? 64 : 24}`,
    extra: `${v.auth ? 'authentication {\n    auth_type PASS\n    auth_pass s3cr3t\n  }' : ''}\n  ${v.unicast ? `unicast_src_ip ${me.ipv4}\n  unicast_peer {\n    ${peer.ipv4}\n  }` : ''}`,
  });
}

const skip = (!isRoot() && 'needs root') || (!KEEPALIVED_BIN && 'keepalived not installed (.ci/run installs it)');

for (const v of variants) {
  for (const oursIsMaster of [true, false]) {
    const title = `${v.name}: ${oursIsMaster ? 'ours master, keepalived backup' : 'keepalived master, ours backup'}`;
    t.test(title, { skip }, async (t) => {
      const { lab, hOurs, hKa, pOurs, pKa, master, backup } = await interopLab(t, oursIsMaster);
      const ours = startDaemon(lab, hOurs, conf(v, hOurs, hKa, pOurs));
      const ka: RunningDaemon = startKeepalived(lab, hKa, conf(v, hKa, hOurs, pKa));
      logsOnFailure(t, ours, ka);
      t.ok(await waitFor(() => lab.hasAddress(master, v.vip), 15000), 'the higher priority holds the VIP');
      await new Promise((r) => setTimeout(r, 2500));
      t.ok(await lab.hasAddress(master, v.vip), 'still master after several adverts');
      t.notOk(await lab.hasAddress(backup, v.vip), 'exactly one master');
      // crash the master; the other takes over
      if (oursIsMaster) ours.cp.kill('SIGKILL');
      else crashTree(ka.cp.pid as number);
      t.ok(await waitFor(() => lab.hasAddress(backup, v.vip), 8000), 'the backup takes over after the master crashed');
      const complaints = ka.out.text.split('\n').filter((l) => KEEPALIVED_PACKET_COMPLAINTS.test(l));
      t.same(complaints, [], 'keepalived logged no invalid-packet, checksum or mismatch complaint about our adverts');
      if (!oursIsMaster) t.ok(ours.out.has('Entering MASTER STATE'), 'ours logs Entering MASTER STATE');
      else t.ok(/Entering MASTER STATE/.test(ka.out.text), 'keepalived logs Entering MASTER STATE');
    });
  }
}
