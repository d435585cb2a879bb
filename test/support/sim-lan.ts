/**
 * A deterministic simulated LAN for the pure VRRP core: N virtual routers, one FakeClock,
 * adverts carried ENCODED (encodeAdvert → bytes → decodeAdvert → validateForInstance → step),
 * with loss, delay and partition controls. Each router arms exactly one timer at
 * nextDeadline(state), as the real runtime does.
 */
import { FakeClock } from './fake-clock';
import { initialState, nextDeadline, step } from '../../src/vrrp/fsm';
import { advertToSend, decodeAdvert, encodeAdvert, validateForInstance, wireConfigFor, VRRP_MCAST_V4, VRRP_MCAST_V6 } from '../../src/vrrp/packet';
import type { TimerHandle } from '../../src/runtime/clock';
import type { Action, FsmEvent, InstanceConfig, InstanceState, InstanceWireConfig, PassAuth, VrrpStateName } from '../../src/vrrp/types';
import { seededRandom as rng } from './seeded-random';

export interface TransitionRecord {
  at: number;
  router: string;
  from: VrrpStateName;
  to: VrrpStateName;
  reason: string;
}

export interface SentRecord {
  at: number;
  router: string;
  priority: number;
}


export class SimRouter {
  state: InstanceState;
  up = false;
  vipsHeld = false;
  readonly actions: Array<{ at: number; action: Action }> = [];
  private timer: TimerHandle | undefined;
  constructor(
    readonly lan: SimLan,
    readonly cfg: InstanceConfig,
    readonly auth?: PassAuth,
  ) {
    this.state = initialState(cfg);
  }
  get name(): string {
    return this.cfg.primaryAddress;
  }
  get role(): VrrpStateName {
    return this.state.state;
  }
  /** Boot (or reboot) the instance. */
  start(): void {
    this.up = true;
    this.state = initialState(this.cfg);
    this.feed({ type: 'startup' });
  }
  /** Graceful stop: priority-0 advert goes out (keepalived SIGTERM). */
  stop(): void {
    this.feed({ type: 'shutdown' });
    this.up = false;
    this.timer?.cancel();
  }
  /** Crash: nothing is sent, the VIPs vanish with the box. */
  crash(): void {
    this.up = false;
    this.vipsHeld = false;
    this.timer?.cancel();
    this.timer = undefined;
  }
  setPriority(effective: number): void {
    this.feed({ type: 'priority', effective });
  }
  setFault(faulted: boolean, reason = 'sim'): void {
    this.feed({ type: 'fault', faulted, reason });
  }
  wireConfig(): InstanceWireConfig {
    return wireConfigFor(this.cfg, this.auth ? { auth: this.auth } : {});
  }
  feed(e: FsmEvent): void {
    if (!this.up) return;
    const now = this.lan.clock.now();
    const r = step(this.cfg, this.state, e, now);
    this.state = r.state;
    for (const a of r.actions) this.execute(a, now);
    this.rearm();
  }
  private execute(a: Action, now: number): void {
    this.actions.push({ at: now, action: a });
    if (a.type === 'send-advert') this.lan.transmit(this, a.priority);
    else if (a.type === 'add-vips') this.vipsHeld = true;
    else if (a.type === 'remove-vips') this.vipsHeld = false;
    else if (a.type === 'transition') this.lan.transitions.push({ at: now, router: this.name, from: a.from, to: a.to, reason: a.reason });
  }
  private rearm(): void {
    this.timer?.cancel();
    this.timer = undefined;
    const d = nextDeadline(this.state);
    if (d !== undefined && this.up) this.timer = this.lan.clock.at(d, () => this.feed({ type: 'tick' }));
  }
}

export interface LanOptions {
  delayMs?: number;
  lossRate?: number;
  seed?: number;
}

export class SimLan {
  readonly clock = new FakeClock(0);
  readonly routers: SimRouter[] = [];
  readonly transitions: TransitionRecord[] = [];
  readonly sent: SentRecord[] = [];
  readonly drops: Array<{ at: number; router: string; reason: string }> = [];
  delayMs: number;
  lossRate: number;
  /** Return true to drop one delivery (from, to); applied before lossRate. */
  filter: ((from: SimRouter, to: SimRouter) => boolean) | undefined;
  private partitionOf = new Map<SimRouter, number>();
  private readonly random: () => number;
  constructor(opts: LanOptions = {}) {
    this.delayMs = opts.delayMs ?? 0;
    this.lossRate = opts.lossRate ?? 0;
    this.random = rng(opts.seed ?? 1);
  }
  add(cfg: InstanceConfig, auth?: PassAuth): SimRouter {
    const r = new SimRouter(this, cfg, auth);
    this.routers.push(r);
    return r;
  }
  /** Split the LAN: routers in different groups stop hearing each other. */
  partition(...groups: SimRouter[][]): void {
    this.partitionOf.clear();
    groups.forEach((g, i) => g.forEach((r) => this.partitionOf.set(r, i)));
  }
  heal(): void {
    this.partitionOf.clear();
  }
  masters(): SimRouter[] {
    return this.routers.filter((r) => r.up && r.role === 'MASTER');
  }
  run(ms: number): void {
    this.clock.advance(ms);
  }
  runTo(at: number): void {
    this.clock.advanceTo(at);
  }
  transmit(from: SimRouter, priority: number): void {
    const cfg = from.cfg;
    const dst = cfg.family === 'inet' ? VRRP_MCAST_V4 : VRRP_MCAST_V6;
    const bytes = encodeAdvert(advertToSend(cfg, priority, dst, from.auth ? { auth: from.auth } : {}));
    this.sent.push({ at: this.clock.now(), router: from.name, priority });
    for (const to of this.routers) {
      if (to === from || !this.reachable(from, to)) continue;
      if (this.filter?.(from, to)) continue;
      if (this.lossRate > 0 && this.random() < this.lossRate) continue;
      const copy = Uint8Array.from(bytes);
      this.clock.after(this.delayMs, () => this.receive(to, copy, cfg.primaryAddress, dst));
    }
  }
  private reachable(a: SimRouter, b: SimRouter): boolean {
    const pa = this.partitionOf.get(a);
    const pb = this.partitionOf.get(b);
    return pa === undefined || pb === undefined || pa === pb;
  }
  private receive(to: SimRouter, bytes: Uint8Array, src: string, dst: string): void {
    if (!to.up) return;
    const d = decodeAdvert(bytes, { family: to.cfg.family, src, dst, ttl: 255 });
    if (!d.ok) {
      this.drops.push({ at: this.clock.now(), router: to.name, reason: d.reason });
      return;
    }
    const v = validateForInstance(d.advert, to.wireConfig(), { src });
    if (!v.ok) {
      this.drops.push({ at: this.clock.now(), router: to.name, reason: v.reason });
      return;
    }
    to.feed({ type: 'advert', advert: d.advert, src });
  }
}
