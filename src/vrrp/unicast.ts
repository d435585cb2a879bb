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
