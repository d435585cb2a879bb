/**
 * The IPVS connection-sync daemon tied to a VRRP instance (`lvs_sync_daemon IF [inst] VI ...`, or
 * the deprecated `lvs_sync_daemon_interface IF` inside a vrrp_instance). As keepalived 2.2.7 does
 * (observed in the IPVS VM, test/ipvs/lvs-syncd.test.ts): the backup daemon runs from start-up;
 * when the instance becomes MASTER the backup daemon is stopped and the master daemon started;
 * when it leaves MASTER (BACKUP or FAULT) the reverse; at stop the running one is stopped. Only
 * one of the two runs at a time. Driven by the VRRP side, so it works without virtual servers.
 */
import type { Model } from '../config/model';
import type { Logger } from '../observe/log';
import type { IpvsDaemon } from '../lvs/ipvs-codec';
import { parseSyncArgs } from './lvs';

export interface SyncdSpec {
  instance: string;
  daemon: Omit<IpvsDaemon, 'state'>;
}

/** The instance-following sync daemon of a model, if any (a sync daemon without instance is the LVS runtime's). */
export function syncdSpecOf(model: Pick<Model, 'globalDefs' | 'vrrpInstances'>): SyncdSpec | undefined {
  const g = model.globalDefs.lvsSyncDaemon;
  if (g?.instance !== undefined) return { instance: g.instance, daemon: parseSyncArgs(g.interface, g.args) };
  if (g) return undefined;
  const vi = model.vrrpInstances.find((i) => i.lvsSyncDaemonInterface !== undefined);
  if (!vi?.lvsSyncDaemonInterface) return undefined;
  // observed: keepalived 2.2.7 starts this one with syncid 0 and the default port 8848
  return { instance: vi.name, daemon: { ifname: vi.lvsSyncDaemonInterface, syncId: 0 } };
}

export interface SyncdPort {
  addDaemon(d: IpvsDaemon): Promise<void>;
  delDaemon(state: IpvsDaemon['state']): Promise<void>;
  close?(): void;
}

export class SyncDaemonFollower {
  private running: IpvsDaemon['state'] | undefined;
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly spec: SyncdSpec, private readonly ipvs: SyncdPort, private readonly log: Logger) {}

  get instance(): string {
    return this.spec.instance;
  }

  /** Start-up: the backup daemon (the instance is not MASTER yet). */
  start(): Promise<void> {
    return this.enqueue(() => this.become('backup'));
  }

  /** A VRRP state change of any instance; only ours matters. */
  setState(instance: string, state: string): Promise<void> {
    if (instance !== this.spec.instance) return this.queue;
    return this.enqueue(() => this.become(state === 'MASTER' ? 'master' : 'backup'));
  }

  stop(): Promise<void> {
    return this.enqueue(async () => {
      if (this.running) await this.del(this.running);
      this.running = undefined;
      this.ipvs.close?.();
    });
  }

  private enqueue(job: () => Promise<void>): Promise<void> {
    this.queue = this.queue.then(job, job);
    return this.queue;
  }

  private async become(state: IpvsDaemon['state']): Promise<void> {
    if (this.running === state) return;
    if (this.running) await this.del(this.running);
    try {
      await this.ipvs.addDaemon({ ...this.spec.daemon, state });
      this.running = state;
      this.log.info(`Starting IPVS ${state} sync daemon on ${this.spec.daemon.ifname} (syncid ${this.spec.daemon.syncId}) for ${this.spec.instance}`);
    } catch (e) {
      this.running = undefined;
      this.log.warn(`IPVS: cannot start the ${state} sync daemon: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private async del(state: IpvsDaemon['state']): Promise<void> {
    try {
      await this.ipvs.delDaemon(state);
    } catch (e) {
      this.log.warn(`IPVS: cannot stop the ${state} sync daemon: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}
