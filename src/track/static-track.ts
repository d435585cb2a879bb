/**
 * Static track groups: `track_group NAME { group { VI_1 ... } }` and `track_group NAME` on a
 * static_ipaddress / static_routes / static_rules entry. keepalived 2.2.7, observed in the lab
 * (a static address, route and rule on eth1 naming group G1 = {VI_1}; VI_2 in no group):
 *   - the interface of such an entry is tracked by the group's instances as a weight-0
 *     track_interface: `ip link set eth1 down` → "Netlink reports eth1 down",
 *     "(VI_1) Entering FAULT STATE" (VI_2 stays MASTER); up → "(VI_1) Entering BACKUP STATE";
 *   - a tracked entry deleted behind its back is restored at once and no instance moves.
 * An entry's interface: an address's `dev`, a route's `dev`/`oif`, a rule's `iif`/`dev`
 * (keepalived refuses track_group without one); `no_track` wins over `track_group`.
 * Pure: works on the model.
 */
import type { Model } from '../config/model';

type StaticModel = Pick<Model, 'staticAddresses' | 'staticRoutes' | 'staticRules' | 'staticTrackGroups'>;

/** Instance name → the interfaces it tracks through static track groups (each once, in config order). */
export function staticTrackInterfaces(m: StaticModel): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const groups = m.staticTrackGroups ?? [];
  if (!groups.length) return out;
  const entries: Array<{ group?: string; dev?: string; noTrack: boolean }> = [
    ...m.staticAddresses.map((a) => ({ group: a.trackGroup, dev: a.dev, noTrack: a.noTrack })),
    ...m.staticRoutes.map((r) => ({ group: r.trackGroup, dev: r.dev, noTrack: r.noTrack })),
    ...m.staticRules.map((r) => ({ group: r.trackGroup, dev: r.iif, noTrack: r.noTrack })),
  ];
  for (const e of entries) {
    if (e.group === undefined || e.dev === undefined || e.noTrack) continue;
    const g = groups.find((x) => x.name === e.group);
    for (const inst of g?.members ?? []) {
      const list = out.get(inst) ?? [];
      if (!list.includes(e.dev)) list.push(e.dev);
      out.set(inst, list);
    }
  }
  return out;
}
