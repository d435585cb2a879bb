/**
 * Ports between the runtime and the kernel. Each has a real adapter (src/net/*) and a fake
 * (test/support/*). The runtime depends only on these interfaces.
 */
export type Family = 'inet' | 'inet6';

/** One VRRP message as received: IP header already stripped and checked by the adapter. */
export interface ReceivedPacket {
  family: Family;
  /** The VRRP message (from the version/type byte to the end). */
  data: Buffer;
  src: string;
  dst: string;
  /** IPv4 TTL or IPv6 hop limit as received. */
  ttl: number;
  ifindex: number;
  /** IPv4 only: the IP header's total length, for keepalived's ip_tot_len check (undefined for IPv6). */
  ipTotalLength?: number;
}

export interface VrrpSocketOptions {
  family: Family;
  ifname: string;
  /** Multicast group to join on ifname (224.0.0.18 / ff02::12 or mcast_dst_ip); none for unicast-only. */
  group?: string;
}

export interface VrrpSocket {
  /** Send a VRRP message (checksum already set) to dst from src with TTL/hop limit 255, proto 112. */
  send(payload: Buffer, dst: string, src: string): void;
  onPacket(cb: (p: ReceivedPacket) => void): void;
  /** Errors after open (e.g. the interface disappeared) arrive here, never as throws from callbacks. */
  onError(cb: (err: Error) => void): void;
  close(): void;
}

export interface VrrpSocketFactory {
  open(opts: VrrpSocketOptions): VrrpSocket;
}

export interface AnnouncePort {
  /** Broadcast gratuitous ARP for ip from mac (keepalived: request, sender=target=ip, target hw ff:ff:ff:ff:ff:ff). */
  gratuitousArp(ifname: string, ip: string, mac: string): void;
  /** Unsolicited NA to ff02::1 with Override set, target ip, TLLA mac; Router flag when forwarding. */
  unsolicitedNa(ifname: string, ip: string, mac: string, router: boolean): void;
}

export type Scope = 'global' | 'site' | 'link' | 'host' | 'nowhere';

export interface AddressSpec {
  family: Family;
  address: string;
  prefixLen: number;
  dev: string;
  broadcast?: string;
  scope?: Scope;
  label?: string;
  peer?: string;
  /** IPv6 /128 VIPs are added deprecated (preferred_lft 0) as keepalived does, unless `preferred_lft forever`. */
  preferredLft?: number | 'forever';
  noDad?: boolean;
}

export interface InstalledAddress {
  family: Family;
  address: string;
  prefixLen: number;
  ifname: string;
  ifindex: number;
  label?: string;
}

export interface LinkInfo {
  ifindex: number;
  ifname: string;
  /** Administratively up and carrier present (IFF_UP && IFF_RUNNING). */
  up: boolean;
  mac: string;
  kind?: string;
}

export type NetEvent =
  | { type: 'link'; link: LinkInfo }
  | { type: 'link-deleted'; ifindex: number; ifname: string }
  | { type: 'addr-added'; addr: InstalledAddress }
  | { type: 'addr-removed'; addr: InstalledAddress };
