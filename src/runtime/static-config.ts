/**
 * static_ipaddress, static_routes and static_rules: installed when the VRRP side starts (before
 * any instance), kept while running, removed at stop, as keepalived 2.2.7 does (measured in the
 * namespace lab): a static address deleted behind its back is re-added at once ("Restoring
 * deleted static address ..."), so is a deleted static route ("Restoring deleted static route
 * ..."); a deleted static rule is not restored; at stop rules, then routes, then addresses go.
 * On reload the old and new sets are compared by what identifies each entry: only the
 * difference is removed/added.
 */
import type { RouteEntry, RuleEntry, VipEntry } from '../config/model';
import type { AddressSpec, NetEvent, RouteEvent, RouteSpec, RtnlPort, RtnlWatch, RuleEvent, RuleSpec } from '../net/ports';
import type { Logger } from '../observe/log';
import type { Iproute2Names } from '../config/rt-tables';
import { iproute2Names } from '../config/rt-tables';
import { vipToAddressSpec } from './address-specs';
import { routeEntryToSpec, ruleEntryToSpec } from './route-specs';

export interface StaticEntries {
  readonly staticAddresses: readonly VipEntry[];
  readonly staticRoutes: readonly RouteEntry[];
  readonly staticRules: readonly RuleEntry[];
}

export interface StaticConfigDeps {
  rtnl: RtnlPort;
  log: Logger;
  /** iproute2 names (rt_tables, rt_protos, rt_realms); default: built-ins only. */
  names?: Iproute2Names;
}

interface Built {
  addrs: AddressSpec[];
  routes: RouteSpec[];
  rules: RuleSpec[];
  /** Rules naming a track_group (not no_track): keepalived 2.2.7 restores these when deleted, not the others. */
  trackedRules?: RuleSpec[];
}

const addrKey = (a: AddressSpec): string => `${a.family} ${a.address}/${a.prefixLen} ${a.dev}`;
const routeKey = (r: RouteSpec): string => `${r.family} ${r.to} ${r.table ?? 254} ${r.metric ?? 0} ${r.tos ?? 0}`;
const ruleKey = (r: RuleSpec): string => JSON.stringify(r);

export function hasStaticConfig(m: StaticEntries): boolean {
  return m.staticAddresses.length + m.staticRoutes.length + m.staticRules.length > 0;
}

/** keepalived's wording for an address in its log lines: `IP dev IF scope S`. */
export function describeStaticAddress(a: AddressSpec): string {
  return `${a.address} dev ${a.dev}${a.scope ? ` scope ${a.scope}` : ''}`;
}

const describeRoute = (r: RouteSpec): string => `${r.to}${r.via ? ` via ${r.via}` : ''}${r.dev ? ` dev ${r.dev}` : ''}`;

export class StaticConfig {
  private built: Built = { addrs: [], routes: [], rules: [] };
  private addrWatch: RtnlWatch | undefined;
  private ruleWatch: RtnlWatch | undefined;
  private routeWatch: RtnlWatch | undefined;
  private stopped = false;
  private readonly names: Iproute2Names;

  constructor(private entries: StaticEntries, private readonly deps: StaticConfigDeps) {
    this.names = deps.names ?? iproute2Names();
  }

  /** Specs for the entries; an entry that cannot be expressed is logged and skipped. */
  private build(e: StaticEntries): Built {
    const out: Built = { addrs: [], routes: [], rules: [] };
    for (const a of e.staticAddresses) {
      if (a.dev === undefined) {
        this.deps.log.error(`static_ipaddress ${a.address}: no dev given - ignoring`);
        continue;
      }
      out.addrs.push(vipToAddressSpec(a, a.dev));
    }
    for (const r of e.staticRoutes) {
      const s = routeEntryToSpec(r, undefined, this.names);
      if (s.ok) out.routes.push(s.spec);
      else this.deps.log.error(`static_routes: ${s.error} in '${r.args.join(' ')}' - ignoring`);
    }
    for (const r of e.staticRules) {
      const s = ruleEntryToSpec(r, this.names);
      if (s.ok && r.trackGroup !== undefined && !r.noTrack) (out.trackedRules ??= []).push(s.spec);
      if (s.ok) out.rules.push(s.spec);
      else this.deps.log.error(`static_rules: ${s.error} in '${r.args.join(' ')}' - ignoring`);
    }
    return out;
  }

  async start(): Promise<void> {
    this.built = this.build(this.entries);
    await this.install(this.built);
    if (this.built.addrs.length || this.built.routes.length || this.built.rules.length) {
      this.addrWatch = this.deps.rtnl.watch((e) => this.onNetEvent(e), (err) => this.deps.log.warn(`Netlink watch error: ${err.message}`));
    }
    this.watchTrackedRules();
    if (this.built.routes.length && this.deps.rtnl.watchRoutes) {
      this.routeWatch = this.deps.rtnl.watchRoutes(
        (e) => this.onRouteEvent(e),
        // Notifications were lost: re-add every static route (adds are idempotent).
        () => void this.install({ addrs: [], routes: this.built.routes, rules: [] }),
      );
    }
  }

  private async install(b: Built): Promise<void> {
    for (const a of b.addrs) await this.tolerate(() => this.deps.rtnl.addAddress(a), `static address ${describeStaticAddress(a)}`);
    for (const r of b.routes) await this.tolerate(() => this.deps.rtnl.addRoute(r), `static route ${r.to}`);
    for (const r of b.rules) await this.tolerate(() => this.deps.rtnl.addRule(r), 'static rule');
  }

  private async uninstall(b: Built): Promise<void> {
    for (const r of b.rules) await this.tolerate(() => this.deps.rtnl.delRule(r), 'static rule');
    for (const r of b.routes) await this.tolerate(() => this.deps.rtnl.delRoute(r), `static route ${r.to}`);
    for (const a of b.addrs) await this.tolerate(() => this.deps.rtnl.delAddress(a), `static address ${describeStaticAddress(a)}`);
  }

  private async tolerate(fn: () => Promise<void>, what: string): Promise<void> {
    try {
      await fn();
    } catch (e) {
      this.deps.log.error(`${what}: ${(e as Error).message}`);
    }
  }

  private readonly linkUp = new Map<string, boolean>();

  private onNetEvent(e: NetEvent): void {
    if (this.stopped) return;
    if (e.type === 'link') return this.onLink(e.link.ifname, e.link.up);
    if (e.type !== 'addr-removed') return;
    const gone = e.addr;
    const a = this.built.addrs.find((x) => x.family === gone.family && x.address === gone.address && x.prefixLen === gone.prefixLen && x.dev === gone.ifname);
    if (!a) return;
    this.deps.log.info(`Restoring deleted static address ${describeStaticAddress(a)}`);
    void this.tolerate(() => this.deps.rtnl.addAddress(a), `static address ${describeStaticAddress(a)}`);
  }

  /**
   * An interface came back up: what the kernel dropped with it (its routes; keepalived 2.2.7,
   * observed, also re-adds the addresses) is installed again, as keepalived does at link up
   * ("Restoring deleted static route ..."). Adds are idempotent.
   */
  private onLink(ifname: string, up: boolean): void {
    const was = this.linkUp.get(ifname);
    this.linkUp.set(ifname, up);
    if (!up || was !== false) return;
    const routes = this.built.routes.filter((r) => r.dev === ifname);
    const b: Built = { addrs: this.built.addrs.filter((a) => a.dev === ifname), routes, rules: this.built.rules.filter((r) => r.iif === ifname) };
    for (const r of routes) this.deps.log.info(`Restoring deleted static route ${describeRoute(r)}`);
    void this.install(b);
  }

  private onRouteEvent(e: RouteEvent): void {
    if (this.stopped) return;
    for (const r of this.built.routes) {
      if (r.family !== e.family || r.to !== e.to || (r.table ?? 254) !== e.table || (r.metric ?? 0) !== (e.metric ?? 0)) continue;
      this.deps.log.info(`Restoring deleted static route ${describeRoute(r)}`);
      void this.tolerate(() => this.deps.rtnl.addRoute(r), `static route ${r.to}`);
    }
  }

  private watchTrackedRules(): void {
    if (this.ruleWatch || !this.built.trackedRules?.length || !this.deps.rtnl.watchRules) return;
    this.ruleWatch = this.deps.rtnl.watchRules((e) => this.onRuleEvent(e));
  }

  /** A tracked static rule deleted behind our back is added again at once (keepalived 2.2.7, observed). */
  private onRuleEvent(e: RuleEvent): void {
    if (this.stopped) return;
    for (const r of this.built.trackedRules ?? []) {
      if (r.family !== e.family || r.priority === undefined || r.priority !== e.priority) continue;
      this.deps.log.info(`Restoring deleted static rule${r.from ? ` from ${r.from}` : ''}${r.to ? ` to ${r.to}` : ''} priority ${r.priority}${r.iif ? ` iif ${r.iif}` : ''}${r.table !== undefined ? ` lookup ${r.table}` : ''}`);
      void this.tolerate(() => this.deps.rtnl.addRule(r), 'static rule');
    }
  }

  /** Apply a new configuration: remove what went, add what came, leave the rest alone. */
  async reload(next: StaticEntries): Promise<void> {
    const nb = this.build(next);
    const old = this.built;
    const minus = <T>(a: T[], b: T[], key: (x: T) => string): T[] => {
      const keep = new Set(b.map(key));
      return a.filter((x) => !keep.has(key(x)));
    };
    const removed: Built = { addrs: minus(old.addrs, nb.addrs, addrKey), routes: minus(old.routes, nb.routes, routeKey), rules: minus(old.rules, nb.rules, ruleKey) };
    const added: Built = { addrs: minus(nb.addrs, old.addrs, addrKey), routes: minus(nb.routes, old.routes, routeKey), rules: minus(nb.rules, old.rules, ruleKey) };
    this.entries = next;
    this.built = nb;
    await this.uninstall(removed);
    await this.install(added);
    if (!this.addrWatch && nb.addrs.length) this.addrWatch = this.deps.rtnl.watch((e) => this.onNetEvent(e));
    this.watchTrackedRules();
    if (!this.routeWatch && nb.routes.length && this.deps.rtnl.watchRoutes) this.routeWatch = this.deps.rtnl.watchRoutes((e) => this.onRouteEvent(e));
  }

  /** Remove everything (unless keep: -V leaves VRRP addresses and routes in place). */
  async stop(keep = false): Promise<void> {
    this.stopped = true;
    this.addrWatch?.close();
    this.routeWatch?.close();
    this.ruleWatch?.close();
    if (!keep) await this.uninstall(this.built);
  }
}
