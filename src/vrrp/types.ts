/**
 * Shared data types of the pure VRRP core (RFC 3768 v2, RFC 5798 v3). Plain data only, so
 * states and actions can be logged, dumped and compared in tests. Times are milliseconds
 * (monotonic, fractional allowed); advert intervals keep the RFC's centiseconds.
 */

export type VrrpVersion = 2 | 3;
export type Family = 'inet' | 'inet6';

/** RFC states plus keepalived's FAULT. After shutdown an instance is back in INIT (RFC §6.4.2/§6.4.3). */
export type VrrpStateName = 'INIT' | 'BACKUP' | 'MASTER' | 'FAULT';
export type NotifyState = 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP';

// ---------------------------------------------------------------------------------------
// Wire format
// ---------------------------------------------------------------------------------------

/** v2 authentication (RFC 2338 §5.3.6, kept by keepalived): PASS, or AH (the IPsec header is in ah.ts). */
export interface PassAuth {
  type: 'PASS' | 'AH';
  /** Only the first 8 bytes are used (keepalived truncates the same way). For AH: the HMAC key. */
  password: string;
}

export interface AdvertToSend {
  version: VrrpVersion;
  family: Family;
  vrid: number;
  priority: number;
  /** v3 Max Adver Int in centiseconds; v2 sends round(advertIntCs / 100) whole seconds. */
  advertIntCs: number;
  /** IPv4 dotted quads or IPv6 text, matching `family`. */
  addresses: readonly string[];
  /** v2 only. */
  auth?: PassAuth;
  /** IP source and destination: needed for the v3 pseudo-header. */
  src: string;
  dst: string;
  /** v3 over IPv4: checksum over the message only (RFC 9568 / keepalived `v3_checksum_as_v2`). */
  v3ChecksumAsV2?: boolean;
}

/** Numeric auth types on the wire (v2): 0 none, 1 simple text password, 2 IP AH. */
export const AUTH_NONE = 0;
export const AUTH_PASS = 1;
export const AUTH_AH = 2;

export interface Advert {
  version: VrrpVersion;
  type: number;
  vrid: number;
  priority: number;
  countAddrs: number;
  /** v2 auth type (0 for v3, which has no such field). */
  authType: number;
  /** v2: the 8 bytes of auth data; v3: empty. */
  authData: Uint8Array;
  /** v2: seconds × 100; v3: the 12-bit field as sent. */
  advertIntCs: number;
  checksum: number;
  /** Text form (IPv6 per RFC 5952), so comparisons with the config are by value. */
  addresses: string[];
  /** v3 only: which checksum flavour verified ('pseudo' = with pseudo-header, 'plain' = message only). */
  checksumMode?: 'pseudo' | 'plain';
}

/** Facts about a received packet that the socket adapter supplies. */
export interface RxMeta {
  family: Family;
  src: string;
  dst: string;
  /** IPv4 TTL or IPv6 hop limit as received. */
  ttl: number;
  /** Arrived by unicast: TTL is checked against [minTtl, maxTtl] (when given) instead of 255. */
  unicast?: boolean;
  minTtl?: number;
  maxTtl?: number;
}

/**
 * Why an advert was dropped. Each maps to one keepalived stats counter (or none): see
 * DROP_REASON_STAT in packet.ts.
 */
export type DropReason =
  | 'ttl' //          TTL/hop limit not 255 (multicast) or outside [min_ttl, max_ttl] (unicast)
  | 'length' //       truncated: shorter than the header or than the address count requires
  | 'count' //        address count disagrees with the length (too long) or with the config
  | 'version' //      version field not 2/3, or not the instance's version, or v2 over IPv6
  | 'type' //         type field not 1 (ADVERTISEMENT)
  | 'checksum' //     bad checksum
  | 'vrid' //         not our virtual router id
  | 'auth_type' //    unknown auth type (not 0/1/2)
  | 'auth_mismatch' // auth type differs from ours
  | 'auth_failure' // wrong password
  | 'interval' //     v2 advert interval differs from ours
  | 'addr_list' //    VIP list differs from ours (and sender is not the owner)
  | 'unicast_src' //  check_unicast_src: source is not one of our unicast peers
  | 'cast'; //        expected unicast but got multicast, or the reverse

export type DecodeResult =
  | { ok: true; advert: Advert }
  | { ok: false; reason: DropReason; detail: string };

export type ValidateResult = { ok: true } | { ok: false; reason: DropReason; detail: string };

/** What validateForInstance needs to know about the receiving instance. */
export interface InstanceWireConfig {
  name: string;
  vrid: number;
  version: VrrpVersion;
  family: Family;
  /** Our configured advert interval (cs). */
  advertIntCs: number;
  auth?: PassAuth;
  /** The addresses we put in our adverts (virtual_ipaddress, not the excluded ones). */
  vips: readonly string[];
  /** `skip_check_adv_addr` / `vrrp_skip_check_adv_addr`. */
  skipCheckAdvAddr?: boolean;
  /** With `check_unicast_src`: a unicast advert's source must be one of these. */
  unicastPeers?: readonly string[];
  checkUnicastSrc?: boolean;
}

// ---------------------------------------------------------------------------------------
// State machine
// ---------------------------------------------------------------------------------------

export interface GarpConfig {
  /** garp_master_delay: second burst after becoming MASTER (0 = none). Default 5000. */
  readonly masterDelayMs: number;
  /** garp_master_repeat: announcements per VIP per burst. Default 5. */
  readonly masterRepeat: number;
  /** garp_master_refresh: periodic burst while MASTER (0 = off). */
  readonly masterRefreshMs: number;
  /** garp_master_refresh_repeat. Default 1. */
  readonly masterRefreshRepeat: number;
  /** garp_interval / gna_interval spacing, applied by the runtime. Default 0. */
  readonly intervalMs: number;
  /** garp_lower_prio_delay: second burst after answering a lower-priority advert (0 = none). */
  readonly lowerPrioDelayMs: number;
  /** garp_lower_prio_repeat: burst sent when MASTER answers a lower-priority advert (0 = none). */
  readonly lowerPrioRepeat: number;
}

export interface InstanceConfig {
  readonly name: string;
  readonly vrid: number;
  readonly version: VrrpVersion;
  readonly family: Family;
  /** 1..255; 255 = address owner. */
  readonly basePriority: number;
  readonly advertIntCs: number;
  readonly initialState: 'MASTER' | 'BACKUP';
  /** false = `nopreempt` (only honoured when initialState is BACKUP, as keepalived does). */
  readonly preempt: boolean;
  readonly preemptDelayMs: number;
  /** Our source address (IPv6: link-local), used for the equal-priority tie-break. */
  readonly primaryAddress: string;
  readonly vips: readonly string[];
  readonly unicastPeers: readonly string[];
  /** down_timer_adverts: the "3" of Master_Down_Interval. */
  readonly downTimerAdverts: number;
  readonly lowerPrioNoAdvert: boolean;
  readonly higherPrioSendAdvert: boolean;
  readonly ownerIgnoreAdverts: boolean;
  readonly strict: boolean;
  readonly accept: boolean;
  readonly garp: GarpConfig;
}

export interface InstanceState {
  readonly state: VrrpStateName;
  /** Effective priority (base + tracker weights, clamped); 255 only for the owner. */
  readonly priority: number;
  /** v3: learned from the master's adverts while BACKUP; v2 (and initially): ours. */
  readonly masterAdverIntCs: number;
  /** Own fault (interface/tracker), as last reported by a fault event. */
  readonly faulted: boolean;
  readonly faultReason?: string;
  /** Shut down: ignore everything but a new startup. */
  readonly stopped: boolean;
  /** Current master as seen from here (source of the last accepted advert; us when MASTER). */
  readonly masterAddr?: string;
  readonly masterPriority?: number;
  /** preempt_delay: lower-priority adverts are accepted until this time. */
  readonly preemptAt?: number;
  // Deadlines (absolute ms); nextDeadline() is the minimum of those set.
  readonly masterDownAt?: number;
  readonly adverAt?: number;
  readonly garpDelayAt?: number;
  readonly garpRefreshAt?: number;
  readonly garpLowerPrioAt?: number;
  readonly lastTransitionAt?: number;
  /**
   * Manual standby (ours, `keepalived standby`): never become MASTER until resumed. A master
   * entering it advertises priority 0 once and keeps its VIPs until another router's advert
   * arrives (handover); if none has by `handoverUntil`, the standby is cancelled.
   */
  readonly standby?: boolean;
  readonly handoverUntil?: number;
}

export type FsmEvent =
  /** `delayMs`: vrrp_startup_delay, at daemon start only: every instance (the owner too) starts in BACKUP and waits delay + Master_Down_Interval, as keepalived 2.2.7. */
  /**
   * `processStartedAt`: when the daemon's process started (same clock as `now`), given at daemon
   * start only; the Master_Down wait then counts from there (see fsm onStartup).
   */
  | { type: 'startup'; delayMs?: number; processStartedAt?: number }
  | { type: 'shutdown' }
  | { type: 'tick' }
  /**
   * `answer`: for a lower-priority advert at a master (see answersLowerPriority), whether the
   * runtime's rate limiter lets this one be answered with an advert and a GARP burst
   * (default both). An unanswered one is only discarded, as RFC 5798 §6.4.3 does.
   */
  | { type: 'advert'; advert: Advert; src: string; answer?: LowerPrioAnswer }
  | { type: 'priority'; effective: number }
  | { type: 'fault'; faulted: boolean; reason: string }
  | { type: 'force'; to: 'MASTER' | 'BACKUP' | 'FAULT'; reason?: string }
  /** Manual standby on/off; `force`: a master steps down at once without waiting for a taker. */
  | { type: 'standby'; on: boolean; force?: boolean }
  /**
   * SIGHUP applied in place: `step` is called with the new config; `prev` is the one the state
   * was built with, `effective` the new effective priority (base + tracker weights).
   */
  | { type: 'reconfigure'; prev: InstanceConfig; effective: number };

export interface LowerPrioAnswer {
  advert: boolean;
  garp: boolean;
}

export type LogLevel = 'info' | 'warn' | 'debug';

export type Action =
  | { type: 'send-advert'; priority: number }
  | { type: 'add-vips' }
  | { type: 'remove-vips' }
  /** Send `count` GARP (IPv4) or unsolicited NA (IPv6) per VIP now (or per VIP of `only`), spaced by garp.intervalMs. */
  | { type: 'announce'; count: number; only?: readonly string[] }
  /** Reload while holding the VIPs: bring the installed VIPs/routes/rules to the new config (delta only). */
  | { type: 'sync-vips' }
  | { type: 'transition'; from: VrrpStateName; to: VrrpStateName; reason: string }
  | { type: 'notify'; state: NotifyState; priority: number }
  /** A MASTER heard (and answered) a lower priority: notify_master_rx_lower_pri and the FIFO's MASTER_RX_LOWER_PRI line. */
  | { type: 'notify-rx-lower-pri'; priority: number }
  | { type: 'log'; level: LogLevel; text: string };

export interface StepResult {
  state: InstanceState;
  actions: Action[];
}
