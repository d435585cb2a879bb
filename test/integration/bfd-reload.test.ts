/**
 * SIGHUP with BFD sessions, real daemons in the namespace lab: h1 runs B1 (to h2) and B2 (to
 * h3), 100 ms × 5. The reload changes only B2's min_tx 100 → 200 ms. As keepalived 2.2.7 does (observed: its
 * session stays Up and the next packets carry P), B2 stays Up and runs an RFC 5880 §6.8.3 Poll
 * Sequence: on the wire (tcpdump in h1) h1's packets to h3 advertise Desired Min TX
 * 200 ms with the Poll flag, h3 answers with Final, and h1's packets then go every 150–200 ms
 * instead of ≤ 100 ms; no state line on either side for B1 or B2. Then a wire setting of B2
 * changes (max_hops): B2 restarts (AdminDown to h3, then Up again), B1 is untouched.
 */
import t from 'tap';
import fs from 'node:fs';
import { Lab, isRoot, waitFor, type LabHost } from '../support/netns';
import { logsOnFailure, startDaemon } from '../support/daemon';
import { captureBfd, type BfdOnWire } from '../support/bfd-wire';

// 100 ms × 5: long enough that the loaded 2-core lab host causes no false Down while we watch.
const bfd = (name: string, me: LabHost, peer: LabHost, minTx = 100, extra = ''): string =>
  `bfd_instance ${name} {\n  neighbor_ip ${peer.ipv4}\n  source_ip ${me.ipv4}\n  min_rx 100\n  min_tx ${minTx}\n  multiplier 5\n${extra}}\n`;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[Math.floor(s.length / 2)] as number) : NaN;
};

t.test('SIGHUP: a timer change keeps the BFD session Up with a Poll Sequence; a wire change restarts it; others untouched', { skip: !isRoot() && 'needs root' }, async (t) => {
  const lab = await Lab.create(t, { hosts: 3 });
  const [h1, h2, h3] = [lab.host(1), lab.host(2), lab.host(3)];
  const d1 = startDaemon(lab, h1, bfd('B1', h1, h2) + bfd('B2', h1, h3));
  const d2 = startDaemon(lab, h2, bfd('B1', h2, h1));
  const d3 = startDaemon(lab, h3, bfd('B2', h3, h1));
  logsOnFailure(t, d1, d2, d3);
  t.ok(await waitFor(() => d1.out.has('(B1) Entering Up state') && d1.out.has('(B2) Entering Up state') && d3.out.has('(B2) Entering Up state'), 45_000), 'both Up');
  const cap = captureBfd(lab, h1.ns, 'eth0', `udp port 3784 and host ${h3.ipv4}`);
  await new Promise((r) => setTimeout(r, 1500));
  const reloadAt = Date.now() / 1000;
  const m1 = d1.out.text.length;
  const m2 = d2.out.text.length;
  const m3 = d3.out.text.length;
  fs.writeFileSync(d1.conf, bfd('B1', h1, h2) + bfd('B2', h1, h3, 200));
  process.kill(d1.cp.pid as number, 'SIGHUP');
  t.ok(await waitFor(() => d1.out.text.slice(m1).includes('Reload complete'), 15_000), 'reloaded');
  t.ok(d1.out.text.slice(m1).includes('(B2) Starting poll sequence'), 'B2: Poll Sequence started');
  await new Promise((r) => setTimeout(r, 5000));
  cap.stop();
  t.notOk(/\(B[12]\) Entering/.test(d1.out.text.slice(m1)), 'no state change on our side (B1, B2)');
  t.notOk(/\(B1\) Entering/.test(d2.out.text.slice(m2)), 'B1: no state change at its peer');
  t.notOk(/\(B2\) Entering/.test(d3.out.text.slice(m3)), 'B2: no Down (no state change) at its peer');

  const pkts = cap.packets();
  const ours = pkts.filter((p) => p.src === h1.ipv4);
  const theirs = pkts.filter((p) => p.src === h3.ipv4);
  const poll = ours.find((p) => p.poll && p.desiredTxMs === 200);
  t.ok(poll, 'on the wire: h1 → h3 with Poll and Desired Min TX 200 ms');
  const final = poll && theirs.find((p) => p.t >= poll.t && p.final);
  t.ok(final, 'h3 answers with Final');
  t.ok(ours.filter((p) => p.t < reloadAt).every((p) => p.desiredTxMs === 100), 'before the reload: Desired Min TX 100 ms');
  const gaps = (xs: BfdOnWire[]): number[] => xs.slice(1).map((p, i) => (p.t - (xs[i] as BfdOnWire).t) * 1000);
  const periodic = ours.filter((p) => !p.final);
  const before = gaps(periodic.filter((p) => p.t < reloadAt));
  const after = final ? gaps(periodic.filter((p) => p.t > final.t + 0.15)) : [];
  t.comment(`h1 → h3 gaps: before median ${median(before).toFixed(1)} ms (${before.length}), after the Final median ${median(after).toFixed(1)} ms (${after.length})`);
  // Nominal medians 87.5 and 175 ms (75–100 % jitter); on the loaded 2-core lab host timers run late by tens of ms.
  t.ok(before.length > 8 && median(before) <= 130, 'before: every 75–100 ms (jittered 75–100 % of 100)');
  t.ok(after.length > 8 && median(after) >= 145 && median(after) <= 240, 'after the Final: every 150–200 ms (the new interval in force)');
  t.ok(median(after) > 1.4 * median(before), 'the interval roughly doubled');

  // A wire setting changes (max_hops): B2 restarts, B1 untouched.
  const r1 = d1.out.text.length;
  const r2 = d2.out.text.length;
  const r3 = d3.out.text.length;
  fs.writeFileSync(d1.conf, bfd('B1', h1, h2) + bfd('B2', h1, h3, 200, '  max_hops 1\n'));
  process.kill(d1.cp.pid as number, 'SIGHUP');
  t.ok(await waitFor(() => d1.out.text.slice(r1).includes('Reload complete'), 15_000), 'reloaded');
  t.ok(await waitFor(() => d3.out.text.slice(r3).includes('(B2) Entering Down state (Local diagnostic - Neighbor Signaled Session Down, Remote diagnostic - Administratively Down)'), 5000), 'B2: the peer saw our AdminDown');
  t.ok(await waitFor(() => d1.out.text.slice(r1).includes('(B2) Entering Up state'), 20_000), 'B2: Up again');
  await new Promise((r) => setTimeout(r, 1500));
  t.notOk(/\(B1\) Entering/.test(d1.out.text.slice(r1)), 'B1: no state change on our side');
  t.notOk(/\(B1\) Entering/.test(d2.out.text.slice(r2)), 'B1: no state change at the peer');
});
