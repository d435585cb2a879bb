/**
 * Gathers what keepalived's SIGUSR1 data file shows (src/observe/dump-data.ts formats it) from
 * the running VRRP service: the model's settings, each instance's state and deadlines, the
 * shared sockets, the scripts' states and the interfaces (addon SIOCGIF* for index, flags, MTU,
 * hardware type; os.networkInterfaces for addresses). Synchronous: keepalived-exporter reads
 * the file 10 ms after its signal.
 */
import fs from 'node:fs';
import os from 'node:os';
import type { Model, VipEntry } from '../config/model';
import type { LinkInfo, VrrpSocket } from '../net/ports';
import type { Clock } from './clock';
import type { InstanceRuntime } from './instance';
import type { ResolvedWiring } from './wiring';
import type { Trackers } from './trackers';
import type { Logger } from '../observe/log';
import { writeDump } from '../observe/dump-writer';
import type { DaemonSnapshot } from '../observe/dump';
import type { DataView, GlobalsView, IfaceView, InstanceView, ScriptView, SockView, SyncGroupView, TrackFileView, VipView } from '../observe/dump-data';
import { groupStateOf } from '../vrrp/sync-group';
import { masterDownIntervalMs } from '../vrrp/timers';
import { formatBfdDataFile } from '../observe/dump-bfd';
import type { BfdSessionView } from '../bfd/view';
import { groupTrackedBfds, instanceTrackedBfds, trackBfdViews } from '../observe/dump-track-bfd';
import { PRIVATE_FILE_MODE, writeFileReplacing } from '../observe/safe-file';

export interface ViewInstance {
  rt: InstanceRuntime;
  wiring: ResolvedWiring;
  socketKey: string;
}

export interface ViewSource {
  model: Model;
  instances: readonly ViewInstance[];
  sockets: ReadonlyMap<string, VrrpSocket>;
  links: ReadonlyMap<string, LinkInfo>;
  trackers?: Trackers;
  scriptUser?: { user: string; group?: string };
  clock: Clock;
  ifInfo?: (ifname: string) => { ifindex: number; flags: number; mtu: number; hwtype: number; mac: Buffer } | undefined;
  /** keepalived's umask (its default 0177 unless -m/--umask or global_defs umask). */
  umask?: number;
  /** track_bfd: is the named bfd_instance Up as VRRP last heard? */
  bfdUp?: (name: string) => boolean;
  /** A vrrp_sync_group's state as the service holds it. */
  groupState?: (name: string) => SyncGroupView['state'] | undefined;
}

const s = (ms: number): number => ms / 1000;

/** keepalived's format_ipaddress: host prefixes are not written, scope defaults to global. */
export function vipText(v: VipEntry, family: 'inet' | 'inet6', defaultDev: string): string {
  const host = family === 'inet' ? 32 : 128;
  let t = v.prefixLen === host ? v.address : `${v.address}/${v.prefixLen}`;
  if (v.brd) t += ` brd ${v.brd}`;
  t += ` dev ${v.dev ?? defaultDev} scope ${v.scope ?? 'global'}`;
  if (v.label) t += ` label ${v.label}`;
  if (v.peer) t += ` peer ${v.peer}`;
  if (family === 'inet6') t += ` preferred_lft ${v.preferredLft ?? (v.prefixLen === 128 ? 0 : 'forever')}`;
  for (const [flag, on] of [['home', v.home], ['nodad', v.nodad], ['mngtmpaddr', v.mngtmpaddr], ['noprefixroute', v.noprefixroute], ['autojoin', v.autojoin]] as const) {
    if (on) t += ` ${flag}`;
  }
  return t;
}

function familyOf(a: string): 'inet' | 'inet6' {
  return a.includes(':') ? 'inet6' : 'inet';
}

/** uid/gid of a user (and group) from /etc/passwd and /etc/group; 0:0 (root) when not found. */
export function lookupIds(user?: { user: string; group?: string }): { uid: number; gid: number } {
  if (!user) return { uid: 0, gid: 0 };
  try {
    const pw = fs.readFileSync('/etc/passwd', 'utf8').split('\n').map((l) => l.split(':')).find((f) => f[0] === user.user);
    if (!pw) return { uid: 0, gid: 0 };
    let gid = Number(pw[3]);
    if (user.group) {
      const gr = fs.readFileSync('/etc/group', 'utf8').split('\n').map((l) => l.split(':')).find((f) => f[0] === user.group);
      if (gr) gid = Number(gr[2]);
    }
    return { uid: Number(pw[2]), gid };
  } catch {
    return { uid: 0, gid: 0 };
  }
}

export function globalsView(m: Model, ids: { uid: number; gid: number }, umask: number): GlobalsView {
  const g = m.globalDefs;
  return {
    routerId: g.routerId,
    smtpAlert: g.smtpAlert,
    smtpAlertVrrp: g.smtpAlertVrrp,
    smtpAlertChecker: g.smtpAlertChecker,
    checkerLogAllFailures: g.checkerLogAllFailures,
    dynamicInterfaces: g.dynamicInterfaces,
    defaultInterface: g.defaultInterface ?? 'eth0',
    lvsFlush: g.lvsFlush,
    lvsFlushOnStop: g.lvsFlushOnStop,
    vrrpNotifyPriorityChanges: g.vrrpNotifyPriorityChanges,
    mcastGroup4: g.vrrpMcastGroup4,
    mcastGroup6: g.vrrpMcastGroup6,
    garpDelayS: s(g.garpMasterDelayMs),
    garpRepeat: g.garpMasterRepeat,
    garpRefreshS: s(g.garpMasterRefreshMs),
    garpRefreshRepeat: g.garpMasterRefreshRepeat,
    // Unset unless configured apart from the GARP delay/repeat they default to (keepalived's parent shows unset ones raw).
    garpLowerPrioDelayS: g.garpLowerPrioDelayMs === g.garpMasterDelayMs ? undefined : s(g.garpLowerPrioDelayMs),
    garpLowerPrioRepeat: g.garpLowerPrioRepeat === g.garpMasterRepeat ? undefined : g.garpLowerPrioRepeat,
    downTimerAdverts: g.vrrpDownTimerAdverts,
    lowerPrioNoAdvert: g.vrrpLowerPrioNoAdvert,
    higherPrioSendAdvert: g.vrrpHigherPrioSendAdvert,
    garpIntervalS: s(g.garpIntervalMs),
    gnaIntervalS: s(g.gnaIntervalMs),
    vrrpVersion: g.vrrpVersion,
    checkUnicastSrc: g.vrrpCheckUnicastSrc,
    skipCheckAdvAddr: g.vrrpSkipCheckAdvAddr,
    strict: g.vrrpStrict,
    maxAutoPriority: g.maxAutoPriority ?? 0,
    scriptSecurity: g.enableScriptSecurity,
    scriptUid: ids.uid,
    scriptGid: ids.gid,
    umask,
  };
}

function instanceView(src: ViewSource, v: ViewInstance): InstanceView {
  const m = v.rt.model;
  const st = v.rt.state;
  const now = src.clock.now();
  const wall = src.clock.wallNow();
  const deadline = st.state === 'MASTER' ? st.adverAt : st.masterDownAt;
  const sock = src.sockets.get(v.socketKey);
  const fd = sock?.fd ?? -1;
  const scripts = m.trackScript.map((r) => ({ ref: r, def: src.model.vrrpScripts.find((x) => x.name === r.name) }));
  const view: InstanceView = {
    name: m.name,
    version: m.version,
    state: st.state,
    wantstate: st.state,
    lastTransitionMs: v.rt.lastTransitionWall,
    readTimeoutMs: deadline === undefined ? wall : wall + (deadline - now),
    masterDownUs: Math.floor(masterDownIntervalMs(st.priority, st.masterAdverIntCs, m.version, m.downTimerAdverts) * 1000),
    interface: v.wiring.baseIfname,
    srcIp: v.wiring.primaryAddress,
    mcast: v.wiring.group,
    unicastPeers: v.wiring.group === undefined ? [...v.wiring.destinations] : [],
    garpDelayS: s(m.garpMasterDelayMs),
    garpRepeat: m.garpMasterRepeat,
    garpRefreshS: s(m.garpMasterRefreshMs),
    garpRefreshRepeat: m.garpMasterRefreshRepeat,
    garpLowerPrioDelayS: s(m.garpLowerPrioDelayMs),
    garpLowerPrioRepeat: m.garpLowerPrioRepeat,
    downTimerAdverts: m.downTimerAdverts,
    lowerPrioNoAdvert: m.lowerPrioNoAdvert,
    higherPrioSendAdvert: m.higherPrioSendAdvert,
    vrid: m.vrid,
    basePriority: m.priority,
    effectivePriority: st.priority,
    advertIntMs: m.advertIntMs,
    masterAdvertIntMs: st.masterAdverIntCs * 10,
    accept: m.accept,
    // keepalived resets nopreempt for an address owner ("nopreempt is incompatible with priority 255").
    preempt: !m.nopreempt || m.priority === 255,
    preemptDelayS: s(m.preemptDelayMs),
    promoteSecondaries: m.promoteSecondaries,
    authType: m.auth?.type ?? 'none',
    vips: m.virtualIpaddress.map((x): VipView => ({ text: vipText(x, familyOf(x.address), v.wiring.vipIfname), set: v.rt.hasVips })),
    evips: m.virtualIpaddressExcluded.map((x): VipView => ({ text: vipText(x, familyOf(x.address), v.wiring.vipIfname), set: v.rt.hasVips })),
    fdIn: fd,
    fdOut: fd,
    trackedScripts: scripts.map(({ ref, def }) => ({ name: ref.name, weight: ref.weight ?? def?.weight ?? 0, reverse: ref.reverse })),
    trackedBfds: instanceTrackedBfds(src.model, m),
    trackScriptCommands: scripts.map(({ def }) => (def ? commandText(def.script.argv) : '')),
    dontTrackPrimary: m.dontTrackPrimary,
    skipCheckAdvAddr: m.skipCheckAdvAddr,
    strictMode: m.strictMode,
    vmacIfname: m.useVmac ? v.wiring.xmitIfname : '',
    notifyDeleted: m.notifyDeleted !== undefined,
    trackedInterfaces: m.trackInterface.map((t) => ({ name: t.name, weight: t.weight, reverse: t.reverse })),
    smtp: m.smtpAlert ?? src.model.globalDefs.smtpAlertVrrp ?? src.model.globalDefs.smtpAlert ?? false,
    notifyPriorityChanges: m.notifyPriorityChanges,
  };
  if (st.standby) view.standby = true;
  if (m.syncGroup !== undefined && src.model.vrrpSyncGroups.some((g) => g.name === m.syncGroup)) view.syncGroup = m.syncGroup;
  if (st.state !== 'MASTER') {
    view.masterRouter = st.masterAddr ?? m.mcastDstIp;
    view.masterPriority = st.masterPriority ?? 0;
  }
  return view;
}

function sockViews(src: ViewSource): SockView[] {
  const out: SockView[] = [];
  for (const [key, sock] of src.sockets) {
    const [family, ifname, group] = key.split('|');
    const fd = sock.fd ?? -1;
    out.push({
      fdIn: fd,
      fdOut: fd,
      interface: ifname ?? '',
      family: family === 'inet6' ? 'IPv6' : 'IPv4',
      unicast: group === 'unicast',
      instances: src.instances.filter((i) => i.socketKey === key).map((i) => ({ name: i.rt.name, vrid: i.rt.model.vrid })),
    });
  }
  return out;
}

/** keepalived shows a script's command with its path resolved and each word quoted. */
function commandText(argv: readonly string[]): string {
  const [cmd = '', ...args] = argv;
  let real = cmd;
  try {
    real = fs.realpathSync(cmd);
  } catch {
    /* as written */
  }
  return [real, ...args].map((a) => `'${a}'`).join(' ');
}

function scriptViews(src: ViewSource, ids: { uid: number; gid: number }): ScriptView[] {
  return src.model.vrrpScripts.map((sc): ScriptView => {
    const info = src.trackers?.scriptInfo(sc.name);
    const tracking = src.model.vrrpInstances.flatMap((m) =>
      m.trackScript.filter((r) => r.name === sc.name).map((r) => ({ name: m.name, weight: r.weight ?? sc.weight, reverse: r.reverse })),
    );
    // keepalived 2.2.7 (observed) lists each member of a sync group that tracks the script too.
    for (const g of src.model.vrrpSyncGroups) {
      for (const r of g.trackScript.filter((x) => x.name === sc.name)) tracking.push(...g.members.map((name) => ({ name, weight: r.weight ?? sc.weight, reverse: r.reverse })));
    }
    const scriptIds = sc.script.user ? lookupIds({ user: sc.script.user, group: sc.script.group }) : ids;
    return {
      name: sc.name,
      command: commandText(sc.script.argv),
      intervalS: s(sc.intervalMs),
      // keepalived shows 0 when no timeout is configured; our model resolves it to the interval.
      timeoutS: sc.timeoutMs === sc.intervalMs ? 0 : s(sc.timeoutMs),
      weight: sc.weight,
      weightReverse: sc.weightReverse,
      rise: sc.rise,
      fall: sc.fall,
      result: info?.state === 'up' ? sc.rise : 0,
      insecure: false,
      status: info?.state === 'up' ? 'GOOD' : info?.state === 'down' ? 'BAD' : 'INIT',
      uid: scriptIds.uid,
      gid: scriptIds.gid,
      tracking,
      running: info?.running ?? false,
    };
  });
}

function readForwarding(ifname: string): boolean {
  try {
    return fs.readFileSync(`/proc/sys/net/ipv6/conf/${ifname}/forwarding`, 'utf8').trim() === '1';
  } catch {
    return false;
  }
}

function ifaceViews(src: ViewSource): IfaceView[] {
  const addrs = os.networkInterfaces();
  const out: IfaceView[] = [];
  for (const link of src.links.values()) {
    const info = src.ifInfo?.(link.ifname);
    const a = addrs[link.ifname] ?? [];
    const v4 = a.find((x) => x.family === 'IPv4');
    const v6 = a.find((x) => x.family === 'IPv6' && /^fe80:/i.test(x.address));
    const mac = info ? [...info.mac].map((b) => b.toString(16).padStart(2, '0')).join(':') : link.mac;
    out.push({
      name: link.ifname,
      index: info?.ifindex ?? link.ifindex,
      ipv4: v4?.address,
      ipv6: v6?.address,
      mac,
      macBroadcast: 'ff:ff:ff:ff:ff:ff',
      flags: info?.flags ?? (link.up ? 0x1041 : 0),
      mtu: info?.mtu ?? 0,
      hwType: info?.hwtype ?? 1,
      tracking: src.instances.filter((i) => i.wiring.baseIfname === link.ifname).map((i) => ({ name: i.rt.name, weight: 0, reverse: false })),
    });
    const hasV6 = src.instances.some(
      (i) => i.wiring.vipIfname === link.ifname && [...i.rt.model.virtualIpaddress, ...i.rt.model.virtualIpaddressExcluded].some((x) => x.address.includes(':')),
    );
    if (hasV6) (out[out.length - 1] as IfaceView).ipv6Forwarding = { on: readForwarding(link.ifname), checkedMs: src.clock.wallNow() };
  }
  return out.sort((x, y) => x.index - y.index);
}

/** The addon's SIOCGIF* view of an interface; undefined without the addon or for an unknown name. */
function nativeIfInfo(ifname: string): ReturnType<NonNullable<ViewSource['ifInfo']>> {
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    return (require('../net/native') as typeof import('../net/native')).loadNative().ifInfo(ifname);
  } catch {
    return undefined;
  }
}

const NOTIFY_KINDS = [['Backup', 'notifyBackup'], ['Master', 'notifyMaster'], ['Fault', 'notifyFault'], ['Stop', 'notifyStop'], ['Generic', 'notify']] as const;

/** keepalived 2.2.7's "VRRP Sync groups" section (observed with SIGUSR1 on the same config). */
function syncGroupViews(src: ViewSource, ids: { uid: number; gid: number }): SyncGroupView[] {
  const m = src.model;
  return m.vrrpSyncGroups.map((g): SyncGroupView => {
    const states = g.members.map((n) => src.instances.find((i) => i.rt.name === n)?.rt.state.state ?? 'INIT');
    const notify: SyncGroupView['notify'] = [];
    for (const [kind, key] of NOTIFY_KINDS) {
      const c = g[key];
      if (!c) continue;
      const cid = c.user ? lookupIds({ user: c.user, group: c.group }) : ids;
      notify.push({ kind, command: commandText(c.argv), uid: cid.uid, gid: cid.gid });
    }
    return {
      name: g.name,
      state: src.groupState?.(g.name) ?? groupStateOf(states),
      membersFault: states.filter((x) => x === 'FAULT').length,
      membersInit: states.filter((x) => x === 'INIT').length,
      members: [...g.members],
      trackingWeight: g.syncGroupTrackingWeight,
      smtp: g.smtpAlert ?? m.globalDefs.smtpAlertVrrp ?? m.globalDefs.smtpAlert ?? false,
      trackedInterfaces: g.trackInterface.map((t) => ({ name: t.name, weight: t.weight, reverse: t.reverse })),
      trackedScripts: g.trackScript.map((r) => ({ name: r.name, weight: r.weight ?? m.vrrpScripts.find((x) => x.name === r.name)?.weight ?? 0, reverse: r.reverse })),
      trackedFiles: g.trackFile.map((r) => ({ name: r.name, weight: r.weight ?? m.trackFiles.find((x) => x.name === r.name)?.weight ?? 0, reverse: r.reverse })),
      trackedBfds: groupTrackedBfds(m, g),
      notify,
    };
  });
}

/** keepalived 2.2.7's "VRRP Track files" section: each file, its value, who tracks it (sync group members too). */
function trackFileViews(src: ViewSource): TrackFileView[] {
  const m = src.model;
  return m.trackFiles.map((f): TrackFileView => {
    const tracking = m.vrrpInstances.flatMap((i) => i.trackFile.filter((r) => r.name === f.name).map((r) => ({ name: i.name, weight: r.weight ?? f.weight, reverse: r.reverse })));
    for (const g of m.vrrpSyncGroups) {
      for (const r of g.trackFile.filter((x) => x.name === f.name)) tracking.push(...g.members.map((name) => ({ name, weight: r.weight ?? f.weight, reverse: r.reverse })));
    }
    return { name: f.name, file: f.file, status: src.trackers?.fileValue(f.name) ?? 0, weight: f.weight, weightReverse: f.weightReverse, tracking };
  });
}

export function buildDataView(src: ViewSource): DataView {
  src = { ifInfo: nativeIfInfo, ...src };
  const ids = lookupIds(src.scriptUser);
  return {
    globals: globalsView(src.model, ids, src.umask ?? 0o177),
    instances: src.instances.map((v) => instanceView(src, v)),
    sockets: sockViews(src),
    scripts: scriptViews(src, ids),
    syncGroups: syncGroupViews(src, ids),
    trackFiles: trackFileViews(src),
    trackBfds: trackBfdViews(src.model, src.bfdUp ?? (() => false)),
    interfaces: ifaceViews(src),
  };
}

/** keepalived_parent.data sits beside the data file: /tmp/keepalived.data → /tmp/keepalived_parent.data. */
export function parentDataPath(dataPath: string, suffix = '_parent'): string {
  const slash = dataPath.lastIndexOf('/');
  const dir = dataPath.slice(0, slash + 1);
  const base = dataPath.slice(slash + 1);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? `${dir}${base.slice(0, dot)}${suffix}${base.slice(dot)}` : `${dir}${base}${suffix}`;
}

/** keepalived's BFD process's SIGUSR1 file, beside the data file: /tmp/keepalived_bfd.data. */
export function writeBfdData(log: Logger, model: Model, sessions: readonly BfdSessionView[], dataPath: string, umask: number, scriptUser?: { user: string; group?: string }): void {
  log.info(`Printing BFD data for process(${process.pid}) on signal`);
  const file = parentDataPath(dataPath, '_bfd');
  try {
    writeFileReplacing(file, formatBfdDataFile(globalsView(model, lookupIds(scriptUser), umask), sessions), PRIVATE_FILE_MODE);
  } catch (e) {
    log.error(`Unable to write BFD data dump: ${file}: ${(e as Error).message}`);
  }
}


/** SIGUSR1's second file, as keepalived's parent writes it. */
export function writeParentData(log: Logger, snap: DaemonSnapshot, dataPath: string): void {
  log.info(`Printing parent data for process(${process.pid}) on signal`);
  const r = writeDump('parent', snap, parentDataPath(dataPath));
  if (!r.ok) log.error(`Unable to write parent data dump: ${r.error}`);
}
