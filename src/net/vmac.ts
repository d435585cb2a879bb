/**
 * Pure helpers for use_vmac: the VRRP virtual MAC and the name of the macvlan carrying it.
 * No I/O here; src/net/rtnl.ts creates the interface and src/net/sysctl.ts tunes it.
 *
 * Measured with keepalived 2.2.7 in a namespace lab (`use_vmac` without a name, VRID 51):
 * IPv4 instance → macvlan "vrrp.51" 00:00:5e:00:01:33, IPv6 instance → "vrrp6.51"
 * 00:00:5e:00:02:33, both mode private, addrgenmode none, parent eth0.
 */
import type { Family, MacvlanMode } from './ports';

/** keepalived's global `vmac_prefix` default. */
export const DEFAULT_VMAC_PREFIX = 'vrrp';

/** Linux IFNAMSIZ is 16 including the NUL. */
export const IFNAME_MAX_LEN = 15;

/** keepalived creates VMACs in private mode (no traffic between macvlans of one parent). */
export const DEFAULT_VMAC_MODE: MacvlanMode = 'private';

function checkVrid(vrid: number): void {
  if (!Number.isInteger(vrid) || vrid < 1 || vrid > 255) throw new RangeError(`VRID ${vrid} out of range 1..255`);
}

/**
 * RFC 5798 §7.3: IPv4 virtual router MAC 00-00-5E-00-01-{VRID}, IPv6 00-00-5E-00-02-{VRID}
 * (RFC 3768 §7.3 gives the same IPv4 form). Lower-case, colon separated.
 */
export function vmacAddress(vrid: number, family: Family): string {
  checkVrid(vrid);
  const kind = family === 'inet6' ? '02' : '01';
  return `00:00:5e:00:${kind}:${vrid.toString(16).padStart(2, '0')}`;
}

/** Default VMAC interface name: "vrrp.VRID" for IPv4, "vrrp6.VRID" for IPv6 (keepalived 2.2.7). */
export function vmacName(vrid: number, family: Family, prefix: string = DEFAULT_VMAC_PREFIX): string {
  checkVrid(vrid);
  const name = `${prefix}${family === 'inet6' ? '6' : ''}.${vrid}`;
  if (!isValidIfname(name)) throw new RangeError(`VMAC interface name "${name}" is not a valid interface name`);
  return name;
}

/** Linux dev_valid_name: 1..15 bytes, not "." or "..", no '/', ':' or whitespace. */
export function isValidIfname(name: string): boolean {
  if (name.length === 0 || Buffer.byteLength(name) > IFNAME_MAX_LEN) return false;
  if (name === '.' || name === '..') return false;
  return !/[/:\s]/.test(name);
}

/** Parse "aa:bb:cc:dd:ee:ff" (or with '-') into 6 bytes; undefined if malformed. */
export function parseMac(mac: string): Uint8Array | undefined {
  const parts = mac.split(/[:-]/);
  if (parts.length !== 6) return undefined;
  const out = new Uint8Array(6);
  for (let i = 0; i < 6; i++) {
    const p = parts[i] ?? '';
    if (!/^[0-9a-fA-F]{1,2}$/.test(p)) return undefined;
    out[i] = parseInt(p, 16);
  }
  return out;
}

/** Format bytes as lower-case "aa:bb:..". */
export function formatMac(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(':');
}

/** True if `mac` is a VRRP virtual MAC (either family); returns the VRID and family. */
export function parseVmac(mac: string): { vrid: number; family: Family } | undefined {
  const b = parseMac(mac);
  if (!b || b[0] !== 0 || b[1] !== 0 || b[2] !== 0x5e || b[3] !== 0) return undefined;
  const vrid = b[5] ?? 0;
  if (vrid < 1) return undefined;
  if (b[4] === 1) return { vrid, family: 'inet' };
  if (b[4] === 2) return { vrid, family: 'inet6' };
  return undefined;
}
