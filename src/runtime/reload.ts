/**
 * SIGHUP reload planning (pure): compare the running Model with the newly loaded one and
 * say, per VRRP instance, whether it is unchanged (keep it running untouched: no state
 * change, no advert gap, no GARP storm), changed (what changed, and whether the change
 * can be applied in place or needs the instance torn down and rebuilt), added or removed.
 * Source locations (`loc`) are ignored: moving a block in the file is not a change.
 * An instance also counts as changed when a tracker it references (vrrp_script,
 * track_file, vrrp_track_process) or its sync group changed.
 */
import type { Model, VrrpInstance, VrrpSyncGroup } from '../config/model';

/**
 * Fields whose change means a different VRRP router (identity, or where and how it talks:
 * socket, source address, VMAC): the instance must be rebuilt. Everything else (priority,
 * advert_int, preempt settings, VIPs, routes, trackers, notify scripts, GARP settings, unicast
 * peers added/removed, auth) is applied in place, as keepalived 2.2.7 does.
 */
export const RESTART_FIELDS: ReadonlySet<string> = new Set([
  'vrid', 'interface', 'vrf', 'family', 'version', 'useVmac', 'useIpvlan', 'vmacXmitBase', 'unicastSrcIp',
  'mcastSrcIp', 'mcastDstIp', 'unicastTtl',
]);

/** In place unless an identity field changed, or the instance switches between multicast and unicast (another socket). */
export function needsRestart(before: VrrpInstance, after: VrrpInstance, fields: readonly string[]): boolean {
  if (fields.some((f) => RESTART_FIELDS.has(f))) return true;
  // auth_type AH talks through its own proto-51 socket and keeps its key in its AH session.
  if (fields.includes('auth') && (before.auth?.type === 'AH' || after.auth?.type === 'AH')) return true;
  return (before.unicastPeers.length > 0) !== (after.unicastPeers.length > 0);
}

export interface InstanceChange {
  name: string;
  /** Changed model fields, plus `tracker:KIND:NAME` and `syncGroup:NAME` entries. */
  fields: string[];
  /** True when the instance must be rebuilt (needsRestart); false: applied in place. */
  restart: boolean;
}

export interface NamedDiff {
  unchanged: string[];
  changed: string[];
  added: string[];
  removed: string[];
}

export interface ReloadDiff {
  unchanged: string[];
  changed: InstanceChange[];
  added: string[];
  removed: string[];
  syncGroups: NamedDiff;
  scripts: NamedDiff;
  files: NamedDiff;
  processes: NamedDiff;
  /** Changed global_defs keys. */
  globalDefs: string[];
}

/** Structural equality ignoring `loc` properties at any depth. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  const ka = Object.keys(a).filter((k) => k !== 'loc' && (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => k !== 'loc' && (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** Keys (other than loc) whose values differ between two objects. */
export function changedKeys(a: object, b: object): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  keys.delete('loc');
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  return [...keys].filter((k) => !sameValue(ra[k], rb[k])).sort();
}

function diffNamed<T extends { name: string }>(oldList: readonly T[], newList: readonly T[]): NamedDiff {
  const oldMap = new Map(oldList.map((x) => [x.name, x] as const));
  const newMap = new Map(newList.map((x) => [x.name, x] as const));
  const d: NamedDiff = { unchanged: [], changed: [], added: [], removed: [] };
  for (const [name, n] of newMap) {
    const o = oldMap.get(name);
    if (!o) d.added.push(name);
    else if (sameValue(o, n)) d.unchanged.push(name);
    else d.changed.push(name);
  }
  for (const name of oldMap.keys()) if (!newMap.has(name)) d.removed.push(name);
  return d;
}

function trackerFields(inst: VrrpInstance, group: VrrpSyncGroup | undefined, touched: { script: Set<string>; file: Set<string>; process: Set<string> }): string[] {
  const out = new Set<string>();
  for (const src of group ? [inst, group] : [inst]) {
    for (const r of src.trackScript) if (touched.script.has(r.name)) out.add(`tracker:script:${r.name}`);
    for (const r of src.trackFile) if (touched.file.has(r.name)) out.add(`tracker:file:${r.name}`);
    for (const r of src.trackProcess) if (touched.process.has(r.name)) out.add(`tracker:process:${r.name}`);
  }
  return [...out];
}

export function diffModels(oldM: Model, newM: Model): ReloadDiff {
  const scripts = diffNamed(oldM.vrrpScripts, newM.vrrpScripts);
  const files = diffNamed(oldM.trackFiles, newM.trackFiles);
  const processes = diffNamed(oldM.trackProcesses, newM.trackProcesses);
  const syncGroups = diffNamed(oldM.vrrpSyncGroups, newM.vrrpSyncGroups);
  // A tracker that changed or appeared (a reference that used to dangle) touches its users.
  const touched = {
    script: new Set([...scripts.changed, ...scripts.added, ...scripts.removed]),
    file: new Set([...files.changed, ...files.added, ...files.removed]),
    process: new Set([...processes.changed, ...processes.added, ...processes.removed]),
  };
  const groupTouched = new Set([...syncGroups.changed, ...syncGroups.added, ...syncGroups.removed]);
  const oldInst = new Map(oldM.vrrpInstances.map((i) => [i.name, i] as const));
  const newGroups = new Map(newM.vrrpSyncGroups.map((g) => [g.name, g] as const));
  const out: ReloadDiff = {
    unchanged: [], changed: [], added: [], removed: [], syncGroups, scripts, files, processes,
    globalDefs: changedKeys(oldM.globalDefs, newM.globalDefs),
  };
  for (const inst of newM.vrrpInstances) {
    const before = oldInst.get(inst.name);
    if (!before) {
      out.added.push(inst.name);
      continue;
    }
    const group = inst.syncGroup !== undefined ? newGroups.get(inst.syncGroup) : undefined;
    const fields = [...changedKeys(before, inst), ...trackerFields(inst, group, touched)];
    if (inst.syncGroup !== undefined && groupTouched.has(inst.syncGroup) && !fields.includes('syncGroup')) {
      fields.push(`syncGroup:${inst.syncGroup}`);
    }
    if (fields.length === 0) out.unchanged.push(inst.name);
    else out.changed.push({ name: inst.name, fields, restart: needsRestart(before, inst, fields) });
  }
  const newNames = new Set(newM.vrrpInstances.map((i) => i.name));
  for (const name of oldInst.keys()) if (!newNames.has(name)) out.removed.push(name);
  return out;
}
