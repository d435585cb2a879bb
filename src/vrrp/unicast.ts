/**
 * Unicast without peers (keepalived 2.2.4+): an instance that names a unicast keyword
 * (unicast_src_ip, unicast_ttl) but has no unicast_peer runs multicast with a deprecation line,
 * or, with unicast_fault_no_peer, stays in FAULT. keepalived 2.2.7's lines (observed):
 *   (VI_1) A unicast keyword has been specified without any unicast peers. Defaulting to multicast. This usage is deprecated - please update your configuration.
 *   (VI_1) Cannot use unicast without any peers - going to fault state
 */
export interface UnicastSettings {
  readonly name: string;
  readonly unicastSrcIp?: string;
  readonly unicastTtl?: number;
  readonly unicastPeers: readonly unknown[];
  readonly unicastFaultNoPeer: boolean;
}

export type NoPeerVerdict = { readonly fault: boolean; readonly line: string } | undefined;

export function unicastWithoutPeers(m: UnicastSettings): NoPeerVerdict {
  if (m.unicastPeers.length || (m.unicastSrcIp === undefined && m.unicastTtl === undefined)) return undefined;
  if (m.unicastFaultNoPeer) return { fault: true, line: `(${m.name}) Cannot use unicast without any peers - going to fault state` };
  return { fault: false, line: `(${m.name}) A unicast keyword has been specified without any unicast peers. Defaulting to multicast. This usage is deprecated - please update your configuration.` };
}

/** The route's default hop limit (IP_TTL / IPV6_UNICAST_HOPS -1). */
export const KERNEL_DEFAULT_TTL = -1;

/**
 * TTL / hop limit of an instance's unicast adverts (keepalived 2.2.7, observed with tcpdump -v):
 * `unicast_ttl N` on both families; without it IPv4 adverts carry 255 and IPv6 ones the
 * kernel's default hop limit (64 in the lab), since keepalived sets the IPv6 hop limit only
 * when configured. Receivers accept any TTL on unicast (unicast_ttl does not change that).
 */
export function unicastTtlOf(m: { readonly family: 'inet' | 'inet6'; readonly unicastTtl?: number }): number {
  return m.unicastTtl ?? (m.family === 'inet' ? 255 : KERNEL_DEFAULT_TTL);
}

/**
 * A unicast instance whose unicast_src_ip is on no interface at start-up cannot bind its
 * socket: keepalived 2.2.7 (observed, with and without track_src_ip) logs these lines and keeps
 * the instance in FAULT, even after the address appears (until a reload or restart). A source
 * deleted while running changes nothing (keepalived goes on sending from it).
 */
export function missingUnicastSource(m: UnicastSettings, localAddresses: ReadonlySet<string>): readonly string[] | undefined {
  if (!m.unicastPeers.length || m.unicastSrcIp === undefined || localAddresses.has(m.unicastSrcIp)) return undefined;
  return [`bind unicast_src ${m.unicastSrcIp} failed 99 - Cannot assign requested address`, `(${m.name}): entering FAULT state (src address not configured)`];
}
