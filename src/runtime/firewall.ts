/**
 * The no_accept firewall (RFC 5798 Accept_Mode false, keepalived's vrrp_strict/no_accept with
 * nftables): while an instance that does not accept holds its VIPs, traffic to and from them
 * is dropped by an nftables table of ours. The rules come from net/nft-rules (pure); this
 * module keeps who holds what, applies each change as one `nft -f` transaction in order, and
 * owns the table's life: a stale table left by a crashed run is deleted at start-up, ours is
 * deleted at stop.
 *
 * Differences from keepalived 2.2.7, on purpose: keepalived deletes a stale table only when it
 * first needs the firewall (a restarted node that stays BACKUP keeps the dead run's drop rules
 * until it becomes MASTER); we delete it at start-up.
 */
import type { Model, VrrpInstance } from '../config/model';
import type { Logger } from '../observe/log';
import type { NftPort } from '../net/nft';
import {
  DEFAULT_NFT_PRIORITY, DEFAULT_NFT_TABLE, deleteTableScript, dropSets, parseTables, planSync,
  type DropEntry, type NftFamily, type NftOptions,
} from '../net/nft-rules';
import { vipToAddressSpec } from './address-specs';

/** What an instance runtime calls around its VIP add/remove effects. */
export interface VipFirewall {
  /** Before the VIPs are added: drop traffic to them unless the instance accepts. */
  hold(m: VrrpInstance, defaultIfname: string): Promise<void>;
  /** After the VIPs are removed. */
  release(name: string): Promise<void>;
}

/** Some instance does not accept and has VIPs: the firewall will be used. */
export function firewallInUse(model: Model): boolean {
  return model.vrrpInstances.some((m) => !m.accept && m.virtualIpaddress.length + m.virtualIpaddressExcluded.length > 0);
}

/** global_defs nftables, nftables_priority, nftables_counters, nftables_ifindex → rule options. */
export function firewallOptions(model: Model): NftOptions {
  const g = model.globalDefs;
  return {
    table: g.nftablesTable ?? DEFAULT_NFT_TABLE,
    priority: g.nftablesPriority ?? DEFAULT_NFT_PRIORITY,
    counters: g.nftablesCounters,
    // keepalived keys link-local sets by ifindex unless an instance has dont_track_primary
    // (its interface may be re-created with another index); nftables_ifindex forces the index.
    ifindex: g.nftablesIfindex || !model.vrrpInstances.some((m) => !m.accept && m.dontTrackPrimary),
  };
}

/** The VIPs (and excluded VIPs) of an instance as drop entries, each on its own interface. */
export function dropEntries(m: VrrpInstance, defaultIfname: string): DropEntry[] {
  return [...m.virtualIpaddress, ...m.virtualIpaddressExcluded].map((v) => ({ address: v.address, ifname: vipToAddressSpec(v, defaultIfname).dev }));
}

export class Firewall implements VipFirewall {
  private readonly held = new Map<string, DropEntry[]>();
  private created = new Set<NftFamily>();
  private chain: Promise<void> = Promise.resolve();
  readonly options: NftOptions;

  constructor(private readonly model: Model, private readonly port: NftPort, private readonly log: Logger) {
    this.options = firewallOptions(model);
  }

  /** Start-up: say which firewall is used (keepalived's words) and delete a crashed run's tables. */
  async start(): Promise<void> {
    if (!firewallInUse(this.model) && !this.model.globalDefs.vrrpStrict) return;
    if (this.model.globalDefs.nftablesTable === undefined) this.log.info('use_vmac or no_accept/strict specified, but no firewall configured - using nftables');
    let tables: Array<{ family: string; name: string }> = [];
    try {
      tables = parseTables(await this.port.listTables());
    } catch (e) {
      this.log.error(`nftables: ${(e as Error).message}`);
      return;
    }
    for (const t of tables) {
      if (t.name !== this.options.table || (t.family !== 'ip' && t.family !== 'ip6')) continue;
      this.log.info(`Deleting old ${t.family} ${t.name} table`);
      await this.port.run(deleteTableScript(t.family, t.name)).catch((e: Error) => this.log.error(`nftables: ${e.message}`));
    }
  }

  hold(m: VrrpInstance, defaultIfname: string): Promise<void> {
    if (m.accept) return Promise.resolve();
    const entries = dropEntries(m, defaultIfname);
    if (entries.length === 0) return Promise.resolve();
    this.log.info(`(${m.name}) setting firewall drop rule`);
    this.held.set(m.name, entries);
    return this.apply();
  }

  release(name: string): Promise<void> {
    if (!this.held.delete(name)) return Promise.resolve();
    this.log.info(`(${name}) removing firewall drop rule`);
    return this.apply();
  }

  /** Names of the instances whose VIPs are dropped now (status, tests). */
  get holders(): string[] {
    return [...this.held.keys()];
  }

  /** Stop: every table we created is deleted (kept with -V, like the VIPs). */
  async stop(keep = false): Promise<void> {
    await this.chain;
    if (keep) return;
    for (const f of this.created) {
      await this.port.run(deleteTableScript(f, this.options.table)).catch((e: Error) => this.log.error(`nftables: ${e.message}`));
    }
    this.created = new Set();
    this.held.clear();
  }

  /** Bring the kernel to the current holdings; changes apply one after another, in call order. */
  private apply(): Promise<void> {
    this.chain = this.chain.then(async () => {
      const plan = planSync(this.created, dropSets([...this.held.values()].flat()), this.options);
      try {
        await this.port.run(plan.script);
        this.created = plan.created;
      } catch (e) {
        this.log.error(`nftables: ${(e as Error).message}`);
      }
    });
    return this.chain;
  }
}
