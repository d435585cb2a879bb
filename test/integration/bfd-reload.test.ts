/**
 * SIGHUP with BFD sessions, real daemons in the namespace lab: h1 runs B1 (to h2) and B2 (to
 * h3). The reload changes only B2's min_tx: B1 stays Up (no state line on either side), B2
 * restarts (AdminDown to h3, then Up again with the new interval).
 */
import t from 'tap';
import fs from 'node:fs';
import { Lab, isRoot, waitFor, type LabHost } from '../support/netns';
import { logsOnFailure, startDaemon } from '../support/daemon';

const bfd = (name: string, me: LabHost, peer: LabHost, minTx = 50): string =>
  `bfd_instance ${name} {\n  neighbor_ip ${peer.ipv4}\n  source_ip ${me.ipv4}\n  min_rx 50\n  min_tx ${minTx}\n  multiplier 3\n}\n`;

t.test('SIGHUP keeps an unchanged BFD session Up and restarts a changed one', { skip: !isRoot() && 'needs root' }, async (t) => {
  const lab = await Lab.create(t, { hosts: 3 });
  const [h1, h2, h3] = [lab.host(1), lab.host(2), lab.host(3)];
  const d1 = startDaemon(lab, h1, bfd('B1', h1, h2) + bfd('B2', h1, h3));
  const d2 = startDaemon(lab, h2, bfd('B1', h2, h1));
  const d3 = startDaemon(lab, h3, bfd('B2', h3, h1));
  logsOnFailure(t, d1, d2, d3);
  t.ok(await waitFor(() => d1.out.has('(B1) Entering Up state') && d1.out.has('(B2) Entering Up state'), 45_000), 'both Up');
  await new Promise((r) => setTimeout(r, 1000));
  const m1 = d1.out.text.length;
  const m2 = d2.out.text.length;
  const m3 = d3.out.text.length;
  fs.writeFileSync(d1.conf, bfd('B1', h1, h2) + bfd('B2', h1, h3, 100));
  process.kill(d1.cp.pid as number, 'SIGHUP');
  t.ok(await waitFor(() => d1.out.text.slice(m1).includes('Reload complete'), 15_000), 'reloaded');
  t.ok(await waitFor(() => d3.out.text.slice(m3).includes('(B2) Entering Down state (Local diagnostic - Neighbor Signaled Session Down, Remote diagnostic - Administratively Down)'), 5000), 'B2: the peer saw our AdminDown');
  t.ok(await waitFor(() => d1.out.text.slice(m1).includes('(B2) Entering Up state'), 20_000), 'B2: Up again');
  await new Promise((r) => setTimeout(r, 1500));
  t.notOk(/\(B1\) Entering/.test(d1.out.text.slice(m1)), 'B1: no state change on our side');
  t.notOk(/\(B1\) Entering/.test(d2.out.text.slice(m2)), 'B1: no state change at the peer');
});
