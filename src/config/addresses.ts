/** Pure IPv4/IPv6 address and prefix parsing/formatting (no node:net: the config core is pure). */
import type { Family, Prefix } from './model';

export interface IpAddr {
  family: Family;
  /** 4 or 16 bytes, network order. */
  bytes: Uint8Array;
}

const V4_PART = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

export function parseIPv4(s: string): Uint8Array | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i] as string;
    if (!V4_PART.test(p)) return undefined;
    out[i] = Number(p);
  }
  return out;
}

/** RFC 4291 §2.2 text forms: full, `::` compression, trailing dotted IPv4. A `%zone` is dropped. */
export function parseIPv6(input: string): Uint8Array | undefined {
  const s = input.split('%')[0] as string;
  if (!/^[0-9a-fA-F:.]+$/.test(s) || s.split('::').length > 2) return undefined;
  const [headStr, tailStr] = s.includes('::') ? (s.split('::') as [string, string]) : [s, undefined];
  const head = headStr === '' ? [] : headStr.split(':');
  const tail = tailStr === undefined || tailStr === '' ? [] : tailStr.split(':');
  const groups: number[] = [];
  const all = [...head, ...(tailStr !== undefined ? ['::'] : []), ...tail];
  for (let i = 0; i < all.length; i++) {
    const g = all[i] as string;
    if (g === '::') {
      groups.push(-1);
      continue;
    }
    if (g.includes('.')) {
      const v4 = i === all.length - 1 ? parseIPv4(g) : undefined;
      if (!v4) return undefined;
      groups.push(((v4[0] as number) << 8) | (v4[1] as number), ((v4[2] as number) << 8) | (v4[3] as number));
      continue;
    }
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    groups.push(parseInt(g, 16));
  }
  const fill = 8 - (groups.length - (groups.includes(-1) ? 1 : 0));
  const full: number[] = [];
  for (const g of groups) {
    if (g === -1) for (let k = 0; k < fill; k++) full.push(0);
    else full.push(g);
  }
  if (full.length !== 8 || (groups.includes(-1) && fill < 1)) return undefined;
  const out = new Uint8Array(16);
  full.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

export function parseIp(s: string): IpAddr | undefined {
  const v4 = parseIPv4(s);
  if (v4) return { family: 'inet', bytes: v4 };
  const v6 = s.includes(':') ? parseIPv6(s) : undefined;
  return v6 ? { family: 'inet6', bytes: v6 } : undefined;
}

export function familyOf(s: string): Family | undefined {
  return parseIp(s)?.family;
}

/** RFC 5952 canonical text: lower case, longest run (≥2) of zero groups as `::`. */
export function formatIPv6(b: Uint8Array): string {
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push(((b[i] as number) << 8) | (b[i + 1] as number));
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) [bestAt, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = g.map((x) => x.toString(16));
  if (bestAt < 0) return hex.join(':');
  return `${hex.slice(0, bestAt).join(':')}::${hex.slice(bestAt + bestLen).join(':')}`;
}

export function formatIp(a: IpAddr): string {
  return a.family === 'inet' ? Array.from(a.bytes).join('.') : formatIPv6(a.bytes);
}

/** Canonical text of an address, or undefined when it is not one. */
export function normalizeIp(s: string): string | undefined {
  if (!s.includes('/')) {
    const fast = parseV4Prefix(s);
    if (fast !== null) return fast?.address;
  }
  const a = parseIp(s);
  return a ? formatIp(a) : undefined;
}

const V4_PREFIX = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/;

/** Fast path for the common dotted-quad case (no typed-array allocation: big configs have many). */
function parseV4Prefix(s: string): Prefix | undefined | null {
  const m = V4_PREFIX.exec(s);
  if (!m) return null; // not this shape: let the general parser decide
  const parts = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])];
  if (parts.some((p) => p > 255) || [m[1], m[2], m[3], m[4]].some((p) => p !== undefined && p.length > 1 && p[0] === '0')) return undefined;
  const len = m[5] === undefined ? 32 : Number(m[5]);
  if (len > 32) return undefined;
  return { address: parts.join('.'), prefixLen: len, family: 'inet' };
}

/** `ADDR[/LEN]` or `default`; a missing length means a host prefix (32 / 128). */
export function parsePrefix(s: string, defaultFamily: Family = 'inet'): Prefix | undefined {
  const fast = parseV4Prefix(s);
  if (fast !== null) return fast;
  if (s === 'default' || s === 'all' || s === 'any') {
    return { address: defaultFamily === 'inet' ? '0.0.0.0' : '::', prefixLen: 0, family: defaultFamily };
  }
  const slash = s.indexOf('/');
  const addr = parseIp(slash < 0 ? s : s.slice(0, slash));
  if (!addr) return undefined;
  const max = addr.family === 'inet' ? 32 : 128;
  let len = max;
  if (slash >= 0) {
    const t = s.slice(slash + 1);
    if (!/^\d{1,3}$/.test(t) || Number(t) > max) return undefined;
    len = Number(t);
  }
  return { address: formatIp(addr), prefixLen: len, family: addr.family };
}

/** IPv4 range forms of virtual_server_group: `a.b.c.d-e` (last octet) or `a.b.c.d-e.f.g.h`; IPv6 `x::y-z` (last group). */
export function parseRange(s: string): { first: IpAddr; last: IpAddr } | undefined {
  const dash = s.lastIndexOf('-');
  const first = parseIp(dash < 0 ? s : s.slice(0, dash));
  if (!first) return undefined;
  if (dash < 0) return { first, last: first };
  const end = s.slice(dash + 1);
  const full = parseIp(end);
  if (full && full.family === first.family) return { first, last: full };
  const last = new Uint8Array(first.bytes);
  if (first.family === 'inet') {
    if (!V4_PART.test(end) || Number(end) < (first.bytes[3] as number)) return undefined;
    last[3] = Number(end);
  } else {
    if (!/^[0-9a-fA-F]{1,4}$/.test(end)) return undefined;
    const v = parseInt(end, 16);
    if (v < (((first.bytes[14] as number) << 8) | (first.bytes[15] as number))) return undefined;
    last[14] = v >> 8;
    last[15] = v & 0xff;
  }
  return { first, last: { family: first.family, bytes: last } };
}

/** True for fe80::/10. */
export function isLinkLocal6(addr: string): boolean {
  const b = parseIPv6(addr);
  return !!b && b[0] === 0xfe && ((b[1] as number) & 0xc0) === 0x80;
}
