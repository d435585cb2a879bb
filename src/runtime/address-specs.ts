/**
 * Model entries (virtual_ipaddress, static_ipaddress) → the rtnetlink port's AddressSpec (routes and rules: route-specs.ts).
 * Pure mapping; the defaults here are keepalived's (IPv6 /128 VIPs deprecated, dev = instance interface).
 */
import type { VipEntry } from '../config/model';
import type { AddressSpec, Scope } from '../net/ports';

const SCOPES = new Set(['global', 'site', 'link', 'host', 'nowhere']);

function scopeOf(s: string | undefined): Scope | undefined {
  return s !== undefined && SCOPES.has(s) ? (s as Scope) : undefined;
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
  if (v.home) spec.home = true;
  if (v.mngtmpaddr) spec.mngtmpaddr = true;
  if (v.noprefixroute) spec.noprefixroute = true;
  if (v.autojoin) spec.autojoin = true;
  return spec;
}
