/**
 * track_bfd end to end (three of our daemons in the lab, see test/support/bfd-failover.ts):
 * when the master's tracked BFD session drops, the backup takes over within Detection Time +
 * Skew_Time (+ a bound for the loaded host), measured on the wire, instead of the
 * Master_Down_Interval plain VRRP needs when the master dies.
 */
import t from 'tap';
import { Lab, isRoot } from '../support/netns';
import { logsOnFailure } from '../support/daemon';
import { DETECT_MS, MASTER_DOWN_MS, SKEW_MS, failoverOnce } from '../support/bfd-failover';

const skip = !isRoot() && 'needs root';
const BOUND_MS = 150;

t.test('track_bfd: the master faults on BFD down and the backup takes over in Detection Time + Skew_Time', { skip }, async (t) => {
  const lab = await Lab.create(t, { hosts: 3 });
  const r = await failoverOnce(lab, 'bfd', (logs) => logsOnFailure(t, ...logs));
  t.ok(r, 'scenario ran (VIP on the master, BFD Up, backup waiting)');
  if (!r) return;
  const [m] = r.logs;
  t.ok(m!.out.has('(NH) Expired after 150 ms'), 'master: BFD expired');
  t.ok(m!.out.has('VRRP_Instance(VI_1) Tracked BFD instance NH is DOWN'), 'master: track_bfd sees Down');
  t.ok(m!.out.has('Entering FAULT STATE'), 'master: FAULT');
  t.comment(`wire: cut → master's priority 0 ${r.detectMs?.toFixed(1)} ms (Detection Time ${DETECT_MS} ms); cut → backup master ${r.failoverMs.toFixed(1)} ms (Detection Time + Skew_Time = ${(DETECT_MS + SKEW_MS).toFixed(1)} ms; plain VRRP Master_Down_Interval ${MASTER_DOWN_MS.toFixed(1)} ms)`);
  t.ok(r.detectMs !== undefined && r.detectMs <= DETECT_MS + BOUND_MS, `priority 0 within Detection Time + ${BOUND_MS} ms`);
  t.ok(r.failoverMs <= DETECT_MS + SKEW_MS + BOUND_MS, `failover ${r.failoverMs.toFixed(1)} ms ≤ Detection Time + Skew_Time + ${BOUND_MS} ms`);
  t.ok(r.failoverMs < MASTER_DOWN_MS, 'well under Master_Down_Interval');
});
