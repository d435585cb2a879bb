/**
 * Pure formatting of the operator dumps (keepalived-features.md §(a)):
 *  - SIGUSR1 → data file (/tmp/keepalived.data): "------< VRRP Topology >------" blocks;
 *  - SIGUSR2 → stats file (/tmp/keepalived.stats): vrrp_print.c's indented counters;
 *  - JSON (/tmp/keepalived.json): [{data:{…}, stats:{…}}] with keepalived's key names and
 *    numeric states (0 init, 1 backup, 2 master, 3 fault, 97 deleted, 98 stop).
 * The data layout "is not guaranteed" (man5) but exporters parse it, so the files are
 * keepalived 2.2.7's, key by key: with a DataView (the daemon always gives one) the data and
 * JSON files are src/observe/dump-data.ts's and dump-json.ts's; the stats file is keepalived's
 * as it is (our per-reason drop counters are logged at -D, not written here).
 * Writing is src/observe/dump-writer.ts.
 */
import { formatDataFile, formatParentDataFile, type DataView } from './dump-data';
import { formatJsonFile } from './dump-json';

export type DumpState = 'INIT' | 'BACKUP' | 'MASTER' | 'FAULT' | 'STOP' | 'DELETED';

export interface InstanceStats {
  advertRcvd: number;
  advertSent: number;
  becomeMaster: number;
  releaseMaster: number;
  packetLenErr: number;
  advertIntervalErr: number;
  ipTtlErr: number;
  invalidTypeRcvd: number;
  addrListErr: number;
  invalidAuthtype: number;
  authtypeMismatch: number;
  authFailure: number;
  priZeroRcvd: number;
  priZeroSent: number;
  /** Drops per decoder reason (our extension), e.g. {bad_checksum: 2}. */
  drops?: Readonly<Record<string, number>>;
}

export interface TrackerSnapshot {
  kind: 'script' | 'interface' | 'file' | 'process' | 'bfd';
  name: string;
  weight: number;
  reverse: boolean;
  /** 'up'/'down'/'init'; for files the value as a string. */
  status: string;
}

export interface InstanceSnapshot {
  name: string;
  state: DumpState;
  wantstate: DumpState;
  vrid: number;
  version: 2 | 3;
  interface?: string;
  family: 'inet' | 'inet6';
  basePriority: number;
  effectivePriority: number;
  /** Current master's primary address and priority (ours when MASTER). */
  masterRouter?: string;
  masterPriority?: number;
  /** Wall-clock epoch ms of the last state change. */
  lastTransitionMs: number;
  advertIntMs: number;
  masterAdvertIntMs: number;
  accept: boolean;
  nopreempt: boolean;
  preemptDelayMs: number;
  syncGroup?: string;
  /** In manual standby (`keepalived standby`, ours). */
  standby?: boolean;
  vips: readonly string[];
  evips: readonly string[];
  trackers: readonly TrackerSnapshot[];
  stats: InstanceStats;
}

export interface DaemonSnapshot {
  /** Wall-clock epoch ms when the snapshot was taken. */
  takenAtMs: number;
  instances: readonly InstanceSnapshot[];
  syncGroups?: ReadonlyArray<{ name: string; state: DumpState; members: readonly string[] }>;
  /** Everything keepalived's data and JSON files show (src/runtime/dump-view.ts). */
  view?: DataView;
}

export const STATE_NUMBER: Record<DumpState, number> = { INIT: 0, BACKUP: 1, MASTER: 2, FAULT: 3, DELETED: 97, STOP: 98 };

const p2 = (n: number): string => String(n).padStart(2, '0');
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "1700000000.123456 (Tue Nov 14 22:13:20.123456 2023)": keepalived's ctime-style local time, day padded with a space. */
export function formatTimestamp(ms: number): string {
  const d = new Date(ms);
  const us = String(Math.round((ms % 1000) * 1000)).padStart(6, '0');
  const secs = Math.floor(ms / 1000);
  return `${secs}.${us} (${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}.${us} ${d.getFullYear()})`;
}

function advertText(ms: number, version: 2 | 3): string {
  return version === 2 ? `${ms / 1000} sec` : `${ms} milli-sec`;
}

function trackerLines(i: InstanceSnapshot): string[] {
  const out: string[] = [];
  const groups: Array<[TrackerSnapshot['kind'], string]> = [
    ['interface', 'Tracked interfaces'],
    ['script', 'Tracked scripts'],
    ['file', 'Tracked files'],
    ['process', 'Tracked processes'],
    ['bfd', 'Tracked BFDs'],
  ];
  for (const [kind, title] of groups) {
    const ts = i.trackers.filter((t) => t.kind === kind);
    if (ts.length === 0) continue;
    out.push(`   ${title} (${ts.length}):`);
    for (const t of ts) out.push(`     ${t.name} weight ${t.weight}${t.reverse ? ' reverse' : ''} status ${t.status}`);
  }
  return out;
}

export function formatInstanceData(i: InstanceSnapshot): string[] {
  const lines = [
    ` VRRP Instance = ${i.name}`,
    `   VRRP Version = ${i.version}`,
    `   State = ${i.state}`,
  ];
  if (i.masterRouter !== undefined) lines.push(`   Master router = ${i.masterRouter}`);
  if (i.masterPriority !== undefined) lines.push(`   Master priority = ${i.masterPriority}`);
  lines.push(
    `   Wantstate = ${i.wantstate}`,
    `   Last transition = ${formatTimestamp(i.lastTransitionMs)}`,
  );
  if (i.interface !== undefined) lines.push(`   Interface = ${i.interface}`);
  if (i.syncGroup !== undefined) lines.push(`   Sync group = ${i.syncGroup}`);
  if (i.standby) lines.push('   Standby = manual');
  lines.push(
    `   Virtual Router ID = ${i.vrid}`,
    `   Priority = ${i.basePriority}`,
    `   Effective priority = ${i.effectivePriority}`,
    `   Advert interval = ${advertText(i.advertIntMs, i.version)}`,
    `   Master advert interval = ${i.masterAdvertIntMs} milli-sec`,
    `   Accept = ${i.accept ? 'enabled' : 'disabled'}`,
    `   Preempt = ${i.nopreempt ? 'disabled' : 'enabled'}`,
    `   Preempt delay = ${i.preemptDelayMs / 1000} secs`,
    ...trackerLines(i),
    `   Virtual IP (${i.vips.length}):`,
    ...i.vips.map((v) => `     ${v}`),
  );
  if (i.evips.length > 0) lines.push(`   Virtual IP Excluded (${i.evips.length}):`, ...i.evips.map((v) => `     ${v}`));
  return lines;
}

/** SIGUSR1 data file text. */
export function formatData(s: DaemonSnapshot): string {
  if (s.view) return formatDataFile(s.view);
  const lines = [`------< VRRP Topology >------`];
  for (const i of s.instances) lines.push(...formatInstanceData(i));
  if (s.syncGroups && s.syncGroups.length > 0) {
    lines.push('------< VRRP Sync groups >------');
    for (const g of s.syncGroups) {
      lines.push(` VRRP Sync Group = ${g.name}, ${g.state}`, ...g.members.map((m) => `   monitor = ${m}`));
    }
  }
  return lines.join('\n') + '\n';
}

/** SIGUSR2 stats file text (vrrp_print.c layout). */
export function formatStats(s: DaemonSnapshot): string {
  const lines: string[] = [];
  for (const i of s.instances) {
    const st = i.stats;
    lines.push(
      `VRRP Instance: ${i.name}`,
      '  Advertisements:',
      `    Received: ${st.advertRcvd}`,
      `    Sent: ${st.advertSent}`,
      `  Became master: ${st.becomeMaster}`,
      `  Released master: ${st.releaseMaster}`,
      '  Packet Errors:',
      `    Length: ${st.packetLenErr}`,
      `    TTL: ${st.ipTtlErr}`,
      `    Invalid Type: ${st.invalidTypeRcvd}`,
      `    Advertisement Interval: ${st.advertIntervalErr}`,
      `    Address List: ${st.addrListErr}`,
      '  Authentication Errors:',
      `    Invalid Type: ${st.invalidAuthtype}`,
      `    Type Mismatch: ${st.authtypeMismatch}`,
      `    Failure: ${st.authFailure}`,
      '  Priority Zero:',
      `    Received: ${st.priZeroRcvd}`,
      `    Sent: ${st.priZeroSent}`,
    );
  }
  return lines.join('\n') + '\n';
}

function statsJson(st: InstanceStats): Record<string, unknown> {
  const o: Record<string, unknown> = {
    advert_rcvd: st.advertRcvd,
    advert_sent: st.advertSent,
    become_master: st.becomeMaster,
    release_master: st.releaseMaster,
    packet_len_err: st.packetLenErr,
    advert_interval_err: st.advertIntervalErr,
    ip_ttl_err: st.ipTtlErr,
    invalid_type_rcvd: st.invalidTypeRcvd,
    addr_list_err: st.addrListErr,
    invalid_authtype: st.invalidAuthtype,
    authtype_mismatch: st.authtypeMismatch,
    auth_failure: st.authFailure,
    pri_zero_rcvd: st.priZeroRcvd,
    pri_zero_sent: st.priZeroSent,
  };
  if (st.drops) o.drops = { ...st.drops };
  return o;
}

export function instanceJson(i: InstanceSnapshot): Record<string, unknown> {
  const byKind = (k: TrackerSnapshot['kind']) =>
    i.trackers.filter((t) => t.kind === k).map((t) => ({ name: t.name, weight: t.weight, reverse: t.reverse, status: t.status }));
  return {
    data: {
      iname: i.name,
      state: STATE_NUMBER[i.state],
      wantstate: STATE_NUMBER[i.wantstate],
      vrid: i.vrid,
      version: i.version,
      ifp_ifname: i.interface ?? null,
      base_priority: i.basePriority,
      effective_priority: i.effectivePriority,
      ...(i.standby ? { standby: 'manual' } : {}),
      master_priority: i.masterPriority ?? 0,
      master_saddr: i.masterRouter ?? null,
      last_transition: i.lastTransitionMs / 1000,
      adver_int: i.advertIntMs / 1000,
      master_adver_int: i.masterAdvertIntMs / 1000,
      accept: i.accept ? 1 : 0,
      nopreempt: i.nopreempt ? 1 : 0,
      preempt_delay: i.preemptDelayMs / 1000,
      sync_group: i.syncGroup ?? null,
      vips: [...i.vips],
      evips: [...i.evips],
      track_ifp: byKind('interface'),
      track_script: byKind('script'),
      track_file: byKind('file'),
      track_process: byKind('process'),
    },
    stats: statsJson(i.stats),
  };
}

/** keepalived_parent.data text (needs the view). */
export function formatParentData(s: DaemonSnapshot): string {
  return s.view ? formatParentDataFile(s.view.globals) : '';
}

/** JSON dump text: an array with one {data, stats} object per instance. */
export function formatJson(s: DaemonSnapshot): string {
  if (s.view) return formatJsonFile(s.view.instances, new Map(s.instances.map((i) => [i.name, i.stats])));
  return JSON.stringify(s.instances.map(instanceJson), null, 2) + '\n';
}

export function emptyStats(): InstanceStats {
  return {
    advertRcvd: 0, advertSent: 0, becomeMaster: 0, releaseMaster: 0, packetLenErr: 0, advertIntervalErr: 0,
    ipTtlErr: 0, invalidTypeRcvd: 0, addrListErr: 0, invalidAuthtype: 0, authtypeMismatch: 0, authFailure: 0,
    priZeroRcvd: 0, priZeroSent: 0,
  };
}
