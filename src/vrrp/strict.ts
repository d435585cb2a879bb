/**
 * Accept_Mode (RFC 5798 §6.1) as keepalived 2.2.7 settles it, pure. Accept_Mode false is what
 * the no_accept firewall (runtime/firewall.ts) enforces: a node holding a VIP it does not own
 * drops traffic addressed to it.
 *
 * Observed with Debian's keepalived 2.2.7: without vrrp_strict/strict_mode an instance accepts
 * unless `no_accept` is given; in strict mode it does not accept unless `accept` is given or it
 * is the address owner (priority 255); and strict mode with VRRPv2 resets an explicit `accept`
 * ("accept mode for VRRP version 2 does not comply with RFC3768 - resetting"), since RFC 3768
 * has no Accept_Mode: the VIPs are then dropped all the same.
 */
import type { VrrpVersion } from './types';

export interface AcceptInput {
  strict: boolean;
  version: VrrpVersion;
  priority: number;
  /** `accept` given. */
  accept?: boolean;
  /** `no_accept` given. */
  noAccept?: boolean;
}

export interface AcceptMode {
  accept: boolean;
  /** An explicit `accept` was reset (strict mode, VRRPv2): keepalived warns. */
  resetV2: boolean;
}

export function acceptMode(i: AcceptInput): AcceptMode {
  if (i.accept && i.strict && i.version === 2) return { accept: false, resetV2: true };
  if (i.accept) return { accept: true, resetV2: false };
  if (i.noAccept) return { accept: false, resetV2: false };
  return { accept: !i.strict || i.priority === 255, resetV2: false };
}

/** keepalived's warning for the VRRPv2 reset. */
export const acceptResetText = (name: string): string => `(${name}) warning - accept mode for VRRP version 2 does not comply with RFC3768 - resetting`;
