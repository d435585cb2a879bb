/**
 * Whole-model checks after resolution: cross references (trackers, sync-group members, VS groups,
 * FILE_CHECK files), required-in-context keywords (interface), uniqueness, and keepalived's
 * semantic warnings (strict mode, script security). Trackers are looked up over the whole
 * config, so one defined after the instance that uses it works (keepalived silently ignores it).
 */
import type { Diagnostics } from './diagnostics';
import type { Model, ScriptCommand, TrackRef, VrrpInstance, VrrpSyncGroup } from './model';
import { isLinkLocal6 } from './addresses';
import { nearest } from './suggest';

export function validateModel(m: Model, diags: Diagnostics): void {
  uniqueNames(m, diags);
  trackerRefs(m, diags);
  staticTrackGroupRefs(m, diags);
  syncGroups(m, diags);
  for (const vi of m.vrrpInstances) instance(vi, m, diags);
  duplicateVrids(m, diags);
  virtualServers(m, diags);
  scriptSecurity(m, diags);
}

function uniqueNames(m: Model, diags: Diagnostics): void {
  const lists: [string, readonly { name: string; loc: import('./ast').Loc }[]][] = [
    ['vrrp_instance', m.vrrpInstances], ['vrrp_script', m.vrrpScripts], ['track_file', m.trackFiles],
    ['vrrp_track_process', m.trackProcesses], ['vrrp_sync_group', m.vrrpSyncGroups], ['virtual_server_group', m.virtualServerGroups], ['bfd_instance', m.bfdInstances ?? []],
  ];
  for (const [what, items] of lists) {
    const seen = new Set<string>();
    for (const it of items) {
      if (seen.has(it.name)) diags.error('ERR_CONFIG_DUPLICATE', `${what} '${it.name}' is defined more than once`, it.loc);
      seen.add(it.name);
    }
  }
}

function checkRefs(owner: string, refs: readonly TrackRef[], kind: string, names: string[], diags: Diagnostics): void {
  for (const r of refs) {
    if (names.includes(r.name)) continue;
    // keepalived 2.2.7's words (a config error; the reference is dropped).
    diags.error('ERR_CONFIG_UNKNOWN_TRACKER', `(${owner}) ${kind} ${r.name} not found, ignoring...`, r.loc, nearest(r.name, names));
  }
}

function trackerRefs(m: Model, diags: Diagnostics): void {
  const scripts = m.vrrpScripts.map((s) => s.name);
  const files = m.trackFiles.map((s) => s.name);
  const procs = m.trackProcesses.map((s) => s.name);
  const bfds = (m.bfdInstances ?? []).map((s) => s.name);
  const owners: (VrrpInstance | VrrpSyncGroup)[] = [...m.vrrpInstances, ...m.vrrpSyncGroups];
  for (const o of owners) {
    checkRefs(o.name, o.trackScript, 'track script', scripts, diags);
    checkRefs(o.name, o.trackFile, 'track file', files, diags);
    checkRefs(o.name, o.trackProcess, 'track process', procs, diags);
    checkRefs(o.name, o.trackBfd ?? [], 'track bfd', bfds, diags);
  }
}

/** keepalived 2.2.7 (observed): `(file: Line N) track_group NAME not found`, a config error (-t exits 5); the entry stays, untracked. */
function staticTrackGroupRefs(m: Model, diags: Diagnostics): void {
  const names = (m.staticTrackGroups ?? []).map((g) => g.name);
  for (const e of [...m.staticAddresses, ...m.staticRoutes, ...m.staticRules]) {
    if (e.trackGroup === undefined || names.includes(e.trackGroup)) continue;
    diags.error('ERR_CONFIG_UNKNOWN_GROUP', `track_group ${e.trackGroup} not found`, e.loc, nearest(e.trackGroup, names));
  }
}

function syncGroups(m: Model, diags: Diagnostics): void {
  const owner = new Map<string, string>();
  for (const g of m.vrrpSyncGroups) {
    for (const member of g.members) {
      if (owner.has(member)) {
        diags.error('ERR_CONFIG_DUPLICATE', `instance '${member}' is in sync groups '${owner.get(member)}' and '${g.name}'`, g.loc);
      } else owner.set(member, g.name);
    }
  }
  if (owner.size === 0) return;
  for (const vi of m.vrrpInstances) {
    const g = owner.get(vi.name);
    if (!g || m.vrrpSyncGroups.find((x) => x.name === g)?.syncGroupTrackingWeight) continue;
    for (const t of [...vi.trackScript, ...vi.trackFile, ...vi.trackProcess]) {
      if (t.weight) diags.warn('ERR_CONFIG_SYNC_WEIGHT', `(${vi.name}) tracker '${t.name}' weight ${t.weight} is ignored in sync group ${g} (use sync_group_tracking_weight)`, t.loc);
    }
  }
}

function instance(vi: VrrpInstance, m: Model, diags: Diagnostics): void {
  const viaDev = vi.unicastPeers.length > 0 && vi.virtualIpaddress.every((v) => v.dev !== undefined);
  if (!vi.interface && !viaDev && !m.globalDefs.defaultInterface) {
    diags.error('ERR_CONFIG_MISSING_KEYWORD', `(${vi.name}) missing 'interface' (required unless unicast peers are set and every VIP has 'dev')`, vi.loc);
  }
  for (const p of vi.unicastPeers) {
    if (p.family !== vi.family) diags.error('ERR_CONFIG_FAMILY_MISMATCH', `(${vi.name}) unicast peer ${p.address} is not ${vi.family}`, p.loc);
  }
  // keepalived 2.2.7: a config error (-t exits 5), and it runs the instance.
  if (vi.virtualIpaddress.length === 0 && !vi.noVirtualIpaddress) diags.advise('ERR_CONFIG_NO_VIP', `(${vi.name}) No VIP specified; at least one is sensible`, vi.loc);
  if (vi.strictMode) strict(vi, diags);
}

/** vrrp_strict / strict_mode: what keepalived refuses or changes, said up front. */
function strict(vi: VrrpInstance, diags: Diagnostics): void {
  const n = vi.name;
  if (vi.unicastPeers.length) diags.error('ERR_CONFIG_STRICT', `(${n}) unicast peers are not supported in strict mode`, vi.loc);
  if (vi.auth) diags.warn('ERR_CONFIG_STRICT', `(${n}) Strict mode does not support authentication. Ignoring.`, vi.loc);
  if (vi.state === 'MASTER' && vi.priority !== 255) diags.warn('ERR_CONFIG_STRICT', `(${n}) strict mode: state MASTER requires priority 255; starting as BACKUP`, vi.loc);
  if (vi.family === 'inet6' && vi.virtualIpaddress[0] && !isLinkLocal6(vi.virtualIpaddress[0].address)) {
    diags.warn('ERR_CONFIG_STRICT', `(${n}) strict mode: the first IPv6 VIP should be link-local`, vi.virtualIpaddress[0].loc);
  }
  if (!vi.accept && vi.virtualIpaddress.length) {
    diags.warn(
      'ERR_CONFIG_STRICT_NO_ACCEPT',
      `(${n}) vrrp_strict without 'accept': the VIPs will be unreachable (keepalived drops traffic to them); add 'accept' to the instance`,
      vi.loc,
    );
  }
}

function duplicateVrids(m: Model, diags: Diagnostics): void {
  const seen = new Map<string, string>();
  for (const vi of m.vrrpInstances) {
    if (vi.unicastPeers.length) continue; // unicast instances may share a VRID with distinct peers
    const key = `${vi.interface ?? ''}|${vi.family}|${vi.vrid}|${vi.mcastDstIp}`;
    const other = seen.get(key);
    if (other) diags.error('ERR_CONFIG_DUPLICATE_VRID', `(${vi.name}) virtual_router_id ${vi.vrid} is already used by ${other} on ${vi.interface ?? '(no interface)'}`, vi.loc);
    else seen.set(key, vi.name);
  }
}

function virtualServers(m: Model, diags: Diagnostics): void {
  const groups = m.virtualServerGroups.map((g) => g.name);
  const files = m.trackFiles.map((f) => f.name);
  for (const vs of m.virtualServers) {
    if (vs.kind === 'group' && vs.group && !groups.includes(vs.group)) {
      diags.error('ERR_CONFIG_UNKNOWN_GROUP', `virtual_server group '${vs.group}' not found`, vs.loc, nearest(vs.group, groups));
    }
    for (const rs of vs.realServers) {
      for (const c of rs.checkers) {
        if (c.type === 'FILE_CHECK' && !files.includes(c.trackFile)) {
          diags.error('ERR_CONFIG_UNKNOWN_TRACKER', `FILE_CHECK track_file '${c.trackFile}' not found`, c.loc, nearest(c.trackFile, files));
        }
        if ((c.type === 'HTTP_GET' || c.type === 'SSL_GET') && c.urls.length === 0) {
          diags.warn('ERR_CONFIG_NO_URL', `${c.type} on ${rs.address} has no url block`, c.loc);
        }
      }
    }
  }
}

/** Every script that can run: tracked vrrp_scripts, hooks, MISC_CHECKs, quorum/RS notifications, FIFO readers. */
export function scriptsInUse(m: Omit<Model, 'hasScripts'>): ScriptCommand[] {
  const owners = [...m.vrrpInstances, ...m.vrrpSyncGroups];
  const tracked = new Set(owners.flatMap((o) => o.trackScript.map((t) => t.name)));
  const out: (ScriptCommand | undefined)[] = m.vrrpScripts.filter((s) => tracked.has(s.name)).map((s) => s.script);
  for (const o of owners) out.push(o.notify, o.notifyMaster, o.notifyBackup, o.notifyFault, o.notifyStop);
  for (const vi of m.vrrpInstances) out.push(vi.notifyMasterRxLowerPri);
  for (const vs of m.virtualServers) {
    out.push(vs.quorumUp, vs.quorumDown);
    for (const rs of vs.realServers) {
      out.push(rs.notifyUp, rs.notifyDown);
      for (const c of rs.checkers) if (c.type === 'MISC_CHECK') out.push(c.miscPath);
    }
  }
  const g = m.globalDefs;
  out.push(g.startupScript, g.shutdownScript, g.notifyFifo?.script, g.vrrpNotifyFifo?.script, g.lvsNotifyFifo?.script);
  return out.filter((x): x is ScriptCommand => x !== undefined);
}

function scriptSecurity(m: Model, diags: Diagnostics): void {
  if (m.hasScripts && !m.globalDefs.enableScriptSecurity) {
    diags.warn('ERR_CONFIG_SCRIPT_SECURITY', 'SECURITY VIOLATION - scripts are being executed but script_security not enabled.', m.globalDefs.loc);
  }
}
