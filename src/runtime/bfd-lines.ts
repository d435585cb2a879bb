/** Log lines about BFD used by the VRRP side (apart from ./bfd-service, which is loaded only with bfd_instance). */

/** keepalived's VRRP-side line for a tracked BFD change. */
export function trackedBfdLine(instance: string, bfd: string, up: boolean): string {
  return `VRRP_Instance(${instance}) Tracked BFD instance ${bfd} is ${up ? 'UP' : 'DOWN'}`;
}
