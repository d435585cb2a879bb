/**
 * Resolves where each instance talks on the live system: its interface (or VMAC), the advert
 * source address, destinations, and the MAC its GARP/NA frames carry. Creating the VMAC
 * macvlan is part of this, since its name and MAC decide the rest.
 */
import type { GlobalDefs, VrrpInstance } from '../config/model';
import type { InstalledAddress, LinkInfo, RtnlPort } from '../net/ports';
import { vmacAddress, vmacName } from '../net/vmac';
import { applySysctls, fsSysctlIo, vmacSysctlPlan } from '../net/sysctl';

export interface ResolvedWiring {
  /** The configured interface (what link tracking watches). */
  baseIfname: string;
  /** Interface adverts are sent and received on. */
  xmitIfname: string;
  vipIfname: string;
  announceIfname: string;
  announceMac: string;
  primaryAddress: string;
  destinations: string[];
  /** Multicast group joined on xmitIfname, if not unicast. */
  group?: string;
  /** The link created for the instance (use_vmac's macvlan or use_ipvlan's ipvlan), deleted at stop. */
  vmac?: string;
}

export class WiringError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

function isLinkLocal6(a: string): boolean {
  return /^fe[89ab]/i.test(a);
}

/** The instance's own interface: `interface`, or the dev of its first VIP (unicast configs may omit it). */
export function baseInterfaceOf(m: VrrpInstance, g: GlobalDefs): string | undefined {
  return m.interface ?? m.virtualIpaddress.find((v) => v.dev)?.dev ?? g.defaultInterface;
}

/**
 * use_ipvlan (keepalived 2.2.7, observed in the IPVS VM): an ipvlan in mode l2 with the configured
 * flags on the interface, named as a VMAC would be (vrrp.VRID) unless named, up, with the
 * configured address on it; adverts leave from it. An IPv4 instance without an address is refused
 * (keepalived keeps it in FAULT).
 */
async function createIpvlan(m: VrrpInstance, g: GlobalDefs, base: string, rtnl: RtnlPort, links: Map<string, LinkInfo>, say: (line: string) => void): Promise<string> {
  const spec = m.useIpvlan as NonNullable<VrrpInstance['useIpvlan']>;
  if (m.family === 'inet' && !spec.address) {
    throw new WiringError('ERR_WIRING_NO_ADDRESS', `(${m.name}) IPv4 ipvlan requires a source ip address to be configured. setting instance to fault state`);
  }
  const name = spec.name ?? vmacName(m.vrid, m.family, g.vmacPrefix);
  links.set(name, await rtnl.createIpvlan(name, base, spec.flags));
  say(`(${m.name}): Success creating ipvlan interface ${name}`);
  await rtnl.setLinkUp(name, true);
  if (spec.address) {
    const a = { family: m.family, address: spec.address.address, prefixLen: spec.address.prefixLen, dev: name };
    const present = (await rtnl.listAddresses(name)).some((x) => x.address === a.address);
    if (!present) await rtnl.addAddress(a); // present: left on a reused ipvlan by a crashed run
  }
  return name;
}

export async function resolveWiring(
  m: VrrpInstance, g: GlobalDefs, rtnl: RtnlPort, links: Map<string, LinkInfo>, say: (line: string) => void = () => undefined,
): Promise<ResolvedWiring> {
  const base = baseInterfaceOf(m, g);
  if (!base) throw new WiringError('ERR_WIRING_NO_INTERFACE', `(${m.name}) no interface configured`);
  const baseLink = links.get(base) ?? (await rtnl.getLink(base));
  if (!baseLink) throw new WiringError('ERR_WIRING_NO_INTERFACE', `(${m.name}) interface ${base} doesn't exist`);

  let vmac: string | undefined;
  let vmacMac: string | undefined;
  if (m.useVmac) {
    vmac = m.useVmac.name ?? vmacName(m.vrid, m.family, g.vmacPrefix);
    vmacMac = m.useVmac.mac ?? vmacAddress(m.vrid, m.family);
    const link = await rtnl.createMacvlan(vmac, base, vmacMac, 'private');
    links.set(vmac, link);
    try {
      applySysctls(fsSysctlIo(), vmacSysctlPlan(base, vmac, m.family));
    } catch {
      /* best effort, as keepalived: the VMAC still works without them */
    }
    await rtnl.setLinkUp(vmac, true);
  }
  const ipvlan = m.useIpvlan && !vmac ? await createIpvlan(m, g, base, rtnl, links, say) : undefined;
  const xmit = ipvlan ?? (vmac && !m.vmacXmitBase ? vmac : base);
  const ipvlanSrc = ipvlan ? (m.useIpvlan?.address?.address ?? (await pickPrimary(m, rtnl, ipvlan, ipvlan))) : undefined;
  const primary = m.unicastSrcIp ?? m.mcastSrcIp ?? ipvlanSrc ?? (await pickPrimary(m, rtnl, base, xmit));
  if (!primary) throw new WiringError('ERR_WIRING_NO_ADDRESS', `(${m.name}) entering FAULT state (no IPv${m.family === 'inet' ? 4 : 6} address for interface)`);
  const unicast = m.unicastPeers.length > 0;
  const r: ResolvedWiring = {
    baseIfname: base,
    xmitIfname: xmit,
    vipIfname: vmac ?? base,
    announceIfname: vmac ?? base,
    announceMac: vmacMac ?? baseLink.mac,
    primaryAddress: primary,
    destinations: unicast ? m.unicastPeers.map((p) => p.address) : [m.mcastDstIp],
  };
  if (!unicast) r.group = m.mcastDstIp;
  const created = vmac ?? ipvlan;
  if (created) r.vmac = created;
  return r;
}

/** The advert source the interface gives the instance: its first IPv4 address that is not a VIP, or (IPv6) a link-local one. */
export async function pickPrimary(m: VrrpInstance, rtnl: RtnlPort, base: string, xmit: string): Promise<string | undefined> {
  const vips = new Set([...m.virtualIpaddress, ...m.virtualIpaddressExcluded].map((v) => v.address));
  const usable = (a: InstalledAddress): boolean => a.family === m.family && !vips.has(a.address);
  if (m.family === 'inet') return (await rtnl.listAddresses(base)).find(usable)?.address;
  // RFC 5798 §5.1.2.1: IPv6 adverts come from the interface's link-local address.
  const onXmit = (await rtnl.listAddresses(xmit)).filter(usable);
  const ll = onXmit.find((a) => isLinkLocal6(a.address)) ?? (await rtnl.listAddresses(base)).filter(usable).find((a) => isLinkLocal6(a.address));
  return ll?.address;
}
