/**
 * GARP/NA pacing in the daemon (garp_group; the global vrrp_garp_interval/vrrp_gna_interval for
 * interfaces in no group): one pacer per (group, family) shared by every instance on those
 * interfaces. vrrp/garp-pacer decides; this keeps the send callbacks and arms the timers.
 */
import type { GlobalDefs, Model } from '../config/model';
import { newPacer, pacerDue, pacerForget, pacerRequest, pacingOf, type GarpGroupSpec, type PacerState, type PacerStep } from '../vrrp/garp-pacer';
import type { Clock, TimerHandle } from './clock';

interface Lane {
  state: PacerState<string>;
  intervalMs: number;
  timer?: TimerHandle;
  /** key → what sends its frame (the latest request's). */
  senders: Map<string, () => void>;
  /** key → its place in configuration order. */
  ranks: Map<string, number>;
}

export class GarpPacing {
  private groups: GarpGroupSpec[] = [];
  private globalGarpMs = 0;
  private globalGnaMs = 0;
  private readonly lanes = new Map<string, Lane>();

  constructor(private readonly clock: Clock, model: Model) {
    this.configure(model);
  }

  configure(model: Model): void {
    const g: GlobalDefs = model.globalDefs;
    this.groups = (model.garpGroups ?? []).map((x) => ({ garpIntervalMs: x.garpIntervalMs, gnaIntervalMs: x.gnaIntervalMs, interfaces: x.interfaces }));
    this.globalGarpMs = g.garpIntervalMs;
    this.globalGnaMs = g.gnaIntervalMs;
  }

  /** Whether frames on `ifname` are paced at all (else the caller sends them itself). */
  paced(ifname: string, family: 'inet' | 'inet6'): boolean {
    return pacingOf(ifname, family, this.groups, this.globalGarpMs, this.globalGnaMs).intervalMs > 0;
  }

  /**
   * Send `key`'s frame now or when its group's interval allows (once, however often asked
   * meanwhile); `rank`: its place in configuration order (waiting frames go in that order).
   */
  request(ifname: string, family: 'inet' | 'inet6', key: string, send: () => void, rank = 0): void {
    const p = pacingOf(ifname, family, this.groups, this.globalGarpMs, this.globalGnaMs);
    let lane = this.lanes.get(p.group);
    if (!lane) this.lanes.set(p.group, (lane = { state: newPacer<string>(), intervalMs: p.intervalMs, senders: new Map(), ranks: new Map() }));
    lane.intervalMs = p.intervalMs;
    lane.senders.set(key, send);
    lane.ranks.set(key, rank);
    const ranks = lane.ranks;
    this.carryOut(lane, pacerRequest(lane.state, key, this.clock.now(), p.intervalMs, (k) => ranks.get(k) ?? 0));
  }

  /** Drop the pending frames whose key starts with `prefix` (an instance that stepped down or stopped). */
  forget(prefix: string): void {
    for (const lane of this.lanes.values()) {
      lane.state = pacerForget(lane.state, (k) => k.startsWith(prefix));
      for (const k of [...lane.senders.keys()]) {
        if (k.startsWith(prefix) && !lane.state.pending.includes(k)) {
          lane.senders.delete(k);
          lane.ranks.delete(k);
        }
      }
    }
  }

  stop(): void {
    for (const lane of this.lanes.values()) lane.timer?.cancel();
    this.lanes.clear();
  }

  private carryOut(lane: Lane, step: PacerStep<string>): void {
    lane.state = step.state;
    if (step.send !== undefined) {
      const send = lane.senders.get(step.send);
      if (!lane.state.pending.includes(step.send)) {
        lane.senders.delete(step.send);
        lane.ranks.delete(step.send);
      }
      send?.();
    }
    if (step.armAtMs !== undefined && !lane.timer) {
      lane.timer = this.clock.at(step.armAtMs, () => {
        lane.timer = undefined;
        this.carryOut(lane, pacerDue(lane.state, this.clock.now(), lane.intervalMs));
      });
    }
  }
}
