/**
 * Ports between the runtime and the kernel. Each has a real adapter (src/net/*) and a fake
 * (test/support/*). The runtime depends only on these interfaces.
 */
export type Family = 'inet' | 'inet6';

/** One VRRP message as received: IP header already stripped and checked by the adapter. */
export interface ReceivedPacket {
  family: Family;
  /** The VRRP message (from the version/type byte to the end). */
  data: Buffer;
  src: string;
  dst: string;
  /** IPv4 TTL or IPv6 hop limit as received. */
  ttl: number;
  ifindex: number;
  /** IPv4 only: the IP header's total length, for keepalived's ip_tot_len check (undefined for IPv6). */
  ipTotalLength?: number;
  /** ms between the kernel's arrival stamp and the read (absent when the socket gave none). */
  ageMs?: number;
  /** When it was read (performance.now() ms; real sockets only): see ageAt. */
  readAtMs?: number;
  /** IPsec AH sockets only: the whole IPv4 datagram (IP + AH + VRRP) that the ICV covers. */
  datagram?: Buffer;
}

/**
 * How long before `nowMs` (a SystemClock time, i.e. performance.now()) the kernel received `p`:
 * its age when read plus the time since. Without the second part an advert's arrival was
 * dated when the runtime got to it, after its decoding and checks (and the packets read in
 * the same batch before it): 0.3-2 ms late on this machine, and a backup's Master_Down
 * timer, counted from that arrival, fired as much later than the RFC's.
 */
export function ageAt(p: Pick<ReceivedPacket, 'ageMs' | 'readAtMs'>, nowMs: number): number | undefined {
  if (p.ageMs === undefined) return undefined;
  return p.readAtMs === undefined ? p.ageMs : p.ageMs + Math.max(0, nowMs - p.readAtMs);
}

export interface VrrpSocketOptions {
  family: Family;
  ifname: string;
  /** Multicast group to join on ifname (224.0.0.18 / ff02::12 or mcast_dst_ip); none for unicast-only. */
  group?: string;
  /**
   * IPv4 `auth_type AH`: a raw proto-51 socket with IP_HDRINCL. send() then takes the complete
   * IPv4 datagram (runtime/ah-session.ts builds it, the ICV covers the IP header), and received
   * packets carry `datagram` with `data` the VRRP message after the AH header.
   */
  ipsecAh?: boolean;
}

export interface VrrpSocket {
  /**
   * Send a VRRP message (checksum already set) to dst from src, proto 112. Multicast goes with
   * TTL/hop limit 255; unicast with `ttl` (255 when not given; -1: the kernel's default).
   */
  send(payload: Buffer, dst: string, src: string, ttl?: number): void;
  /**
   * send() that may wait until the current synchronous run ends, to leave with the other
   * adverts due at the same moment (one syscall); a later send() on the socket goes after it.
   * `payload` must not change. Without it, send() is used.
   */
  sendSoon?(payload: Buffer, dst: string, src: string, ttl?: number): void;
  onPacket(cb: (p: ReceivedPacket) => void): void;
  /** Errors after open (e.g. the interface disappeared) arrive here, never as throws from callbacks. */
  onError(cb: (err: Error) => void): void;
  close(): void;
  /** The socket's fd, for keepalived's data dump (fakes have none). */
  readonly fd?: number;
}

export interface VrrpSocketFactory {
  open(opts: VrrpSocketOptions): VrrpSocket;
}

export interface AnnouncePort {
  /** Broadcast gratuitous ARP for ip from mac (keepalived: request, sender=target=ip, target hw ff:ff:ff:ff:ff:ff). */
  gratuitousArp(ifname: string, ip: string, mac: string): void;
  /** Unsolicited NA to ff02::1 with Override set, target ip, TLLA mac; Router flag when forwarding. */
  unsolicitedNa(ifname: string, ip: string, mac: string, router: boolean): void;
  /** Open the sending socket ahead of the first burst (a takeover should not pay for it). */
  prepare?(): void;
  /** Build ahead the frame a later gratuitousArp/unsolicitedNa for this VIP sends. */
  prebuild?(ifname: string, family: 'inet' | 'inet6', ip: string, mac: string, router: boolean): void;
}

export type Scope = 'global' | 'site' | 'link' | 'host' | 'nowhere';

export interface AddressSpec {
  family: Family;
  address: string;
  prefixLen: number;
  dev: string;
  broadcast?: string;
  scope?: Scope;
  label?: string;
  peer?: string;
  /** IPv6 /128 VIPs are added deprecated (preferred_lft 0) as keepalived does, unless `preferred_lft forever`. */
  preferredLft?: number | 'forever';
  noDad?: boolean;
  /** IFA_F_HOMEADDRESS, IFA_F_MANAGETEMPADDR, IFA_F_NOPREFIXROUTE, IFA_F_MCAUTOJOIN (`ip addr` flags). */
  home?: boolean;
  mngtmpaddr?: boolean;
  noprefixroute?: boolean;
  autojoin?: boolean;
}

export interface InstalledAddress {
  family: Family;
  address: string;
  prefixLen: number;
  ifname: string;
  ifindex: number;
  label?: string;
}

export interface LinkInfo {
  ifindex: number;
  ifname: string;
  /** Administratively up and carrier present (IFF_UP && IFF_RUNNING). */
  up: boolean;
  mac: string;
  kind?: string;
  /** ifi_flags as the kernel reported them (IFF_*), when known. */
  flags?: number;
}

export type NetEvent =
  | { type: 'link'; link: LinkInfo }
  | { type: 'link-deleted'; ifindex: number; ifname: string }
  | { type: 'addr-added'; addr: InstalledAddress }
  | { type: 'addr-removed'; addr: InstalledAddress };

/** A route the kernel reports deleted: what identifies it, in RouteSpec terms. */
export interface RouteEvent {
  type: 'route-deleted';
  family: Family;
  /** "a/len", or "default" for a zero-length destination. */
  to: string;
  table: number;
  proto: number;
  metric?: number;
}

/** A rule the kernel reports deleted: its preference and table. */
export interface RuleEvent {
  type: 'rule-deleted';
  family: Family;
  priority?: number;
  table: number;
}

// ---- rtnetlink port (src/net/rtnl.ts; fake in test/support/fake-rtnl.ts) ----

/** Route types keepalived's virtual_routes accepts (`ip route` TYPE). */
export type RouteType = 'unicast' | 'local' | 'broadcast' | 'anycast' | 'multicast' | 'blackhole' | 'unreachable' | 'prohibit' | 'throw' | 'nat';

/** One entry of virtual_routes / static_routes, in `ip route` terms. */
export interface RouteSpec {
  family: Family;
  /** Destination prefix "192.0.2.0/24", a bare address (host route), or "default". */
  to: string;
  /** Source prefix (`from PFX`, IPv6 source routing). */
  from?: string;
  /** Preferred source address (`src IP`, RTA_PREFSRC). */
  src?: string;
  /** Gateway (`via IP` / `gw IP`). */
  via?: string;
  dev?: string;
  /** Default: 'link' for a unicast route without gateway, 'host' for local, else 'global' (as `ip route`). */
  scope?: Scope;
  /** Table id; default 254 (main). */
  table?: number;
  /** `metric` / `preference` (RTA_PRIORITY). */
  metric?: number;
  /** Default 'unicast'. */
  type?: RouteType;
  /** rtm_protocol number; default 3 (boot), as `ip route add`. keepalived's own number is 18. */
  proto?: number;
  /** Gateway is on-link even if no prefix covers it (RTNH_F_ONLINK). */
  onlink?: boolean;
  tos?: number;
  /** Multipath (RTA_MULTIPATH): every gateway with its device, weight and flags. */
  nexthops?: NextHopSpec[];
  /** RTA_METRICS values by `ip route` name (mtu, advmss, window, rtt, ..., features). */
  metrics?: Partial<Record<RouteMetricName, number>>;
  /** Metrics given as `NAME lock N` (RTAX_LOCK bits). */
  locked?: RouteMetricName[];
  /** `congctl [lock] NAME` (RTAX_CC_ALGO). */
  congctl?: string;
  /** `realms [FROM/]TO` as RTA_FLOW (FROM << 16 | TO). */
  realms?: number;
  /** IPv6 router preference (RTA_PREF). */
  pref?: 'low' | 'medium' | 'high';
}

export type RouteMetricName =
  | 'mtu' | 'window' | 'rtt' | 'rttvar' | 'ssthresh' | 'cwnd' | 'advmss' | 'reordering' | 'hoplimit' | 'initcwnd'
  | 'features' | 'rto_min' | 'initrwnd' | 'quickack' | 'fastopen_no_cookie';

/** One `nexthop via IP dev IF weight N [onlink]` of a multipath route. */
export interface NextHopSpec {
  via?: string;
  dev?: string;
  /** 1..256; default 1. */
  weight?: number;
  onlink?: boolean;
}

export type RuleAction = 'table' | 'goto' | 'nop' | 'blackhole' | 'unreachable' | 'prohibit';

/** One entry of virtual_rules / static_rules, in `ip rule` terms. */
export interface RuleSpec {
  family: Family;
  /** Source prefix or address; omitted = all. */
  from?: string;
  to?: string;
  /** Lookup table (action 'table'); ids above 255 use FRA_TABLE. */
  table?: number;
  /** Input / output interface names (FRA_IIFNAME / FRA_OIFNAME). */
  iif?: string;
  oif?: string;
  fwmark?: number;
  /** Mask for fwmark; default 0xffffffff when fwmark is given. */
  fwmask?: number;
  /** `preference` / `priority` / `order`. Without it the kernel picks one (and delete matches the first rule). */
  priority?: number;
  /** Default 'table' when table is given, else required. */
  action?: RuleAction;
  /** Target priority for action 'goto'. */
  gotoPriority?: number;
  /** `not`: invert the selector. */
  invert?: boolean;
  tos?: number;
  /** FRA_PROTOCOL (originator). */
  proto?: number;
  /** `realms [FROM/]TO` (FRA_FLOW). */
  realms?: number;
  suppressPrefixLength?: number;
  suppressIfgroup?: number;
  uidRange?: [number, number];
  sport?: [number, number];
  dport?: [number, number];
  ipProto?: number;
  /** Look up the table of the l3mdev (VRF) device. */
  l3mdev?: boolean;
}

export type MacvlanMode = 'private' | 'vepa' | 'bridge' | 'passthru';

/** use_ipvlan's flags (always mode l2, as keepalived creates it); bridge is the kernel's and keepalived's default. */
export type IpvlanFlags = 'bridge' | 'private' | 'vepa';

/** A failed netlink request or lookup. Decide on `code` (and `errno`), never on message text. */
export interface RtnlErrorInfo {
  code: RtnlErrorCode;
  /** Positive errno from the kernel (EEXIST = 17, ENODEV = 19, ...) or 0 when not a kernel error. */
  errno: number;
}

export type RtnlErrorCode =
  | 'ERR_NETLINK_REQUEST' // the kernel rejected the request; see errno
  | 'ERR_NETLINK_NO_DEVICE' // an interface named in the request does not exist (errno ENODEV)
  | 'ERR_NETLINK_TIMEOUT' // no reply within the request timeout
  | 'ERR_NETLINK_SOCKET' // sending or receiving failed at socket level
  | 'ERR_NETLINK_INVALID_ARG' // a spec we cannot encode (bad address, prefix length, MAC)
  | 'ERR_NETLINK_CLOSED'; // the port was closed

export interface RtnlWatch {
  /** Stop delivering events and close the subscription socket. */
  close(): void;
  /** Overruns (ENOBUFS: notifications lost) and resync dumps that followed them; absent on fakes. */
  stats?(): WatchStats;
}

export interface WatchStats {
  overruns: number;
  /** Resync dumps read (one overrun may need several when notifications keep coming). */
  resyncDumps: number;
  /** Resyncs finished (state re-read and the differences told). */
  resyncs: number;
}

/**
 * rtnetlink operations the daemon needs. Every method resolves or rejects with an Error that
 * carries RtnlErrorInfo. Adds/deletes are idempotent: "already there" on add and "already gone"
 * on delete resolve normally.
 */
export interface RtnlPort {
  addAddress(spec: AddressSpec): Promise<void>;
  /** addAddress for each spec, sent together where the transport can (one netlink datagram). */
  addAddresses?(specs: readonly AddressSpec[]): Array<Promise<void>>;
  /** Build (and discard) the request addAddress would send: V8 compiles that path before a takeover needs it. */
  warmAddress?(spec: AddressSpec): void;
  /** warmAddress for each spec, and the datagram addAddresses(specs) will send (same array object). */
  warmAddresses?(specs: readonly AddressSpec[]): void;
  /** Only family, address, prefixLen, dev (and peer) are used to find the address. */
  delAddress(spec: AddressSpec): Promise<void>;
  /** Installed addresses, of one interface or of all. */
  listAddresses(ifname?: string): Promise<InstalledAddress[]>;
  addRoute(spec: RouteSpec): Promise<void>;
  delRoute(spec: RouteSpec): Promise<void>;
  addRule(spec: RuleSpec): Promise<void>;
  delRule(spec: RuleSpec): Promise<void>;
  /** undefined when no such interface. */
  getLink(ifname: string): Promise<LinkInfo | undefined>;
  listLinks(): Promise<LinkInfo[]>;
  /**
   * Create a macvlan `name` on `parentIfname` with `mac` (use_vmac). Left down; call setLinkUp.
   * If a macvlan of that name, MAC and parent already exists (e.g. after a crash) it is reused.
   */
  createMacvlan(name: string, parentIfname: string, mac: string, mode: MacvlanMode): Promise<LinkInfo>;
  /** An ipvlan in mode l2 on parentIfname (use_ipvlan); an existing ipvlan of that parent with that name is reused. */
  createIpvlan(name: string, parentIfname: string, flags: IpvlanFlags): Promise<LinkInfo>;
  /** Delete an interface; already gone is success. */
  deleteLink(name: string): Promise<void>;
  setLinkUp(name: string, up: boolean): Promise<void>;
  /**
   * Subscribe to link and IPv4/IPv6 address notifications (RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR,
   * RTNLGRP_IPV6_IFADDR). Our own changes are reported too. onError gets socket errors such as
   * ENOBUFS (events were lost: the caller should re-read state with listLinks/listAddresses).
   */
  watch(cb: (e: NetEvent) => void, onError?: (err: Error) => void, onResync?: (changes: number, stats: WatchStats) => void): RtnlWatch;
  /**
   * Subscribe to route deletions (RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE), on a socket of its
   * own so VIP watchers never pay for route traffic. Used to restore static routes.
   */
  watchRoutes?(cb: (e: RouteEvent) => void, onError?: (err: Error) => void): RtnlWatch;
  /** Subscribe to rule deletions (RTNLGRP_IPV4_RULE, RTNLGRP_IPV6_RULE): static rules with a track_group are restored. */
  watchRules?(cb: (e: RuleEvent) => void, onError?: (err: Error) => void): RtnlWatch;
  close(): void;
}
