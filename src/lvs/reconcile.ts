/**
 * Pure: the minimal ordered list of IPVS operations turning the actual kernel table into the
 * desired one. Order keeps capacity up while changing: new services (with their destinations)
 * first, then edits and additions, then removals, and removed services last.
 */
import { SvcFlag, destKey, serviceKey, type IpvsDest, type IpvsService, type ServiceId } from './ipvs-codec';
import type { IpvsTable } from './model-to-ipvs';

export type IpvsOp =
  | { op: 'addService'; service: IpvsService }
  | { op: 'editService'; service: IpvsService }
  | { op: 'delService'; service: ServiceId }
  | { op: 'addDest'; service: ServiceId; dest: IpvsDest }
  | { op: 'editDest'; service: ServiceId; dest: IpvsDest }
  | { op: 'delDest'; service: ServiceId; dest: IpvsDest };

/** The kernel's table as read back: each service with its destinations. */
export interface ActualService {
  service: IpvsService;
  dests: readonly IpvsDest[];
}

export interface ReconcileOptions {
  /**
   * Which actual services not in the desired table may be deleted: 'owned' (default) deletes
   * only those whose serviceKey is in `owned` (entries we created); 'all' deletes every one
   * (lvs_flush semantics); 'none' deletes nothing.
   */
  removeStale?: 'owned' | 'all' | 'none';
  owned?: ReadonlySet<string>;
}

/** HASHED is set by the kernel on every service it holds; it never says anything about config. */
function comparableFlags(f: number): number {
  return f & ~SvcFlag.HASHED;
}

export function serviceDiffers(want: IpvsService, have: IpvsService): boolean {
  return (
    want.scheduler !== have.scheduler ||
    comparableFlags(want.flags) !== comparableFlags(have.flags) ||
    want.timeoutS !== have.timeoutS ||
    want.netmaskPrefix !== have.netmaskPrefix ||
    (want.peName ?? '') !== (have.peName ?? '')
  );
}

export function destDiffers(want: IpvsDest, have: IpvsDest): boolean {
  if (want.fwd !== have.fwd || want.weight !== have.weight) return true;
  if (want.upperThreshold !== have.upperThreshold || want.lowerThreshold !== have.lowerThreshold) return true;
  if (want.fwd !== 'tunnel') return false;
  return (want.tunType ?? 'ipip') !== (have.tunType ?? 'ipip') || (want.tunPort ?? 0) !== (have.tunPort ?? 0) ||
    (want.tunType && want.tunType !== 'ipip' ? (want.tunCsum ?? 'nocsum') !== (have.tunCsum ?? 'nocsum') : false);
}

function idOf(s: IpvsService): ServiceId {
  return { af: s.af, protocol: s.protocol, addr: s.addr, port: s.port, fwmark: s.fwmark };
}

export function reconcile(desired: IpvsTable, actual: readonly ActualService[], opts: ReconcileOptions = {}): IpvsOp[] {
  const have = new Map(actual.map((a) => [serviceKey(a.service), a]));
  const creates: IpvsOp[] = [];
  const updates: IpvsOp[] = [];
  const removals: IpvsOp[] = [];
  const serviceRemovals: IpvsOp[] = [];
  for (const [key, want] of desired) {
    const cur = have.get(key);
    const id = idOf(want.service);
    if (!cur) {
      creates.push({ op: 'addService', service: want.service });
      for (const d of want.dests.values()) creates.push({ op: 'addDest', service: id, dest: d });
      continue;
    }
    if (serviceDiffers(want.service, cur.service)) updates.push({ op: 'editService', service: want.service });
    const curDests = new Map(cur.dests.map((d) => [destKey(d, cur.service.af), d]));
    for (const [dk, d] of want.dests) {
      const c = curDests.get(dk);
      if (!c) updates.push({ op: 'addDest', service: id, dest: d });
      else if (destDiffers(d, c)) updates.push({ op: 'editDest', service: id, dest: d });
    }
    for (const [dk, c] of curDests) if (!want.dests.has(dk)) removals.push({ op: 'delDest', service: id, dest: c });
  }
  const mode = opts.removeStale ?? 'owned';
  for (const [key, cur] of have) {
    if (desired.has(key)) continue;
    if (mode === 'all' || (mode === 'owned' && opts.owned?.has(key))) serviceRemovals.push({ op: 'delService', service: idOf(cur.service) });
  }
  return [...creates, ...updates, ...removals, ...serviceRemovals];
}
