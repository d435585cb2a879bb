/**
 * interface_up_down_delays in the daemon: keeps, per delayed interface, the link state the VRRP
 * instances see (track/link-debounce decides; this only arms and cancels its timers and logs).
 * A VMAC interface inherits the delays of its parent, as keepalived documents.
 */
import type { Model } from '../config/model';
import type { LinkInfo } from '../net/ports';
import type { Logger } from '../observe/log';
import { boundDelays, linkChanged, linkDue, lowerAdvertInt, type DebouncedLink, type DebounceStep, type DelayUser, type LinkDelays } from '../track/link-debounce';
import type { Clock, TimerHandle } from './clock';

export class LinkDelayGate {
  private delays = new Map<string, LinkDelays>();
  private readonly seen = new Map<string, DebouncedLink>();
  private readonly timers = new Map<string, TimerHandle>();
  /** VMAC ifname → parent ifname. */
  private readonly parents = new Map<string, string>();

  /** `onApply(ifname, up)`: a put-off change has reached the instances (log it, re-rate them). */
  constructor(private readonly clock: Clock, private readonly log: Logger, private readonly onApply: (ifname: string, up: boolean) => void) {}

  /** (Re)reads the model's delays, bounded by the advert intervals of the instances on each interface. */
  configure(model: Model, users: readonly DelayUser[]): void {
    const configured = new Map<string, LinkDelays>();
    for (const d of model.interfaceUpDownDelays ?? []) configured.set(d.ifname, { downUs: d.downUs, upUs: d.upUs });
    const r = boundDelays(configured, users.map((u) => ({ ...u, ifname: this.parents.get(u.ifname) ?? u.ifname })));
    for (const line of r.lines) this.log.info(line);
    this.delays = r.delays;
    for (const name of [...this.seen.keys()]) if (!this.delaysOf(name)) this.forget(name);
  }

  /** `user` now runs at a shorter advert interval (learned from a master): lower its interface's delays. */
  lowerAdvertInt(user: DelayUser): void {
    const ifname = this.parents.get(user.ifname) ?? user.ifname;
    if (!this.delays.has(ifname)) return;
    const r = lowerAdvertInt(this.delays, { ...user, ifname });
    this.delays = r.delays;
    if (r.line) this.log.info(r.line);
  }

  setParent(vmac: string, parent: string): void {
    this.parents.set(vmac, parent);
  }

  private delaysOf(ifname: string): LinkDelays | undefined {
    return this.delays.get(ifname) ?? this.delays.get(this.parents.get(ifname) ?? '');
  }

  /** Whether instances see `ifname` up (`rawUp`: what the kernel says now). */
  isUp(ifname: string, rawUp: boolean): boolean {
    return this.seen.get(ifname)?.up ?? rawUp;
  }

  /**
   * The kernel reported `link` (prev: what it said before). True when the instances must see a
   * change now; false when there is none or it is put off (then onApply follows, or never).
   */
  onLink(link: LinkInfo, prev: LinkInfo | undefined): boolean {
    const d = this.delaysOf(link.ifname);
    if (!d) return prev === undefined || prev.up !== link.up;
    const before = this.seen.get(link.ifname) ?? { up: prev?.up ?? link.up, flags: prev?.flags ?? link.flags ?? 0 };
    const step = linkChanged(before, link.ifname, link.up, link.flags ?? 0, d, this.clock.now());
    return this.carryOut(link.ifname, step);
  }

  /** The interface is gone: its pending change with it. */
  forget(ifname: string): void {
    this.timers.get(ifname)?.cancel();
    this.timers.delete(ifname);
    this.seen.delete(ifname);
  }

  stop(): void {
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
  }

  private carryOut(ifname: string, step: DebounceStep): boolean {
    this.seen.set(ifname, step.link);
    if (step.cancel) {
      this.timers.get(ifname)?.cancel();
      this.timers.delete(ifname);
    }
    if (step.line) this.log.info(step.line);
    if (step.armAtMs !== undefined) {
      this.timers.get(ifname)?.cancel();
      this.timers.set(ifname, this.clock.at(step.armAtMs, () => this.due(ifname)));
    }
    return step.apply;
  }

  private due(ifname: string): void {
    this.timers.delete(ifname);
    const link = this.seen.get(ifname);
    if (!link) return;
    if (this.carryOut(ifname, linkDue(link, this.clock.now()))) this.onApply(ifname, link.pending?.up ?? link.up);
  }
}
