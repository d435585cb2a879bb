/**
 * `keepalived status`: the document (stable JSON, `version` 1, documented in README.md) and its
 * human form, a compact table in the spirit of FRR's `show vrrp`. buildStatus reads plain views
 * of the running daemon; formatStatus is pure text.
 */
import type { BfdSessionView } from '../bfd/view';
import type { Model, VrrpSyncGroup } from '../config/model';
import type { InstanceState } from '../vrrp/types';
import type { TrackedItem } from '../track/priority';
import { contribution, effectiveWeight } from '../track/priority';
import type { InstanceStats } from '../runtime/instance';
import type { Recorder } from './recorder';
import { vsKeyOf, rsKeyOf } from '../check/keys';

export const STATUS_VERSION = 1;

export interface TrackerStatus {
  kind: string;
  name: string;
  /** up / down / init, or the value read for a track_file. */
  state: string;
  weight: number;
  reverse: boolean;
  /** What it adds to the priority now (0 when it only faults). */
  contribution: number;
  /** Set when this tracker puts the instance in FAULT. */
  fault?: string;
}

export interface InstanceStatus {
  name: string;
  vrid: number;
  family: 'inet' | 'inet6';
  version: 2 | 3;
  interface: string;
  /** INIT | BACKUP | MASTER | FAULT */
  state: string;
  /** Manual standby (`keepalived standby`). */
  standby: boolean;
  /** ISO time of the last transition (or of start-up). */
  since: string | null;
  priority: {
    base: number;
    effective: number;
    /** What the instance would advertise now: 0 in standby. */
    advertised: number;
    trackers: TrackerStatus[];
  };
  fault: string | null;
  /** The master as seen from here (us when MASTER); null when none seen yet. */
  master: { address: string; priority: number | null; advertIntMs: number; self: boolean } | null;
  /** VIPs this node holds now ([] unless MASTER). */
  vipsHeld: string[];
  vipsConfigured: string[];
  transitions: Array<{ at: string; from: string; to: string; reason: string }>;
  adverts: { sent: number; received: number; priorityZeroSent: number; priorityZeroReceived: number };
  announcements: number;
  becameMaster: number;
  releasedMaster: number;
  masterDownEvents: number;
  drops: Record<string, number>;
  syncGroup: string | null;
}

export interface RealServerStatus {
  address: string;
  port: number | null;
  up: boolean | null;
  weight: number;
  checks: Array<{ kind: string; lastOk: boolean | null; latencyMs: number | null; at: string | null; runs: number; failures: number }>;
}

export interface VirtualServerStatus {
  name: string;
  realServers: RealServerStatus[];
}

/** One bfd_instance session (added in version 1 without a bump: a new key). */
export interface BfdSessionStatus {
  name: string;
  neighbor: string;
  source: string | null;
  multihop: boolean;
  /** AdminDown | Down | Init | Up (RFC 5880 names, as keepalived logs them) */
  state: string;
  remoteState: string;
  localDiag: string;
  remoteDiag: string;
  txIntervalMs: number;
  detectionTimeMs: number;
  since: string | null;
  lastSeen: string | null;
  packets: { sent: number; received: number };
}

export interface StatusDoc {
  version: number;
  takenAt: string;
  pid: number;
  instances: InstanceStatus[];
  syncGroups: Array<{ name: string; state: string; members: string[]; standby: boolean }>;
  virtualServers: VirtualServerStatus[];
  bfdSessions: BfdSessionStatus[];
  /** VRRP packets no instance took (unknown VRID, too short), by reason; per-instance drops are in `instances`. */
  drops: Record<string, number>;
  /** The link/address watch: ENOBUFS overruns and the resyncs (re-read links and addresses) they caused. */
  netlink: { overruns: number; resyncs: number; resyncDumps: number };
  /** BFD control packets dropped, by reason (ttl: RFC 5881 §5 GTSM, no_session, bad fields…); absent without BFD. */
  bfdDrops?: Record<string, number>;
}

/** What buildStatus needs of one running instance. */
export interface InstanceView {
  rt: {
    name: string;
    model: Model['vrrpInstances'][number];
    state: InstanceState;
    stats: InstanceStats;
    hasVips: boolean;
    lastTransitionWall: number;
  };
  wiring: { baseIfname: string };
  items: readonly TrackedItem[];
  group?: VrrpSyncGroup;
}

export interface StatusSource {
  model: Model;
  views: readonly InstanceView[];
  groupState(name: string): string | undefined;
  recorder: Recorder;
  wallNowMs: number;
  pid: number;
  bfd?: readonly BfdSessionView[];
  bfdDrops?: Readonly<Record<string, number>>;
  unmatchedDrops?: Readonly<Record<string, number>>;
  netlink?: { overruns: number; resyncs: number; resyncDumps: number };
}

function bfdStatus(b: BfdSessionView): BfdSessionStatus {
  return {
    name: b.name,
    neighbor: b.neighborIp,
    source: b.sourceIp ?? null,
    multihop: b.multihop,
    state: b.state,
    remoteState: b.remoteState,
    localDiag: b.localDiag,
    remoteDiag: b.remoteDiag,
    txIntervalMs: b.txIntervalUs / 1000,
    detectionTimeMs: b.detectionTimeUs / 1000,
    since: b.sinceWallMs !== undefined ? iso(b.sinceWallMs) : null,
    lastSeen: b.lastSeenWallMs !== undefined ? iso(b.lastSeenWallMs) : null,
    packets: { sent: b.tx, received: b.rx },
  };
}

const iso = (ms: number): string => new Date(ms).toISOString();

function trackers(v: InstanceView): TrackerStatus[] {
  const input = { basePriority: v.rt.model.priority, items: v.items, inSyncGroup: v.group !== undefined, syncGroupTrackingWeight: v.group?.syncGroupTrackingWeight ?? false };
  return v.items.map((i) => {
    const c = contribution(i, effectiveWeight(i, input));
    const t: TrackerStatus = { kind: i.kind, name: i.name, state: i.kind === 'file' ? String(i.value ?? 'unread') : i.state, weight: i.weight, reverse: i.reverse, contribution: c.delta };
    if (c.fault !== undefined) t.fault = c.fault;
    return t;
  });
}

function instanceStatus(v: InstanceView, rec: Recorder): InstanceStatus {
  const { rt } = v;
  const m = rt.model;
  const st = rt.state;
  const vips = [...m.virtualIpaddress, ...m.virtualIpaddressExcluded].map((x) => `${x.address}/${x.prefixLen}`);
  const master =
    st.masterAddr === undefined
      ? null
      : { address: st.masterAddr, priority: st.masterPriority ?? null, advertIntMs: st.masterAdverIntCs * 10, self: st.state === 'MASTER' };
  return {
    name: rt.name,
    vrid: m.vrid,
    family: m.family,
    version: m.version,
    interface: v.wiring.baseIfname,
    state: st.state,
    standby: st.standby === true,
    since: rt.lastTransitionWall > 0 ? iso(rt.lastTransitionWall) : null,
    priority: { base: m.priority, effective: st.priority, advertised: st.standby ? 0 : st.priority, trackers: trackers(v) },
    fault: st.faulted ? (st.faultReason ?? 'fault') : null,
    master,
    vipsHeld: rt.hasVips && st.state === 'MASTER' ? vips : [],
    vipsConfigured: vips,
    transitions: rec.transitions(rt.name).map((t) => ({ at: iso(t.atMs), from: t.from, to: t.to, reason: t.reason })),
    adverts: { sent: rt.stats.advert_sent, received: rt.stats.advert_rcvd, priorityZeroSent: rt.stats.pri_zero_sent, priorityZeroReceived: rt.stats.pri_zero_rcvd },
    announcements: rt.stats.announce_sent,
    becameMaster: rt.stats.become_master,
    releasedMaster: rt.stats.release_master,
    masterDownEvents: rec.masterDownEvents(rt.name),
    drops: { ...rt.stats.drops },
    syncGroup: v.group?.name ?? null,
  };
}

function virtualServers(model: Model, rec: Recorder): VirtualServerStatus[] {
  return model.virtualServers.map((vs) => {
    const vsKey = vsKeyOf(vs);
    return {
      name: vsKey,
      realServers: vs.realServers.map((rs) => {
        const rsKey = rsKeyOf(rs);
        const h = rec.healthOf(vsKey, rsKey);
        const probes = rec.probesOf(vsKey, rsKey);
        const up = h ? h.up : rs.checkers.length === 0 ? true : null;
        return {
          address: rs.address,
          port: rs.port ?? null,
          up,
          weight: h?.dynamicWeight ?? rs.weight,
          checks: probes.map((p) => ({ kind: p.kind, lastOk: p.lastOk ?? null, latencyMs: p.lastLatencyMs ?? null, at: p.lastAtMs ? iso(p.lastAtMs) : null, runs: p.runs, failures: p.failures })),
        };
      }),
    };
  });
}

/** The whole document, or only the instance / sync group named `target` (undefined: not found). */
export function buildStatus(src: StatusSource, target?: string): StatusDoc | undefined {
  let views = src.views;
  let groups = src.model.vrrpSyncGroups;
  let withVs = true;
  if (target !== undefined) {
    const g = groups.find((x) => x.name === target);
    if (g) views = views.filter((v) => g.members.includes(v.rt.name));
    else views = views.filter((v) => v.rt.name === target);
    if (views.length === 0 && !g) return undefined;
    groups = g ? [g] : groups.filter((x) => views.some((v) => x.members.includes(v.rt.name)));
    withVs = false;
  }
  return {
    version: STATUS_VERSION,
    takenAt: iso(src.wallNowMs),
    pid: src.pid,
    instances: views.map((v) => instanceStatus(v, src.recorder)),
    syncGroups: groups.map((g) => ({
      name: g.name,
      state: src.groupState(g.name) ?? 'INIT',
      members: [...g.members],
      standby: g.members.length > 0 && g.members.every((n) => src.views.find((v) => v.rt.name === n)?.rt.state.standby === true),
    })),
    virtualServers: withVs ? virtualServers(src.model, src.recorder) : [],
    bfdSessions: withVs ? (src.bfd ?? []).map(bfdStatus) : [],
    drops: { ...(src.unmatchedDrops ?? {}) },
    netlink: { overruns: src.netlink?.overruns ?? 0, resyncs: src.netlink?.resyncs ?? 0, resyncDumps: src.netlink?.resyncDumps ?? 0 },
    ...(src.bfdDrops ? { bfdDrops: { ...src.bfdDrops } } : {}),
  };
}
