/**
 * Stable keys of virtual and real servers, shared by the checkers, status and metrics. Kept apart
 * from ./build (which loads every probe: node:net, tls, …) so that status can use them without
 * loading the checker side.
 */
import type { RealServer, VirtualServer } from '../config/model';

const bracket = (a: string): string => `[${a}]`;

/** Stable key of a virtual server, shared with the LVS side. */
export function vsKeyOf(vs: VirtualServer): string {
  if (vs.kind === 'fwmark') return `fwmark:${vs.fwmark ?? 0}:${vs.family}`;
  if (vs.kind === 'group') return `group:${vs.group ?? ''}`;
  return `${vs.protocol.toLowerCase()}:${bracket(vs.address ?? '')}:${vs.port ?? 0}`;
}

/** Stable key of a real server inside its virtual server. */
export function rsKeyOf(rs: RealServer): string {
  return `${bracket(rs.address)}:${rs.port ?? 0}`;
}
