/** Test helpers for the pure VRRP core: a default InstanceConfig, a synthetic Advert, a virtual-time driver. */
import type { Action, Advert, FsmEvent, InstanceConfig, InstanceState } from '../../src/vrrp/types';

import { DEFAULT_GARP, initialState, nextDeadline, step } from '../../src/vrrp/fsm';

export const DEFAULT_TEST_GARP = DEFAULT_GARP;

export function testConfig(over: Partial<InstanceConfig> = {}): InstanceConfig {
  return {
    name: 'VI_1',
    vrid: 51,
    version: 2,
    family: 'inet',
    basePriority: 100,
    advertIntCs: 100,
    initialState: 'BACKUP',
    preempt: true,
    preemptDelayMs: 0,
    primaryAddress: '192.0.2.1',
    vips: ['192.0.2.100'],
    unicastPeers: [],
    downTimerAdverts: 3,
    lowerPrioNoAdvert: false,
    higherPrioSendAdvert: false,
    ownerIgnoreAdverts: false,
    strict: false,
    accept: true,
    garp: DEFAULT_TEST_GARP,
    ...over,
  };
}

export function advert(priority: number, over: Partial<Advert> = {}): Advert {
  return {
    version: 2,
    type: 1,
    vrid: 51,
    priority,
    countAddrs: 1,
    authType: 0,
    authData: new Uint8Array(8),
    advertIntCs: 100,
    checksum: 0,
    addresses: ['192.0.2.100'],
    ...over,
  };
}

/** Drives one instance of the pure FSM in virtual time: ticks are delivered exactly at nextDeadline(). */
export class FsmDriver {
  state: InstanceState;
  now = 0;
  /** Every action produced so far. */
  log: Action[] = [];
  constructor(public cfg: InstanceConfig) {
    this.state = initialState(cfg);
  }
  ev(e: FsmEvent): Action[] {
    const r = step(this.cfg, this.state, e, this.now);
    this.state = r.state;
    this.log.push(...r.actions);
    return r.actions;
  }
  /** Reload: swap in the new config and tell the FSM; `effective` defaults to the new base. */
  reconfigure(over: Partial<InstanceConfig>, effective?: number): Action[] {
    const prev = this.cfg;
    this.cfg = { ...prev, ...over };
    return this.ev({ type: 'reconfigure', prev, effective: effective ?? this.cfg.basePriority });
  }
  /** Advance to `target`, firing every deadline on the way; returns the actions produced. */
  advanceTo(target: number): Action[] {
    const out: Action[] = [];
    for (let d = nextDeadline(this.state); d !== undefined && d <= target; d = nextDeadline(this.state)) {
      this.now = Math.max(this.now, d);
      out.push(...this.ev({ type: 'tick' }));
    }
    this.now = Math.max(this.now, target);
    return out;
  }
  /** An advert with `priority` from `src` arrives now. */
  rx(priority: number, src = '192.0.2.2', over: Partial<Advert> = {}): Action[] {
    return this.ev({ type: 'advert', advert: advert(priority, over), src });
  }
}
