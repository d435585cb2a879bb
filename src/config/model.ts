/**
 * The validated configuration model: what the daemon, trackers, LVS and checkers consume.
 * Built by config/load from the keyword tables + ajv schema; every default is already applied
 * and every inherited setting (global vrrp_garp_* → instance, VS → RS → checker) already resolved,
 * so consumers never look at keepalived's defaulting rules. Times carry their unit in the name.
 * Everything is readonly: the model is a value, reload builds a new one.
 */
import type { Loc } from './ast';

export type Family = 'inet' | 'inet6';

export interface Located {
  readonly loc: Loc;
}

/** A script line: the raw command as written and its argv (config/argv rules: quotes group words). */
export interface ScriptCommand extends Located {
  readonly command: string;
  readonly argv: readonly string[];
  readonly user?: string;
  readonly group?: string;
}

/** An address with an optional prefix, e.g. 192.0.2.0/24 or 2001:db8::1 (prefixLen 128 when absent). */
export interface Prefix {
  readonly address: string;
  readonly prefixLen: number;
  readonly family: Family;
}

export interface GarpSettings {
  /** Delay before the second GARP/NA burst after becoming master; 0 = no second burst. */
  readonly garpMasterDelayMs: number;
  readonly garpMasterRepeat: number;
  /** Periodic GARPs while master; 0 = off. */
  readonly garpMasterRefreshMs: number;
  readonly garpMasterRefreshRepeat: number;
  readonly garpLowerPrioDelayMs: number;
  readonly garpLowerPrioRepeat: number;
  /** Spacing between gratuitous ARPs / unsolicited NAs. */
  readonly garpIntervalMs: number;
  readonly gnaIntervalMs: number;
}

export interface FifoSpec extends Located {
  readonly path: string;
  readonly script?: ScriptCommand;
  readonly user?: string;
  readonly group?: string;
}

export interface GlobalDefs extends GarpSettings {
  readonly loc?: Loc;
  readonly routerId?: string;
  readonly notificationEmail: readonly string[];
  readonly notificationEmailFrom?: string;
  readonly smtpServer?: { readonly host: string; readonly port: number };
  readonly smtpHeloName?: string;
  readonly smtpConnectTimeoutMs: number;
  readonly smtpAlert?: boolean;
  readonly smtpAlertVrrp?: boolean;
  readonly smtpAlertChecker?: boolean;
  readonly scriptUser?: { readonly user: string; readonly group?: string };
  readonly enableScriptSecurity: boolean;
  readonly startupScript?: ScriptCommand;
  readonly startupScriptTimeoutMs: number;
  readonly shutdownScript?: ScriptCommand;
  readonly shutdownScriptTimeoutMs: number;
  readonly notifyFifo?: FifoSpec;
  readonly vrrpNotifyFifo?: FifoSpec;
  readonly lvsNotifyFifo?: FifoSpec;
  readonly vrrpNotifyPriorityChanges: boolean;
  /** fifo_write_vrrp_states_on_reload: each sync group's state goes to the FIFOs after a reload. */
  readonly fifoWriteVrrpStatesOnReload: boolean;
  readonly vrrpVersion: 2 | 3;
  readonly vrrpMcastGroup4: string;
  readonly vrrpMcastGroup6: string;
  readonly vrrpStrict: boolean;
  /** nftables [TABLENAME]: the no_accept firewall's table name (undefined: not given, keepalived's default). */
  readonly nftablesTable?: string;
  readonly nftablesPriority: number;
  readonly nftablesCounters: boolean;
  readonly nftablesIfindex: boolean;
  readonly vrrpSkipCheckAdvAddr: boolean;
  readonly vrrpCheckUnicastSrc: boolean;
  readonly vrrpMinGarp: boolean;
  readonly vrrpLowerPrioNoAdvert: boolean;
  readonly vrrpHigherPrioSendAdvert: boolean;
  readonly vrrpDownTimerAdverts: number;
  readonly vrrpStartupDelayMs: number;
  readonly vrrpOwnerIgnoreAdverts: boolean;
  readonly logUnknownVrids: boolean;
  /** vrrp_netlink_monitor_rcv_bufs: receive buffer of the link/address watch socket (undefined: 8 MiB). */
  readonly netlinkMonitorRcvBufBytes?: number;
  readonly dynamicInterfaces: boolean;
  readonly defaultInterface?: string;
  readonly vmacPrefix: string;
  readonly vmacAddrPrefix?: string;
  readonly lvsFlush: boolean;
  readonly lvsFlushOnStop: boolean;
  /** `lvs_flush_on_stop VS`: at stop delete only our virtual servers (not a full flush). */
  readonly lvsFlushOnStopVsOnly?: boolean;
  /** rs_init_notifies: notify_up / RS UP for every real server that starts up. */
  readonly rsInitNotifies?: boolean;
  readonly lvsTimeouts?: { readonly tcpS?: number; readonly tcpfinS?: number; readonly udpS?: number };
  readonly lvsSyncDaemon?: { readonly interface: string; readonly instance?: string; readonly args: readonly string[] };
  readonly netNamespace?: string;
  readonly checkerLogAllFailures: boolean;
  readonly noEmailFaults: boolean;
  readonly maxAutoPriority?: number;
  /** SCHED_RR priority (1..99) of the loop thread while VRRP / BFD / checkers run (runtime/realtime). */
  readonly vrrpRtPriority?: number;
  readonly bfdRtPriority?: number;
  readonly checkerRtPriority?: number;
  /** RLIMIT_RTTIME (hard; the soft limit is half) for each part's rt priority. */
  readonly vrrpRlimitRttimeUs?: number;
  readonly bfdRlimitRttimeUs?: number;
  readonly checkerRlimitRttimeUs?: number;
  /** Ours: control socket path (default /run/keepalived/control.sock). */
  readonly controlSocket?: string;
  /** Ours: `ADDRESS:PORT` (IPv6 `[::1]:9650`) serving GET /metrics; absent = metrics off. */
  readonly metricsListen?: { readonly host: string; readonly port: number };
}

export interface VrrpScript extends Located {
  readonly name: string;
  readonly script: ScriptCommand;
  readonly intervalMs: number;
  /** Defaults to the interval. */
  readonly timeoutMs: number;
  readonly weight: number;
  readonly weightReverse: boolean;
  readonly rise: number;
  readonly fall: number;
  readonly initFail: boolean;
}

export interface TrackFile extends Located {
  readonly name: string;
  readonly file: string;
  readonly weight: number;
  readonly weightReverse: boolean;
  readonly initFile?: { readonly value: number; readonly overwrite: boolean };
}

export interface TrackProcess extends Located {
  readonly name: string;
  /** Process name (or full command line with fullCommand). */
  readonly process: string;
  readonly processArgs: readonly string[];
  readonly paramMatch?: 'initial' | 'partial';
  readonly fullCommand: boolean;
  readonly quorum: number;
  readonly quorumMax?: number;
  readonly weight: number;
  readonly weightReverse: boolean;
  readonly delayMs?: number;
  readonly terminateDelayMs?: number;
  readonly forkDelayMs?: number;
}

export interface TrackInterfaceRef extends Located {
  readonly name: string;
  /** 0 = a down interface means FAULT. */
  readonly weight: number;
  readonly reverse: boolean;
}

/** track_script / track_file / track_process entry; weight absent = use the tracker's own. */
export interface TrackRef extends Located {
  readonly name: string;
  readonly weight?: number;
  readonly reverse: boolean;
}

export interface VipEntry extends Prefix, Located {
  readonly brd?: string;
  readonly dev?: string;
  readonly scope?: string;
  readonly label?: string;
  readonly peer?: string;
  readonly noTrack: boolean;
  /** static_ipaddress only: the track_group whose instances go to FAULT while the address is gone. */
  readonly trackGroup?: string;
  /** Seconds, or 'forever'; IPv6 /128 VIPs default to 0 (deprecated) unless set. */
  readonly preferredLft?: number | 'forever';
  readonly useVmac: boolean;
  readonly home: boolean;
  readonly nodad: boolean;
  readonly mngtmpaddr: boolean;
  readonly noprefixroute: boolean;
  readonly autojoin: boolean;
}

export type RouteType = 'unicast' | 'blackhole' | 'unreachable' | 'prohibit' | 'throw' | 'local' | 'broadcast' | 'anycast' | 'multicast' | 'nat';

export interface RouteEntry extends Located {
  /** Destination; 'default' is 0.0.0.0/0 or ::/0. */
  readonly to: Prefix;
  readonly type: RouteType;
  readonly src?: string;
  /** Gateways; more than one = multipath (`via A or B`). */
  readonly via: readonly string[];
  readonly dev?: string;
  readonly table?: string;
  readonly metric?: number;
  readonly scope?: string;
  readonly protocol?: string;
  readonly noTrack: boolean;
  /** static_routes/static_rules only: the track_group whose instances go to FAULT while it is gone. */
  readonly trackGroup?: string;
  /** Remaining `ip route` options, unparsed, in order (key → value or '' for flags). */
  readonly options: Readonly<Record<string, string>>;
  /** The words as written, for `ip route add` fall-back and dumps. */
  readonly args: readonly string[];
}

export interface RuleEntry extends Located {
  readonly from?: Prefix;
  readonly to?: Prefix;
  readonly table?: string;
  readonly preference?: number;
  readonly iif?: string;
  readonly oif?: string;
  readonly fwmark?: string;
  readonly family: Family;
  readonly noTrack: boolean;
  /** static_routes/static_rules only: the track_group whose instances go to FAULT while it is gone. */
  readonly trackGroup?: string;
  readonly options: Readonly<Record<string, string>>;
  readonly args: readonly string[];
}

export interface UnicastPeer extends Located {
  readonly address: string;
  readonly family: Family;
  readonly minTtl?: number;
  readonly maxTtl?: number;
}

export interface NotifyScripts {
  readonly notifyMaster?: ScriptCommand;
  readonly notifyBackup?: ScriptCommand;
  readonly notifyFault?: ScriptCommand;
  readonly notifyStop?: ScriptCommand;
  /** Generic hook, called after the specific one with TYPE NAME STATE PRIORITY appended. */
  readonly notify?: ScriptCommand;
  readonly notifyPriorityChanges: boolean;
  readonly smtpAlert?: boolean;
}

export interface VrrpInstance extends Located, GarpSettings, NotifyScripts {
  readonly name: string;
  /** Initial state as configured (wrong case accepted with a warning). */
  readonly state: 'MASTER' | 'BACKUP';
  readonly interface?: string;
  readonly vrf?: string;
  readonly vrid: number;
  readonly priority: number;
  readonly advertIntMs: number;
  readonly version: 2 | 3;
  readonly family: Family;
  readonly nopreempt: boolean;
  readonly preemptDelayMs: number;
  /** Resolved: explicit accept/no_accept, else !strict || priority === 255. */
  readonly accept: boolean;
  readonly strictMode: boolean;
  readonly virtualIpaddress: readonly VipEntry[];
  readonly virtualIpaddressExcluded: readonly VipEntry[];
  readonly noVirtualIpaddress: boolean;
  readonly promoteSecondaries: boolean;
  readonly virtualRoutes: readonly RouteEntry[];
  readonly virtualRules: readonly RuleEntry[];
  readonly trackInterface: readonly TrackInterfaceRef[];
  readonly trackScript: readonly TrackRef[];
  readonly trackFile: readonly TrackRef[];
  readonly trackProcess: readonly TrackRef[];
  readonly trackBfd?: readonly TrackRef[];
  readonly trackSrcIp: boolean;
  readonly dontTrackPrimary: boolean;
  readonly unicastSrcIp?: string;
  readonly unicastPeers: readonly UnicastPeer[];
  readonly unicastTtl?: number;
  readonly unicastFaultNoPeer: boolean;
  readonly mcastSrcIp?: string;
  /** Resolved: mcast_dst_ip, else the global vrrp_mcast_group4/6 for the family. */
  readonly mcastDstIp: string;
  readonly auth?: { readonly type: 'PASS' | 'AH'; readonly pass: string };
  readonly useVmac?: { readonly name?: string; readonly mac?: string };
  /**
   * use_ipvlan: an ipvlan (mode l2, these flags; bridge by default) named `name` (default as a
   * VMAC's, vrrp.VRID) on the interface, with `address` on it: adverts go out on it from that
   * address; VIPs stay on the interface (keepalived 2.2.7, observed).
   */
  readonly useIpvlan?: {
    readonly name?: string;
    readonly address?: { readonly address: string; readonly prefixLen: number };
    readonly flags: 'bridge' | 'private' | 'vepa';
  };
  readonly vmacXmitBase: boolean;
  readonly skipCheckAdvAddr: boolean;
  readonly checkUnicastSrc: boolean;
  readonly lowerPrioNoAdvert: boolean;
  readonly higherPrioSendAdvert: boolean;
  readonly ownerIgnoreAdverts: boolean;
  readonly downTimerAdverts: number;
  readonly notifyDeleted?: ScriptCommand | true;
  readonly notifyMasterRxLowerPri?: ScriptCommand;
  readonly v3ChecksumAsV2: boolean;
  readonly lvsSyncDaemonInterface?: string;
  /** Name of the sync group this instance belongs to, if any. */
  readonly syncGroup?: string;
}

/** bfd_instance NAME { ... }: one BFD session (RFC 5880/5881/5883). Intervals in µs. */
export interface BfdInstance extends Located {
  readonly name: string;
  readonly family: 4 | 6;
  readonly neighborIp: string;
  readonly sourceIp?: string;
  /** min_rx: bfd.RequiredMinRxInterval. */
  readonly minRxUs: number;
  /** min_tx: bfd.DesiredMinTxInterval once Up. */
  readonly minTxUs: number;
  /** idle_tx: the transmit interval while not Up. */
  readonly idleTxUs: number;
  readonly multiplier: number;
  readonly passive: boolean;
  /** Outgoing IPv4 TTL / IPv6 hop limit. */
  readonly ttl: number;
  readonly hoplimit: number;
  /** Largest accepted reduction of the received TTL/hop limit (255 = no check). */
  readonly maxHops: number;
  /** RFC 5883 multihop session on port 4784. */
  readonly multihop: boolean;
  /** Default track_bfd weight. */
  readonly weight: number;
  readonly weightReverse: boolean;
  /** Events go to VRRP (track_bfd) / to the checkers (BFD_CHECK). */
  readonly notifyVrrp: boolean;
  readonly notifyChecker: boolean;
  readonly disabled: boolean;
}

/** track_group NAME { group { ... } }: instances tracking the static addresses/routes/rules that name it. */
export interface StaticTrackGroup extends Located {
  readonly name: string;
  readonly members: readonly string[];
}

export interface VrrpSyncGroup extends Located, NotifyScripts {
  readonly name: string;
  readonly members: readonly string[];
  readonly trackInterface: readonly TrackInterfaceRef[];
  readonly trackScript: readonly TrackRef[];
  readonly trackFile: readonly TrackRef[];
  readonly trackProcess: readonly TrackRef[];
  readonly trackBfd?: readonly TrackRef[];
  readonly syncGroupTrackingWeight: boolean;
}

// ---------------------------------------------------------------- LVS

export type LvsMethod = 'NAT' | 'DR' | 'TUN';
/** `lvs_method TUN type ipip|gue port N|gre [nocsum|csum|remcsum]` (kernel IPVS_DEST_ATTR_TUN_*). */
export interface TunnelSpec {
  readonly type: 'ipip' | 'gue' | 'gre';
  /** GUE's UDP destination port. */
  readonly port?: number;
  readonly csum?: 'nocsum' | 'csum' | 'remcsum';
}
export type Protocol = 'TCP' | 'UDP' | 'SCTP';

export interface VsgEntry extends Located {
  readonly kind: 'address' | 'fwmark';
  /** First address of a range, or the only one. */
  readonly address?: string;
  /** Last address of a range (inclusive); equal to address for a single one. */
  readonly lastAddress?: string;
  readonly port?: number;
  readonly fwmark?: number;
  readonly family: Family;
}

export interface VirtualServerGroup extends Located {
  readonly name: string;
  readonly entries: readonly VsgEntry[];
}

/** Settings every checker shares, resolved VS → RS → checker. */
export interface CheckerCommon extends Located {
  readonly connectIp?: string;
  readonly connectPort?: number;
  readonly bindto?: string;
  readonly bindPort?: number;
  readonly bindIf?: string;
  readonly fwmark?: number;
  readonly connectTimeoutMs: number;
  readonly retry: number;
  readonly delayBeforeRetryMs: number;
  /** Undefined = random up to delay_loop (keepalived's default); 0 disables. */
  readonly warmupMs?: number;
  readonly delayLoopMs: number;
  readonly alpha: boolean;
  readonly logAllFailures: boolean;
}

export interface HttpUrl extends Located {
  readonly path: string;
  readonly digest?: string;
  /** Inclusive ranges; default [[200, 299]]. */
  readonly statusCodes: readonly (readonly [number, number])[];
  readonly virtualhost?: string;
  readonly regex?: string;
  readonly regexNoMatch: boolean;
  readonly regexOptions: readonly string[];
  readonly regexMinOffset?: number;
  readonly regexMaxOffset?: number;
}

export interface TcpCheck extends CheckerCommon {
  readonly type: 'TCP_CHECK';
}
export interface HttpCheck extends CheckerCommon {
  readonly type: 'HTTP_GET' | 'SSL_GET';
  readonly httpProtocol?: '1.0' | '1.0C' | '1.1';
  readonly virtualhost?: string;
  readonly fastRecovery: boolean;
  readonly enableSni: boolean;
  readonly tlsCompliant: boolean;
  readonly sniName?: string;
  readonly urls: readonly HttpUrl[];
}
export interface SmtpHost extends Located {
  readonly connectIp?: string;
  readonly connectPort?: number;
  readonly bindto?: string;
  readonly bindPort?: number;
  readonly bindIf?: string;
}
export interface SmtpCheck extends CheckerCommon {
  readonly type: 'SMTP_CHECK';
  readonly heloName?: string;
  /** Deprecated `host {}` sub-blocks: each is checked as its own endpoint. */
  readonly hosts: readonly SmtpHost[];
}
export interface DnsCheck extends CheckerCommon {
  readonly type: 'DNS_CHECK';
  readonly queryType: 'A' | 'NS' | 'CNAME' | 'SOA' | 'MX' | 'TXT' | 'AAAA';
  readonly name: string;
}
export interface UdpCheck extends CheckerCommon {
  readonly type: 'UDP_CHECK';
  /** Hex string as written (without spaces), if any. */
  readonly payload?: string;
  /** Hex with 'x' wildcards, if a reply is required. */
  readonly requireReply?: string;
  readonly minReplyLength: number;
  readonly maxReplyLength: number;
}
export interface PingCheck extends CheckerCommon {
  readonly type: 'PING_CHECK';
}
export interface MiscCheck extends CheckerCommon {
  readonly type: 'MISC_CHECK';
  readonly miscPath: ScriptCommand;
  /** Defaults to delay_loop when unset (keepalived). */
  readonly miscTimeoutMs: number;
  readonly miscDynamic: boolean;
}
export interface FileCheck extends CheckerCommon {
  readonly type: 'FILE_CHECK';
  readonly trackFile: string;
  readonly weight?: number;
  readonly reverse: boolean;
  readonly dynamic: boolean;
}
export interface BfdCheck extends CheckerCommon {
  readonly type: 'BFD_CHECK';
  readonly name: string;
}

export type Checker = TcpCheck | HttpCheck | SmtpCheck | DnsCheck | UdpCheck | PingCheck | MiscCheck | FileCheck | BfdCheck;
export type CheckerType = Checker['type'];

export interface RealServer extends Located {
  readonly address: string;
  readonly family: Family;
  /** Absent for fwmark services (port taken from the packet). */
  readonly port?: number;
  readonly weight: number;
  readonly lvsMethod: LvsMethod;
  readonly tunnel?: TunnelSpec;
  readonly inhibitOnFailure: boolean;
  readonly alpha: boolean;
  readonly notifyUp?: ScriptCommand;
  readonly notifyDown?: ScriptCommand;
  readonly uthreshold?: number;
  readonly lthreshold?: number;
  readonly virtualhost?: string;
  readonly smtpAlert?: boolean;
  readonly checkers: readonly Checker[];
}

export interface SorryServer extends Located {
  readonly address: string;
  readonly port?: number;
  readonly inhibit: boolean;
  readonly lvsMethod: LvsMethod;
  readonly tunnel?: TunnelSpec;
}

export interface VirtualServer extends Located {
  readonly kind: 'ip' | 'fwmark' | 'group';
  readonly address?: string;
  readonly port?: number;
  readonly fwmark?: number;
  readonly group?: string;
  readonly family: Family;
  readonly protocol: Protocol;
  readonly lvsSched: string;
  /** Scheduler flags: flag-1..3, sh-port, sh-fallback, mh-port, mh-fallback, ops. */
  readonly schedFlags: readonly string[];
  readonly lvsMethod: LvsMethod;
  readonly tunnel?: TunnelSpec;
  readonly persistenceTimeoutS?: number;
  readonly persistenceGranularity?: string;
  readonly persistenceEngine?: string;
  readonly delayLoopMs: number;
  readonly quorum: number;
  readonly hysteresis: number;
  readonly quorumUp?: ScriptCommand;
  readonly quorumDown?: ScriptCommand;
  readonly alpha: boolean;
  readonly omega: boolean;
  readonly inhibitOnFailure: boolean;
  readonly haSuspend: boolean;
  readonly virtualhost?: string;
  readonly smtpAlert?: boolean;
  readonly sorryServer?: SorryServer;
  readonly realServers: readonly RealServer[];
}

export interface SslConfig extends Located {
  readonly password?: string;
  readonly ca?: string;
  readonly certificate?: string;
  readonly key?: string;
}

/** One `ifname down_delay [up_delay]` line of interface_up_down_delays (seconds, µs resolution). */
export interface InterfaceUpDownDelay extends Located {
  readonly ifname: string;
  readonly downUs: number;
  /** 0 when omitted: keepalived 2.2.7 applies an up at once then (observed; its man page says "same as down"). */
  readonly upUs: number;
}

/** One garp_group: at most one GARP per garpIntervalMs (one NA per gnaIntervalMs) on its interfaces together. */
export interface GarpGroup extends Located {
  readonly garpIntervalMs: number;
  readonly gnaIntervalMs: number;
  /** `interface IF` and the `interfaces { }` list together. */
  readonly interfaces: readonly string[];
}

export interface Model {
  readonly globalDefs: GlobalDefs;
  readonly vrrpScripts: readonly VrrpScript[];
  readonly trackFiles: readonly TrackFile[];
  readonly trackProcesses: readonly TrackProcess[];
  readonly bfdInstances?: readonly BfdInstance[];
  readonly vrrpInstances: readonly VrrpInstance[];
  readonly vrrpSyncGroups: readonly VrrpSyncGroup[];
  readonly staticAddresses: readonly VipEntry[];
  readonly staticRoutes: readonly RouteEntry[];
  readonly staticRules: readonly RuleEntry[];
  /** track_group blocks (static track groups). */
  readonly staticTrackGroups?: readonly StaticTrackGroup[];
  /** interface_up_down_delays: per interface, how long a link change waits before instances see it. */
  readonly interfaceUpDownDelays?: readonly InterfaceUpDownDelay[];
  /** garp_group blocks: GARP/NA pacing shared by their interfaces. */
  readonly garpGroups?: readonly GarpGroup[];
  readonly virtualServerGroups: readonly VirtualServerGroup[];
  readonly virtualServers: readonly VirtualServer[];
  readonly sslConfig?: SslConfig;
  /** True when some script that can run is configured (tracked vrrp_script, hook, MISC_CHECK, ...) and, when the loader was given scriptExists, its file exists: drives the enable_script_security warning. */
  readonly hasScripts: boolean;
}
