/**
 * Every interface the configuration names must exist, as keepalived 2.2.7 checks at `-t` and at
 * start-up (measured: `-t` exits 5 and the daemon refuses to start, "Non-existent interface
 * specified in configuration"); `dynamic_interfaces` in global_defs relaxes it. keepalived also
 * refuses a loopback interface as a vrrp_instance's `interface` ("cannot use a loopback
 * interface (lo) for vrrp - ignoring"). Pure: whether an interface exists is asked through the
 * injected `interfaceExists` hook (runtime/config-files gives the real one); without a hook
 * nothing is checked (unit tests, dumps).
 */
import type { Loc } from './ast';
import type { Diagnostics } from './diagnostics';
import type { Model } from './model';

/** What the host says about an interface name. */
export type InterfaceLookup = (name: string) => 'present' | 'absent' | 'loopback';

/** Stable code of every diagnostic here; cli/exit-status maps it to keepalived's exit 5. */
export const NO_INTERFACE = 'ERR_CONFIG_NO_INTERFACE';
/** An interface_up_down_delays line names a missing interface (keepalived 2.2.7's `-t` exits 4). */
export const DELAY_NO_INTERFACE = 'ERR_CONFIG_DELAY_NO_INTERFACE';

interface Use {
  name: string;
  what: string;
  loc: Loc | undefined;
  /** The VRRP instance's own interface: a loopback one is refused. */
  vrrp?: boolean;
  /** keepalived's own wording for this use, when it is not "interface X for WHAT doesn't exist". */
  missing?: string;
}

/** Every place the configuration names an interface, with keepalived's wording of it. */
export function interfaceUses(m: Model): Use[] {
  const uses: Use[] = [];
  const vip = (list: readonly { dev?: string; address: string; prefixLen: number; loc?: Loc }[]): void => {
    for (const v of list) if (v.dev) uses.push({ name: v.dev, what: `ip address ${v.address}/${v.prefixLen}`, loc: v.loc });
  };
  const routes = (list: readonly { dev?: string; loc?: Loc }[]): void => {
    for (const r of list) if (r.dev) uses.push({ name: r.dev, what: 'VROUTE nexthop', loc: r.loc });
  };
  vip(m.staticAddresses);
  routes(m.staticRoutes);
  for (const vi of m.vrrpInstances) {
    if (vi.interface) uses.push({ name: vi.interface, what: `vrrp_instance ${vi.name}`, loc: vi.loc, vrrp: true });
    for (const ti of vi.trackInterface) uses.push({ name: ti.name, what: `(${vi.name}) tracked interface`, loc: ti.loc });
    vip(vi.virtualIpaddress);
    vip(vi.virtualIpaddressExcluded);
    routes(vi.virtualRoutes);
  }
  for (const g of m.garpGroups ?? []) {
    for (const n of g.interfaces) uses.push({ name: n, what: 'garp_group', loc: g.loc, missing: `WARNING - interface ${n} specified for garp_group doesn't exist` });
  }
  for (const g of m.vrrpSyncGroups) for (const ti of g.trackInterface) uses.push({ name: ti.name, what: `(${g.name}) tracked interface`, loc: ti.loc });
  return uses;
}

/** Reports each missing (or, for a VRRP instance, loopback) interface, then keepalived's summary line. */
export function checkInterfaces(m: Model, diags: Diagnostics, lookup: InterfaceLookup): void {
  // keepalived 2.2.7 checks these as it reads them, dynamic_interfaces or not (`-t` then exits 4).
  for (const d of m.interfaceUpDownDelays ?? []) {
    if (lookup(d.ifname) === 'absent') diags.error(DELAY_NO_INTERFACE, `unknown interface ${d.ifname} specified for up/down delay`, d.loc);
  }
  if (m.globalDefs.dynamicInterfaces) return;
  let missing = 0;
  const seen = new Map<string, ReturnType<InterfaceLookup>>();
  for (const u of interfaceUses(m)) {
    let state = seen.get(u.name);
    if (state === undefined) seen.set(u.name, (state = lookup(u.name)));
    if (state === 'absent') {
      diags.error(NO_INTERFACE, u.missing ?? `interface ${u.name} for ${u.what} doesn't exist`, u.loc);
      missing++;
    } else if (state === 'loopback' && u.vrrp) {
      diags.error(NO_INTERFACE, `${u.what.replace(/^vrrp_instance (.*)$/, '($1)')} cannot use a loopback interface (${u.name}) for vrrp`, u.loc);
      missing++;
    }
  }
  // Fatal, as keepalived's: -t fails (exit 5) and the daemon does not start.
  if (missing) diags.fatal(NO_INTERFACE, 'Non-existent interface specified in configuration (dynamic_interfaces in global_defs allows it)');
}
