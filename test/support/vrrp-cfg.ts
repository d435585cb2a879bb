/** Test helpers for the pure VRRP core: a default InstanceConfig and a synthetic Advert. */
import type { Advert, InstanceConfig } from '../../src/vrrp/types';

import { DEFAULT_GARP } from '../../src/vrrp/fsm';

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
