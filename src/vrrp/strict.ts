/**
 * What `vrrp_strict` / `strict_mode` forbids (keepalived-features.md §(c) vrrp_strict), as
 * data for the config validator to report. `fix` says what keepalived does instead of
 * refusing the instance, so the mapping can apply the same correction and warn.
 */
import type { Family, VrrpVersion } from './types';

export interface StrictInput {
  name: string;
  version: VrrpVersion;
  family: Family;
  vips: readonly string[];
  unicastPeers: readonly string[];
  initialState: 'MASTER' | 'BACKUP';
  basePriority: number;
  preemptDelayMs: number;
  /** auth_type configured (PASS/AH), if any. */
  authType?: string;
  /** `accept` given explicitly. */
  acceptExplicit?: boolean;
  /** garp_lower_prio_repeat (the RFC has a master silently discard lower-priority adverts). */
  garpLowerPrioRepeat?: number;
  vmacXmitBase?: boolean;
}

export type StrictCode =
  | 'STRICT_NO_VIPS'
  | 'STRICT_UNICAST'
  | 'STRICT_V2_IPV6'
  | 'STRICT_IPV6_FIRST_NOT_LINK_LOCAL'
  | 'STRICT_MASTER_NOT_OWNER'
  | 'STRICT_AUTH'
  | 'STRICT_PREEMPT_DELAY'
  | 'STRICT_ACCEPT_V2'
  | 'STRICT_GARP_REPEAT'
  | 'STRICT_VMAC_XMIT_BASE';

export interface StrictProblem {
  code: StrictCode;
  text: string;
  /** What keepalived does about it: refuse the instance, or correct a setting and go on. */
  fix: 'reject' | 'state-backup' | 'drop-auth' | 'drop-preempt-delay' | 'no-accept' | 'drop-garp-repeat' | 'drop-vmac-xmit-base';
}

function isLinkLocal6(a: string): boolean {
  return /^fe[89ab][0-9a-f]?:/i.test(a.trim());
}

export function vrrpStrictProblems(c: StrictInput): StrictProblem[] {
  const p: StrictProblem[] = [];
  const add = (code: StrictCode, text: string, fix: StrictProblem['fix']): void => void p.push({ code, text, fix });
  const n = c.name;
  if (c.vips.length === 0) add('STRICT_NO_VIPS', `(${n}) strict mode requires at least one virtual IP address`, 'reject');
  if (c.unicastPeers.length > 0) add('STRICT_UNICAST', `(${n}) unicast_peer is not allowed in strict mode`, 'reject');
  if (c.family === 'inet6' && c.version === 2) add('STRICT_V2_IPV6', `(${n}) VRRPv2 cannot carry IPv6 in strict mode`, 'reject');
  if (c.family === 'inet6' && c.vips[0] !== undefined && !isLinkLocal6(c.vips[0]))
    add('STRICT_IPV6_FIRST_NOT_LINK_LOCAL', `(${n}) the first IPv6 VIP address should be link local`, 'reject');
  if (c.initialState === 'MASTER' && c.basePriority < 255)
    add('STRICT_MASTER_NOT_OWNER', `(${n}) state MASTER requires priority 255 in strict mode - setting BACKUP`, 'state-backup');
  if (c.authType !== undefined) add('STRICT_AUTH', `(${n}) authentication is not allowed in strict mode - removing`, 'drop-auth');
  if (c.preemptDelayMs > 0)
    add('STRICT_PREEMPT_DELAY', `(${n}) preempt_delay is not allowed in strict mode - removing`, 'drop-preempt-delay');
  if (c.acceptExplicit && c.version === 2)
    add('STRICT_ACCEPT_V2', `(${n}) accept mode is not allowed with VRRPv2 in strict mode - setting no_accept`, 'no-accept');
  if ((c.garpLowerPrioRepeat ?? 0) > 0)
    add('STRICT_GARP_REPEAT', `(${n}) gratuitous ARPs on a lower priority advert are not allowed in strict mode - clearing`, 'drop-garp-repeat');
  if (c.vmacXmitBase) add('STRICT_VMAC_XMIT_BASE', `(${n}) vmac_xmit_base is not allowed in strict mode`, 'drop-vmac-xmit-base');
  return p;
}

/** Strict mode's accept default: accept only for the owner (keepalived), unless set otherwise. */
export function strictAcceptDefault(basePriority: number): boolean {
  return basePriority >= 255;
}
