/**
 * VRRP advert codec: RFC 3768 §5 (v2) and RFC 5798 §5 (v3), IPv4 and IPv6.
 *
 * decodeAdvert() runs the generic receive checks of RFC 5798 §7.1 as a ladder of guard
 * clauses and never throws on any byte string; validateForInstance() runs the checks that
 * need the receiving instance's configuration. Each rejection carries a DropReason that maps
 * to one keepalived stats counter (DROP_REASON_STAT) and a detail line for the debug log.
 *
 * Authentication (v2 only): `auth_type PASS` (RFC 2338 §5.3.6: the password, zero padded, in
 * the 8 auth data bytes) and `auth_type AH` (auth type 2, auth data zero; the IPsec AH header
 * between IP and VRRP, with its HMAC-MD5-96 ICV and sequence number, is built and checked by
 * ah.ts before this codec sees the message).
 */
import { canonicalAddress, formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from './addr';
import { internetChecksum, ipv4PseudoHeader, ipv6PseudoHeader } from './checksum';
import { msg } from './messages';
import { v2AdvertIntSeconds, v3AdvertIntCs } from './timers';
import type {
  InstanceConfig,
  PassAuth,
  Advert,
  AdvertToSend,
  DecodeResult,
  DropReason,
  InstanceWireConfig,
  RxMeta,
  ValidateResult,
} from './types';
import { AUTH_AH, AUTH_NONE, AUTH_PASS } from './types';

export const VRRP_TYPE_ADVERTISEMENT = 1;
/** RFC 3768 §5.2.2 / RFC 5798 §5.1.1.2, §5.1.2.2: the VRRP multicast groups. */
export const VRRP_MCAST_V4 = '224.0.0.18';
export const VRRP_MCAST_V6 = 'ff02::12';
export const VRRP_TTL = 255;
export const V2_AUTH_DATA_LEN = 8;

/** keepalived JSON stats key counted for each drop reason (undefined: keepalived has none). */
export const DROP_REASON_STAT: Readonly<Record<DropReason, string | undefined>> = {
  ttl: 'ip_ttl_err',
  length: 'packet_len_err',
  count: 'packet_len_err',
  version: undefined,
  type: 'invalid_type_rcvd',
  checksum: undefined,
  vrid: undefined,
  auth_type: 'invalid_authtype',
  auth_mismatch: 'authtype_mismatch',
  auth_failure: 'auth_failure',
  interval: 'advert_interval_err',
  addr_list: 'addr_list_err',
  unicast_src: undefined,
  cast: undefined,
};

export class VrrpEncodeError extends Error {
  constructor(
    readonly code: 'ERR_VRRP_ENCODE_ADDRESS' | 'ERR_VRRP_ENCODE_V2_IPV6' | 'ERR_VRRP_ENCODE_TOO_MANY',
    message: string,
  ) {
    super(message);
    this.name = 'VrrpEncodeError';
  }
}

/** For the config mapping: which `auth_type` values this implementation can run. */
export function authSupport(
  authType: string,
): { ok: true } | { ok: false; code: 'ERR_VRRP_AUTH_UNKNOWN'; text: string } {
  if (authType === 'PASS' || authType === 'AH') return { ok: true };
  return { ok: false, code: 'ERR_VRRP_AUTH_UNKNOWN', text: `unknown auth_type ${authType}` };
}

function addressBytes(a: AdvertToSend): Uint8Array[] {
  const parse = a.family === 'inet' ? parseIPv4 : parseIPv6;
  return a.addresses.map((t) => {
    const b = parse(t);
    if (!b) throw new VrrpEncodeError('ERR_VRRP_ENCODE_ADDRESS', `not an ${a.family} address: ${t}`);
    return b;
  });
}

/** v2 auth type byte for an instance's authentication. */
export function authTypeByte(auth: PassAuth | undefined): number {
  if (!auth) return AUTH_NONE;
  return auth.type === 'AH' ? AUTH_AH : AUTH_PASS;
}

/** 8 bytes of v2 auth data: the password truncated/zero-padded to 8 bytes (or zeros). */
export function passAuthData(password: string | undefined): Uint8Array {
  const out = new Uint8Array(V2_AUTH_DATA_LEN);
  if (password !== undefined) out.set(Buffer.from(password, 'utf8').subarray(0, V2_AUTH_DATA_LEN));
  return out;
}

/** The pseudo-header for a v3 checksum, or undefined for "message only". */
function v3PseudoHeader(family: 'inet' | 'inet6', src: string, dst: string, len: number): Uint8Array | undefined {
  return family === 'inet' ? ipv4PseudoHeader(src, dst, len) : ipv6PseudoHeader(src, dst, len);
}

/**
 * Build one advert, checksum included. Throws VrrpEncodeError only for our own bad input
 * (unparseable address, v2 over IPv6, > 255 addresses): configuration validation prevents these.
 */
export function encodeAdvert(a: AdvertToSend): Buffer {
  if (a.version === 2 && a.family === 'inet6')
    throw new VrrpEncodeError('ERR_VRRP_ENCODE_V2_IPV6', 'VRRPv2 is IPv4 only (RFC 3768)');
  if (a.addresses.length > 255) throw new VrrpEncodeError('ERR_VRRP_ENCODE_TOO_MANY', 'more than 255 addresses');
  const addrs = addressBytes(a);
  const alen = a.family === 'inet' ? 4 : 16;
  const len = 8 + alen * addrs.length + (a.version === 2 ? V2_AUTH_DATA_LEN : 0);
  const b = Buffer.alloc(len);
  b[0] = (a.version << 4) | VRRP_TYPE_ADVERTISEMENT;
  b[1] = a.vrid & 0xff;
  b[2] = a.priority & 0xff;
  b[3] = addrs.length;
  if (a.version === 2) {
    // RFC 3768 §5.3.6/§5.3.7: auth type, then Adver Int in whole seconds.
    b[4] = authTypeByte(a.auth);
    b[5] = v2AdvertIntSeconds(a.advertIntCs);
  } else {
    // RFC 5798 §5.2.6/§5.2.7: 4 reserved bits (0) then 12 bits of centiseconds.
    b.writeUInt16BE(v3AdvertIntCs(a.advertIntCs) & 0x0fff, 4);
  }
  addrs.forEach((ab, i) => b.set(ab, 8 + i * alen));
  // AH: auth data stays zero (keepalived sends zeros; the ICV is in the AH header).
  if (a.version === 2 && a.auth?.type === 'PASS') b.set(passAuthData(a.auth.password), 8 + alen * addrs.length);
  let sum: number;
  if (a.version === 2 || (a.family === 'inet' && a.v3ChecksumAsV2)) {
    sum = internetChecksum(b); // RFC 3768 §5.3.8: message only
  } else {
    const ph = v3PseudoHeader(a.family, a.src, a.dst, len);
    if (!ph) throw new VrrpEncodeError('ERR_VRRP_ENCODE_ADDRESS', `bad src/dst for pseudo-header: ${a.src} ${a.dst}`);
    sum = internetChecksum(ph, b); // RFC 5798 §5.2.8
  }
  b.writeUInt16BE(sum, 6);
  return b;
}

function drop(reason: DropReason, detail: string): DecodeResult {
  return { ok: false, reason, detail };
}

/** RFC 5798 §7.1 check 1 (and keepalived's unicast [min_ttl, max_ttl] range). */
function checkTtl(rx: RxMeta): DecodeResult | undefined {
  if (rx.unicast) {
    const min = rx.minTtl ?? 0;
    const max = rx.maxTtl ?? 255;
    if (rx.ttl < min || rx.ttl > max) return drop('ttl', `TTL/HL ${rx.ttl} from ${rx.src} not in range [${min}, ${max}]`);
    return undefined;
  }
  if (rx.ttl !== VRRP_TTL) return drop('ttl', `invalid TTL/HL from ${rx.src}. Received ${rx.ttl} and expect ${VRRP_TTL}`);
  return undefined;
}

/** v3: try the pseudo-header first (keepalived default), then the message alone (RFC 9568 IPv4). */
function checkV3Checksum(b: Uint8Array, rx: RxMeta): 'pseudo' | 'plain' | undefined {
  const ph = v3PseudoHeader(rx.family, rx.src, rx.dst, b.length);
  if (ph && internetChecksum(ph, b) === 0) return 'pseudo';
  if (rx.family === 'inet' && internetChecksum(b) === 0) return 'plain';
  return undefined;
}

/** Generic receive checks and parsing; never throws. */
export function decodeAdvert(buf: Uint8Array, rx: RxMeta): DecodeResult {
  if (!(buf instanceof Uint8Array)) return drop('length', 'not a byte buffer');
  const ttl = checkTtl(rx);
  if (ttl) return ttl;
  if (buf.length < 8) return drop('length', `vrrp packet from ${rx.src} too short, length ${buf.length} and expect 8`);
  const b0 = buf[0] ?? 0;
  const version = b0 >> 4;
  const type = b0 & 0x0f;
  if (version !== 2 && version !== 3) return drop('version', `wrong VRRP version from ${rx.src}. Received ${version}`);
  if (version === 2 && rx.family === 'inet6') return drop('version', `VRRPv2 over IPv6 from ${rx.src}`);
  if (type !== VRRP_TYPE_ADVERTISEMENT)
    return drop('type', `Invalid packet type from ${rx.src}. ${type} and expect ${VRRP_TYPE_ADVERTISEMENT}`);
  const count = buf[3] ?? 0;
  const alen = rx.family === 'inet' ? 4 : 16;
  const expected = 8 + alen * count + (version === 2 ? V2_AUTH_DATA_LEN : 0);
  if (buf.length < expected)
    return drop('length', `vrrp packet from ${rx.src} too short, length ${buf.length} and expect ${expected}`);
  if (buf.length > expected)
    return drop('count', `vrrp packet from ${rx.src} too long, length ${buf.length} and expect ${expected}`);
  let checksumMode: 'pseudo' | 'plain' | undefined;
  if (version === 2) {
    if (internetChecksum(buf) !== 0) return drop('checksum', `Invalid VRRPv2 checksum from ${rx.src}`);
  } else {
    checksumMode = checkV3Checksum(buf, rx);
    if (!checksumMode) return drop('checksum', `Invalid VRRPv3 checksum from ${rx.src}`);
  }
  return { ok: true, advert: parseFields(buf, version, type, count, alen, checksumMode) };
}

function parseFields(
  buf: Uint8Array,
  version: 2 | 3,
  type: number,
  count: number,
  alen: number,
  checksumMode: 'pseudo' | 'plain' | undefined,
): Advert {
  const addresses: string[] = [];
  for (let i = 0; i < count; i++) {
    const off = 8 + i * alen;
    addresses.push(alen === 4 ? formatIPv4(buf, off) : formatIPv6(buf, off));
  }
  const w45 = ((buf[4] ?? 0) << 8) | (buf[5] ?? 0);
  const advert: Advert = {
    version,
    type,
    vrid: buf[1] ?? 0,
    priority: buf[2] ?? 0,
    countAddrs: count,
    authType: version === 2 ? (buf[4] ?? 0) : 0,
    authData: version === 2 ? buf.slice(8 + alen * count, 8 + alen * count + V2_AUTH_DATA_LEN) : new Uint8Array(0),
    advertIntCs: version === 2 ? (buf[5] ?? 0) * 100 : w45 & 0x0fff,
    checksum: ((buf[6] ?? 0) << 8) | (buf[7] ?? 0),
    addresses,
  };
  if (checksumMode) advert.checksumMode = checksumMode;
  return advert;
}

/** Details use keepalived's wording WITHOUT the "(NAME) " prefix: the runtime's logger adds it. */
function unprefixed(text: string): string {
  return text.replace(/^\([^)]*\) /, '');
}

function bad(reason: DropReason, detail: string): ValidateResult {
  return { ok: false, reason, detail: unprefixed(detail) };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** RFC 3768 §7.1 checks 6-7 (v2 only): auth type, then the simple password (AH: the ICV was checked before). */
function checkAuth(adv: Advert, inst: InstanceWireConfig, src: string): ValidateResult | undefined {
  if (adv.version !== 2) return undefined;
  const n = inst.name;
  if (adv.authType > AUTH_AH) return bad('auth_type', msg.invalidAuthType(n, src, adv.authType));
  const want = authTypeByte(inst.auth);
  if (adv.authType !== want) return bad('auth_mismatch', msg.authTypeMismatch(n, adv.authType, src, want));
  if (inst.auth?.type === 'PASS' && !sameBytes(adv.authData, passAuthData(inst.auth.password)))
    return bad('auth_failure', msg.badPassword(n, src));
  return undefined;
}

/** RFC 5798 §7.1 "MAY" check, on by default in keepalived; skipped for the owner (priority 255). */
function checkAddresses(adv: Advert, inst: InstanceWireConfig, src: string): ValidateResult | undefined {
  if (inst.skipCheckAdvAddr || adv.priority === 255) return undefined;
  if (adv.countAddrs !== inst.vips.length) return bad('addr_list', msg.vipCount(inst.name, inst.vips.length, adv.countAddrs));
  const got = new Set(adv.addresses.map(canonicalAddress));
  for (const vip of inst.vips) {
    if (!got.has(canonicalAddress(vip))) return bad('addr_list', msg.vipMissing(inst.name, inst.vrid, src, vip));
  }
  return undefined;
}

/**
 * Per-instance checks (RFC 3768/5798 §7.1 checks 2, 5, 7, 8 and the address list).
 * `rx.src` names the sender in the detail lines; `rx.unicast` enables check_unicast_src.
 * A v3 interval mismatch is accepted (the backup learns it) and reported as `warning`.
 * `detail`/`warning` (like decodeAdvert's `detail`) carry no "(NAME) " prefix.
 */
export function validateForInstance(
  adv: Advert,
  inst: InstanceWireConfig,
  rx: { src: string; unicast?: boolean } = { src: '?' },
): ValidateResult & { warning?: string } {
  const n = inst.name;
  const src = rx.src;
  if (adv.version !== inst.version) return bad('version', msg.badVersion(n, src, adv.version, inst.version));
  if (adv.vrid !== inst.vrid) return bad('vrid', `(${n}) advert for VRID ${adv.vrid} from ${src}, ours is ${inst.vrid}`);
  if (rx.unicast && inst.checkUnicastSrc && inst.unicastPeers) {
    const peers = new Set(inst.unicastPeers.map(canonicalAddress));
    if (!peers.has(canonicalAddress(src))) return bad('unicast_src', msg.unicastSrc(n, src));
  }
  const auth = checkAuth(adv, inst, src);
  if (auth) return auth;
  let warning: string | undefined;
  if (adv.version === 2) {
    const mine = v2AdvertIntSeconds(inst.advertIntCs);
    if (adv.advertIntCs !== mine * 100) return bad('interval', msg.intervalMismatchV2(n, src, mine, adv.advertIntCs / 100));
  } else if (adv.advertIntCs !== inst.advertIntCs) {
    warning = unprefixed(msg.intervalMismatchV3(n, inst.advertIntCs, adv.advertIntCs));
  }
  const addr = checkAddresses(adv, inst, src);
  if (addr) return addr;
  return warning ? { ok: true, warning } : { ok: true };
}

/** Wire-level extras that are not part of the state machine's InstanceConfig. */
export interface WireExtras {
  auth?: PassAuth;
  v3ChecksumAsV2?: boolean;
  skipCheckAdvAddr?: boolean;
  checkUnicastSrc?: boolean;
}

/** The advert the runtime sends for a {type:'send-advert', priority} action, to `dst`. */
export function advertToSend(cfg: InstanceConfig, priority: number, dst: string, extra: WireExtras = {}): AdvertToSend {
  const a: AdvertToSend = {
    version: cfg.version,
    family: cfg.family,
    vrid: cfg.vrid,
    priority,
    advertIntCs: cfg.advertIntCs,
    addresses: cfg.vips,
    src: cfg.primaryAddress,
    dst,
  };
  if (cfg.version === 2 && extra.auth) a.auth = extra.auth;
  if (extra.v3ChecksumAsV2) a.v3ChecksumAsV2 = true;
  return a;
}

/** What validateForInstance needs, from the state machine's config plus the wire extras. */
export function wireConfigFor(cfg: InstanceConfig, extra: WireExtras = {}): InstanceWireConfig {
  const w: InstanceWireConfig = {
    name: cfg.name,
    vrid: cfg.vrid,
    version: cfg.version,
    family: cfg.family,
    advertIntCs: cfg.advertIntCs,
    vips: cfg.vips,
    unicastPeers: cfg.unicastPeers,
  };
  if (extra.auth) w.auth = extra.auth;
  if (extra.skipCheckAdvAddr) w.skipCheckAdvAddr = true;
  if (extra.checkUnicastSrc) w.checkUnicastSrc = true;
  return w;
}
