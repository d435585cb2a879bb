/**
 * What happens to the local discriminator when a BFD session goes Down (RFC 5880 §6.3 lets a
 * system change it at any time; §6.8.1 says state variables are not reinitialised), seen on the
 * wire with tcpdump -v in h1 while the link is cut in the bridge (nftables) and healed:
 * - keepalived 2.2.7: an Up session that goes Down sends its Down packets with a new My
 *   Discriminator, and comes Up again with it;
 * - ours does the same (bfd/session: Up → Down draws a new one);
 * - FRR bfdd keeps its discriminator for the life of the peer.
 */
import t, { type Test } from 'tap';
import fs from 'node:fs';
import { Lab, isRoot, waitFor, type LabHost } from '../support/netns';
import { logsOnFailure, startDaemon, type RunningDaemon } from '../support/daemon';
import { KEEPALIVED_BIN, startKeepalived } from '../support/keepalived';
import { BFDD, startBfdd } from '../support/frr-bfdd';
import { captureBfd, type BfdOnWire } from '../support/bfd-wire';

const conf = (me: LabHost, peer: LabHost): string => `bfd_instance B1 {
  neighbor_ip ${peer.ipv4}
  source_ip ${me.ipv4}
  min_rx 100
  min_tx 100
  multiplier 3
}
`;

const CUT = 'add table bridge cut; add chain bridge cut fw { type filter hook forward priority 0; policy drop; }';
const hex = (n: number | undefined): string => (n === undefined ? '?' : `0x${n.toString(16)}`);

interface Phases {
  upBefore: number | undefined;
  downAfter: number | undefined;
  upAfter: number | undefined;
}

/** My Discriminator of `src`'s packets: last Up before the cut, first not Up after it (Down, or Init if the peer's came first), last Up after the heal. */
function phases(pkts: BfdOnWire[], src: string, cutAt: number, healAt: number): Phases {
  const from = pkts.filter((p) => p.src === src);
  return {
    upBefore: from.filter((p) => p.t < cutAt && p.state === 'Up').pop()?.myDiscr,
    downAfter: from.find((p) => p.t > cutAt && p.state !== 'Up')?.myDiscr,
    upAfter: from.filter((p) => p.t > healAt && p.state === 'Up').pop()?.myDiscr,
  };
}

/** Up, cut the bridge until `isDown`, heal until `isUp`; returns the capture and the times. */
async function cutAndHeal(t: Test, lab: Lab, h1: LabHost, isDown: () => Promise<boolean>, isUp: () => Promise<boolean>) {
  const cap = captureBfd(lab, h1.ns, 'eth0', 'udp port 3784');
  await new Promise((r) => setTimeout(r, 1000));
  const cutAt = Date.now() / 1000;
  t.equal((await lab.exec(lab.bridgeNs, ['nft', CUT])).code, 0, 'link cut (nftables in the bridge)');
  t.ok(await isDown(), 'both Down');
  await new Promise((r) => setTimeout(r, 1500));
  const healAt = Date.now() / 1000;
  await lab.exec(lab.bridgeNs, ['nft', 'delete table bridge cut']);
  t.ok(await isUp(), 'both Up again');
  await new Promise((r) => setTimeout(r, 1000));
  cap.stop();
  return { pkts: cap.packets(), cutAt, healAt };
}

const downIn = (d: RunningDaemon, mark: number, re: RegExp | string, ms: number) =>
  waitFor(() => (typeof re === 'string' ? d.out.text.slice(mark).includes(re) : re.test(d.out.text.slice(mark))), ms).then(Boolean);

t.test('after Down: keepalived 2.2.7 and ours take a new local discriminator', { skip: (!isRoot() && 'needs root') || (!KEEPALIVED_BIN && 'keepalived not installed') }, async (t) => {
  const lab = await Lab.create(t, { hosts: 2 });
  const [h1, h2] = [lab.host(1), lab.host(2)];
  const ours = startDaemon(lab, h1, conf(h1, h2));
  const ka = startKeepalived(lab, h2, conf(h2, h1));
  logsOnFailure(t, ours, ka);
  t.ok(await ours.out.waitFor('(B1) Entering Up state', 45_000), 'ours: Up');
  t.ok(await ka.out.waitFor('(B1) Entering Up state', 5000), 'keepalived: Up');
  const [om, km] = [ours.out.text.length, ka.out.text.length];
  const { pkts, cutAt, healAt } = await cutAndHeal(
    t, lab, h1,
    async () => (await downIn(ours, om, '(B1) Entering Down state', 5000)) && (await downIn(ka, km, '(B1) Entering Down state', 5000)),
    async () => (await downIn(ours, om, /Entering Down state[^]*\(B1\) Entering Up state/, 15_000)) && (await downIn(ka, km, /Entering Down state[^]*\(B1\) Entering Up state/, 15_000)),
  );
  const k = phases(pkts, h2.ipv4, cutAt, healAt);
  const o = phases(pkts, h1.ipv4, cutAt, healAt);
  t.comment(`keepalived 2.2.7 My Discriminator: Up ${hex(k.upBefore)}, Down after the cut ${hex(k.downAfter)}, Up after the heal ${hex(k.upAfter)}`);
  t.comment(`ours My Discriminator: Up ${hex(o.upBefore)}, Down after the cut ${hex(o.downAfter)}, Up after the heal ${hex(o.upAfter)}`);
  t.ok(k.upBefore && k.downAfter && k.upAfter, 'keepalived: all three phases on the wire');
  t.not(k.downAfter, k.upBefore, 'keepalived: a new discriminator once Down');
  t.equal(k.upAfter, k.downAfter, 'keepalived: Up again with it');
  t.ok(o.upBefore && o.downAfter && o.upAfter, 'ours: all three phases on the wire');
  t.not(o.downAfter, o.upBefore, 'ours: a new discriminator once Down, as keepalived');
  t.equal(o.upAfter, o.downAfter, 'ours: Up again with it');
});

t.test('after Down: FRR bfdd keeps its local discriminator (observed); ours takes a new one', { skip: (!isRoot() && 'needs root') || (!fs.existsSync(BFDD) && 'FRR is not installed') }, async (t) => {
  const lab = await Lab.create(t, { hosts: 2 });
  const [h1, h2] = [lab.host(1), lab.host(2)];
  const frr = startBfdd(lab, h2, [{ peer: h1.ipv4, local: h2.ipv4, intervalMs: 100 }]);
  const ours = startDaemon(lab, h1, conf(h1, h2));
  logsOnFailure(t, ours);
  t.ok(await ours.out.waitFor('(B1) Entering Up state', 45_000), 'ours: Up');
  t.ok(await waitFor(async () => (await frr.peers()).some((p) => p.status === 'up'), 5000), 'bfdd: up');
  const om = ours.out.text.length;
  const { pkts, cutAt, healAt } = await cutAndHeal(
    t, lab, h1,
    async () => (await downIn(ours, om, '(B1) Entering Down state', 5000)) && !!(await waitFor(async () => (await frr.peers()).some((p) => p.status === 'down'), 5000)),
    async () => (await downIn(ours, om, /Entering Down state[^]*\(B1\) Entering Up state/, 15_000)) && !!(await waitFor(async () => (await frr.peers()).some((p) => p.status === 'up'), 10_000)),
  );
  const f = phases(pkts, h2.ipv4, cutAt, healAt);
  const o = phases(pkts, h1.ipv4, cutAt, healAt);
  t.comment(`FRR bfdd My Discriminator: Up ${hex(f.upBefore)}, Down after the cut ${hex(f.downAfter)}, Up after the heal ${hex(f.upAfter)}`);
  t.comment(`ours My Discriminator: Up ${hex(o.upBefore)}, Down after the cut ${hex(o.downAfter)}, Up after the heal ${hex(o.upAfter)}`);
  t.ok(f.upBefore && f.downAfter && f.upAfter, 'bfdd: all three phases on the wire');
  t.equal(f.downAfter, f.upBefore, 'bfdd: the same discriminator once Down');
  t.equal(f.upAfter, f.upBefore, 'bfdd: and Up again with it');
  t.not(o.downAfter, o.upBefore, 'ours: a new one (as keepalived); bfdd follows it');
  t.equal(o.upAfter, o.downAfter, 'ours: Up again with it');
});
