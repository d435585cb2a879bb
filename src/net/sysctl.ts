/**
 * Per-interface sysctls under /proc/sys/net/{ipv4,ipv6}/conf/IFNAME/KEY, and the set keepalived
 * applies for use_vmac. Paths are built from the interface name directly, so names with dots
 * ("vrrp.51") need none of sysctl(8)'s '/' escaping.
 *
 * What keepalived 2.2.7 set, measured in a namespace lab (IPv4 and IPv6 instance, VRID 51,
 * base eth0, all values 0 before):
 *   base eth0        ipv4 arp_ignore=1 arp_filter=1
 *     (arp_ignore: answer ARP only for addresses on the receiving interface; arp_filter: answer
 *      from the interface the kernel would route the reply through. Together the base stops
 *      answering for VIPs that live on the VMAC, so peers learn only the virtual MAC.)
 *   IPv4 VMAC        ipv4 arp_ignore=1 arp_filter=0 accept_local=1 rp_filter=0; ipv6 disable_ipv6=1
 *     (accept_local: accept packets whose source is one of our addresses, i.e. our own adverts
 *      and ARPs looping back through the macvlan; rp_filter=0: the VMAC is not the route back
 *      to the sender, so strict reverse-path filtering would drop peers' adverts; no IPv6 on an
 *      IPv4 VMAC so it never sends NS/MLD from the virtual MAC.)
 *   IPv6 VMAC        nothing under /proc/sys (addrgenmode none is set over netlink by rtnl.ts)
 * keepalived 2.2.7 left the base interface's values in place after SIGTERM; vmacRestore below
 * puts back what we changed, which the daemon may or may not call.
 * Note rp_filter's effective value is max(conf/all, conf/IF): if conf/all/rp_filter is 1 the
 * per-VMAC 0 does not help; we report, not override, that host-wide setting.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Family } from './ports';
import { isValidIfname } from './vmac';

export interface SysctlIo {
  read(path: string): string;
  write(path: string, value: string): void;
}

/** Reads/writes real files below `root` (default /proc/sys); tests pass a temp directory. */
export function fsSysctlIo(root = '/proc/sys'): SysctlIo {
  return {
    read: (p) => readFileSync(join(root, p), 'utf8').trim(),
    write: (p, v) => writeFileSync(join(root, p), `${v}\n`),
  };
}

export class SysctlError extends Error {
  readonly code = 'ERR_SYSCTL';
  constructor(readonly path: string, readonly errno: number, readonly sysCode: string, op: 'read' | 'write') {
    super(`cannot ${op} ${path}: ${sysCode}`);
    this.name = 'SysctlError';
  }
}

function wrap(e: unknown, path: string, op: 'read' | 'write'): SysctlError {
  const err = e as { errno?: number; code?: string };
  return new SysctlError(path, Math.abs(err.errno ?? 0), err.code ?? 'EIO', op);
}

export interface ConfSetting {
  family: Family;
  ifname: string;
  key: string;
  value: string;
}

/** Relative path net/ipv4/conf/IF/KEY (validated: no path tricks through the interface name). */
export function confPath(family: Family, ifname: string, key: string): string {
  if (ifname !== 'all' && ifname !== 'default' && !isValidIfname(ifname)) throw new RangeError(`bad interface name "${ifname}"`);
  if (!/^[a-z0-9_]+$/.test(key)) throw new RangeError(`bad sysctl key "${key}"`);
  return `net/${family === 'inet6' ? 'ipv6' : 'ipv4'}/conf/${ifname}/${key}`;
}

export function readConf(io: SysctlIo, family: Family, ifname: string, key: string): string {
  const path = confPath(family, ifname, key);
  try {
    return io.read(path);
  } catch (e) {
    throw wrap(e, path, 'read');
  }
}

export function writeConf(io: SysctlIo, family: Family, ifname: string, key: string, value: string): void {
  const path = confPath(family, ifname, key);
  try {
    io.write(path, value);
  } catch (e) {
    throw wrap(e, path, 'write');
  }
}

/** The settings keepalived applies for a VMAC of `family` on `base` (pure; see the header). */
export function vmacSysctlPlan(base: string, vmac: string, family: Family): ConfSetting[] {
  if (family === 'inet6') return [];
  return [
    { family: 'inet', ifname: base, key: 'arp_ignore', value: '1' },
    { family: 'inet', ifname: base, key: 'arp_filter', value: '1' },
    // Without this, replies sourced from the VIP make the base interface send ARP requests
    // with sender = VIP and its own MAC, and neighbours learn the real MAC for the VIP.
    { family: 'inet', ifname: base, key: 'arp_announce', value: '2' },
    { family: 'inet', ifname: vmac, key: 'arp_ignore', value: '1' },
    { family: 'inet', ifname: vmac, key: 'arp_filter', value: '0' },
    { family: 'inet', ifname: vmac, key: 'accept_local', value: '1' },
    { family: 'inet', ifname: vmac, key: 'rp_filter', value: '0' },
    { family: 'inet6', ifname: vmac, key: 'disable_ipv6', value: '1' },
  ];
}

export interface AppliedSetting extends ConfSetting {
  previous: string;
}

/**
 * Apply settings in order, remembering previous values; values already right are not
 * rewritten. On a failure, what was already changed is put back before the error is thrown.
 */
export function applySysctls(io: SysctlIo, plan: ConfSetting[]): AppliedSetting[] {
  const done: AppliedSetting[] = [];
  for (const s of plan) {
    try {
      const previous = readConf(io, s.family, s.ifname, s.key);
      if (previous === s.value) continue;
      writeConf(io, s.family, s.ifname, s.key, s.value);
      done.push({ ...s, previous });
    } catch (e) {
      restoreSysctls(io, done);
      throw e;
    }
  }
  return done;
}

/**
 * Undo applySysctls, last change first. Settings of an interface that no longer exists (the
 * VMAC was deleted) are skipped; returns the errors of the others instead of throwing, since
 * this runs on shutdown paths.
 */
export function restoreSysctls(io: SysctlIo, applied: AppliedSetting[]): SysctlError[] {
  const errors: SysctlError[] = [];
  for (const s of [...applied].reverse()) {
    try {
      writeConf(io, s.family, s.ifname, s.key, s.previous);
    } catch (e) {
      if (e instanceof SysctlError && e.sysCode === 'ENOENT') continue;
      errors.push(e instanceof SysctlError ? e : wrap(e, confPath(s.family, s.ifname, s.key), 'write'));
    }
  }
  return errors;
}
