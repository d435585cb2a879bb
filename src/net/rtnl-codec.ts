/**
 * Pure half of the rtnetlink adapter: IP text <-> bytes, our specs (ports.ts) -> the `netlink`
 * package's message objects, its parsed messages -> our LinkInfo / InstalledAddress, and the
 * RtnlError type. No sockets here, so all of it is unit-tested without root.
 *
 * Kernel facts used (rtnetlink(7), linux/rtnetlink.h, linux/if_addr.h, linux/fib_rules.h,
 * linux/if_link.h): AF_INET 2, AF_INET6 10; scopes universe 0 / site 200 / link 253 / host 254 /
 * nowhere 255; IFA_F_NODAD 0x02; RTNH_F_ONLINK 4; route table ids >= 256 only fit RTA_TABLE;
 * IFLA_INFO_KIND 1, IFLA_INFO_DATA 2, IFLA_MACVLAN_MODE 1 (private 1, vepa 2, bridge 4,
 * passthru 8); IFLA_INET6_ADDR_GEN_MODE 8 (none = 1); lifetimes 0xffffffff = forever.
 */
import type { rt, ifla } from 'netlink';
import type {
  AddressSpec, Family, InstalledAddress, IpvlanFlags, LinkInfo, MacvlanMode, NextHopSpec, RouteMetricName, RouteSpec, RtnlErrorCode,
  RtnlErrorInfo, RuleSpec, Scope,
} from './ports';
import { formatMac, parseMac } from './vmac';

export const AF_INET = 2;
export const AF_INET6 = 10;
export const INFINITY_LIFE_TIME = 0xffffffff;
/** rtm_protocol keepalived uses for its own routes/rules (iproute2 rt_protos: "keepalived"). */
export const RTPROT_KEEPALIVED = 18;
export const RTPROT_BOOT = 3;
export const RT_TABLE_MAIN = 254;
const NLA_F_NESTED = 0x8000;

export const ERRNO = {
  ENOENT: 2, ESRCH: 3, EEXIST: 17, ENODEV: 19, EINVAL: 22, EOPNOTSUPP: 95, EADDRNOTAVAIL: 99, ENOBUFS: 105, ETIMEDOUT: 110,
} as const;
const ERRNO_NAMES: Record<number, string> = {
  1: 'EPERM', 2: 'ENOENT', 3: 'ESRCH', 12: 'ENOMEM', 13: 'EACCES', 16: 'EBUSY', 17: 'EEXIST', 19: 'ENODEV', 22: 'EINVAL',
  34: 'ERANGE', 90: 'EMSGSIZE', 93: 'EPROTONOSUPPORT', 95: 'EOPNOTSUPP', 97: 'EAFNOSUPPORT', 98: 'EADDRINUSE',
  99: 'EADDRNOTAVAIL', 100: 'ENETDOWN', 101: 'ENETUNREACH', 105: 'ENOBUFS', 110: 'ETIMEDOUT', 113: 'EHOSTUNREACH',
};

export function errnoName(errno: number): string {
  return ERRNO_NAMES[errno] ?? `errno ${errno}`;
}

/** Every failure of the rtnl port. `op` is the port method, `target` what it was about. */
export class RtnlError extends Error implements RtnlErrorInfo {
  readonly code: RtnlErrorCode;
  readonly errno: number;
  readonly op: string;
  readonly target: string;
  constructor(code: RtnlErrorCode, errno: number, op: string, target: string, detail?: string) {
    const why = detail ?? (errno ? errnoName(errno) : code);
    super(`${op} ${target}: ${why}`);
    this.name = 'RtnlError';
    this.code = code;
    this.errno = errno;
    this.op = op;
    this.target = target;
  }
}

export function isRtnlError(e: unknown): e is RtnlError {
  return e instanceof RtnlError;
}

// ---------- IP addresses ----------

export function afOf(family: Family): number {
  return family === 'inet6' ? AF_INET6 : AF_INET;
}

export function familyOf(af: number | undefined): Family | undefined {
  return af === AF_INET ? 'inet' : af === AF_INET6 ? 'inet6' : undefined;
}

function parseIpv4(s: string): Buffer | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const bytes = m.slice(1).map(Number);
  if (bytes.some((b) => b > 255)) return undefined;
  return Buffer.from(bytes);
}

function parseIpv6(s: string): Buffer | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(s) || s.split('::').length > 2) return undefined;
  let tail: number[] = [];
  let text = s;
  const v4 = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const b = parseIpv4(v4[2] ?? '');
    if (!b) return undefined;
    tail = [((b[0] ?? 0) << 8) | (b[1] ?? 0), ((b[2] ?? 0) << 8) | (b[3] ?? 0)];
    text = (v4[1] ?? '').endsWith('::') ? v4[1] ?? '' : (v4[1] ?? '').slice(0, -1);
  }
  const groups = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    for (const g of part.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const halves = text.split('::');
  const head = groups(halves[0] ?? '');
  const rest = halves.length === 2 ? groups(halves[1] ?? '') : [];
  if (!head || !rest) return undefined;
  const known = head.length + rest.length + tail.length;
  if (halves.length === 1 ? known !== 8 : known > 7) return undefined;
  const all = [...head, ...new Array<number>(8 - known).fill(0), ...rest, ...tail];
  const buf = Buffer.alloc(16);
  all.forEach((g, i) => buf.writeUInt16BE(g, i * 2));
  return buf;
}

/** Parse an address of the given family (or either); undefined if malformed. */
export function parseIp(s: string, family?: Family): { family: Family; bytes: Buffer } | undefined {
  if (family !== 'inet6') {
    const b = parseIpv4(s);
    if (b) return { family: 'inet', bytes: b };
  }
  if (family !== 'inet') {
    const b = parseIpv6(s);
    if (b) return { family: 'inet6', bytes: b };
  }
  return undefined;
}

/** Text form: dotted quad, or RFC 5952 IPv6 (lower case, longest zero run of >= 2 groups as ::). */
export function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  if (bytes.length !== 16) return Buffer.from(bytes).toString('hex');
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push(((bytes[2 * i] ?? 0) << 8) | (bytes[2 * i + 1] ?? 0));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/** "a/len", a bare address (full length) or "default" (0/0). */
export function parsePrefix(s: string, family: Family): { bytes?: Buffer; len: number } | undefined {
  const max = family === 'inet6' ? 128 : 32;
  if (s === 'default' || s === 'all' || s === 'any') return { len: 0 };
  const [addr = '', lenText, extra] = s.split('/');
  if (extra !== undefined) return undefined;
  const ip = parseIp(addr, family);
  if (!ip) return undefined;
  if (lenText === undefined) return { bytes: ip.bytes, len: max };
  if (!/^\d{1,3}$/.test(lenText) || Number(lenText) > max) return undefined;
  return { bytes: ip.bytes, len: Number(lenText) };
}

/** Broadcast for `brd +` (host bits set) or `brd -` (host bits clear), else parse as an IPv4. */
export function broadcastFor(spec: AddressSpec): Buffer | undefined {
  if (spec.broadcast === undefined || spec.family !== 'inet') return undefined;
  if (spec.broadcast !== '+' && spec.broadcast !== '-') return parseIp(spec.broadcast, 'inet')?.bytes;
  const a = parseIp(spec.address, 'inet');
  if (!a || spec.prefixLen >= 31) return undefined;
  const host = spec.prefixLen === 0 ? 0xffffffff : (0xffffffff >>> spec.prefixLen) >>> 0;
  const v = a.bytes.readUInt32BE(0);
  const out = Buffer.alloc(4);
  out.writeUInt32BE((spec.broadcast === '+' ? (v | host) : (v & ~host)) >>> 0, 0);
  return out;
}

// ---------- scopes, types, actions ----------

const SCOPES: Record<Scope, number> = { global: 0, site: 200, link: 253, host: 254, nowhere: 255 };
export function scopeNumber(s: Scope): number {
  return SCOPES[s];
}

const ROUTE_TYPES = { unicast: 1, local: 2, broadcast: 3, anycast: 4, multicast: 5, blackhole: 6, unreachable: 7, prohibit: 8, throw: 9, nat: 10 } as const;
/** RTAX_* numbers of the route metrics (linux/rtnetlink.h), for the lock bitmask. */
const RTAX: Record<RouteMetricName, number> = {
  mtu: 2, window: 3, rtt: 4, rttvar: 5, ssthresh: 6, cwnd: 7, advmss: 8, reordering: 9, hoplimit: 10, initcwnd: 11, features: 12,
  rto_min: 13, initrwnd: 14, quickack: 15, fastopen_no_cookie: 17,
};
const METRIC_FIELDS: Record<RouteMetricName, keyof rt.RouteMetrics> = {
  mtu: 'mtu', window: 'window', rtt: 'rtt', rttvar: 'rttvar', ssthresh: 'ssthresh', cwnd: 'cwnd', advmss: 'advmss', reordering: 'reordering',
  hoplimit: 'hoplimit', initcwnd: 'initcwnd', features: 'features', rto_min: 'rtoMin', initrwnd: 'initrwnd', quickack: 'quickack',
  fastopen_no_cookie: 'fastopenNoCookie',
};
const RTA_GATEWAY = 5;
const RTNH_F_ONLINK = 4;
/** ICMPV6_ROUTER_PREF_* values of RTA_PREF. */
const ROUTER_PREF = { low: 3, medium: 0, high: 1 } as const;
const RULE_ACTIONS = { table: 1, goto: 2, nop: 3, blackhole: 6, unreachable: 7, prohibit: 8 } as const;
const MACVLAN_MODES: Record<MacvlanMode, number> = { private: 1, vepa: 2, bridge: 4, passthru: 8 };

function invalid(op: string, target: string, detail: string): RtnlError {
  return new RtnlError('ERR_NETLINK_INVALID_ARG', ERRNO.EINVAL, op, target, detail);
}

export function describeAddress(spec: Pick<AddressSpec, 'address' | 'prefixLen' | 'dev'>): string {
  return `${spec.address}/${spec.prefixLen} dev ${spec.dev}`;
}

/**
 * keepalived defaults: an IPv6 /128 VIP is deprecated (preferred_lft 0) unless preferred_lft is
 * given; IPv6 VIPs carry IFA_F_NODAD unless `-nodad` (measured: keepalived 2.2.7 adds
 * 2001:db8::100/64 with flag nodad).
 */
export function effectiveAddressOptions(spec: AddressSpec): { preferredLft?: number | 'forever'; noDad: boolean } {
  const v6 = spec.family === 'inet6';
  const preferredLft = spec.preferredLft ?? (v6 && spec.prefixLen === 128 ? 0 : undefined);
  return { preferredLft, noDad: spec.noDad ?? v6 };
}

/** RTM_NEWADDR / RTM_DELADDR body. Delete carries only what identifies the address. */
export function encodeAddress(spec: AddressSpec, ifindex: number, op: 'add' | 'del'): { data: rt.Address; attrs: rt.AddressAttrs } {
  const target = describeAddress(spec);
  const opName = op === 'add' ? 'addAddress' : 'delAddress';
  const local = parseIp(spec.address, spec.family);
  if (!local) throw invalid(opName, target, `bad ${spec.family} address "${spec.address}"`);
  const max = spec.family === 'inet6' ? 128 : 32;
  if (!Number.isInteger(spec.prefixLen) || spec.prefixLen < 0 || spec.prefixLen > max) throw invalid(opName, target, 'bad prefix length');
  const peer = spec.peer === undefined ? undefined : parseIp(spec.peer, spec.family);
  if (spec.peer !== undefined && !peer) throw invalid(opName, target, `bad peer "${spec.peer}"`);
  const data: rt.Address = { family: afOf(spec.family), prefixlen: spec.prefixLen, index: ifindex, scope: scopeNumber(spec.scope ?? 'global') };
  // IFA_LOCAL is our address; IFA_ADDRESS is the peer on point-to-point links, else the same.
  const attrs: rt.AddressAttrs = { local: local.bytes, address: peer?.bytes ?? local.bytes };
  if (op === 'del') return { data, attrs };
  const opts = effectiveAddressOptions(spec);
  const brd = broadcastFor(spec);
  if (spec.broadcast !== undefined && spec.family === 'inet' && !brd && spec.prefixLen < 31) throw invalid(opName, target, `bad broadcast "${spec.broadcast}"`);
  if (brd) attrs.broadcast = brd;
  if (spec.label !== undefined && spec.family === 'inet') {
    if (Buffer.byteLength(spec.label) > 15) throw invalid(opName, target, `label "${spec.label}" longer than 15 bytes`);
    attrs.label = spec.label;
  }
  const flags: rt.AddressFlags = {};
  if (opts.noDad) flags.nodad = true;
  if (spec.home) flags.homeaddress = true;
  if (spec.mngtmpaddr) flags.managetempaddr = true;
  if (spec.noprefixroute) flags.noprefixroute = true;
  if (spec.autojoin) flags.mcautojoin = true;
  if (Object.keys(flags).length) attrs.flags = flags;
  if (opts.preferredLft !== undefined) {
    const pref = opts.preferredLft === 'forever' ? INFINITY_LIFE_TIME : opts.preferredLft;
    attrs.cacheInfo = { ifaPrefered: pref, ifaValid: INFINITY_LIFE_TIME };
  }
  return { data, attrs };
}

export function describeRoute(spec: RouteSpec): string {
  const parts = [spec.type && spec.type !== 'unicast' ? `${spec.type} ${spec.to}` : spec.to];
  if (spec.via) parts.push(`via ${spec.via}`);
  if (spec.dev) parts.push(`dev ${spec.dev}`);
  if (spec.table !== undefined) parts.push(`table ${spec.table}`);
  if (spec.metric !== undefined) parts.push(`metric ${spec.metric}`);
  return parts.join(' ');
}

function defaultRouteScope(spec: RouteSpec, op: 'add' | 'del'): number {
  // As `ip route`: delete matches any scope; local routes are host scope; a unicast route
  // without a gateway is on-link (link scope); everything else is universe.
  if (spec.scope) return scopeNumber(spec.scope);
  const type = spec.type ?? 'unicast';
  if (type === 'local') return SCOPES.host;
  if (op === 'del') return SCOPES.nowhere;
  if (type === 'unicast' && !spec.via && !spec.nexthops?.some((n) => n.via !== undefined)) return SCOPES.link;
  return SCOPES.global;
}

/** RTA_METRICS: each given metric, the RTAX_LOCK bitmask, RTAX_CC_ALGO. */
function encodeMetrics(spec: RouteSpec): rt.RouteMetrics | undefined {
  if (!spec.metrics && !spec.locked?.length && spec.congctl === undefined) return undefined;
  const m: rt.RouteMetrics = {};
  for (const [k, v] of Object.entries(spec.metrics ?? {}) as Array<[RouteMetricName, number]>) (m as Record<string, Buffer>)[METRIC_FIELDS[k]] = u32(v);
  if (spec.locked?.length) m.lock = u32(spec.locked.reduce((acc, k) => acc | (1 << RTAX[k]), 0));
  if (spec.congctl !== undefined) m.ccAlgo = Buffer.from(`${spec.congctl}\0`);
  return m;
}

/** RTA_MULTIPATH: struct rtnexthop {u16 len; u8 flags; u8 hops = weight - 1; s32 ifindex} + RTA_GATEWAY, each 4-aligned. */
export function encodeMultipath(family: Family, nexthops: readonly NextHopSpec[], oifs: readonly (number | undefined)[], fail: (d: string) => Error): Buffer {
  const parts: Buffer[] = [];
  nexthops.forEach((nh, i) => {
    let attrs: Buffer = Buffer.alloc(0);
    if (nh.via !== undefined) {
      const gw = parseIp(nh.via, family);
      if (!gw) throw fail(`bad nexthop gateway "${nh.via}"`);
      attrs = nlattr(RTA_GATEWAY, gw.bytes);
    }
    const head = Buffer.alloc(8);
    head.writeUInt16LE(8 + attrs.length, 0);
    head.writeUInt8(nh.onlink ? RTNH_F_ONLINK : 0, 2);
    head.writeUInt8((nh.weight ?? 1) - 1, 3);
    head.writeInt32LE(oifs[i] ?? 0, 4);
    parts.push(head, attrs);
  });
  return Buffer.concat(parts);
}

/** RTM_NEWROUTE / RTM_DELROUTE body; oif is the resolved ifindex of spec.dev. */
export function encodeRoute(spec: RouteSpec, oif: number | undefined, op: 'add' | 'del', nexthopOifs: readonly (number | undefined)[] = []): { data: rt.Route; attrs: rt.RouteAttrs } {
  const opName = op === 'add' ? 'addRoute' : 'delRoute';
  const target = describeRoute(spec);
  const dst = parsePrefix(spec.to, spec.family);
  if (!dst) throw invalid(opName, target, `bad destination "${spec.to}"`);
  const table = spec.table ?? RT_TABLE_MAIN;
  const data: rt.Route = {
    family: afOf(spec.family), dstLen: dst.len, srcLen: 0, tos: spec.tos ?? 0,
    table: table < 256 ? table : 0, scope: defaultRouteScope(spec, op), type: ROUTE_TYPES[spec.type ?? 'unicast'],
    // Delete matches any protocol unless one is named (the kernel ignores protocol 0 there).
    protocol: spec.proto ?? (op === 'add' ? RTPROT_BOOT : 0),
  };
  if (spec.onlink) data.flags = { __unknown: 4 };
  const attrs: rt.RouteAttrs = { table };
  if (dst.bytes && dst.len > 0) attrs.dst = dst.bytes;
  if (spec.from !== undefined) {
    const src = parsePrefix(spec.from, spec.family);
    if (!src) throw invalid(opName, target, `bad source prefix "${spec.from}"`);
    data.srcLen = src.len;
    if (src.bytes && src.len > 0) attrs.src = src.bytes;
  }
  for (const [key, text] of [['prefsrc', spec.src], ['gateway', spec.via]] as const) {
    if (text === undefined) continue;
    const ip = parseIp(text, spec.family);
    if (!ip) throw invalid(opName, target, `bad ${key === 'gateway' ? 'gateway' : 'src'} "${text}"`);
    attrs[key] = ip.bytes;
  }
  if (oif !== undefined) attrs.oif = oif;
  if (spec.metric !== undefined) attrs.priority = spec.metric;
  if (op === 'del') return { data, attrs };
  if (spec.nexthops?.length) attrs.multipath = encodeMultipath(spec.family, spec.nexthops, nexthopOifs, (d) => invalid(opName, target, d));
  const metrics = encodeMetrics(spec);
  if (metrics) attrs.metrics = metrics;
  if (spec.realms !== undefined) attrs.flow = spec.realms >>> 0;
  if (spec.pref !== undefined) attrs.pref = Buffer.from([ROUTER_PREF[spec.pref]]);
  return { data, attrs };
}

export function describeRule(spec: RuleSpec): string {
  const parts: string[] = [];
  if (spec.priority !== undefined) parts.push(`pref ${spec.priority}`);
  if (spec.invert) parts.push('not');
  parts.push(`from ${spec.from ?? 'all'}`);
  if (spec.to) parts.push(`to ${spec.to}`);
  if (spec.fwmark !== undefined) parts.push(`fwmark 0x${spec.fwmark.toString(16)}${spec.fwmask !== undefined ? `/0x${spec.fwmask.toString(16)}` : ''}`);
  if (spec.iif) parts.push(`iif ${spec.iif}`);
  if (spec.oif) parts.push(`oif ${spec.oif}`);
  const action = spec.action ?? (spec.table !== undefined ? 'table' : undefined);
  if (action === 'table') parts.push(`lookup ${spec.table ?? '?'}`);
  else if (action === 'goto') parts.push(`goto ${spec.gotoPriority ?? '?'}`);
  else if (action) parts.push(action);
  return parts.join(' ');
}

/** RTM_NEWRULE / RTM_DELRULE body. */
export function encodeRule(spec: RuleSpec, op: 'add' | 'del'): { data: rt.Rule; attrs: rt.RuleAttrs } {
  const opName = op === 'add' ? 'addRule' : 'delRule';
  const target = describeRule(spec);
  const action = spec.action ?? (spec.table !== undefined || spec.l3mdev ? 'table' : undefined);
  if (op === 'add' && action === undefined) throw invalid(opName, target, 'a rule needs a table or an action');
  if (action === 'table' && spec.table === undefined && !spec.l3mdev) throw invalid(opName, target, 'action table needs a table id');
  if (action === 'goto' && spec.gotoPriority === undefined) throw invalid(opName, target, 'action goto needs a target priority');
  const table = spec.table;
  const data: rt.Rule = {
    family: afOf(spec.family), dstLen: 0, srcLen: 0, tos: spec.tos ?? 0,
    table: table !== undefined && table < 256 ? table : 0,
    action: action ? RULE_ACTIONS[action] : 0,
  };
  if (spec.invert) data.flags = { invert: true };
  const attrs: rt.RuleAttrs = {};
  for (const [side, text] of [['src', spec.from], ['dst', spec.to]] as const) {
    if (text === undefined) continue;
    const p = parsePrefix(text, spec.family);
    if (!p) throw invalid(opName, target, `bad ${side === 'src' ? 'from' : 'to'} prefix "${text}"`);
    if (side === 'src') data.srcLen = p.len;
    else data.dstLen = p.len;
    if (p.bytes && p.len > 0) attrs[side] = p.bytes;
  }
  if (table !== undefined) attrs.table = table;
  if (spec.priority !== undefined) attrs.priority = spec.priority;
  if (spec.fwmark !== undefined) attrs.fwmark = spec.fwmark >>> 0;
  if (spec.fwmask !== undefined) attrs.fwmask = spec.fwmask >>> 0;
  if (spec.iif !== undefined) attrs.iifname = spec.iif;
  if (spec.oif !== undefined) attrs.oifname = spec.oif;
  if (action === 'goto') attrs.goto = spec.gotoPriority;
  if (spec.proto !== undefined) attrs.protocol = spec.proto;
  if (spec.realms !== undefined) attrs.flow = spec.realms >>> 0;
  if (spec.suppressPrefixLength !== undefined) attrs.suppressPrefixlen = u32(spec.suppressPrefixLength);
  if (spec.suppressIfgroup !== undefined) attrs.suppressIfgroup = u32(spec.suppressIfgroup);
  if (spec.uidRange) attrs.uidRange = { start: spec.uidRange[0], end: spec.uidRange[1] };
  if (spec.sport) attrs.sportRange = { start: spec.sport[0], end: spec.sport[1] };
  if (spec.dport) attrs.dportRange = { start: spec.dport[0], end: spec.dport[1] };
  if (spec.ipProto !== undefined) attrs.ipProto = spec.ipProto;
  if (spec.l3mdev) attrs.l3Mdev = 1;
  return { data, attrs };
}

// ---------- links ----------

/** One netlink attribute: u16 length, u16 type, payload, padded to 4 bytes. */
export function nlattr(type: number, payload: Uint8Array, nested = false): Buffer {
  const len = 4 + payload.length;
  const out = Buffer.alloc((len + 3) & ~3);
  out.writeUInt16LE(len, 0);
  out.writeUInt16LE(type | (nested ? NLA_F_NESTED : 0), 2);
  out.set(payload, 4);
  return out;
}

/** Walk a buffer of attributes; yields [type without flags, payload]. */
export function* nlattrs(buf: Uint8Array): Generator<[number, Buffer]> {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  for (let off = 0; off + 4 <= b.length; ) {
    const len = b.readUInt16LE(off);
    if (len < 4 || off + len > b.length) return;
    yield [b.readUInt16LE(off + 2) & 0x3fff, b.subarray(off + 4, off + len)];
    off += (len + 3) & ~3;
  }
}

/** <linux/if_link.h>: IPVLAN_MODE_L2 and the IPVLAN_F_* flags (bridge = none of them). */
const IPVLAN_MODE_L2 = 0;
const IPVLAN_FLAGS: Record<IpvlanFlags, number> = { bridge: 0, private: 1, vepa: 2 };

/** RTM_NEWLINK body of an ipvlan: IFLA_LINKINFO { KIND "ipvlan", DATA { IFLA_IPVLAN_MODE u16, IFLA_IPVLAN_FLAGS u16 } }. */
export function encodeIpvlan(name: string, parentIndex: number, flags: IpvlanFlags): { data: rt.Link; attrs: ifla.LinkAttrs } {
  const u16 = (v: number): Buffer => {
    const b = Buffer.alloc(2);
    b.writeUInt16LE(v);
    return b;
  };
  const info = Buffer.concat([
    nlattr(1, Buffer.from('ipvlan')), // IFLA_INFO_KIND
    nlattr(2, Buffer.concat([nlattr(1, u16(IPVLAN_MODE_L2)), nlattr(2, u16(IPVLAN_FLAGS[flags]))]), true), // IFLA_INFO_DATA
  ]);
  return { data: { family: 0, index: 0 }, attrs: { ifname: name, link: u32(parentIndex), linkinfo: info } };
}

function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0, 0);
  return b;
}

/** RTM_NEWLINK body creating a macvlan on parent `parentIndex` with `mac`. */
export function encodeMacvlan(name: string, parentIndex: number, mac: string, mode: MacvlanMode): { data: rt.Link; attrs: ifla.LinkAttrs } {
  const macBytes = parseMac(mac);
  if (!macBytes) throw invalid('createMacvlan', name, `bad MAC "${mac}"`);
  const info = Buffer.concat([
    nlattr(1, Buffer.from('macvlan')), // IFLA_INFO_KIND
    nlattr(2, nlattr(1, u32(MACVLAN_MODES[mode])), true), // IFLA_INFO_DATA { IFLA_MACVLAN_MODE }
  ]);
  return {
    data: { family: 0, index: 0 },
    attrs: { ifname: name, link: u32(parentIndex), address: Buffer.from(macBytes), linkinfo: info },
  };
}

/** IFLA_AF_SPEC { AF_INET6 { IFLA_INET6_ADDR_GEN_MODE = none } }: no kernel link-local (keepalived does this on VMACs). */
export function addrGenModeNoneSpec(): Map<number, Buffer> {
  return new Map([[AF_INET6, nlattr(8, Buffer.from([1]))]]);
}

/**
 * The netlink package's message parsers throw on an attribute of the wrong length; a decoder of
 * wire input never throws here (DESIGN rule 3), so a malformed message is skipped instead.
 */
export function tryParse<T>(parse: (data: Buffer) => T, data: Buffer): T | undefined {
  try {
    return parse(data);
  } catch {
    return undefined;
  }
}

/** IFF_* bits (linux/if.h) by the netlink package's DeviceFlags names. */
const IFF_BITS: Readonly<Record<string, number>> = {
  up: 0x1, broadcast: 0x2, debug: 0x4, loopback: 0x8, pointopoint: 0x10, notrailers: 0x20, running: 0x40, noarp: 0x80,
  promisc: 0x100, allmulti: 0x200, master: 0x400, slave: 0x800, multicast: 0x1000, portsel: 0x2000, automedia: 0x4000,
  dynamic: 0x8000, lowerUp: 0x10000, dormant: 0x20000, echo: 0x40000,
};

/** ifi_flags back as the kernel's number (keepalived logs it in hex). */
export function deviceFlagsValue(flags: Readonly<Record<string, unknown>>): number {
  let v = typeof flags.__unknown === 'number' ? flags.__unknown : 0;
  for (const [name, bit] of Object.entries(IFF_BITS)) if (flags[name]) v |= bit;
  return v >>> 0;
}

/** Parsed link facts, a superset of LinkInfo. */
export interface LinkDetail extends LinkInfo {
  /** IFLA_LINK: the parent's ifindex (macvlan, veth peer index), when reported. */
  parentIndex?: number;
  adminUp: boolean;
}

export function decodeLink(msg: { data: rt.Link; attrs: ifla.LinkAttrs }): LinkDetail {
  const flags = msg.data.flags ?? {};
  let kind: string | undefined;
  if (msg.attrs.linkinfo) {
    for (const [type, payload] of nlattrs(msg.attrs.linkinfo)) {
      if (type === 1) kind = payload.toString('latin1').replace(/\0+$/, '');
    }
  }
  const link = msg.attrs.link;
  const detail: LinkDetail = {
    ifindex: msg.data.index ?? 0,
    ifname: msg.attrs.ifname ?? '',
    // IFF_RUNNING is the kernel's RFC 2863 "operationally up": carrier present and not dormant.
    up: !!flags.up && !!flags.running,
    adminUp: !!flags.up,
    flags: deviceFlagsValue(flags as Readonly<Record<string, unknown>>),
    mac: msg.attrs.address ? formatMac(msg.attrs.address) : '',
  };
  if (kind !== undefined) detail.kind = kind;
  if (link && link.length >= 4) detail.parentIndex = Buffer.from(link).readUInt32LE(0);
  return detail;
}

/** Strip LinkDetail down to the port's LinkInfo (no extra keys for deepEqual-minded callers). */
export function toLinkInfo(d: LinkDetail): LinkInfo {
  const out: LinkInfo = { ifindex: d.ifindex, ifname: d.ifname, up: d.up, mac: d.mac };
  if (d.flags !== undefined) out.flags = d.flags;
  if (d.kind !== undefined) out.kind = d.kind;
  return out;
}

export function decodeAddress(msg: { data: rt.Address; attrs: rt.AddressAttrs }, ifname: string): InstalledAddress | undefined {
  const family = familyOf(msg.data.family);
  const bytes = msg.attrs.local ?? msg.attrs.address;
  if (!family || !bytes) return undefined;
  const out: InstalledAddress = {
    family, address: formatIp(bytes), prefixLen: msg.data.prefixlen ?? 0, ifname, ifindex: msg.data.index ?? 0,
  };
  if (msg.attrs.label !== undefined) out.label = msg.attrs.label;
  return out;
}
