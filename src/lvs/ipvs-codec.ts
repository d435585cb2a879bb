/**
 * Pure encoder/decoder for the kernel's IPVS generic-netlink family (include/uapi/linux/ip_vs.h).
 * Produces the generic-netlink payload (genl header + attributes); the netlink header and the
 * socket belong to src/lvs/ipvs.ts. Decoders never throw on wire input: they return a Result.
 * Host byte order is little-endian (x86/arm64 Linux); values the kernel reads "natively"
 * (u16/u32 attributes) are written LE, ports and IPv4 netmasks are network order.
 */

import { parseIpv4, parseIpv6, formatIpv4, formatIpv6 } from './inet-addr';

export const IPVS_GENL_NAME = 'IPVS';
export const IPVS_GENL_VERSION = 1;

export const IpvsCmd = {
  NEW_SERVICE: 1, SET_SERVICE: 2, DEL_SERVICE: 3, GET_SERVICE: 4,
  NEW_DEST: 5, SET_DEST: 6, DEL_DEST: 7, GET_DEST: 8,
  NEW_DAEMON: 9, DEL_DAEMON: 10, GET_DAEMON: 11,
  SET_CONFIG: 12, GET_CONFIG: 13, SET_INFO: 14, GET_INFO: 15, ZERO: 16, FLUSH: 17,
} as const;

/** Top-level attributes of an IPVS command. */
const CMD_ATTR = { SERVICE: 1, DEST: 2, DAEMON: 3, TIMEOUT_TCP: 4, TIMEOUT_TCP_FIN: 5, TIMEOUT_UDP: 6 } as const;
const SVC = { AF: 1, PROTOCOL: 2, ADDR: 3, PORT: 4, FWMARK: 5, SCHED_NAME: 6, FLAGS: 7, TIMEOUT: 8, NETMASK: 9, STATS: 10, PE_NAME: 11, STATS64: 12 } as const;
const DEST = { ADDR: 1, PORT: 2, FWD_METHOD: 3, WEIGHT: 4, U_THRESH: 5, L_THRESH: 6, ACTIVE_CONNS: 7, INACT_CONNS: 8, PERSIST_CONNS: 9, STATS: 10, ADDR_FAMILY: 11, STATS64: 12, TUN_TYPE: 13, TUN_PORT: 14, TUN_FLAGS: 15 } as const;
const DAEMON = { STATE: 1, MCAST_IFN: 2, SYNC_ID: 3, SYNC_MAXLEN: 4, MCAST_GROUP: 5, MCAST_GROUP6: 6, MCAST_PORT: 7, MCAST_TTL: 8 } as const;
const STATS_ORDER = ['conns', 'inpkts', 'outpkts', 'inbytes', 'outbytes', 'cps', 'inpps', 'outpps', 'inbps', 'outbps'] as const;
const INFO = { VERSION: 1, CONN_TAB_SIZE: 2 } as const;

/** IP_VS_SVC_F_* service flags. SCHED1..3 are the scheduler-specific flag-1..flag-3. */
export const SvcFlag = {
  PERSISTENT: 0x1, HASHED: 0x2, ONEPACKET: 0x4, SCHED1: 0x8, SCHED2: 0x10, SCHED3: 0x20,
  SH_FALLBACK: 0x8, SH_PORT: 0x10, MH_FALLBACK: 0x8, MH_PORT: 0x10,
} as const;

const AF_INET = 2;
const AF_INET6 = 10;
const NLA_F_NESTED = 0x8000;
const NLA_TYPE_MASK = 0x3fff;
const PROTO_NUM = { tcp: 6, udp: 17, sctp: 132 } as const;
const FWD_NUM = { masq: 0, local: 1, tunnel: 2, route: 3, bypass: 4 } as const;
const TUN_NUM = { ipip: 0, gue: 1, gre: 2 } as const;
const TUN_FLAG_NUM = { nocsum: 0, csum: 1, remcsum: 2 } as const;

export type IpvsAf = 'inet' | 'inet6';
export type IpvsProtocol = keyof typeof PROTO_NUM;
/** Kernel forwarding methods: NAT = masq, DR = route, TUN = tunnel. */
export type FwdMethod = keyof typeof FWD_NUM;
export type TunnelType = keyof typeof TUN_NUM;
export type TunnelCsum = keyof typeof TUN_FLAG_NUM;

/**
 * Identity of a virtual service. fwmark > 0 makes it a firewall-mark service; protocol,
 * addr and port are then not sent (and decode as tcp, the unspecified address, 0).
 */
export interface ServiceId {
  af: IpvsAf;
  protocol: IpvsProtocol;
  addr: string;
  port: number;
  fwmark: number;
}

export interface IpvsService extends ServiceId {
  scheduler: string;
  /** IP_VS_SVC_F_* (SvcFlag). HASHED is set by the kernel on every service it holds. */
  flags: number;
  /** Persistence timeout in seconds (0 = none). */
  timeoutS: number;
  /** Persistence granularity as a prefix length (IPv4 /32 = 255.255.255.255, IPv6 default 128). */
  netmaskPrefix: number;
  /** Persistence engine (e.g. "sip"), if any. */
  peName?: string;
  stats?: IpvsStats;
}

export interface IpvsDest {
  addr: string;
  port: number;
  /** Address family of the real server; defaults to the service's. */
  af?: IpvsAf;
  fwd: FwdMethod;
  weight: number;
  upperThreshold: number;
  lowerThreshold: number;
  tunType?: TunnelType;
  tunPort?: number;
  tunCsum?: TunnelCsum;
  activeConns?: number;
  inactConns?: number;
  persistConns?: number;
  stats?: IpvsStats;
}

export interface IpvsStats {
  conns: number; inpkts: number; outpkts: number; inbytes: number; outbytes: number;
  cps: number; inpps: number; outpps: number; inbps: number; outbps: number;
}

export interface IpvsInfo { version: string; connTabSize: number }

export interface IpvsDaemon {
  state: 'master' | 'backup';
  ifname: string;
  syncId: number;
  maxLen?: number;
  group?: string;
  port?: number;
  ttl?: number;
}

export interface IpvsTimeouts { tcpS: number; tcpFinS: number; udpS: number }

export type Decoded<T> = { ok: true; value: T } | { ok: false; reason: string };

// ---------------------------------------------------------------- addresses

export { parseIpv4, parseIpv6, formatIpv4, formatIpv6 };

function addrBytes(af: IpvsAf, addr: string): Uint8Array {
  const b = af === 'inet' ? parseIpv4(addr) : parseIpv6(addr);
  if (!b) throw new TypeError(`invalid ${af} address: ${addr}`);
  return b;
}

/** Normalised text form (so "2001:DB8:0::1" and "2001:db8::1" compare equal). */
export function normalizeAddr(af: IpvsAf, addr: string): string {
  const b = addrBytes(af, addr);
  return af === 'inet' ? formatIpv4(b) : formatIpv6(b);
}

/** Stable map key of a service identity: "tcp|192.0.2.100|80" or "fwmark|inet|1". */
export function serviceKey(id: ServiceId): string {
  if (id.fwmark > 0) return `fwmark|${id.af}|${id.fwmark}`;
  return `${id.protocol}|${normalizeAddr(id.af, id.addr)}|${id.port}`;
}

export function destKey(d: Pick<IpvsDest, 'addr' | 'port' | 'af'>, svcAf: IpvsAf): string {
  const af = d.af ?? svcAf;
  return `${normalizeAddr(af, d.addr)}|${d.port}`;
}

/** keepalived's text form of an endpoint: [192.0.2.11]:tcp:80, FWM 1 */
export function formatService(id: ServiceId): string {
  if (id.fwmark > 0) return `FWM ${id.fwmark}`;
  return `[${normalizeAddr(id.af, id.addr)}]:${id.protocol}:${id.port}`;
}

// ---------------------------------------------------------------- attribute writer

class AttrWriter {
  private readonly parts: Buffer[] = [];
  private put(type: number, data: Uint8Array): this {
    const len = 4 + data.length;
    const buf = Buffer.alloc((len + 3) & ~3);
    buf.writeUInt16LE(len, 0);
    buf.writeUInt16LE(type, 2);
    buf.set(data, 4);
    this.parts.push(buf);
    return this;
  }
  u8(t: number, v: number): this { return this.put(t, Uint8Array.of(v & 0xff)); }
  u16(t: number, v: number): this { const b = Buffer.alloc(2); b.writeUInt16LE(v); return this.put(t, b); }
  be16(t: number, v: number): this { const b = Buffer.alloc(2); b.writeUInt16BE(v); return this.put(t, b); }
  u32(t: number, v: number): this { const b = Buffer.alloc(4); b.writeUInt32LE(v >>> 0); return this.put(t, b); }
  bytes(t: number, v: Uint8Array): this { return this.put(t, v); }
  str(t: number, v: string): this { return this.put(t, Buffer.from(v + '\0', 'utf8')); }
  nested(t: number, w: AttrWriter): this { return this.put(t | NLA_F_NESTED, w.build()); }
  build(): Buffer { return Buffer.concat(this.parts); }
}

/** Generic-netlink payload: 4-byte genl header (cmd, version, reserved) + attributes. */
export function genlMessage(cmd: number, attrs: Uint8Array = new Uint8Array(0), version = IPVS_GENL_VERSION): Buffer {
  const hdr = Buffer.alloc(4);
  hdr.writeUInt8(cmd, 0);
  hdr.writeUInt8(version, 1);
  return Buffer.concat([hdr, attrs]);
}

/** The 16-byte nf_inet_addr union the kernel expects for every address attribute. */
function inetAddr(af: IpvsAf, addr: string): Uint8Array {
  const out = new Uint8Array(16);
  out.set(addrBytes(af, addr));
  return out;
}

function serviceIdAttrs(id: ServiceId): AttrWriter {
  const w = new AttrWriter().u16(SVC.AF, id.af === 'inet' ? AF_INET : AF_INET6);
  if (id.fwmark > 0) return w.u32(SVC.FWMARK, id.fwmark);
  return w.u16(SVC.PROTOCOL, PROTO_NUM[id.protocol]).bytes(SVC.ADDR, inetAddr(id.af, id.addr)).be16(SVC.PORT, id.port);
}

function netmaskBytes(af: IpvsAf, prefix: number): Uint8Array {
  const b = Buffer.alloc(4);
  if (af === 'inet') {
    // IPv4: the mask itself, network order (255.255.255.255 for /32)
    const m = prefix <= 0 ? 0 : (0xffffffff << (32 - Math.min(prefix, 32))) >>> 0;
    b.writeUInt32BE(m);
  } else {
    b.writeUInt32LE(prefix); // IPv6: the prefix length as a host-order u32
  }
  return b;
}

function fullServiceAttrs(s: IpvsService): AttrWriter {
  const flags = Buffer.alloc(8);
  flags.writeUInt32LE(s.flags >>> 0, 0);
  flags.writeUInt32LE(0xffffffff, 4); // mask: every flag is ours to set
  const w = serviceIdAttrs(s)
    .str(SVC.SCHED_NAME, s.scheduler)
    .bytes(SVC.FLAGS, flags)
    .u32(SVC.TIMEOUT, s.timeoutS)
    .bytes(SVC.NETMASK, netmaskBytes(s.af, s.netmaskPrefix));
  if (s.peName) w.str(SVC.PE_NAME, s.peName);
  return w;
}

function destAttrs(svcAf: IpvsAf, d: IpvsDest, full: boolean): AttrWriter {
  const af = d.af ?? svcAf;
  const w = new AttrWriter().bytes(DEST.ADDR, inetAddr(af, d.addr)).be16(DEST.PORT, d.port);
  // always sent: kernels since 3.18 accept a real server of the other family (mixed-af tunnels)
  w.u16(DEST.ADDR_FAMILY, af === 'inet' ? AF_INET : AF_INET6);
  if (!full) return w;
  w.u32(DEST.FWD_METHOD, FWD_NUM[d.fwd]).u32(DEST.WEIGHT, d.weight)
    .u32(DEST.U_THRESH, d.upperThreshold).u32(DEST.L_THRESH, d.lowerThreshold);
  if (d.fwd === 'tunnel' && d.tunType) {
    w.u8(DEST.TUN_TYPE, TUN_NUM[d.tunType]);
    if (d.tunType === 'gue') w.be16(DEST.TUN_PORT, d.tunPort ?? 0);
    if (d.tunType !== 'ipip') w.u16(DEST.TUN_FLAGS, TUN_FLAG_NUM[d.tunCsum ?? 'nocsum']);
  }
  return w;
}

// ---------------------------------------------------------------- commands

export const encode = {
  newService: (s: IpvsService): Buffer => genlMessage(IpvsCmd.NEW_SERVICE, new AttrWriter().nested(CMD_ATTR.SERVICE, fullServiceAttrs(s)).build()),
  setService: (s: IpvsService): Buffer => genlMessage(IpvsCmd.SET_SERVICE, new AttrWriter().nested(CMD_ATTR.SERVICE, fullServiceAttrs(s)).build()),
  delService: (id: ServiceId): Buffer => genlMessage(IpvsCmd.DEL_SERVICE, new AttrWriter().nested(CMD_ATTR.SERVICE, serviceIdAttrs(id)).build()),
  /** Send with NLM_F_DUMP. */
  getServices: (): Buffer => genlMessage(IpvsCmd.GET_SERVICE),
  getService: (id: ServiceId): Buffer => genlMessage(IpvsCmd.GET_SERVICE, new AttrWriter().nested(CMD_ATTR.SERVICE, serviceIdAttrs(id)).build()),
  newDest: (id: ServiceId, d: IpvsDest): Buffer => destCmd(IpvsCmd.NEW_DEST, id, d, true),
  setDest: (id: ServiceId, d: IpvsDest): Buffer => destCmd(IpvsCmd.SET_DEST, id, d, true),
  delDest: (id: ServiceId, d: Pick<IpvsDest, 'addr' | 'port' | 'af'>): Buffer =>
    destCmd(IpvsCmd.DEL_DEST, id, { ...d, fwd: 'masq', weight: 0, upperThreshold: 0, lowerThreshold: 0 }, false),
  /** Send with NLM_F_DUMP. */
  getDests: (id: ServiceId): Buffer => genlMessage(IpvsCmd.GET_DEST, new AttrWriter().nested(CMD_ATTR.SERVICE, serviceIdAttrs(id)).build()),
  getInfo: (): Buffer => genlMessage(IpvsCmd.GET_INFO),
  getConfig: (): Buffer => genlMessage(IpvsCmd.GET_CONFIG),
  setTimeouts: (t: IpvsTimeouts): Buffer => genlMessage(IpvsCmd.SET_CONFIG, new AttrWriter()
    .u32(CMD_ATTR.TIMEOUT_TCP, t.tcpS).u32(CMD_ATTR.TIMEOUT_TCP_FIN, t.tcpFinS).u32(CMD_ATTR.TIMEOUT_UDP, t.udpS).build()),
  flush: (): Buffer => genlMessage(IpvsCmd.FLUSH),
  zero: (): Buffer => genlMessage(IpvsCmd.ZERO),
  newDaemon: (d: IpvsDaemon): Buffer => genlMessage(IpvsCmd.NEW_DAEMON, new AttrWriter().nested(CMD_ATTR.DAEMON, daemonAttrs(d, true)).build()),
  delDaemon: (state: IpvsDaemon['state']): Buffer => genlMessage(IpvsCmd.DEL_DAEMON, new AttrWriter()
    .nested(CMD_ATTR.DAEMON, new AttrWriter().u32(DAEMON.STATE, state === 'master' ? 1 : 2)).build()),
  /** Send with NLM_F_DUMP. */
  getDaemons: (): Buffer => genlMessage(IpvsCmd.GET_DAEMON),
};

function destCmd(cmd: number, id: ServiceId, d: IpvsDest, full: boolean): Buffer {
  return genlMessage(cmd, new AttrWriter().nested(CMD_ATTR.SERVICE, serviceIdAttrs(id)).nested(CMD_ATTR.DEST, destAttrs(id.af, d, full)).build());
}

function daemonAttrs(d: IpvsDaemon, full: boolean): AttrWriter {
  const w = new AttrWriter().u32(DAEMON.STATE, d.state === 'master' ? 1 : 2);
  if (!full) return w;
  w.str(DAEMON.MCAST_IFN, d.ifname).u32(DAEMON.SYNC_ID, d.syncId);
  if (d.maxLen !== undefined) w.u16(DAEMON.SYNC_MAXLEN, d.maxLen);
  if (d.group !== undefined) {
    const v4 = parseIpv4(d.group);
    if (v4) w.bytes(DAEMON.MCAST_GROUP, v4);
    else w.bytes(DAEMON.MCAST_GROUP6, addrBytes('inet6', d.group));
  }
  if (d.port !== undefined) w.u16(DAEMON.MCAST_PORT, d.port);
  if (d.ttl !== undefined) w.u8(DAEMON.MCAST_TTL, d.ttl);
  return w;
}

// ---------------------------------------------------------------- decoding

type AttrMap = Map<number, Buffer>;

/** Parse a run of netlink attributes; null when a length field is inconsistent. */
export function parseAttrs(buf: Uint8Array): AttrMap | null {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: AttrMap = new Map();
  let off = 0;
  while (off + 4 <= b.length) {
    const len = b.readUInt16LE(off);
    const type = b.readUInt16LE(off + 2) & NLA_TYPE_MASK;
    if (len < 4 || off + len > b.length) return null;
    out.set(type, b.subarray(off + 4, off + len));
    off += (len + 3) & ~3;
  }
  return out;
}

function cstr(b: Buffer): string {
  const z = b.indexOf(0);
  return b.subarray(0, z < 0 ? b.length : z).toString('utf8');
}

function afOf(n: number): IpvsAf | null {
  return n === AF_INET ? 'inet' : n === AF_INET6 ? 'inet6' : null;
}

function readAddr(af: IpvsAf, b: Buffer | undefined): string | null {
  if (!b) return null;
  if (af === 'inet') return b.length >= 4 ? formatIpv4(b) : null;
  return b.length >= 16 ? formatIpv6(b) : null;
}

function decodeStats(b: Buffer | undefined, wide: boolean): IpvsStats | undefined {
  const m = b ? parseAttrs(b) : null;
  if (!m) return undefined;
  const s = {} as Record<(typeof STATS_ORDER)[number], number>;
  STATS_ORDER.forEach((k, i) => {
    const v = m.get(i + 1);
    const is64 = wide || k === 'inbytes' || k === 'outbytes';
    s[k] = !v ? 0 : is64 && v.length >= 8 ? Number(v.readBigUInt64LE(0)) : v.length >= 4 ? v.readUInt32LE(0) : 0;
  });
  return s;
}

/** Strip the genl header and find the top-level attribute `type`. */
function topAttr(payload: Uint8Array, type: number): Buffer | string {
  if (payload.length < 4) return 'short genl header';
  const top = parseAttrs(payload.subarray(4));
  if (!top) return 'bad attribute length';
  const a = top.get(type);
  return a ?? `missing attribute ${type}`;
}

/** Decode one GET_SERVICE reply (a genl payload). */
function decodeServiceUnguarded(payload: Uint8Array): Decoded<IpvsService> {
  const raw = topAttr(payload, CMD_ATTR.SERVICE);
  if (typeof raw === 'string') return { ok: false, reason: raw };
  const m = parseAttrs(raw);
  if (!m) return { ok: false, reason: 'bad service attribute length' };
  const af = afOf(m.get(SVC.AF)?.readUInt16LE(0) ?? -1);
  if (!af) return { ok: false, reason: 'unknown address family' };
  const fwmark = m.get(SVC.FWMARK)?.readUInt32LE(0) ?? 0;
  const protoNum = m.get(SVC.PROTOCOL)?.readUInt16LE(0) ?? 6;
  const protocol = (Object.keys(PROTO_NUM) as IpvsProtocol[]).find((p) => PROTO_NUM[p] === protoNum);
  if (!protocol) return { ok: false, reason: `unknown protocol ${protoNum}` };
  const addr = fwmark > 0 ? (af === 'inet' ? '0.0.0.0' : '::') : readAddr(af, m.get(SVC.ADDR));
  if (addr === null) return { ok: false, reason: 'missing service address' };
  const nm = m.get(SVC.NETMASK);
  let netmaskPrefix = af === 'inet' ? 32 : 128;
  if (nm && nm.length >= 4) netmaskPrefix = af === 'inet' ? popcount(nm.readUInt32BE(0)) : nm.readUInt32LE(0);
  const svc: IpvsService = {
    af, fwmark, protocol: fwmark > 0 ? 'tcp' : protocol, addr,
    port: fwmark > 0 ? 0 : (m.get(SVC.PORT)?.readUInt16BE(0) ?? 0),
    scheduler: cstr(m.get(SVC.SCHED_NAME) ?? Buffer.alloc(0)),
    flags: m.get(SVC.FLAGS)?.readUInt32LE(0) ?? 0,
    timeoutS: m.get(SVC.TIMEOUT)?.readUInt32LE(0) ?? 0,
    netmaskPrefix,
  };
  const pe = m.get(SVC.PE_NAME);
  if (pe) svc.peName = cstr(pe);
  const stats = m.has(SVC.STATS64) ? decodeStats(m.get(SVC.STATS64), true) : decodeStats(m.get(SVC.STATS), false);
  if (stats) svc.stats = stats;
  return { ok: true, value: svc };
}

function popcount(x: number): number {
  let n = 0;
  for (let v = x >>> 0; v; v >>>= 1) n += v & 1;
  return n;
}

/** Decode one GET_DEST reply; svcAf is the family of the service being dumped. */
function decodeDestUnguarded(payload: Uint8Array, svcAf: IpvsAf): Decoded<IpvsDest> {
  const raw = topAttr(payload, CMD_ATTR.DEST);
  if (typeof raw === 'string') return { ok: false, reason: raw };
  const m = parseAttrs(raw);
  if (!m) return { ok: false, reason: 'bad dest attribute length' };
  const afAttr = m.get(DEST.ADDR_FAMILY);
  const af = afAttr ? afOf(afAttr.readUInt16LE(0)) : svcAf;
  if (!af) return { ok: false, reason: 'unknown dest address family' };
  const addr = readAddr(af, m.get(DEST.ADDR));
  if (addr === null) return { ok: false, reason: 'missing dest address' };
  const fwdNum = (m.get(DEST.FWD_METHOD)?.readUInt32LE(0) ?? 0) & 7;
  const fwd = (Object.keys(FWD_NUM) as FwdMethod[]).find((k) => FWD_NUM[k] === fwdNum);
  if (!fwd) return { ok: false, reason: `unknown forwarding method ${fwdNum}` };
  const u32 = (t: number): number => m.get(t)?.readUInt32LE(0) ?? 0;
  const d: IpvsDest = {
    addr, port: m.get(DEST.PORT)?.readUInt16BE(0) ?? 0, fwd,
    weight: m.get(DEST.WEIGHT)?.readInt32LE(0) ?? 0,
    upperThreshold: u32(DEST.U_THRESH), lowerThreshold: u32(DEST.L_THRESH),
    activeConns: u32(DEST.ACTIVE_CONNS), inactConns: u32(DEST.INACT_CONNS), persistConns: u32(DEST.PERSIST_CONNS),
  };
  if (af !== svcAf) d.af = af;
  const tt = m.get(DEST.TUN_TYPE);
  if (fwd === 'tunnel' && tt) {
    d.tunType = (Object.keys(TUN_NUM) as TunnelType[]).find((k) => TUN_NUM[k] === tt[0]) ?? 'ipip';
    const tp = m.get(DEST.TUN_PORT);
    if (d.tunType === 'gue' && tp) d.tunPort = tp.readUInt16BE(0);
    const tf = m.get(DEST.TUN_FLAGS);
    if (d.tunType !== 'ipip' && tf) d.tunCsum = (Object.keys(TUN_FLAG_NUM) as TunnelCsum[]).find((k) => TUN_FLAG_NUM[k] === tf.readUInt16LE(0)) ?? 'nocsum';
  }
  const stats = m.has(DEST.STATS64) ? decodeStats(m.get(DEST.STATS64), true) : decodeStats(m.get(DEST.STATS), false);
  if (stats) d.stats = stats;
  return { ok: true, value: d };
}

function decodeInfoUnguarded(payload: Uint8Array): Decoded<IpvsInfo> {
  if (payload.length < 4) return { ok: false, reason: 'short genl header' };
  const m = parseAttrs(payload.subarray(4));
  const v = m?.get(INFO.VERSION);
  if (!m || !v || v.length < 4) return { ok: false, reason: 'missing version' };
  const n = v.readUInt32LE(0);
  return { ok: true, value: { version: `${n >> 16}.${(n >> 8) & 0xff}.${n & 0xff}`, connTabSize: m.get(INFO.CONN_TAB_SIZE)?.readUInt32LE(0) ?? 0 } };
}

function decodeTimeoutsUnguarded(payload: Uint8Array): Decoded<IpvsTimeouts> {
  if (payload.length < 4) return { ok: false, reason: 'short genl header' };
  const m = parseAttrs(payload.subarray(4));
  if (!m) return { ok: false, reason: 'bad attribute length' };
  const g = (t: number): number => m.get(t)?.readUInt32LE(0) ?? 0;
  return { ok: true, value: { tcpS: g(CMD_ATTR.TIMEOUT_TCP), tcpFinS: g(CMD_ATTR.TIMEOUT_TCP_FIN), udpS: g(CMD_ATTR.TIMEOUT_UDP) } };
}

function decodeDaemonUnguarded(payload: Uint8Array): Decoded<IpvsDaemon> {
  const raw = topAttr(payload, CMD_ATTR.DAEMON);
  if (typeof raw === 'string') return { ok: false, reason: raw };
  const m = parseAttrs(raw);
  if (!m) return { ok: false, reason: 'bad daemon attribute length' };
  const st = m.get(DAEMON.STATE)?.readUInt32LE(0);
  if (st !== 1 && st !== 2) return { ok: false, reason: `unknown daemon state ${st}` };
  const d: IpvsDaemon = { state: st === 1 ? 'master' : 'backup', ifname: cstr(m.get(DAEMON.MCAST_IFN) ?? Buffer.alloc(0)), syncId: m.get(DAEMON.SYNC_ID)?.readUInt32LE(0) ?? 0 };
  const ml = m.get(DAEMON.SYNC_MAXLEN); if (ml) d.maxLen = ml.readUInt16LE(0);
  const g4 = m.get(DAEMON.MCAST_GROUP); const g6 = m.get(DAEMON.MCAST_GROUP6);
  if (g6 && g6.some((x) => x !== 0)) d.group = formatIpv6(g6); else if (g4) d.group = formatIpv4(g4);
  const p = m.get(DAEMON.MCAST_PORT); if (p) d.port = p.readUInt16LE(0);
  const ttl = m.get(DAEMON.MCAST_TTL); if (ttl) d.ttl = ttl[0] as number;
  return { ok: true, value: d };
}

// ---------------------------------------------------------------- generic-netlink controller

const CTRL_CMD_GETFAMILY = 3;
const CTRL_ATTR_FAMILY_ID = 1;
const CTRL_ATTR_FAMILY_NAME = 2;
export const GENL_ID_CTRL = 16;

export function encodeGetFamily(name: string): Buffer {
  return genlMessage(CTRL_CMD_GETFAMILY, new AttrWriter().str(CTRL_ATTR_FAMILY_NAME, name).build(), 1);
}

function decodeFamilyIdUnguarded(payload: Uint8Array): Decoded<number> {
  if (payload.length < 4) return { ok: false, reason: 'short genl header' };
  const id = parseAttrs(payload.subarray(4))?.get(CTRL_ATTR_FAMILY_ID);
  if (!id || id.length < 2) return { ok: false, reason: 'missing family id' };
  return { ok: true, value: id.readUInt16LE(0) };
}

// ---------------------------------------------------------------- never throw on wire input

/**
 * A decoder that returns an error result instead of throwing: a short attribute (a u32 of two
 * bytes) made Buffer reads throw RangeError out of the netlink callback.
 */
function guarded<A extends unknown[], T>(fn: (...a: A) => Decoded<T>): (...a: A) => Decoded<T> {
  return (...a: A): Decoded<T> => {
    try {
      return fn(...a);
    } catch (e) {
      return { ok: false, reason: `malformed attribute (${(e as Error).message})` };
    }
  };
}

export const decodeService = guarded(decodeServiceUnguarded);
export const decodeDest = guarded(decodeDestUnguarded);
export const decodeInfo = guarded(decodeInfoUnguarded);
export const decodeTimeouts = guarded(decodeTimeoutsUnguarded);
export const decodeDaemon = guarded(decodeDaemonUnguarded);
export const decodeFamilyId = guarded(decodeFamilyIdUnguarded);
