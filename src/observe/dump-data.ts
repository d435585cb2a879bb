/**
 * keepalived 2.2.7's SIGUSR1 data files, section by section and key by key, as measured in the
 * lab (test/interop/dumps.test.ts diffs them against keepalived's own):
 *   keepalived.data         Global definitions, VRRP Topology, VRRP Sockpool, VRRP Scripts, Interfaces
 *   keepalived_parent.data  Global definitions as keepalived's parent holds them
 * Pure: the runtime (src/runtime/dump-view.ts) gathers the values into a DataView.
 * Lines that describe keepalived's C build (libnftnl version) are not written: we do not link it.
 * keepalived-exporter parses " VRRP Instance = ", "   State = ", "   Wantstate = ", "   Interface = ",
 * "   Gratuitous ARP delay = ", "   Virtual Router ID = ", the VIP lines under "   Virtual IP (n):"
 * ("ADDR dev IF ..."), and " VRRP Script = " with "   Status = " / "   State = ".
 */
import { formatInstanceTrackedBfds, formatTrackBfdSection, type TrackBfdView, type TrackedBfdRef } from './dump-track-bfd';
import { formatTimestamp } from './dump';

export interface GlobalsView {
  routerId?: string;
  smtpAlert?: boolean;
  smtpAlertVrrp?: boolean;
  smtpAlertChecker?: boolean;
  checkerLogAllFailures: boolean;
  dynamicInterfaces: boolean;
  defaultInterface: string;
  lvsFlush: boolean;
  lvsFlushOnStop: boolean;
  vrrpNotifyPriorityChanges: boolean;
  mcastGroup4: string;
  mcastGroup6: string;
  garpDelayS: number;
  garpRepeat: number;
  garpRefreshS: number;
  garpRefreshRepeat: number;
  /** undefined: not configured (the parent shows keepalived's unset value). */
  garpLowerPrioDelayS?: number;
  garpLowerPrioRepeat?: number;
  downTimerAdverts: number;
  lowerPrioNoAdvert: boolean;
  higherPrioSendAdvert: boolean;
  garpIntervalS: number;
  gnaIntervalS: number;
  vrrpVersion: number;
  checkUnicastSrc: boolean;
  skipCheckAdvAddr: boolean;
  strict: boolean;
  maxAutoPriority: number;
  scriptSecurity: boolean;
  scriptUid: number;
  scriptGid: number;
  umask: number;
}

export interface VipView {
  /** "198.51.100.100/24 dev eth0 scope global" (keepalived's format_ipaddress). */
  text: string;
  set: boolean;
}

export interface InstanceView {
  name: string;
  version: number;
  state: string;
  wantstate: string;
  /** BACKUP/FAULT only: the master's address (the multicast group until one is heard) and priority. */
  masterRouter?: string;
  masterPriority?: number;
  lastTransitionMs: number;
  readTimeoutMs: number;
  masterDownUs: number;
  interface: string;
  srcIp: string;
  /** Multicast group, or undefined for unicast. */
  mcast?: string;
  unicastPeers: string[];
  garpDelayS: number;
  garpRepeat: number;
  garpRefreshS: number;
  garpRefreshRepeat: number;
  garpLowerPrioDelayS: number;
  garpLowerPrioRepeat: number;
  downTimerAdverts: number;
  lowerPrioNoAdvert: boolean;
  higherPrioSendAdvert: boolean;
  vrid: number;
  basePriority: number;
  effectivePriority: number;
  advertIntMs: number;
  /** The interval in use (v3: learned from the master). */
  masterAdvertIntMs: number;
  accept: boolean;
  preempt: boolean;
  preemptDelayS: number;
  promoteSecondaries: boolean;
  authType: 'none' | 'PASS' | 'AH';
  vips: VipView[];
  evips: VipView[];
  fdIn: number;
  fdOut: number;
  trackedScripts: Array<{ name: string; weight: number; reverse: boolean }>;
  /** track_bfd references as keepalived lists them (observe/dump-track-bfd). */
  trackedBfds?: TrackedBfdRef[];
  trackedInterfaces: Array<{ name: string; weight: number; reverse: boolean }>;
  smtp: boolean;
  notifyPriorityChanges: boolean;
  /** For the JSON dump. */
  trackScriptCommands: string[];
  dontTrackPrimary: boolean;
  skipCheckAdvAddr: boolean;
  strictMode: boolean;
  vmacIfname: string;
  notifyDeleted: boolean;
  /** In manual standby (`keepalived standby`, ours): an extra line / key, only then. */
  standby?: boolean;
  /** The vrrp_sync_group it belongs to (keepalived's "Sync group = G1" line). */
  syncGroup?: string;
}

export interface SockView {
  fdIn: number;
  fdOut: number;
  interface: string;
  family: 'IPv4' | 'IPv6';
  unicast: boolean;
  instances: Array<{ name: string; vrid: number }>;
}

export interface ScriptView {
  name: string;
  command: string;
  intervalS: number;
  timeoutS: number;
  weight: number;
  weightReverse: boolean;
  rise: number;
  fall: number;
  result: number;
  insecure: boolean;
  status: 'GOOD' | 'BAD' | 'INIT';
  uid: number;
  gid: number;
  tracking: Array<{ name: string; weight: number; reverse: boolean }>;
  running: boolean;
}

export interface IfaceView {
  name: string;
  index: number;
  ipv4?: string;
  ipv6?: string;
  mac?: string;
  macBroadcast?: string;
  flags: number;
  mtu: number;
  hwType: number;
  tracking: Array<{ name: string; weight: number; reverse: boolean }>;
  /** Shown for interfaces with IPv6 VIPs: net.ipv6.conf.IF.forwarding when last read. */
  ipv6Forwarding?: { on: boolean; checkedMs: number };
}

/** A vrrp_sync_group as keepalived 2.2.7's "VRRP Sync groups" section shows it (observed). */
export interface SyncGroupView {
  name: string;
  state: 'BACKUP' | 'MASTER' | 'FAULT';
  membersFault: number;
  membersInit: number;
  members: string[];
  trackingWeight: boolean;
  smtp: boolean;
  trackedInterfaces: Array<{ name: string; weight: number; reverse: boolean }>;
  trackedScripts: Array<{ name: string; weight: number; reverse: boolean }>;
  trackedFiles: Array<{ name: string; weight: number; reverse: boolean }>;
  trackedBfds: TrackedBfdRef[];
  /** In keepalived's order: Backup, Master, Fault, Stop, Generic. */
  notify: Array<{ kind: 'Backup' | 'Master' | 'Fault' | 'Stop' | 'Generic'; command: string; uid: number; gid: number }>;
}

/** A vrrp_track_file as keepalived 2.2.7's "VRRP Track files" section shows it (observed). */
export interface TrackFileView {
  name: string;
  file: string;
  status: number;
  weight: number;
  weightReverse: boolean;
  tracking: Array<{ name: string; weight: number; reverse: boolean }>;
}

export interface DataView {
  globals: GlobalsView;
  instances: InstanceView[];
  sockets: SockView[];
  scripts: ScriptView[];
  /** The "VRRP Sync groups" section (empty or absent: none). */
  syncGroups?: SyncGroupView[];
  /** The "VRRP Track files" section (empty or absent: none). */
  trackFiles?: TrackFileView[];
  /** The "VRRP Track BFDs" section (empty or absent: none). */
  trackBfds?: TrackBfdView[];
  interfaces: IfaceView[];
}

const tf = (b: boolean): string => (b ? 'true' : 'false');
const unset = (b: boolean | undefined): string => (b === undefined ? 'unset' : tf(b));
/** keepalived prints an unset unsigned as its all-ones value. */
const UNSET_U32 = 4294967295;

/** Global definitions; the parent's copy has no default interface and unresolved lower-priority GARP values. */
export function formatGlobals(g: GlobalsView, parent: boolean): string[] {
  const l = [
    '------< Global definitions >------',
    ' Network namespace = (default)',
    ' Network namespace ipvs = (main namespace)',
    ` Router ID = ${g.routerId ?? '(null)'}`,
    ` Default smtp_alert = ${unset(g.smtpAlert)}`,
    ` Default smtp_alert_vrrp = ${unset(g.smtpAlertVrrp)}`,
    ` Default smtp_alert_checker = ${unset(g.smtpAlertChecker)}`,
    ` Checkers log all failures = ${tf(g.checkerLogAllFailures)}`,
    ' No test config before reload',
    ` Dynamic interfaces = ${tf(g.dynamicInterfaces)}`,
  ];
  if (!parent) l.push(` Default interface = ${g.defaultInterface}`);
  l.push(
    ' Disable local IGMP = no',
    ` LVS flush = ${tf(g.lvsFlush)}`,
    ` LVS flush on stop = ${g.lvsFlushOnStop ? 'enabled' : 'disabled'}`,
    ' FIFO write vrrp states on reload = false',
    ` VRRP notify priority changes = ${tf(g.vrrpNotifyPriorityChanges)}`,
    ` VRRP IPv4 mcast group = ${g.mcastGroup4}`,
    ` VRRP IPv6 mcast group = ${g.mcastGroup6}`,
    ` Gratuitous ARP delay = ${g.garpDelayS}`,
    ` Gratuitous ARP repeat = ${g.garpRepeat}`,
    ` Gratuitous ARP refresh timer = ${g.garpRefreshS}`,
    ` Gratuitous ARP refresh repeat = ${g.garpRefreshRepeat}`,
    ` Gratuitous ARP lower priority delay = ${parent ? (g.garpLowerPrioDelayS ?? UNSET_U32) : (g.garpLowerPrioDelayS ?? g.garpDelayS)}`,
    ` Gratuitous ARP lower priority repeat = ${parent ? (g.garpLowerPrioRepeat ?? UNSET_U32) : (g.garpLowerPrioRepeat ?? g.garpRepeat)}`,
    ` Num adverts before down = ${g.downTimerAdverts}`,
    ' Gratuitous ARP for each secondary VMAC = 0s',
    ` Send advert after receive lower priority advert = ${tf(!g.lowerPrioNoAdvert)}`,
    ` Send advert after receive higher priority advert = ${tf(g.higherPrioSendAdvert)}`,
    ` Gratuitous ARP interval = ${g.garpIntervalS.toFixed(6)}`,
    ` Gratuitous NA interval = ${g.gnaIntervalS.toFixed(6)}`,
    ` VRRP default protocol version = ${g.vrrpVersion}`,
    ' nftables without counters',
    ` VRRP check unicast_src = ${tf(g.checkUnicastSrc)}`,
    ` VRRP skip check advert addresses = ${tf(g.skipCheckAdvAddr)}`,
    ` VRRP strict mode = ${tf(g.strict)}`,
    ` Max auto priority = ${g.maxAutoPriority}`,
    ' Min auto priority delay = 1000000 usecs',
  );
  for (const p of ['VRRP', 'Checker', 'BFD']) {
    l.push(` ${p} process priority = 0`, ` ${p} don't swap = false`, ` ${p} realtime priority = 0`, ` ${p} realtime limit = 10000`);
  }
  l.push(
    ' SNMP vrrp disabled',
    ' SNMP checker disabled',
    ' SNMP RFCv2 disabled',
    ' SNMP RFCv3 disabled',
    ' SNMP traps disabled',
    ' SNMP socket = default (unix:/var/agentx/master)',
    ' DBus disabled',
    ' DBus service name = ',
    ` Script security ${g.scriptSecurity ? 'enabled' : 'disabled'}`,
    ` Default script uid:gid ${g.scriptUid}:${g.scriptGid}`,
  );
  for (const k of ['vrrp_netlink_cmd_rcv_bufs', 'vrrp_netlink_monitor_rcv_bufs', 'process_monitor_rcv_bufs', 'lvs_netlink_cmd_rcv_bufs', 'lvs_netlink_monitor_rcv_bufs']) {
    l.push(` ${k} = 0`, ` ${k}_force = 0`);
  }
  // keepalived's order: the two vrrp_netlink pairs, then process, then the lvs pairs.
  l.push(' rs_init_notifies = 0', ' no_checker_emails = 0', ' rx_bufs_multiples = 3', ` umask = 0${g.umask.toString(8).padStart(3, '0')}`);
  return l;
}

function vipLines(vs: VipView[]): string[] {
  return vs.map((v) => `     ${v.text}${v.set ? ' set' : ''}`);
}

function formatInstance(i: InstanceView): string[] {
  const l = [` VRRP Instance = ${i.name}`, `   VRRP Version = ${i.version}`];
  if (i.syncGroup !== undefined) l.push(`   Sync group = ${i.syncGroup}`);
  l.push(`   State = ${i.state}`);
  if (i.standby) l.push('   Standby = manual');
  if (i.masterRouter !== undefined) l.push(`   Master router = ${i.masterRouter}`, `   Master priority = ${i.masterPriority ?? 0}`);
  l.push(
    `   Flags: ${i.preempt ? 'none' : ''}`,
    `   Wantstate = ${i.wantstate}`,
    '   Number of config faults = 0',
    '   Number of interface and track script faults = 0',
    '   Number of track scripts init = 0',
    `   Last transition = ${formatTimestamp(i.lastTransitionMs)}`,
    `   Read timeout = ${formatTimestamp(i.readTimeoutMs)}`,
    `   Master down timer = ${i.masterDownUs} usecs`,
    `   Interface = ${i.interface}`,
    `   Using src_ip = ${i.srcIp}`,
  );
  if (i.mcast !== undefined) l.push(`   Multicast address ${i.mcast}`);
  else l.push(`   Unicast Peer(s) (${i.unicastPeers.length}):`, ...i.unicastPeers.map((p) => `     ${p}`));
  l.push(
    `   Gratuitous ARP delay = ${i.garpDelayS}`,
    `   Gratuitous ARP repeat = ${i.garpRepeat}`,
    `   Gratuitous ARP refresh = ${i.garpRefreshS}`,
    `   Gratuitous ARP refresh repeat = ${i.garpRefreshRepeat}`,
    `   Gratuitous ARP lower priority delay = ${i.garpLowerPrioDelayS}`,
    `   Gratuitous ARP lower priority repeat = ${i.garpLowerPrioRepeat}`,
    `   Down timer adverts = ${i.downTimerAdverts}`,
    `   Send advert after receive lower priority advert = ${tf(!i.lowerPrioNoAdvert)}`,
    `   Send advert after receive higher priority advert = ${tf(i.higherPrioSendAdvert)}`,
    `   Virtual Router ID = ${i.vrid}`,
    `   Priority = ${i.basePriority}`,
    `   Effective priority = ${i.effectivePriority}`,
    `   Total priority = ${i.effectivePriority}`,
    `   Advert interval = ${i.version === 2 ? `${i.advertIntMs / 1000} sec` : `${i.advertIntMs} milli-sec`}`,
    `   Accept = ${i.accept ? 'enabled' : 'disabled'}`,
    `   Preempt = ${i.preempt ? 'enabled' : 'disabled'}`,
  );
  if (i.preemptDelayS > 0) l.push(`   Preempt delay = ${i.preemptDelayS} secs`);
  l.push(`   Promote_secondaries = ${i.promoteSecondaries ? 'enabled' : 'disabled'}`, `   Authentication type = ${authText(i.authType)}`);
  if (i.trackedInterfaces.length > 0) {
    l.push('   Tracked interfaces :', ...i.trackedInterfaces.map((t) => `     ${t.name} weight ${t.weight}${t.reverse ? ' reverse' : ''}`));
  }
  l.push(`   Virtual IP (${i.vips.length}):`, ...vipLines(i.vips));
  if (i.evips.length > 0) l.push('   Virtual IP Excluded :', ...vipLines(i.evips));
  l.push(`   fd_in ${i.fdIn}, fd_out ${i.fdOut}`);
  if (i.trackedScripts.length > 0) {
    l.push('   Tracked scripts :', ...i.trackedScripts.map((t) => `     ${t.name} weight ${t.weight}${t.reverse ? ' reverse' : ''}`));
  }
  l.push(...formatInstanceTrackedBfds(i.trackedBfds ?? []));
  l.push(`   Using smtp notification = ${i.smtp ? 'yes' : 'no'}`, '   Notify deleted = Fault', `   Notify priority changes = ${tf(i.notifyPriorityChanges)}`);
  return l;
}

function authText(t: InstanceView['authType']): string {
  return t === 'none' ? 'none' : t === 'PASS' ? 'SIMPLE_PASSWORD' : 'IPSEC_AH';
}

function formatSock(s: SockView): string[] {
  return [
    ` fd_in ${s.fdIn} fd_out = ${s.fdOut}`,
    `   Interface = ${s.interface}`,
    `   Family = ${s.family}`,
    '   Protocol = VRRP',
    `   Type = ${s.unicast ? 'Unicast' : 'Multicast'}`,
    '   Rx buf size = 0',
    '   VRRP instances',
    ...s.instances.map((i) => `     ${i.name} vrid ${i.vrid}`),
  ];
}

function formatScript(s: ScriptView): string[] {
  return [
    ` VRRP Script = ${s.name}`,
    `   Command = ${s.command}`,
    `   Interval = ${s.intervalS} sec`,
    `   Timeout = ${s.timeoutS} sec`,
    `   Weight = ${s.weight}${s.weightReverse ? ' reverse' : ''}`,
    `   Rise = ${s.rise}`,
    `   Fall = ${s.fall}`,
    `   Result = ${s.result}`,
    `   Insecure = ${s.insecure ? 'yes' : 'no'}`,
    '   Init state = unknown',
    `   Status = ${s.status}`,
    `   Script uid:gid = ${s.uid}:${s.gid}`,
    '   VRRP instances :',
    '   Tracking instances :',
    ...s.tracking.map((t) => `     ${t.name}, weight ${t.weight}${t.reverse ? ' reverse' : ''}`),
    `   State = ${s.running ? 'running' : 'idle'}`,
  ];
}

const IFF_UP = 0x1;
const IFF_BROADCAST = 0x2;
const IFF_LOOPBACK = 0x8;
const IFF_RUNNING = 0x40;
const IFF_MULTICAST = 0x1000;
const HW_TYPES: Record<number, string> = { 1: 'ETHERNET', 772: 'LOOPBACK', 768: 'IPIP', 776: 'SIT', 778: 'GRE', 65534: 'NONE' };

export function ifaceStateText(flags: number): string {
  // keepalived 2.2.7 (observed): "UP, RUNNING", and for lo down in a fresh namespace "not UP, not RUNNING, ...".
  const p = [flags & IFF_UP ? 'UP' : 'not UP', flags & IFF_RUNNING ? 'RUNNING' : 'not RUNNING'];
  if (!(flags & IFF_BROADCAST)) p.push('no broadcast');
  if (flags & IFF_LOOPBACK) p.push('loopback');
  if (!(flags & IFF_MULTICAST)) p.push('no multicast');
  return p.join(', ');
}

/** "1796238367.460324 (Wed Dec  2 19:06:07 2026.460324)": keepalived's layout for this one stamp. */
export function checkedText(ms: number): string {
  const m = /^(\S+) \((.*)\.(\d{6}) (\d{4})\)$/.exec(formatTimestamp(ms));
  return m ? `${m[1]} (${m[2]} ${m[4]}.${m[3]})` : formatTimestamp(ms);
}

function formatIface(f: IfaceView): string[] {
  const l = [` Name = ${f.name}`, `   index = ${f.index}`, `   IPv4 address = ${f.ipv4 ?? '(none)'}`, `   IPv6 address = ${f.ipv6 ?? '(none)'}`];
  if (!(f.flags & IFF_LOOPBACK) && f.mac) l.push(`   MAC = ${f.mac}`, `   MAC broadcast = ${f.macBroadcast ?? 'ff:ff:ff:ff:ff:ff'}`);
  l.push(
    `   State = ${ifaceStateText(f.flags)}`,
    `   Seen up = ${f.flags & IFF_UP ? 1 : 0}`,
    '   Delayed state change running = false',
    '   Up debounce timer = 0us',
    '   Down debounce timer = 0us',
    `   MTU = ${f.mtu}`,
    `   HW Type = ${HW_TYPES[f.hwType] ?? `UNKNOWN (${f.hwType})`}`,
    '   NIC netlink status update',
    '   Reset ARP config counter 0',
    '   Original arp_ignore 0',
    '   Original arp_filter 0',
    '   Original promote_secondaries 0',
    '   Reset promote_secondaries counter 0',
  );
  if (f.ipv6Forwarding) l.push(`   ${f.ipv6Forwarding.on ? 'IPv6 forwarding' : 'Not IPv6 forwarding'}. Last checked ${checkedText(f.ipv6Forwarding.checkedMs)}`);
  if (f.tracking.length > 0) l.push('   Tracking VRRP instances :', ...f.tracking.map((t) => `     ${t.name}, weight ${t.weight}${t.reverse ? ' reverse' : ''}`));
  return l;
}

const weightText = (t: { name: string; weight: number; reverse: boolean }, sep: string): string => `     ${t.name}${sep} weight ${t.weight}${t.reverse ? ' reverse' : ''}`;

function formatSyncGroup(g: SyncGroupView): string[] {
  const l = [
    ` VRRP Sync Group = ${g.name}, ${g.state}`,
    `   Num member fault ${g.membersFault}, num member init ${g.membersInit}`,
    '   VRRP member instances :',
    ...g.members.map((m) => `     ${m}`),
  ];
  if (g.trackingWeight) l.push('   sync group tracking weight set');
  l.push(`   Using smtp notification = ${g.smtp ? 'yes' : 'no'}`);
  if (g.trackedInterfaces.length) l.push('   Tracked interfaces :', ...g.trackedInterfaces.map((t) => weightText(t, '')));
  if (g.trackedScripts.length) l.push('   Tracked scripts :', ...g.trackedScripts.map((t) => weightText(t, '')));
  if (g.trackedFiles.length) l.push('   Tracked files :', ...g.trackedFiles.map((t) => weightText(t, ',')));
  l.push(...formatInstanceTrackedBfds(g.trackedBfds));
  for (const n of g.notify) l.push(`   ${n.kind} state transition script = ${n.command}, uid:gid ${n.uid}:${n.gid}`);
  return l;
}

/** /tmp/keepalived.data (the VRRP process's file). */
export function formatDataFile(v: DataView): string {
  const l = [...formatGlobals(v.globals, false), '------< VRRP Topology >------'];
  for (const i of v.instances) l.push(...formatInstance(i));
  l.push('------< VRRP Sockpool >------');
  for (const s of v.sockets) l.push(...formatSock(s));
  const groups = v.syncGroups ?? [];
  if (groups.length > 0) {
    l.push('------< VRRP Sync groups >------');
    for (const g of groups) l.push(...formatSyncGroup(g));
  }
  if (v.scripts.length > 0) {
    l.push('------< VRRP Scripts >------');
    for (const s of v.scripts) l.push(...formatScript(s));
  }
  const files = v.trackFiles ?? [];
  if (files.length > 0) {
    l.push('------< VRRP Track files >------');
    for (const f of files) {
      l.push(` Track file = ${f.name}`, `   File = ${f.file}`, `   Status = ${f.status}`, `   Weight = ${f.weight}${f.weightReverse ? ' reverse' : ''}`, '   Tracking instances :', ...f.tracking.map((t) => weightText(t, ',')));
    }
  }
  l.push(...formatTrackBfdSection(v.trackBfds ?? []));
  l.push('------< Interfaces >------');
  for (const f of v.interfaces) l.push(...formatIface(f));
  return `${l.join('\n')}\n`;
}

/** /tmp/keepalived_parent.data. */
export function formatParentDataFile(g: GlobalsView): string {
  return `${formatGlobals(g, true).join('\n')}\n`;
}
