/**
 * Model entries (virtual_ipaddress, virtual_routes, virtual_rules) → the rtnetlink port's specs.
 * Pure mapping; the defaults here are keepalived's (IPv6 /128 VIPs deprecated, dev = instance interface).
 */
import type { Prefix, RouteEntry, RuleEntry, VipEntry } from '../config/model';
import type { AddressSpec, RouteSpec, RuleSpec, Scope } from '../net/ports';

const TABLES: Record<string, number> = { default: 253, main: 254, local: 255 };
const SCOPES = new Set(['global', 'site', 'link', 'host', 'nowhere']);

export function tableId(t: string | undefined): number | undefined {
  if (t === undefined) return undefined;
  return TABLES[t] ?? (/^\d+$/.test(t) ? Number(t) : undefined);
}

function scopeOf(s: string | undefined): Scope | undefined {
  return s !== undefined && SCOPES.has(s) ? (s as Scope) : undefined;
}

function prefixText(p: Prefix): string {
  return `${p.address}/${p.prefixLen}`;
}

export function vipToAddressSpec(v: VipEntry, defaultDev: string): AddressSpec {
  const spec: AddressSpec = { family: v.family, address: v.address, prefixLen: v.prefixLen, dev: v.dev ?? defaultDev };
  if (v.brd !== undefined) spec.broadcast = v.brd;
  const scope = scopeOf(v.scope);
  if (scope) spec.scope = scope;
  if (v.label !== undefined) spec.label = v.label;
  if (v.peer !== undefined) spec.peer = v.peer;
  if (v.preferredLft !== undefined) spec.preferredLft = v.preferredLft;
  else if (v.family === 'inet6' && v.prefixLen === 128) spec.preferredLft = 0;
  if (v.family === 'inet6') spec.noDad = true;
  return spec;
}

export function routeToSpec(r: RouteEntry, defaultDev: string | undefined): RouteSpec {
  const spec: RouteSpec = { family: r.to.family, to: r.to.prefixLen === 0 && /^(0\.0\.0\.0|::)$/.test(r.to.address) ? 'default' : prefixText(r.to) };
  if (r.src !== undefined) spec.src = r.src;
  if (r.via[0] !== undefined) spec.via = r.via[0];
  const dev = r.dev ?? (r.via.length === 0 && r.type === 'unicast' ? defaultDev : undefined);
  if (dev !== undefined) spec.dev = dev;
  const table = tableId(r.table);
  if (table !== undefined) spec.table = table;
  if (r.metric !== undefined) spec.metric = r.metric;
  const scope = scopeOf(r.scope);
  if (scope) spec.scope = scope;
  if (r.type !== 'unicast') spec.type = r.type as RouteSpec['type'];
  if ('onlink' in r.options) spec.onlink = true;
  return spec;
}

export function ruleToSpec(r: RuleEntry): RuleSpec {
  const spec: RuleSpec = { family: r.family };
  if (r.from) spec.from = prefixText(r.from);
  if (r.to) spec.to = prefixText(r.to);
  const table = tableId(r.table);
  if (table !== undefined) spec.table = table;
  if (r.iif !== undefined) spec.iif = r.iif;
  if (r.oif !== undefined) spec.oif = r.oif;
  if (r.fwmark !== undefined) {
    const [mark, mask] = r.fwmark.split('/');
    spec.fwmark = Number(mark);
    if (mask !== undefined) spec.fwmask = Number(mask);
  }
  if (r.preference !== undefined) spec.priority = r.preference;
  return spec;
}
