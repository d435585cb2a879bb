/** vrrp_instance and vrrp_sync_group → model, resolving keepalived's defaults (global → instance). */
import type { Loc } from './ast';
import type { RawLine } from './build';
import type { Diagnostics } from './diagnostics';
import { splitCommand } from './script-argv';
import { normalizeIp, parsePrefix } from './addresses';
import type { Family, GlobalDefs, NotifyScripts, ScriptCommand, VipEntry, VrrpInstance, VrrpSyncGroup } from './model';
import { defined, scriptOf, sToMs, written, type Raw } from './resolve-common';
import { parseRoute, parseRule, parseTrackInterface, parseTrackRef, parseUnicastPeer, parseVip } from './resolve-lines';
import { acceptMode, acceptResetText } from '../vrrp/strict';

const each = <T>(lines: RawLine[] | undefined, f: (l: RawLine) => T | undefined): T[] =>
  (lines ?? []).map(f).filter((x): x is T => x !== undefined);

/** VIPs of one list; all must share the family of the first one (keepalived skips the others). */
function vips(lines: RawLine[] | undefined, family: Family | undefined, what: string, name: string, diags: Diagnostics): VipEntry[] {
  const out: VipEntry[] = [];
  for (const l of lines ?? []) {
    const v = parseVip(l, diags);
    if (!v) continue;
    if (family && v.family !== family) {
      diags.warn('ERR_CONFIG_FAMILY_MISMATCH', `(${name}) ${what} ${v.address} is not ${family} like the instance - ignoring`, l.loc);
      continue;
    }
    family ??= v.family;
    out.push(v);
  }
  return out;
}

function ip(value: string | undefined, kw: string, loc: Loc, diags: Diagnostics): string | undefined {
  if (value === undefined) return undefined;
  const n = normalizeIp(value);
  if (!n) diags.error('ERR_CONFIG_BAD_ADDRESS', `invalid IP address '${value}' for '${kw}'`, loc);
  return n;
}

/** advert_int: v2 whole seconds 1..255 (a fraction is rounded, reported as an error as keepalived does); v3 centiseconds up to 40.95 s. */
function advertIntMs(raw: number, version: 2 | 3, name: string, loc: Loc, diags: Diagnostics): number {
  if (version === 2) {
    const s = Math.max(1, Math.round(raw));
    // keepalived -t counts it as a config error (exit 5) and runs with the rounded value.
    if (s !== raw) diags.error('ERR_CONFIG_ADVERT_INT_ROUNDED', `(${name}) advert_int ${raw} is not a whole number of seconds for VRRPv2; using ${s}`, loc);
    return s * 1000;
  }
  const cs = Math.round(raw * 100);
  if (cs < 1 || cs > 4095) {
    diags.error('ERR_CONFIG_OUT_OF_RANGE', `(${name}) advert_int ${raw} is outside range [0.01, 40.95] for VRRPv3`, loc);
    return Math.min(Math.max(cs, 1), 4095) * 10;
  }
  if (cs / 100 !== raw) diags.warn('ERR_CONFIG_ADVERT_INT_ROUNDED', `(${name}) advert_int ${raw} rounded to ${cs / 100} (10 ms resolution)`, loc);
  return cs * 10;
}

function scriptFromWords(words: string[], loc: Loc): ScriptCommand {
  const command = words.join(' ');
  return { command, argv: words.length === 1 ? splitCommand(command) : [...words], loc };
}

function notifyScripts(r: Raw): NotifyScripts {
  return defined({
    notifyMaster: scriptOf(r.notifyMaster),
    notifyBackup: scriptOf(r.notifyBackup),
    notifyFault: scriptOf(r.notifyFault),
    notifyStop: scriptOf(r.notifyStop),
    notify: scriptOf(r.notify),
    notifyPriorityChanges: r.notifyPriorityChanges ?? false,
    smtpAlert: r.smtpAlert,
  });
}

function trackers(r: Raw, diags: Diagnostics): Pick<VrrpInstance, 'trackInterface' | 'trackScript' | 'trackFile' | 'trackProcess' | 'trackBfd'> {
  return {
    trackInterface: each(r.trackInterface, (l) => parseTrackInterface(l, diags)),
    trackScript: each(r.trackScript, (l) => parseTrackRef(l, 253, diags)),
    trackFile: each(r.trackFile, (l) => parseTrackRef(l, 254, diags)),
    trackProcess: each(r.trackProcess, (l) => parseTrackRef(l, 254, diags)),
    trackBfd: each(r.trackBfd, (l) => parseTrackRef(l, 253, diags)),
  };
}

/**
 * nopreempt and preempt_delay as keepalived 2.2.7 reconciles them (each a config error there, -t 5;
 * messages as the binary prints them): the address owner always preempts; an initial MASTER
 * ignores both; strict mode and nopreempt each reset preempt_delay.
 */
function preemption(name: string, loc: Loc | undefined, state: string | undefined, priority: number, strict: boolean, nopreempt: boolean, delayMs: number, diags: Diagnostics): { nopreempt: boolean; preemptDelayMs: number } {
  if (nopreempt && priority === 255) {
    diags.error('ERR_CONFIG_NOPREEMPT', `(${name}) nopreempt is incompatible with priority 255. resetting nopreempt`, loc);
    nopreempt = false;
  }
  if (state === 'MASTER' && nopreempt) {
    diags.error('ERR_CONFIG_NOPREEMPT', `(${name}) Warning - nopreempt will not work with initial state MASTER - clearing`, loc);
    nopreempt = false;
  }
  if (state === 'MASTER' && delayMs > 0) {
    diags.error('ERR_CONFIG_PREEMPT_DELAY', `(${name}) Warning - preempt delay will not work with initial state MASTER - clearing`, loc);
    delayMs = 0;
  }
  if (strict && delayMs > 0) {
    diags.error('ERR_CONFIG_STRICT', `(${name}) preempt_delay is incompatible with strict mode - resetting`, loc);
    delayMs = 0;
  }
  if (nopreempt && delayMs > 0) {
    diags.error('ERR_CONFIG_PREEMPT_DELAY', `(${name}) preempt_delay is incompatible with nopreempt mode - resetting`, loc);
    delayMs = 0;
  }
  return { nopreempt, preemptDelayMs: delayMs };
}

/** keepalived 2.2.7 (a config error): "(VI_1) Ignoring track_interface eth0 since own interface" (its link state is tracked anyway, unless dont_track_primary). */
function notOwnInterface(name: string, own: string | undefined, tracked: VrrpInstance['trackInterface'], diags: Diagnostics): VrrpInstance['trackInterface'] {
  if (own === undefined || !tracked.some((t) => t.name === own)) return tracked;
  for (const t of tracked) if (t.name === own) diags.error('ERR_CONFIG_TRACK_OWN_INTERFACE', `(${name}) Ignoring track_interface ${own} since own interface`, t.loc);
  return tracked.filter((t) => t.name !== own);
}

/** An interface name the kernel takes: 1..15 bytes (IFNAMSIZ), no '/', ':' or blank. */
const VALID_IFNAME = /^[^\s/:]{1,15}$/;

function useVmac(words: string[] | undefined, loc: Loc | undefined, diags: Diagnostics): VrrpInstance['useVmac'] {
  if (!words) return undefined;
  const out: { name?: string; mac?: string } = {};
  for (const w of words) {
    if (/^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/.test(w)) out.mac = w.toLowerCase();
    else if (w !== 'name' && w !== 'netlink_notify_msg' && w !== 'group' && out.name === undefined) {
      // keepalived 2.2.7 (a config error): the name is dropped, the VMAC keeps its default name.
      if (VALID_IFNAME.test(w)) out.name = w;
      else diags.error('ERR_CONFIG_BAD_VALUE', `VMAC interface name '${w}' too long or invalid characters - ignoring`, loc);
    }
  }
  return out;
}

const IPVLAN_FLAGS = ['bridge', 'private', 'vepa'] as const;

/** use_ipvlan [NAME] [IP[/LEN]] [bridge|private|vepa], in any order (a bare IP is a host prefix, as keepalived adds it). */
function useIpvlan(words: string[] | undefined, name: string, family: Family, loc: Loc | undefined, diags: Diagnostics): VrrpInstance['useIpvlan'] {
  if (!words) return undefined;
  const out: { name?: string; address?: { address: string; prefixLen: number }; flags: 'bridge' | 'private' | 'vepa' } = { flags: 'bridge' };
  for (const w of words) {
    const flag = IPVLAN_FLAGS.find((f) => f === w.toLowerCase());
    const prefix = /^[0-9a-fA-F.:]+(\/\d+)?$/.test(w) && /[.:]/.test(w) ? parsePrefix(w) : undefined;
    if (flag) out.flags = flag;
    else if (prefix && out.address === undefined) {
      if (prefix.family !== family) diags.error('ERR_CONFIG_IPVLAN', `(${name}) use_ipvlan address ${w} is not of the instance's address family - ignoring`, loc);
      else out.address = { address: prefix.address, prefixLen: prefix.prefixLen };
    } else if (out.name === undefined) out.name = w;
    else diags.error('ERR_CONFIG_IPVLAN', `(${name}) unknown use_ipvlan option ${w}`, loc);
  }
  if (family === 'inet' && !out.address) {
    // keepalived 2.2.7's words (observed); it creates the ipvlan and keeps the instance in FAULT.
    diags.error('ERR_CONFIG_IPVLAN', `(${name}) IPv4 ipvlan requires a source ip address to be configured. setting instance to fault state`, loc);
  }
  return out;
}

function auth(r: Raw, name: string, version: 2 | 3, strictMode: boolean, diags: Diagnostics): VrrpInstance['auth'] {
  const a = r.authentication as Raw | undefined;
  if (!a || a.authType === undefined) return undefined;
  if (strictMode) {
    // keepalived 2.2.7 runs a strict instance without authentication (so must we, to interoperate).
    diags.warn('ERR_CONFIG_STRICT', `(${name}) Strict mode does not support authentication. Ignoring.`, a.loc);
    return undefined;
  }
  if (version === 3) {
    // keepalived 2.2.7 runs such an instance without authentication, saying so (as we do).
    diags.warn('ERR_CONFIG_AUTH_V3', `(${name}) VRRP version 3 does not support authentication. Ignoring.`, a.loc);
    return undefined;
  }
  let pass = (a.authPass ?? '') as string;
  if (pass.length > 8) {
    // keepalived 2.2.7: a config error (-t exits 5).
    diags.error('ERR_CONFIG_AUTH_PASS_TRUNCATED', 'Truncating auth_pass to 8 characters', a.loc);
    pass = pass.slice(0, 8);
  }
  return { type: a.authType, pass };
}

export function resolveInstance(r: Raw, g: GlobalDefs, diags: Diagnostics): VrrpInstance {
  const name = r.args[0] as string;
  const loc = r.loc as Loc;
  const vip = vips(r.virtualIpaddress, undefined, 'VIP', name, diags);
  const peers = each(r.unicastPeer, (l) => parseUnicastPeer(l, diags));
  const family: Family = vip[0]?.family ?? peers[0]?.family ?? (r.unicastSrcIp?.includes(':') ? 'inet6' : 'inet');
  let version = (r.version ?? g.vrrpVersion) as 2 | 3;
  if (family === 'inet6' && version === 2) {
    if (r.version !== undefined) diags.warn('ERR_CONFIG_VERSION', `(${name}) IPv6 requires VRRPv3; using version 3`, loc);
    version = 3;
  }
  const strictMode = (r.strictMode ?? g.vrrpStrict) as boolean;
  // keepalived 2.2.7 (observed on the wire): `state MASTER` without `priority` advertises 255, the
  // address owner's priority; a written priority, even one refused for its range, keeps the default 100.
  const priority = r.state === 'MASTER' && !written(r, 'priority') ? 255 : (r.priority as number);
  const am = acceptMode({ strict: strictMode, version, priority, accept: r.accept as boolean, noAccept: r.noAccept as boolean });
  if (am.resetV2) diags.warn('ERR_CONFIG_STRICT', acceptResetText(name), loc);
  const accept = am.accept;
  const p = <T>(v: T | undefined, d: T): T => (v === undefined ? d : v);
  const tr = trackers(r, diags);
  const ns = notifyScripts(r);
  // One plain literal (no spreads, no deletes): this runs once per instance and 10k must stay fast.
  // Optional fields that are not configured are present with the value undefined.
  const au = auth(r, name, version, strictMode, diags);
  let state = r.state;
  if (au?.type === 'AH' && state === 'MASTER' && priority !== 255) {
    // keepalived 2.2.7 counts it as a config error (-t exits 5; its sample keepalived.conf.SSL_GET).
    diags.error('ERR_CONFIG_AH_INITIAL_MASTER', `(${name}) Initial state master is incompatible with AH authentication - clearing`, loc);
    state = 'BACKUP';
  }
  const pre = preemption(name, loc, state, priority, strictMode, r.nopreempt as boolean, sToMs(r.preemptDelay), diags);
  const vi: VrrpInstance = {
    name,
    loc,
    state,
    // keepalived falls back to global default_interface for an instance that names none.
    interface: r.interface ?? (peers.length ? undefined : g.defaultInterface),
    vrf: r.vrf,
    vrid: r.vrid,
    priority,
    advertIntMs: advertIntMs(r.advertInt, version, name, loc, diags),
    version,
    family,
    nopreempt: pre.nopreempt,
    preemptDelayMs: pre.preemptDelayMs,
    accept,
    strictMode,
    virtualIpaddress: vip,
    virtualIpaddressExcluded: vips(r.virtualIpaddressExcluded, undefined, 'excluded VIP', name, diags),
    noVirtualIpaddress: r.noVirtualIpaddress,
    promoteSecondaries: r.promoteSecondaries,
    virtualRoutes: each(r.virtualRoutes, (l) => parseRoute(l, diags)),
    virtualRules: each(r.virtualRules, (l) => parseRule(l, diags)),
    trackInterface: notOwnInterface(name, r.interface as string | undefined, tr.trackInterface, diags),
    trackScript: tr.trackScript,
    trackFile: tr.trackFile,
    trackProcess: tr.trackProcess,
    trackBfd: tr.trackBfd,
    trackSrcIp: r.trackSrcIp,
    dontTrackPrimary: r.dontTrackPrimary,
    unicastSrcIp: ip(r.unicastSrcIp, 'unicast_src_ip', loc, diags),
    unicastPeers: peers,
    unicastTtl: r.unicastTtl,
    unicastFaultNoPeer: r.unicastFaultNoPeer,
    mcastSrcIp: ip(r.mcastSrcIp, 'mcast_src_ip', loc, diags),
    mcastDstIp: ip(r.mcastDstIp, 'mcast_dst_ip', loc, diags) ?? (family === 'inet6' ? g.vrrpMcastGroup6 : g.vrrpMcastGroup4),
    auth: au,
    useVmac: useVmac(r.useVmac, loc, diags),
    useIpvlan: useIpvlan(r.useIpvlan as string[] | undefined, name, family, loc, diags),
    vmacXmitBase: r.vmacXmitBase,
    skipCheckAdvAddr: p(r.skipCheckAdvAddr, g.vrrpSkipCheckAdvAddr),
    checkUnicastSrc: p(r.checkUnicastSrc, g.vrrpCheckUnicastSrc),
    lowerPrioNoAdvert: p(r.lowerPrioNoAdvert, g.vrrpLowerPrioNoAdvert),
    higherPrioSendAdvert: p(r.higherPrioSendAdvert, g.vrrpHigherPrioSendAdvert),
    ownerIgnoreAdverts: p(r.ownerIgnoreAdverts, g.vrrpOwnerIgnoreAdverts),
    downTimerAdverts: p(r.downTimerAdverts, g.vrrpDownTimerAdverts),
    notifyMaster: ns.notifyMaster,
    notifyBackup: ns.notifyBackup,
    notifyFault: ns.notifyFault,
    notifyStop: ns.notifyStop,
    notify: ns.notify,
    // The global vrrp_notify_priority_changes is every instance's default.
    notifyPriorityChanges: (r.notifyPriorityChanges as boolean | undefined) ?? g.vrrpNotifyPriorityChanges,
    smtpAlert: ns.smtpAlert,
    notifyDeleted: r.notifyDeleted ? (r.notifyDeleted.length ? scriptFromWords(r.notifyDeleted, loc) : true) : undefined,
    notifyMasterRxLowerPri: scriptOf(r.notifyMasterRxLowerPri),
    v3ChecksumAsV2: r.v3ChecksumAsV2,
    lvsSyncDaemonInterface: r.lvsSyncDaemonInterface,
    garpMasterDelayMs: r.garpMasterDelay !== undefined ? sToMs(r.garpMasterDelay) : g.garpMasterDelayMs,
    garpMasterRepeat: p(r.garpMasterRepeat, g.garpMasterRepeat),
    garpMasterRefreshMs: r.garpMasterRefresh !== undefined ? sToMs(r.garpMasterRefresh) : g.garpMasterRefreshMs,
    garpMasterRefreshRepeat: p(r.garpMasterRefreshRepeat, g.garpMasterRefreshRepeat),
    garpLowerPrioDelayMs: r.garpLowerPrioDelay !== undefined ? sToMs(r.garpLowerPrioDelay) : g.garpLowerPrioDelayMs,
    garpLowerPrioRepeat: p(r.garpLowerPrioRepeat, g.garpLowerPrioRepeat),
    garpIntervalMs: g.garpIntervalMs,
    gnaIntervalMs: g.gnaIntervalMs,
  };
  return vi;
}

export function resolveSyncGroup(r: Raw, diags: Diagnostics): VrrpSyncGroup {
  const members = ((r.group ?? []) as RawLine[]).flatMap((l) => l.args);
  if (r.group !== undefined && members.length === 0) diags.warn('ERR_CONFIG_SYNC_GROUP_SIZE', `Warning - sync group ${r.args[0] as string} has empty group block`, r.loc);
  return {
    name: r.args[0],
    loc: r.loc,
    members,
    ...trackers(r, diags),
    ...notifyScripts(r),
    syncGroupTrackingWeight: r.syncGroupTrackingWeight,
  };
}
