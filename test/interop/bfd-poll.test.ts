/**
 * SIGHUP with a changed min_tx on an Up BFD session, ours and keepalived 2.2.7 side by side
 * (each in turn is the one reloaded, the other its peer), 100 ms × 5, min_tx 100 → 200 ms:
 * - observed for keepalived 2.2.7: the session stays Up on both sides (no state line), its next
 *   packets carry Poll with Desired Min TX 200 ms, the peer answers Final, and it then sends
 *   every 150–200 ms;
 * - ours does the same (RFC 5880 §6.8.3; bfd/session retime), with keepalived answering the Poll.
 * Seen on the wire with tcpdump in h1.
 */
import t, { type Test } from 'tap';
import fs from 'node:fs';
import { Lab, isRoot, waitFor, type LabHost } from '../support/netns';
import { logsOnFailure, startDaemon, type RunningDaemon } from '../support/daemon';
import { KEEPALIVED_BIN, startKeepalived } from '../support/keepalived';
import { captureBfd, type BfdOnWire } from '../support/bfd-wire';

const conf = (me: LabHost, peer: LabHost, minTx: number): string => `global_defs {
  router_id ${me.name}
}
bfd_instance B1 {
  neighbor_ip ${peer.ipv4}
  source_ip ${me.ipv4}
  min_rx 100
  min_tx ${minTx}
  multiplier 5
}
`;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[Math.floor(s.length / 2)] as number) : NaN;
};

/** Reload `who` (on `me`) with min_tx 200 while `peer` runs; check the states and the wire. */
async function pollOnReload(t: Test, lab: Lab, who: RunningDaemon, other: RunningDaemon, me: LabHost, peer: LabHost, name: string): Promise<void> {
  const cap = captureBfd(lab, lab.host(1).ns, 'eth0', 'udp port 3784');
  await new Promise((r) => setTimeout(r, 1500));
  const [wm, om] = [who.out.text.length, other.out.text.length];
  const reloadAt = Date.now() / 1000;
  fs.writeFileSync(who.conf, conf(me, peer, 200));
  process.kill(who.cp.pid as number, 'SIGHUP');
  await new Promise((r) => setTimeout(r, 8000));
  cap.stop();
  t.notOk(/\(B1\) Entering/.test(who.out.text.slice(wm)), `${name}: no state change on the reloaded side`);
  t.notOk(/\(B1\) Entering/.test(other.out.text.slice(om)), `${name}: no state change at its peer`);
  const pkts = cap.packets();
  const mine = pkts.filter((p) => p.src === me.ipv4);
  const theirs = pkts.filter((p) => p.src === peer.ipv4);
  const poll = mine.find((p) => p.t > reloadAt && p.poll && p.desiredTxMs === 200);
  t.ok(poll, `${name}: Poll with Desired Min TX 200 ms after the reload`);
  const final = poll && theirs.find((p) => p.t >= poll.t && p.final);
  t.ok(final, `${name}: the peer answers with Final`);
  t.ok(mine.every((p) => p.state === 'Up') && theirs.every((p) => p.state === 'Up'), `${name}: every packet both ways says Up`);
  const gaps = (xs: BfdOnWire[]): number[] => xs.slice(1).map((p, i) => (p.t - (xs[i] as BfdOnWire).t) * 1000);
  const periodic = mine.filter((p) => !p.final);
  const before = gaps(periodic.filter((p) => p.t < reloadAt));
  const after = final ? gaps(periodic.filter((p) => p.t > final.t + 0.3)) : [];
  t.comment(`${name}: gaps before median ${median(before).toFixed(1)} ms (${before.length}), after the Final ${median(after).toFixed(1)} ms (${after.length}); Poll ${poll ? ((poll.t - reloadAt) * 1000).toFixed(0) : '?'} ms after SIGHUP; ${mine.filter((p) => p.poll).length} packets with P`);
  // Nominal medians 87.5 and 175 ms (75–100 % jitter); on the loaded 2-core lab host timers run late by tens of ms.
  t.ok(before.length > 8 && median(before) <= 130, `${name}: before, every 75–100 ms (median ${median(before).toFixed(1)})`);
  t.ok(after.length > 8 && median(after) >= 145 && median(after) <= 240, `${name}: after the Final, every 150–200 ms (median ${median(after).toFixed(1)})`);
  t.ok(median(after) > 1.4 * median(before), `${name}: the interval roughly doubled`);
}

t.test('SIGHUP with a changed min_tx: keepalived 2.2.7 and ours keep the session Up and run a Poll Sequence', { skip: (!isRoot() && 'needs root') || (!KEEPALIVED_BIN && 'keepalived not installed') }, async (t) => {
  const lab = await Lab.create(t, { hosts: 2 });
  const [h1, h2] = [lab.host(1), lab.host(2)];
  const ours = startDaemon(lab, h1, conf(h1, h2, 100));
  const ka = startKeepalived(lab, h2, conf(h2, h1, 100));
  logsOnFailure(t, ours, ka);
  t.ok(await ours.out.waitFor('(B1) Entering Up state', 45_000), 'ours: Up');
  t.ok(await ka.out.waitFor('(B1) Entering Up state', 5000), 'keepalived: Up');
  await pollOnReload(t, lab, ka, ours, h2, h1, 'keepalived reloaded');
  await pollOnReload(t, lab, ours, ka, h1, h2, 'ours reloaded');
});
