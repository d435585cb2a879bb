/**
 * virtual_routes / static_routes and virtual_rules / static_rules lines (the words as written,
 * `ip route` / `ip rule` syntax as keepalived documents it) → the rtnl port's RouteSpec /
 * RuleSpec. Named tables, protocols and realms resolve through iproute2's files (injected as
 * Iproute2Names) as `ip` resolves them; an unknown name is an error, never the main table.
 * keepalived marks its routes and rules `proto keepalived` (18) unless `protocol` says otherwise
 * (measured: `ip route` shows "proto keepalived" for both static and virtual routes).
 * Pure: no I/O.
 */
import type { RouteEntry, RuleEntry } from '../config/model';
import type { Iproute2Names } from '../config/rt-tables';
import { iproute2Names, parseNumeral } from '../config/rt-tables';
import { familyOf, parsePrefix } from '../config/addresses';
import type { Family, NextHopSpec, RouteMetricName, RouteSpec, RouteType, RuleAction, RuleSpec, Scope } from '../net/ports';

export type SpecResult<T> = { ok: true; spec: T } | { ok: false; error: string };

export const RTPROT_KEEPALIVED = 18;

const SCOPE_NAMES: Record<string, Scope> = { global: 'global', universe: 'global', site: 'site', link: 'link', host: 'host', nowhere: 'nowhere' };
const ROUTE_TYPES = new Set<RouteType>(['unicast', 'local', 'broadcast', 'anycast', 'multicast', 'blackhole', 'unreachable', 'prohibit', 'throw', 'nat']);
const METRICS = new Set<RouteMetricName>([
  'mtu', 'window', 'rtt', 'rttvar', 'ssthresh', 'cwnd', 'advmss', 'reordering', 'hoplimit', 'initcwnd', 'rto_min', 'initrwnd',
  'quickack', 'fastopen_no_cookie',
]);
/** Words that change nothing in the kernel request (tracking, or keepalived-only). */
const IGNORED_FLAGS = new Set(['no_track', 'append', 'prepend']);
const IGNORED_VALUES = new Set(['track_group']);
/** Where an ignored word at `i` ends (i for a flag, i + 1 for a keyword and its value); undefined if words[i] is not ignored. */
function lastIgnoredWord(words: readonly string[], i: number): number | undefined {
  const w = words[i] as string;
  return IGNORED_FLAGS.has(w) ? i : IGNORED_VALUES.has(w) ? i + 1 : undefined;
}
const IP_PROTOS: Record<string, number> = { icmp: 1, igmp: 2, tcp: 6, udp: 17, gre: 47, esp: 50, ah: 51, 'ipv6-icmp': 58, icmpv6: 58, sctp: 132, udplite: 136 };

class Fail extends Error {}
const fail = (msg: string): never => {
  throw new Fail(msg);
};

function num(w: string | undefined, what: string, max = 0xffffffff): number {
  const n = w === undefined ? undefined : parseNumeral(w);
  if (n === undefined || n > max) return fail(`bad ${what} '${w ?? ''}'`);
  return n;
}

function named(w: string | undefined, table: { id(s: string): number | undefined }, what: string, max = 0xffffffff): number {
  const n = w === undefined ? undefined : table.id(w);
  if (n === undefined || n > max) return fail(`unknown ${what} '${w ?? ''}'`);
  return n;
}

function realmsOf(w: string | undefined, names: Iproute2Names): number {
  if (w === undefined) return fail('realms needs a value');
  const [a, b] = w.split('/');
  const to = named(b ?? a, names.realms, 'realm', 0xffff);
  const from = b === undefined ? 0 : named(a, names.realms, 'realm', 0xffff);
  return ((from << 16) | to) >>> 0;
}

function range(w: string | undefined, what: string, max: number): [number, number] {
  const [a, b] = (w ?? '').split('-');
  const lo = num(a, what, max);
  return [lo, b === undefined ? lo : num(b, what, max)];
}

function gateway(words: readonly string[], i: number): { ip: string; next: number } {
  let j = i;
  if (words[j] === 'inet' || words[j] === 'inet6') j++;
  const ip = words[j];
  if (ip === undefined || familyOf(ip) === undefined) return fail(`bad gateway '${ip ?? ''}'`);
  return { ip, next: j };
}

/** `nexthop via IP dev IF weight N onlink` words after index i; returns the index of the last word used. */
function nexthopAt(words: readonly string[], i: number, out: NextHopSpec[]): number {
  const nh: NextHopSpec = {};
  let j = i + 1;
  while (j < words.length) {
    const w = words[j];
    if (w === 'via' || w === 'gw') {
      const g = gateway(words, j + 1);
      nh.via = g.ip;
      j = g.next + 1;
    } else if (w === 'dev') {
      nh.dev = words[j + 1] ?? fail('dev needs a name');
      j += 2;
    } else if (w === 'weight') {
      nh.weight = num(words[j + 1], 'nexthop weight', 256);
      j += 2;
    } else if (w === 'onlink') {
      nh.onlink = true;
      j++;
    } else break;
  }
  return finishNexthop(nh, out, j - 1);
}

function finishNexthop(nh: NextHopSpec, out: NextHopSpec[], j: number): number {
  if (nh.via === undefined && nh.dev === undefined) return fail('nexthop needs via or dev');
  if (nh.weight === 0) return fail('nexthop weight must be 1..256');
  out.push(nh);
  return j;
}

function parseRouteWords(words: readonly string[], defaultDev: string | undefined, names: Iproute2Names): RouteSpec {
  let to: string | undefined;
  let family: Family | undefined;
  let type: RouteType = 'unicast';
  const r: Partial<RouteSpec> = {};
  const via: string[] = [];
  const nexthops: NextHopSpec[] = [];
  const metrics: Partial<Record<RouteMetricName, number>> = {};
  const locked: RouteMetricName[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as string;
    const v = words[i + 1];
    const last = lastIgnoredWord(words, i);
    if (last !== undefined) { i = last; continue; }
    if (w === 'to') continue;
    if (ROUTE_TYPES.has(w as RouteType) && to === undefined) {
      type = w as RouteType;
      continue;
    }
    if (METRICS.has(w as RouteMetricName)) {
      let k = i + 1;
      if (words[k] === 'lock') {
        locked.push(w as RouteMetricName);
        k++;
      }
      metrics[w as RouteMetricName] = num(words[k], w);
      i = k;
      continue;
    }
    switch (w) {
      case 'src': r.src = v ?? fail('src needs an address'); i++; break;
      case 'from': r.from = v ?? fail('from needs a prefix'); i++; break;
      case 'via': case 'gw': case 'or': {
        const g = gateway(words, i + 1);
        via.push(g.ip);
        i = g.next;
        break;
      }
      case 'dev': case 'oif': r.dev = v ?? fail('dev needs a name'); i++; break;
      case 'table': r.table = named(v, names.tables, 'table'); i++; break;
      case 'metric': case 'priority': case 'preference': r.metric = num(v, 'metric'); i++; break;
      case 'protocol': case 'proto': r.proto = named(v, names.protos, 'protocol', 255); i++; break;
      case 'scope': {
        const s = v === undefined ? undefined : SCOPE_NAMES[v];
        if (!s) return fail(`bad scope '${v ?? ''}'`);
        r.scope = s;
        i++;
        break;
      }
      case 'tos': case 'dsfield': r.tos = num(v, 'tos', 255); i++; break;
      case 'realms': case 'realm': r.realms = realmsOf(v, names); i++; break;
      case 'features':
        if (v !== 'ecn') return fail(`unknown feature '${v ?? ''}'`);
        metrics.features = 1; // RTAX_FEATURE_ECN
        i++;
        break;
      case 'congctl': {
        let k = i + 1;
        if (words[k] === 'lock') k++;
        r.congctl = words[k] ?? fail('congctl needs a name');
        i = k;
        break;
      }
      case 'pref':
        if (v !== 'low' && v !== 'medium' && v !== 'high') return fail(`bad pref '${v ?? ''}'`);
        r.pref = v;
        i++;
        break;
      case 'onlink': r.onlink = true; break;
      case 'pervasive': break; // RTNH_F_PERVASIVE is ignored by Linux
      case 'nexthop': i = nexthopAt(words, i, nexthops); break;
      case 'vrf': return fail('vrf is not supported (this kernel has no VRF devices)');
      case 'encap': return fail('encap is not supported');
      default: {
        if (to !== undefined) return fail(`unknown route option '${w}'`);
        to = w;
      }
    }
  }
  if (to === undefined) return fail('no destination');
  const fam = familyOf(to.split('/')[0] as string) ?? familyOf(via[0] ?? '') ?? familyOf(r.src ?? '') ?? familyOf(nexthops[0]?.via ?? '') ?? 'inet';
  family = fam;
  const pfx = parsePrefix(to, family);
  if (!pfx) return fail(`bad destination '${to}'`);
  const spec: RouteSpec = { family, to: pfx.prefixLen === 0 ? 'default' : `${pfx.address}/${pfx.prefixLen}`, ...r };
  if (type !== 'unicast') spec.type = type;
  // keepalived 2.2.7 (observed): a route it tracks (no `no_track`) must be `proto keepalived`;
  // another protocol is reset ("Route cannot be tracked if protocol is not RTPROT_KEEPALIVED(18),
  // resetting protocol", said at config time by config/resolve-lines).
  if (spec.proto === undefined || !words.includes('no_track')) spec.proto = RTPROT_KEEPALIVED;
  // keepalived adds routes with universe scope unless told (measured: `dev eth2` routes show no
  // `scope link`, unlike `ip route add`); local routes are host scope as the kernel requires.
  spec.scope ??= type === 'local' ? 'host' : type === 'broadcast' ? 'link' : 'global';
  // `via A or B` is a multipath route over A and B (same device), as keepalived builds it.
  if (via.length > 1) for (const g of via) nexthops.push(spec.dev !== undefined ? { via: g, dev: spec.dev } : { via: g });
  else if (via[0] !== undefined) spec.via = via[0];
  if (nexthops.length) {
    spec.nexthops = nexthops;
    if (via.length > 1) delete spec.dev;
  }
  if (Object.keys(metrics).length) spec.metrics = metrics;
  if (locked.length) spec.locked = locked;
  if (spec.dev === undefined && spec.via === undefined && !spec.nexthops && type === 'unicast' && defaultDev !== undefined) spec.dev = defaultDev;
  return spec;
}

/** A route line → RouteSpec. defaultDev: the instance's interface for a route with neither via nor dev. */
export function routeArgsToSpec(words: readonly string[], defaultDev: string | undefined, names: Iproute2Names): SpecResult<RouteSpec> {
  try {
    return { ok: true, spec: parseRouteWords(words, defaultDev, names) };
  } catch (e) {
    if (e instanceof Fail) return { ok: false, error: e.message };
    throw e;
  }
}

export function routeEntryToSpec(r: RouteEntry, defaultDev: string | undefined, names: Iproute2Names): SpecResult<RouteSpec> {
  return routeArgsToSpec(r.args, defaultDev, names);
}

const RULE_ACTIONS = new Set<RuleAction>(['blackhole', 'unreachable', 'prohibit', 'nop']);

function parseRuleWords(words: readonly string[], names: Iproute2Names): RuleSpec {
  const spec: RuleSpec = { family: 'inet' };
  let familySet = false;
  const setFamily = (ip: string): void => {
    const f = familyOf(ip.split('/')[0] as string);
    if (f && !familySet) {
      spec.family = f;
      familySet = true;
    }
  };
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as string;
    const v = words[i + 1];
    const last = lastIgnoredWord(words, i);
    if (last !== undefined) { i = last; continue; }
    if (RULE_ACTIONS.has(w as RuleAction)) {
      spec.action = w as RuleAction;
      continue;
    }
    switch (w) {
      case 'inet': case 'inet6': spec.family = w; familySet = true; break;
      case 'not': spec.invert = true; break;
      case 'from': case 'to': {
        if (v === undefined) return fail(`${w} needs a prefix`);
        if (v !== 'all') {
          setFamily(v);
          spec[w] = v;
        }
        i++;
        break;
      }
      case 'table': case 'lookup': spec.table = named(v, names.tables, 'table'); i++; break;
      case 'priority': case 'preference': case 'pref': case 'order': spec.priority = num(v, 'priority'); i++; break;
      case 'iif': case 'dev': spec.iif = v ?? fail('iif needs a name'); i++; break;
      case 'oif': spec.oif = v ?? fail('oif needs a name'); i++; break;
      case 'fwmark': {
        const [mark, mask] = (v ?? '').split('/');
        spec.fwmark = num(mark, 'fwmark');
        if (mask !== undefined) spec.fwmask = num(mask, 'fwmark mask');
        i++;
        break;
      }
      case 'tos': case 'dsfield': spec.tos = num(v, 'tos', 255); i++; break;
      case 'realms': spec.realms = realmsOf(v, names); i++; break;
      case 'goto': spec.action = 'goto'; spec.gotoPriority = num(v, 'goto'); i++; break;
      case 'suppress_prefixlength': spec.suppressPrefixLength = num(v, 'suppress_prefixlength', 128); i++; break;
      case 'suppress_ifgroup': spec.suppressIfgroup = num(v, 'suppress_ifgroup'); i++; break;
      case 'uidrange': spec.uidRange = range(v, 'uidrange', 0xffffffff); i++; break;
      case 'sport': spec.sport = range(v, 'sport', 65535); i++; break;
      case 'dport': spec.dport = range(v, 'dport', 65535); i++; break;
      case 'ipproto': case 'ip_proto': {
        const p = v === undefined ? undefined : (IP_PROTOS[v.toLowerCase()] ?? parseNumeral(v));
        if (p === undefined || p > 255) return fail(`bad ip_proto '${v ?? ''}'`);
        spec.ipProto = p;
        i++;
        break;
      }
      case 'l3mdev': spec.l3mdev = true; break;
      case 'protocol': spec.proto = named(v, names.protos, 'protocol', 255); i++; break;
      default: return fail(`unknown rule option '${w}'`);
    }
  }
  if (spec.action === undefined && spec.table !== undefined) spec.action = 'table';
  if (spec.action === undefined && !spec.l3mdev) return fail('a rule needs a table or an action');
  // As for routes: a tracked rule is proto keepalived whatever `protocol` says (config/resolve-lines says so).
  if (spec.proto === undefined || !words.includes('no_track')) spec.proto = RTPROT_KEEPALIVED;
  return spec;
}

export function ruleArgsToSpec(words: readonly string[], names: Iproute2Names): SpecResult<RuleSpec> {
  try {
    return { ok: true, spec: parseRuleWords(words, names) };
  } catch (e) {
    if (e instanceof Fail) return { ok: false, error: e.message };
    throw e;
  }
}

export function ruleEntryToSpec(r: RuleEntry, names: Iproute2Names): SpecResult<RuleSpec> {
  const s = ruleArgsToSpec(r.args, names);
  // A rule written without a preference gets the one the configuration assigned (config/rule-preference).
  if (s.ok && s.spec.priority === undefined && r.preference !== undefined) s.spec.priority = r.preference;
  return s;
}

/** For callers that report failures as exceptions (InstanceRuntime.tolerate logs them). */
export function routeSpecOrThrow(r: RouteEntry, defaultDev: string | undefined, names: Iproute2Names = iproute2Names()): RouteSpec {
  const s = routeEntryToSpec(r, defaultDev, names);
  if (!s.ok) throw new Error(s.error);
  return s.spec;
}

export function ruleSpecOrThrow(r: RuleEntry, names: Iproute2Names = iproute2Names()): RuleSpec {
  const s = ruleEntryToSpec(r, names);
  if (!s.ok) throw new Error(s.error);
  return s.spec;
}
