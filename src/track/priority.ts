/**
 * Effective priority and FAULT from an instance's tracked items (keepalived-features.md
 * §(d) "Weight semantics"). Recomputed from scratch on every change (house rule 2), never
 * incremented, so a missed event cannot leave the priority drifting.
 *
 *   weight | reverse | tracker up | tracker down
 *   +w     | no      | prio + w   | –
 *   −w     | no      | –          | prio − w
 *   +w     | yes     | prio − w   | –
 *   −w     | yes     | –          | prio + w
 *   0      | no      | –          | FAULT
 *   0      | yes     | FAULT      | –
 *
 * track_file: value × weight is added (× −1 with reverse); weight 0 → FAULT on a non-zero
 * value; a contribution below −253 → FAULT. A tracker still in 'init' contributes nothing.
 * Result clamped to 1..254; a base of 255 (address owner) is never changed.
 */
import type { TrackState } from './rise-fall';
import type { Model, TrackRef, VrrpInstance } from '../config/model';

export type TrackedKind = 'script' | 'interface' | 'file' | 'process' | 'bfd';

export interface TrackedItem {
  kind: TrackedKind;
  name: string;
  weight: number;
  reverse: boolean;
  /** up/down for scripts, interfaces, processes, bfd. Ignored for files. */
  state: TrackState;
  /** track_file: the integer read from the file (undefined = not read yet). */
  value?: number;
  /** The item comes from the instance's sync group rather than the instance itself. */
  fromGroup?: boolean;
}

export interface PriorityInput {
  basePriority: number;
  items: readonly TrackedItem[];
  /** The instance is a sync-group member: its own weighted trackers act as weight 0. */
  inSyncGroup?: boolean;
  /** global/group `sync_group_tracking_weight`: keep members' weights. */
  syncGroupTrackingWeight?: boolean;
}

export interface PriorityResult {
  effectivePriority: number;
  fault: boolean;
  faultReasons: string[];
  /** The items causing FAULT (same order as faultReasons), for faultLogLine. */
  faultItems: TrackedItem[];
}

const KIND_WORD: Record<TrackedKind, string> = {
  script: 'script',
  interface: 'interface',
  file: 'tracked file',
  process: 'tracked process',
  bfd: 'bfd',
};

/** Weight actually used: members of a sync group ignore weights unless allowed. */
export function effectiveWeight(item: TrackedItem, input: PriorityInput): number {
  if (input.inSyncGroup && !input.syncGroupTrackingWeight && !item.fromGroup) return 0;
  return item.weight;
}

/** Contribution of one item: a delta, or a fault reason. */
export function contribution(item: TrackedItem, weight: number): { delta: number; fault?: string } {
  if (item.kind === 'file') return fileContribution(item, weight);
  if (item.state === 'init') return { delta: 0 };
  const up = item.state === 'up';
  if (weight === 0) {
    const faulted = item.reverse ? up : !up;
    if (!faulted) return { delta: 0 };
    const what = item.reverse ? 'up (reverse)' : 'down';
    return { delta: 0, fault: `${KIND_WORD[item.kind]} ${item.name} ${what}` };
  }
  const sign = item.reverse ? -1 : 1;
  if (weight > 0) return { delta: up ? sign * weight : 0 };
  return { delta: up ? 0 : sign * weight };
}

function fileContribution(item: TrackedItem, weight: number): { delta: number; fault?: string } {
  const value = item.value;
  if (value === undefined) return { delta: 0 };
  if (weight === 0) {
    return value !== 0 ? { delta: 0, fault: `tracked file ${item.name} has status ${value}` } : { delta: 0 };
  }
  const delta = value * weight * (item.reverse ? -1 : 1);
  if (delta < -253) return { delta: 0, fault: `tracked file ${item.name} has status ${delta}` };
  return { delta };
}

export function clampPriority(base: number, sum: number): number {
  if (base >= 255) return 255;
  return Math.min(254, Math.max(1, base + sum));
}

export function computePriority(input: PriorityInput): PriorityResult {
  let sum = 0;
  const faultReasons: string[] = [];
  const faultItems: TrackedItem[] = [];
  for (const item of input.items) {
    const c = contribution(item, effectiveWeight(item, input));
    if (c.fault !== undefined) {
      faultReasons.push(c.fault);
      faultItems.push(item);
    } else sum += c.delta;
  }
  return {
    effectivePriority: clampPriority(input.basePriority, sum),
    fault: faultReasons.length > 0,
    faultReasons,
    faultItems,
  };
}

/**
 * keepalived's log line for an instance entering FAULT because of `item`
 * (vrrp_track.c / track_file.c wording).
 */
export function faultLogLine(instance: string, item: TrackedItem): string {
  switch (item.kind) {
    case 'script':
      return `(${instance}): entering FAULT state due to script ${item.name}`;
    case 'interface':
      return `(${instance}): entering FAULT state (interface ${item.name} down)`;
    case 'file':
      return `(${instance}): entering FAULT state (tracked file ${item.name} has status ${item.value ?? 0})`;
    case 'process':
      return `(${instance}): entering FAULT state (tracked process ${item.name} quorum lost)`;
    default:
      return `(${instance}): entering FAULT state (bfd ${item.name} down)`;
  }
}

// ---- from the config model -----------------------------------------------------------


/** A tracked item without its live state: what an instance references and how it weighs. */
export type TrackRefResolved = Omit<TrackedItem, 'state' | 'value'>;

/**
 * Resolve an instance's track_* references (and its sync group's, marked fromGroup) against
 * the tracker definitions: a weight on the reference overrides the tracker's own weight;
 * `reverse` on either side reverses. References to undefined trackers are skipped (config
 * validation reports them). track_interface entries are included with kind 'interface'.
 */
export function instanceTrackRefs(model: Model, inst: VrrpInstance): TrackRefResolved[] {
  const out: TrackRefResolved[] = [];
  const add = (kind: TrackedKind, refs: readonly TrackRef[], defs: ReadonlyMap<string, { weight: number; weightReverse: boolean }>, fromGroup: boolean): void => {
    for (const r of refs) {
      const d = defs.get(r.name);
      if (!d) continue;
      const weight = r.weight ?? d.weight;
      const reverse = r.weight !== undefined ? r.reverse : r.reverse || d.weightReverse;
      out.push(fromGroup ? { kind, name: r.name, weight, reverse, fromGroup } : { kind, name: r.name, weight, reverse });
    }
  };
  const scripts = new Map(model.vrrpScripts.map((s) => [s.name, s] as const));
  const files = new Map(model.trackFiles.map((s) => [s.name, s] as const));
  const procs = new Map(model.trackProcesses.map((s) => [s.name, s] as const));
  // A bfd_instance with `checker` only sends its events to the checkers, not to VRRP.
  const bfds = new Map((model.bfdInstances ?? []).filter((b) => b.notifyVrrp).map((s) => [s.name, s] as const));
  const sources: Array<{ src: Pick<VrrpInstance, 'trackInterface' | 'trackScript' | 'trackFile' | 'trackProcess' | 'trackBfd'>; fromGroup: boolean }> = [
    { src: inst, fromGroup: false },
  ];
  const group = inst.syncGroup !== undefined ? model.vrrpSyncGroups.find((g) => g.name === inst.syncGroup) : undefined;
  if (group) sources.push({ src: group, fromGroup: true });
  for (const { src, fromGroup } of sources) {
    for (const i of src.trackInterface) {
      const item: TrackRefResolved = { kind: 'interface', name: i.name, weight: i.weight, reverse: i.reverse };
      if (fromGroup) item.fromGroup = true;
      out.push(item);
    }
    add('script', src.trackScript, scripts, fromGroup);
    add('file', src.trackFile, files, fromGroup);
    add('process', src.trackProcess, procs, fromGroup);
    add('bfd', src.trackBfd ?? [], bfds, fromGroup);
  }
  return out;
}
