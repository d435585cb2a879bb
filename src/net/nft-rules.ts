/**
 * The no_accept firewall as nftables script text (for `nft -f -`), pure. The layout is the one
 * Debian's keepalived 2.2.7 (built with NFTABLES) installs, as observed with `nft list ruleset`:
 *
 * - one table per address family, `ip <name>` and/or `ip6 <name>` (default name `keepalived`),
 *   created the first time a VIP of that family is held without accept, kept (sets emptied)
 *   while no VIP is held, deleted at stop;
 * - a set `vips` (ipv4_addr / ipv6_addr) and base chains `out` (output hook, `saddr @vips drop`)
 *   and `in` (input hook, `daddr @vips drop`) at priority `nftables_priority` (default -1);
 * - IPv6 also: a constant set `neighbor-discovery` (NS, NA) accepted first, so neighbour
 *   discovery for the VIP keeps working; link-local VIPs go to a set `vips_link_local` keyed by
 *   address . interface (iface_index, or ifname when `dont_track_primary` without
 *   `nftables_ifindex`), matched from chains `in_link_local` / `out_link_local` reached by a
 *   `goto` on fe80::/10;
 * - `nftables_counters` adds `counter` to every rule.
 */

export type NftFamily = 'ip' | 'ip6';

export interface NftOptions {
  /** nftables [TABLENAME] (default keepalived). */
  table: string;
  /** nftables_priority (default -1). */
  priority: number;
  /** nftables_counters. */
  counters: boolean;
  /** Key link-local sets by interface index (iif/oif) rather than name (iifname/oifname). */
  ifindex: boolean;
}

export const DEFAULT_NFT_TABLE = 'keepalived';
export const DEFAULT_NFT_PRIORITY = -1;

/** One VIP held without accept: traffic to and from it is dropped. */
export interface DropEntry {
  address: string;
  /** Interface it is on (the key of a link-local IPv6 VIP). */
  ifname: string;
}

/** The elements of every set, per family. */
export interface DropSets {
  v4: string[];
  v6: string[];
  v6LinkLocal: Array<{ address: string; ifname: string }>;
}

export const isIpv6 = (a: string): boolean => a.includes(':');
export const isLinkLocal6 = (a: string): boolean => /^fe[89ab][0-9a-f]?:/i.test(a);

/** Every held VIP, deduplicated and sorted, split into the sets they belong to. */
export function dropSets(entries: Iterable<DropEntry>): DropSets {
  const v4 = new Set<string>();
  const v6 = new Set<string>();
  const ll = new Map<string, { address: string; ifname: string }>();
  for (const e of entries) {
    const a = e.address.toLowerCase();
    if (!isIpv6(a)) v4.add(a);
    else if (isLinkLocal6(a)) ll.set(`${a}|${e.ifname}`, { address: a, ifname: e.ifname });
    else v6.add(a);
  }
  return {
    v4: [...v4].sort(),
    v6: [...v6].sort(),
    v6LinkLocal: [...ll.keys()].sort().map((k) => ll.get(k) as { address: string; ifname: string }),
  };
}

/** Families that have at least one element in `s`. */
export function familiesOf(s: DropSets): NftFamily[] {
  const f: NftFamily[] = [];
  if (s.v4.length) f.push('ip');
  if (s.v6.length || s.v6LinkLocal.length) f.push('ip6');
  return f;
}

/** A table/chain/set name nft accepts unquoted (keepalived's names all are). */
export function validNftName(name: string): boolean {
  return /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/.test(name);
}

const quote = (s: string): string => `"${s.replace(/["\\]/g, '')}"`;

/** Create the table of one family with its sets, chains and rules (elements empty). */
export function createTableScript(family: NftFamily, o: NftOptions): string {
  const t = `${family} ${o.table}`;
  const c = o.counters ? ' counter' : '';
  const base = (name: string, hook: string): string =>
    `add chain ${t} ${name} { type filter hook ${hook} priority ${o.priority}; policy accept; }`;
  if (family === 'ip') {
    return [
      `add table ${t}`,
      `add set ${t} vips { type ipv4_addr; }`,
      base('out', 'output'),
      base('in', 'input'),
      `add rule ${t} out ip saddr @vips${c} drop`,
      `add rule ${t} in ip daddr @vips${c} drop`,
      '',
    ].join('\n');
  }
  const key = o.ifindex ? 'iface_index' : 'ifname';
  const [iif, oif] = o.ifindex ? ['iif', 'oif'] : ['iifname', 'oifname'];
  return [
    `add table ${t}`,
    `add set ${t} vips { type ipv6_addr; }`,
    `add set ${t} neighbor-discovery { type icmpv6_type; flags constant; elements = { nd-neighbor-solicit, nd-neighbor-advert }; }`,
    `add set ${t} vips_link_local { type ipv6_addr . ${key}; }`,
    base('out', 'output'),
    base('in', 'input'),
    `add chain ${t} in_link_local`,
    `add chain ${t} out_link_local`,
    `add rule ${t} out icmpv6 type @neighbor-discovery${c} accept`,
    `add rule ${t} out ip6 saddr fe80::/10${c} goto out_link_local`,
    `add rule ${t} out ip6 saddr @vips${c} drop`,
    `add rule ${t} in icmpv6 type @neighbor-discovery${c} accept`,
    `add rule ${t} in ip6 daddr fe80::/10${c} goto in_link_local`,
    `add rule ${t} in ip6 daddr @vips${c} drop`,
    `add rule ${t} in_link_local ip6 daddr . ${iif} @vips_link_local${c} drop`,
    `add rule ${t} out_link_local ip6 saddr . ${oif} @vips_link_local${c} drop`,
    '',
  ].join('\n');
}

/** Replace the elements of one family's sets with `s` (flush + add, atomic in one `nft -f`). */
export function syncSetsScript(family: NftFamily, o: NftOptions, s: DropSets): string {
  const t = `${family} ${o.table}`;
  const lines: string[] = [];
  const put = (set: string, elems: string[]): void => {
    lines.push(`flush set ${t} ${set}`);
    if (elems.length) lines.push(`add element ${t} ${set} { ${elems.join(', ')} }`);
  };
  if (family === 'ip') put('vips', s.v4);
  else {
    put('vips', s.v6);
    put('vips_link_local', s.v6LinkLocal.map((e) => `${e.address} . ${quote(e.ifname)}`));
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}

/**
 * Delete a table whether or not it exists (`add` of an existing table is a no-op, so the pair
 * works on every nft version; `destroy` needs nft >= 1.0.8).
 */
export function deleteTableScript(family: NftFamily, table: string): string {
  return `add table ${family} ${table}\ndelete table ${family} ${table}\n`;
}

/**
 * One transaction bringing the kernel from the tables in `created` to the sets `s`: tables of
 * families that now need one are created, then every created table's sets are rewritten.
 * Returns the script (empty when there is nothing to do) and the families created afterwards.
 */
export function planSync(created: ReadonlySet<NftFamily>, s: DropSets, o: NftOptions): { script: string; created: Set<NftFamily> } {
  const next = new Set(created);
  let script = '';
  for (const f of familiesOf(s)) {
    if (!next.has(f)) {
      script += createTableScript(f, o);
      next.add(f);
    }
  }
  for (const f of (['ip', 'ip6'] as const).filter((x) => next.has(x))) script += syncSetsScript(f, o, s);
  return { script, created: next };
}

/** `nft list tables` output → [family, name] pairs. */
export function parseTables(text: string): Array<{ family: string; name: string }> {
  const out: Array<{ family: string; name: string }> = [];
  for (const line of text.split('\n')) {
    const m = /^\s*table\s+(\S+)\s+(\S+)/.exec(line);
    if (m) out.push({ family: m[1] as string, name: m[2] as string });
  }
  return out;
}
