/**
 * Parsers for the list blocks kept as raw lines by config/build: virtual_ipaddress /
 * static_ipaddress entries, routes, rules, track_* references and unicast peers.
 * Each returns undefined after reporting when a line cannot be used.
 */
import type { RawLine } from './build';
import type { Diagnostics } from './diagnostics';
import { familyOf, normalizeIp, parsePrefix } from './addresses';
import type { Family, RouteEntry, RouteType, RuleEntry, TrackInterfaceRef, TrackRef, UnicastPeer, VipEntry } from './model';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const VIP_FLAGS: Record<string, keyof VipEntry> = {
  no_track: 'noTrack', use_vmac: 'useVmac', home: 'home', '-nodad': 'nodad', nodad: 'nodad',
  mngtmpaddr: 'mngtmpaddr', noprefixroute: 'noprefixroute', autojoin: 'autojoin',
};
const VIP_VALUES = new Set(['brd', 'broadcast', 'dev', 'scope', 'label', 'peer', 'preferred_lft', 'track_group']);

/** `IP[/len] [brd X] [dev IF] [scope S] [label L] [peer IP] [flags...] [preferred_lft N|forever]`. */
export function parseVip(line: RawLine, diags: Diagnostics): VipEntry | undefined {
  const [first, ...rest] = line.args;
  const pfx = parsePrefix(first as string);
  if (!pfx || first === 'default') {
    diags.error('ERR_CONFIG_BAD_ADDRESS', `invalid IP address '${first}' in address list; entry skipped`, line.loc);
    return undefined;
  }
  // Plain literal, no spread: Node 20 makes `{...x, more}` ~100x slower, which shows at 10k instances.
  const vip: Mutable<VipEntry> = {
    address: pfx.address, prefixLen: pfx.prefixLen, family: pfx.family, loc: line.loc,
    noTrack: false, useVmac: false, home: false, nodad: false, mngtmpaddr: false, noprefixroute: false, autojoin: false,
  };
  for (let i = 0; i < rest.length; i++) {
    const w = rest[i] as string;
    const flagProp = VIP_FLAGS[w];
    if (flagProp) {
      (vip as Record<string, unknown>)[flagProp] = true;
      continue;
    }
    const v = rest[i + 1];
    if (!VIP_VALUES.has(w) || v === undefined) {
      diags.warn('ERR_CONFIG_BAD_VALUE', `unknown option '${w}' for ip address ${first} - ignoring`, line.argLocs[i + 1] ?? line.loc);
      continue;
    }
    i++;
    if (w === 'brd' || w === 'broadcast') vip.brd = v;
    else if (w === 'dev') vip.dev = v;
    else if (w === 'scope') vip.scope = v;
    else if (w === 'label') vip.label = v;
    else if (w === 'peer') vip.peer = v;
    else if (w === 'track_group') vip.trackGroup = v;
    else if (v === 'forever') vip.preferredLft = 'forever';
    else if (/^\d+$/.test(v)) vip.preferredLft = Number(v);
    else diags.error('ERR_CONFIG_BAD_VALUE', `invalid preferred_lft '${v}'`, line.argLocs[i + 1] ?? line.loc);
  }
  return vip;
}

const ROUTE_TYPES = new Set<RouteType>(['unicast', 'blackhole', 'unreachable', 'prohibit', 'throw', 'local', 'broadcast', 'anycast', 'multicast', 'nat']);
const ROUTE_VALUE_KEYS = new Set([
  'src', 'via', 'gw', 'or', 'dev', 'oif', 'scope', 'table', 'metric', 'preference', 'priority', 'protocol', 'proto', 'mtu',
  'advmss', 'realms', 'realm', 'tos', 'dsfield', 'weight', 'rtt', 'rttvar', 'reordering', 'window', 'cwnd', 'initcwnd',
  'initrwnd', 'ssthresh', 'rto_min', 'hoplimit', 'features', 'quickack', 'congctl', 'pref', 'nexthop', 'encap', 'expires',
  'fastopen_no_cookie', 'ttl-propagate', 'track_group',
]);
const ROUTE_FLAGS = new Set(['no_track', 'onlink', 'pervasive', 'lock']);

/** `[src IP] [to] [TYPE] PFX [via|gw IP [or IP]...] [dev IF] [scope S] [table T] [metric N] ... [no_track]`. */
export function parseRoute(line: RawLine, diags: Diagnostics): RouteEntry | undefined {
  const a = line.args;
  let to: RouteEntry['to'] | undefined;
  let type: RouteType = 'unicast';
  const via: string[] = [];
  const options: Record<string, string> = {};
  let noTrack = false;
  for (let i = 0; i < a.length; i++) {
    const w = a[i] as string;
    const at = line.argLocs[i] ?? line.loc;
    if (ROUTE_TYPES.has(w as RouteType) && !to) type = w as RouteType;
    else if (w === 'to') continue;
    else if (ROUTE_FLAGS.has(w)) {
      if (w === 'no_track') noTrack = true;
      else options[w] = '';
    } else if (ROUTE_VALUE_KEYS.has(w) && a[i + 1] !== undefined) {
      const v = a[++i] as string;
      if (w === 'via' || w === 'gw' || w === 'or') via.push(v);
      else options[w === 'proto' ? 'protocol' : w] = v;
    } else if (!to) {
      to = parsePrefix(w, familyOf(a.find((x) => familyOf(x) !== undefined) ?? '') ?? 'inet');
      if (!to) {
        diags.warn('ERR_CONFIG_BAD_ADDRESS', `invalid route destination '${w}'; route skipped`, at);
        return undefined;
      }
    } else {
      diags.warn('ERR_CONFIG_BAD_VALUE', `unknown route option '${w}' - ignoring`, at);
    }
  }
  if (!to) {
    diags.warn('ERR_CONFIG_BAD_ADDRESS', 'route without a destination; route skipped', line.loc);
    return undefined;
  }
  const metric = options.metric ?? options.preference ?? options.priority;
  const r: Mutable<RouteEntry> = { to, type, via, noTrack, options, args: [...a], loc: line.loc };
  if (options.src) r.src = options.src;
  if (options.dev ?? options.oif) r.dev = options.dev ?? options.oif;
  if (options.table) r.table = options.table;
  if (options.scope) r.scope = options.scope;
  if (options.protocol !== undefined && !noTrack && options.protocol !== 'keepalived' && options.protocol !== '18') {
    // keepalived 2.2.7 (observed, static and virtual routes alike; -t exits 5): the route is installed as proto keepalived.
    diags.error('ERR_CONFIG_BAD_VALUE', 'Route cannot be tracked if protocol is not RTPROT_KEEPALIVED(18), resetting protocol', line.loc);
  } else if (options.protocol) r.protocol = options.protocol;
  if (!noTrack && !a.includes('dev') && !a.includes('oif')) {
    // keepalived 2.2.7 (observed, static and virtual routes; -t exits 5): installed all the same.
    diags.error('ERR_CONFIG_ROUTE_NO_DEV', `Warning - cannot track route ${to.address}/${to.prefixLen} with no interface specified, not tracking`, line.loc);
  }
  if (options.track_group !== undefined) {
    r.trackGroup = options.track_group;
    delete options.track_group;
  }
  if (metric !== undefined && /^\d+$/.test(metric)) r.metric = Number(metric);
  return r;
}

// keepalived 2.2.7's words (observed with -t): `pref` and `ip_proto` (which its man page shows) are
// "Unknown rule option", and the rule is not installed; `order`, `priority`, `preference`, `ipproto` are taken.
const RULE_VALUE_KEYS = new Set([
  'from', 'to', 'table', 'lookup', 'priority', 'preference', 'order', 'iif', 'dev', 'oif', 'fwmark', 'tos', 'dsfield',
  'realms', 'goto', 'suppress_prefixlength', 'suppress_ifgroup', 'uidrange', 'sport', 'dport', 'ipproto', 'l3mdev', 'protocol', 'nat', 'map-to',
  'track_group',
]);
const RULE_FLAGS = new Set(['no_track', 'not', 'l3mdev', 'blackhole', 'unreachable', 'prohibit', 'inet', 'inet6']);

/** `[from PFX] [to PFX] [table T] [priority N] [iif IF] [oif IF] [fwmark M] ... [no_track]`. */
export function parseRule(line: RawLine, diags: Diagnostics): RuleEntry | undefined {
  const a = line.args;
  const options: Record<string, string> = {};
  let noTrack = false;
  for (let i = 0; i < a.length; i++) {
    const w = a[i] as string;
    if (RULE_FLAGS.has(w)) {
      if (w === 'no_track') noTrack = true;
      else options[w] = '';
    } else if (RULE_VALUE_KEYS.has(w) && a[i + 1] !== undefined) {
      options[w] = a[++i] as string;
    } else {
      // keepalived 2.2.7: a config error (-t exits 5), and the rule is skipped.
      diags.error('ERR_CONFIG_BAD_VALUE', `Unknown rule option ${w}`, line.argLocs[i] ?? line.loc);
      return undefined;
    }
  }
  const r: Mutable<RuleEntry> = { family: 'inet', noTrack, options, args: [...a], loc: line.loc };
  for (const key of ['from', 'to'] as const) {
    const text = options[key];
    if (text === undefined) continue;
    const p = parsePrefix(text);
    if (!p) {
      // keepalived warns about a malformed prefix and skips the rule (samples: keepalived.conf.vrrp.rules).
      diags.warn('ERR_CONFIG_BAD_ADDRESS', `invalid rule ${key} prefix '${text}'; rule skipped`, line.argLocs[a.indexOf(key) + 1] ?? line.loc);
      return undefined;
    }
    r[key] = p;
    r.family = p.family;
  }
  if ('inet6' in options) r.family = 'inet6';
  const table = options.table ?? options.lookup;
  if (table !== undefined) r.table = table;
  const pref = options.priority ?? options.preference ?? options.order;
  if (pref !== undefined && /^\d+$/.test(pref)) r.preference = Number(pref);
  const proto = options.protocol;
  if (proto !== undefined && !/^\d+$/.test(proto)) {
    // keepalived 2.2.7 (observed): a rule's protocol is a number only (no rt_protos names, not even
    // "static"); the rule is installed without it, as proto keepalived.
    const at = line.argLocs[a.indexOf('protocol') + 1] ?? line.loc;
    diags.error('ERR_CONFIG_BAD_VALUE', `invalid number '${proto}'`, at);
    diags.error('ERR_CONFIG_BAD_VALUE', `Invalid protocol ${proto}`, at);
    delete options.protocol;
    const i = a.indexOf('protocol');
    r.args = [...a.slice(0, i), ...a.slice(i + 2)];
  } else if (proto !== undefined && !noTrack && proto !== '18') {
    // As for routes (keepalived 2.2.7, observed): a tracked rule is installed as proto keepalived.
    diags.error('ERR_CONFIG_BAD_VALUE', 'Rule cannot be tracked if protocol is not RTPROT_KEEPALIVED(18), resetting protocol', line.loc);
  }
  if (options.iif ?? options.dev) r.iif = options.iif ?? options.dev;
  if (options.oif) r.oif = options.oif;
  if (options.fwmark) r.fwmark = options.fwmark;
  if (options.track_group !== undefined) {
    r.trackGroup = options.track_group;
    delete options.track_group;
  }
  return r;
}

/** `weight N [reverse|noreverse]` starting at index i of words. */
function weightAt(line: RawLine, i: number, max: number, diags: Diagnostics): { weight?: number; reverse: boolean; ok: boolean } {
  let weight: number | undefined;
  let reverse = false;
  const a = line.args;
  for (; i < a.length; i++) {
    const w = a[i] as string;
    if (w === 'reverse') reverse = true;
    else if (w === 'noreverse') reverse = false;
    else if (w === 'weight' && a[i + 1] !== undefined) {
      const v = a[++i] as string;
      if (!/^[-+]?\d+$/.test(v) || Math.abs(Number(v)) > max) {
        diags.error('ERR_CONFIG_OUT_OF_RANGE', `weight '${v}' for '${a[0]}' must be an integer in [-${max}, ${max}]`, line.argLocs[i] ?? line.loc);
        return { reverse, ok: false };
      }
      weight = Number(v);
    } else {
      diags.error('ERR_CONFIG_BAD_VALUE', `unexpected '${w}' after '${a[0]}' (expected weight N [reverse])`, line.argLocs[i] ?? line.loc);
      return { reverse, ok: false };
    }
  }
  return { weight, reverse, ok: true };
}

/** `IF [weight N [reverse]]` (track_interface: -253..253, no weight = FAULT on down). */
export function parseTrackInterface(line: RawLine, diags: Diagnostics): TrackInterfaceRef | undefined {
  const w = weightAt(line, 1, 253, diags);
  return w.ok ? { name: line.args[0] as string, weight: w.weight ?? 0, reverse: w.reverse, loc: line.loc } : undefined;
}

/** `NAME [weight N] [reverse|noreverse]` for track_script (253) / track_file, track_process (254). */
export function parseTrackRef(line: RawLine, max: number, diags: Diagnostics): TrackRef | undefined {
  const w = weightAt(line, 1, max, diags);
  if (!w.ok) return undefined;
  const ref: Mutable<TrackRef> = { name: line.args[0] as string, reverse: w.reverse, loc: line.loc };
  if (w.weight !== undefined) ref.weight = w.weight;
  return ref;
}

/** Tracker definition `weight N [reverse]` (vrrp_script, track_file, vrrp_track_process). */
export function parseWeightWords(words: readonly string[] | undefined, max: number, kwLoc: RawLine['loc'], diags: Diagnostics): { weight: number; reverse: boolean } {
  if (!words) return { weight: 0, reverse: false };
  // Re-read as a track line `weight weight N [reverse]` so the shared parser applies.
  const args = ['weight', 'weight', ...words];
  const w = weightAt({ args, argLocs: args.map(() => kwLoc), loc: kwLoc }, 1, max, diags);
  return { weight: w.weight ?? 0, reverse: w.reverse };
}

/** `IP [min_ttl N] [max_ttl N]`. */
export function parseUnicastPeer(line: RawLine, diags: Diagnostics): UnicastPeer | undefined {
  const [ip, ...rest] = line.args;
  const address = normalizeIp(ip as string);
  if (!address) {
    diags.error('ERR_CONFIG_BAD_ADDRESS', `invalid unicast peer address '${ip}'`, line.loc);
    return undefined;
  }
  const peer: Mutable<UnicastPeer> = { address, family: familyOf(address) as Family, loc: line.loc };
  for (let i = 0; i < rest.length; i += 2) {
    const k = rest[i];
    const v = rest[i + 1];
    if ((k === 'min_ttl' || k === 'max_ttl') && v !== undefined && /^\d+$/.test(v) && Number(v) <= 255) {
      peer[k === 'min_ttl' ? 'minTtl' : 'maxTtl'] = Number(v);
    } else {
      diags.error('ERR_CONFIG_BAD_VALUE', `invalid unicast_peer option '${k ?? ''} ${v ?? ''}'`, line.argLocs[i + 1] ?? line.loc);
    }
  }
  return peer;
}
