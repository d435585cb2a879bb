/**
 * Interface facts the adapters need before netlink is up (or without it): ifindex, MAC, flags.
 * Read with ioctls through the addon, so it works in any network namespace without relying
 * on /sys being remounted for it.
 */
import { loadNative, type NativeAddon } from './native';
import { formatMac } from './announce';

/** <linux/if.h> flag bits. */
const IFF_UP = 0x1;
const IFF_LOOPBACK = 0x8;
const IFF_RUNNING = 0x40;
const IFF_MULTICAST = 0x1000;
const ARPHRD_ETHER = 1;

export interface InterfaceInfo {
  ifname: string;
  ifindex: number;
  /** 'aa:bb:cc:dd:ee:ff'; 00:00:00:00:00:00 for links without an Ethernet address. */
  mac: string;
  ethernet: boolean;
  up: boolean;
  running: boolean;
  loopback: boolean;
  multicast: boolean;
  mtu: number;
}

/** Throws the addon's error with code 'ENODEV' when the interface does not exist. */
export function interfaceInfo(ifname: string, addon: NativeAddon = loadNative()): InterfaceInfo {
  const i = addon.ifInfo(ifname);
  return {
    ifname,
    ifindex: i.ifindex,
    mac: formatMac(i.mac),
    ethernet: i.hwtype === ARPHRD_ETHER,
    up: (i.flags & IFF_UP) !== 0,
    running: (i.flags & IFF_RUNNING) !== 0,
    loopback: (i.flags & IFF_LOOPBACK) !== 0,
    multicast: (i.flags & IFF_MULTICAST) !== 0,
    mtu: i.mtu,
  };
}

export function ifindexOf(ifname: string, addon: NativeAddon = loadNative()): number {
  return addon.ifInfo(ifname).ifindex;
}

export function macOf(ifname: string, addon: NativeAddon = loadNative()): string {
  return formatMac(addon.ifInfo(ifname).mac);
}
