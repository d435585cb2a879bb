/**
 * track_bfd in SIGUSR1's keepalived.data, as keepalived 2.2.7 writes it (observed in the lab,
 * test/interop/dumps-bfd.test.ts diffs the two):
 * - each VRRP instance with tracked BFDs: "   Tracked BFDs :" then "     NAME: weight W[ reverse]"
 *   (after its tracked scripts); a member of a sync group (without sync_group_tracking_weight)
 *   keeps only its weight-0 references: keepalived logs "ignoring tracked bfd B with weight W
 *   due to SYNC group" for the others and drops them;
 * - a "------< VRRP Track BFDs >------" section after the scripts: one " VRRP Track BFD = NAME"
 *   block per bfd_instance that reports to VRRP (not `checker`-only ones), tracked or not, with
 *   the bfd_instance's own weight, "Bfd is up|down", then "   Tracking VRRP instances :" and,
 *   when some instance tracks it, "   Tracking instances :" with "     VI, weight W[ reverse]"
 *   (an instance's kept references, then those its sync group's track_bfd gives it).
 */
import type { Model, TrackRef, VrrpInstance } from '../config/model';

export interface TrackedBfdRef {
  name: string;
  weight: number;
  reverse: boolean;
}

export interface TrackBfdView {
  name: string;
  weight: number;
  reverse: boolean;
  up: boolean;
  tracking: TrackedBfdRef[];
}

const vrrpBfds = (model: Model): Map<string, { weight: number; weightReverse: boolean }> =>
  new Map((model.bfdInstances ?? []).filter((b) => b.notifyVrrp).map((b) => [b.name, b] as const));

function resolve(refs: readonly TrackRef[], defs: ReadonlyMap<string, { weight: number; weightReverse: boolean }>): TrackedBfdRef[] {
  const out: TrackedBfdRef[] = [];
  for (const r of refs) {
    const d = defs.get(r.name);
    if (!d) continue;
    out.push({ name: r.name, weight: r.weight ?? d.weight, reverse: r.weight !== undefined ? r.reverse : r.reverse || d.weightReverse });
  }
  return out;
}

function groupOf(model: Model, inst: VrrpInstance): Model['vrrpSyncGroups'][number] | undefined {
  return inst.syncGroup !== undefined ? model.vrrpSyncGroups.find((g) => g.name === inst.syncGroup) : undefined;
}

/** The instance's own "Tracked BFDs" (sync group members keep only weight-0 references). */
export function instanceTrackedBfds(model: Model, inst: VrrpInstance): TrackedBfdRef[] {
  const own = resolve(inst.trackBfd ?? [], vrrpBfds(model));
  const g = groupOf(model, inst);
  return g && !g.syncGroupTrackingWeight ? own.filter((r) => r.weight === 0) : own;
}

/** A vrrp_sync_group's own "Tracked BFDs". */
export function groupTrackedBfds(model: Model, g: Model['vrrpSyncGroups'][number]): TrackedBfdRef[] {
  return resolve(g.trackBfd ?? [], vrrpBfds(model));
}

/** The "VRRP Track BFDs" section's blocks, in bfd_instance order. */
export function trackBfdViews(model: Model, isUp: (name: string) => boolean): TrackBfdView[] {
  const defs = vrrpBfds(model);
  const tracking = new Map<string, TrackedBfdRef[]>([...defs.keys()].map((n) => [n, []]));
  for (const inst of model.vrrpInstances) {
    const own = instanceTrackedBfds(model, inst);
    for (const r of own) tracking.get(r.name)?.push({ name: inst.name, weight: r.weight, reverse: r.reverse });
    const g = groupOf(model, inst);
    for (const r of g ? resolve(g.trackBfd ?? [], defs) : []) {
      if (!own.some((o) => o.name === r.name)) tracking.get(r.name)?.push({ name: inst.name, weight: r.weight, reverse: r.reverse });
    }
  }
  return [...defs].map(([name, d]) => ({ name, weight: d.weight, reverse: d.weightReverse, up: isUp(name), tracking: tracking.get(name) ?? [] }));
}

const refText = (r: TrackedBfdRef, sep: string): string => `${r.name}${sep} weight ${r.weight}${r.reverse ? ' reverse' : ''}`;

export function formatInstanceTrackedBfds(refs: readonly TrackedBfdRef[]): string[] {
  return refs.length ? ['   Tracked BFDs :', ...refs.map((r) => `     ${refText(r, ':')}`)] : [];
}

export function formatTrackBfdSection(views: readonly TrackBfdView[]): string[] {
  if (!views.length) return [];
  const l = ['------< VRRP Track BFDs >------'];
  for (const v of views) {
    l.push(` VRRP Track BFD = ${v.name}`, `   Weight = ${v.weight}${v.reverse ? ' reverse' : ''}`, `   Bfd is ${v.up ? 'up' : 'down'}`, '   Tracking VRRP instances :');
    if (v.tracking.length) l.push('   Tracking instances :', ...v.tracking.map((t) => `     ${refText(t, ',')}`));
  }
  return l;
}
