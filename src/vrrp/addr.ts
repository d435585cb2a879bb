/**
 * IP address text <-> bytes without node:net (the core stays pure). Used by the packet codec
 * (address lists, pseudo-headers) and by the RFC 5798 §6.4.3 tie-break, which compares
 * primary addresses as unsigned integers in network byte order.
 */

/** Parse dotted-quad IPv4 text into 4 bytes; undefined when malformed. */
export function parseIPv4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i] ?? '';
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

function parseHextets(s: string): number[] | undefined {
  if (s === '') return [];
  const out: number[] = [];
  for (const h of s.split(':')) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(h)) return undefined;
    out.push(parseInt(h, 16));
  }
  return out;
}

/** Parse IPv6 text (with '::' and an optional trailing dotted quad; a %zone is ignored). */
export function parseIPv6(text: string): Uint8Array | undefined {
  let s = text;
  const pct = s.indexOf('%');
  if (pct >= 0) s = s.slice(0, pct);
  const lastColon = s.lastIndexOf(':');
  if (lastColon >= 0 && s.includes('.', lastColon)) {
    // Trailing dotted quad (e.g. ::ffff:192.0.2.1): rewrite it as two hex words.
    const v4 = parseIPv4(s.slice(lastColon + 1));
    if (!v4) return undefined;
    const hi = (((v4[0] ?? 0) << 8) | (v4[1] ?? 0)).toString(16);
    const lo = (((v4[2] ?? 0) << 8) | (v4[3] ?? 0)).toString(16);
    s = `${s.slice(0, lastColon + 1)}${hi}:${lo}`;
  }
  const dbl = s.indexOf('::');
  let words: number[];
  if (dbl >= 0) {
    if (s.indexOf('::', dbl + 1) >= 0) return undefined;
    const head = parseHextets(s.slice(0, dbl));
    const rest = parseHextets(s.slice(dbl + 2));
    if (!head || !rest) return undefined;
    const fill = 8 - head.length - rest.length;
    if (fill < 1) return undefined;
    words = [...head, ...new Array<number>(fill).fill(0), ...rest];
  } else {
    const all = parseHextets(s);
    if (!all) return undefined;
    words = all;
  }
  if (words.length !== 8) return undefined;
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

/** Parse either family; the length of the result tells which. */
export function parseAddress(text: string): Uint8Array | undefined {
  return text.includes(':') ? parseIPv6(text) : parseIPv4(text);
}

export function formatIPv4(b: Uint8Array, off = 0): string {
  return `${b[off] ?? 0}.${b[off + 1] ?? 0}.${b[off + 2] ?? 0}.${b[off + 3] ?? 0}`;
}

/** RFC 5952 text: lower case, no leading zeros, the longest run (>= 2) of zero words as '::'. */
export function formatIPv6(b: Uint8Array, off = 0): string {
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push(((b[off + 2 * i] ?? 0) << 8) | (b[off + 2 * i + 1] ?? 0));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (xs: number[]): string => xs.map((x) => x.toString(16)).join(':');
  if (bestLen < 2) return hex(w);
  return `${hex(w.slice(0, bestStart))}::${hex(w.slice(bestStart + bestLen))}`;
}

/** Canonical text for comparisons (config text vs decoded text); the input when unparseable. */
export function canonicalAddress(text: string): string {
  const b = parseAddress(text);
  if (!b) return text;
  return b.length === 4 ? formatIPv4(b) : formatIPv6(b);
}

/**
 * RFC 5798 §6.4.3 / RFC 3768 §6.4.3: compare primary addresses as unsigned big-endian
 * integers. Returns <0, 0, >0. Unparseable text sorts lowest; IPv4 sorts below IPv6.
 */
export function compareAddresses(a: string, b: string): number {
  const x = parseAddress(a);
  const y = parseAddress(b);
  if (!x || !y) return (x ? 1 : 0) - (y ? 1 : 0);
  if (x.length !== y.length) return x.length - y.length;
  for (let i = 0; i < x.length; i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}
