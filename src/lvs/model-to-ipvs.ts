/**
 * Pure: configured virtual servers + current real-server health → the IPVS table we want.
 * Decides quorum (with hysteresis), sorry-server substitution, inhibit_on_failure (weight 0
 * instead of removal), alpha (start down), and expands virtual_server_group entries.
 * No I/O, no clock: the runtime feeds health and the previous quorum state.
 */
import type { Family, RealServer, VirtualServer, VirtualServerGroup, LvsMethod, TunnelSpec, VsgEntry } from '../config/model';
import {
  SvcFlag, destKey, formatIpv4, formatIpv6, normalizeAddr, parseIpv4, parseIpv6, serviceKey,
  type FwdMethod, type IpvsDest, type IpvsProtocol, type IpvsService, type ServiceId,
} from './ipvs-codec';

/** Latest checker verdict for one real server (dynamicWeight from MISC_CHECK misc_dynamic). */
export interface RsHealth {
  up: boolean;
  dynamicWeight?: number;
}

/** Desired table: services by serviceKey, each with its destinations by destKey. */
export interface DesiredService {
  service: IpvsService;
  dests: Map<string, IpvsDest>;
}
export type IpvsTable = Map<string, DesiredService>;

/** Per-VS outcome, for the runtime's logs and scripts. */
export interface VsOutcome {
  vsKey: string;
  quorumUp: boolean;
  liveWeight: number;
  sorryActive: boolean;
  services: IpvsService[];
  /** rsKey → the weight it has in the table (0 when inhibited), absent when not in the table. */
  rsInTable: Map<string, number>;
}

/**
 * Keys shared with the checker runtime's health events. The format is src/check/build's
 * (vsKeyOf/rsKeyOf); it is restated here, not imported, because that module loads the probes
 * (node:net, …) and this one must stay pure. test/unit/lvs-model.test.ts pins the two together.
 */
export function vsKey(vs: VirtualServer): string {
  if (vs.kind === 'fwmark') return `fwmark:${vs.fwmark ?? 0}:${vs.family}`;
  if (vs.kind === 'group') return `group:${vs.group ?? ''}`;
  return `${vs.protocol.toLowerCase()}:[${vs.address ?? ''}]:${vs.port ?? 0}`;
}

export function rsKey(rs: Pick<RealServer, 'address' | 'port'>): string {
  return `[${rs.address}]:${rs.port ?? 0}`;
}

/** keepalived's endpoint text: "[192.0.2.11]:tcp:80" (or "[192.0.2.11]:0" style for fwmark). */
export function formatEndpoint(addr: string, family: Family, protocol: string, port: number | undefined): string {
  const a = `[${normalizeAddr(family, addr)}]`;
  return port === undefined ? a : `${a}:${protocol.toLowerCase()}:${port}`;
}

export function formatVs(vs: VirtualServer): string {
  if (vs.kind === 'group') return `[${vs.group ?? ''}]`;
  if (vs.kind === 'fwmark') return `FWM ${vs.fwmark ?? 0}`;
  return formatEndpoint(vs.address ?? '', vs.family, vs.protocol, vs.port);
}

const FWD: Record<LvsMethod, FwdMethod> = { NAT: 'masq', DR: 'route', TUN: 'tunnel' };

const SCHED_FLAG: Record<string, number> = {
  'flag-1': SvcFlag.SCHED1, 'flag-2': SvcFlag.SCHED2, 'flag-3': SvcFlag.SCHED3,
  'sh-fallback': SvcFlag.SH_FALLBACK, 'sh-port': SvcFlag.SH_PORT,
  'mh-fallback': SvcFlag.MH_FALLBACK, 'mh-port': SvcFlag.MH_PORT,
  ops: SvcFlag.ONEPACKET, hashed: SvcFlag.HASHED,
};

/** persistence_granularity: an IPv4 mask (255.255.255.0) or an IPv6 prefix length. */
function granularityPrefix(family: Family, g: string | undefined): number {
  const full = family === 'inet' ? 32 : 128;
  if (g === undefined) return full;
  if (/^\d+$/.test(g)) return Math.min(Number(g), full);
  const b = parseIpv4(g);
  if (!b) return full;
  let n = 0;
  for (const byte of b) for (let bit = 7; bit >= 0; bit--) if ((byte >> bit) & 1) n++;
  return n;
}

function serviceAttrs(vs: VirtualServer, id: ServiceId): IpvsService {
  let flags = 0;
  for (const f of vs.schedFlags) flags |= SCHED_FLAG[f] ?? 0;
  const timeoutS = vs.persistenceTimeoutS ?? 0;
  if (timeoutS > 0) flags |= SvcFlag.PERSISTENT;
  const svc: IpvsService = { ...id, scheduler: vs.lvsSched, flags, timeoutS, netmaskPrefix: granularityPrefix(id.af, vs.persistenceGranularity) };
  if (vs.persistenceEngine) svc.peName = vs.persistenceEngine;
  return svc;
}

function unspecified(af: Family): string {
  return af === 'inet' ? '0.0.0.0' : '::';
}

/** Expand an address range entry: IPv4 a.b.c.d-e varies the last octet, IPv6 the last group. */
export function expandRange(family: Family, first: string, last: string | undefined): string[] {
  const a = family === 'inet' ? parseIpv4(first) : parseIpv6(first);
  const b = last === undefined ? a : family === 'inet' ? parseIpv4(last) : parseIpv6(last);
  if (!a || !b) return [];
  const n = a.length;
  const lo = family === 'inet' ? (a[n - 1] as number) : ((a[n - 2] as number) << 8) | (a[n - 1] as number);
  const hi = family === 'inet' ? (b[n - 1] as number) : ((b[n - 2] as number) << 8) | (b[n - 1] as number);
  const out: string[] = [];
  for (let v = lo; v <= hi && out.length < 65536; v++) {
    const c = Uint8Array.from(a);
    if (family === 'inet') c[n - 1] = v;
    else { c[n - 2] = v >> 8; c[n - 1] = v & 0xff; }
    out.push(family === 'inet' ? formatIpv4(c) : formatIpv6(c));
  }
  return out;
}

function groupEntryIds(e: VsgEntry, protocol: IpvsProtocol): ServiceId[] {
  if (e.kind === 'fwmark') return [{ af: e.family, protocol: 'tcp', addr: unspecified(e.family), port: 0, fwmark: e.fwmark ?? 0 }];
  return expandRange(e.family, e.address ?? '', e.lastAddress).map((addr) => ({ af: e.family, protocol, addr, port: e.port ?? 0, fwmark: 0 }));
}

/** The kernel services one virtual_server stands for (several for a group). */
export function serviceIdsOf(vs: VirtualServer, groups: readonly VirtualServerGroup[]): ServiceId[] {
  const protocol = vs.protocol.toLowerCase() as IpvsProtocol;
  if (vs.kind === 'fwmark') return [{ af: vs.family, protocol: 'tcp', addr: unspecified(vs.family), port: 0, fwmark: vs.fwmark ?? 0 }];
  if (vs.kind === 'ip') return [{ af: vs.family, protocol, addr: normalizeAddr(vs.family, vs.address ?? ''), port: vs.port ?? 0, fwmark: 0 }];
  const g = groups.find((x) => x.name === vs.group);
  return g ? g.entries.flatMap((e) => groupEntryIds(e, protocol)) : [];
}

/** A real server starts down under alpha (until its checker succeeds), else up. */
export function rsIsUp(vs: VirtualServer, rs: RealServer, h: RsHealth | undefined): boolean {
  if (h) return h.up;
  return !(rs.alpha || vs.alpha) || rs.checkers.length === 0;
}

function rsWeight(rs: RealServer, h: RsHealth | undefined): number {
  return h?.dynamicWeight ?? rs.weight;
}

/**
 * keepalived's quorum rule with hysteresis: gained when live ≥ quorum + hysteresis, lost when
 * live < quorum − hysteresis, unchanged in between. With no previous state: live ≥ quorum.
 */
export function nextQuorumUp(prev: boolean | undefined, live: number, quorum: number, hysteresis: number): boolean {
  if (prev === undefined) return live >= quorum;
  if (prev) return !(live < quorum - hysteresis);
  return live >= quorum + hysteresis;
}

function dest(rs: { address: string; family: Family }, port: number, m: { lvsMethod: LvsMethod; tunnel?: TunnelSpec }, weight: number, u = 0, l = 0): IpvsDest {
  const d: IpvsDest = { addr: normalizeAddr(rs.family, rs.address), port, af: rs.family, fwd: FWD[m.lvsMethod], weight, upperThreshold: u, lowerThreshold: l };
  const t = m.lvsMethod === 'TUN' ? m.tunnel : undefined;
  if (t) {
    d.tunType = t.type;
    if (t.port !== undefined) d.tunPort = t.port;
    if (t.csum !== undefined) d.tunCsum = t.csum;
  }
  return d;
}

/** One VS: its services and the destinations each should carry. */
export function desiredForVs(
  vs: VirtualServer,
  groups: readonly VirtualServerGroup[],
  health: ReadonlyMap<string, RsHealth>,
  prevQuorumUp: boolean | undefined,
): { outcome: VsOutcome; entries: DesiredService[] } {
  const ids = serviceIdsOf(vs, groups);
  let live = 0;
  for (const rs of vs.realServers) {
    const h = health.get(rsKey(rs));
    if (rsIsUp(vs, rs, h)) live += rsWeight(rs, h);
  }
  const quorumUp = nextQuorumUp(prevQuorumUp, live, vs.quorum, vs.hysteresis);
  const sorry = vs.sorryServer;
  const sorryActive = !quorumUp && sorry !== undefined;
  const rsInTable = new Map<string, number>();
  const dests: { rsKey?: string; make: (svcPort: number) => IpvsDest }[] = [];
  for (const rs of vs.realServers) {
    const h = health.get(rsKey(rs));
    const up = rsIsUp(vs, rs, h) && !sorryActive;
    const inhibit = rs.inhibitOnFailure || vs.inhibitOnFailure;
    if (!up && !inhibit) continue;
    const w = up ? rsWeight(rs, h) : 0;
    rsInTable.set(rsKey(rs), w);
    dests.push({ rsKey: rsKey(rs), make: (p) => dest(rs, rs.port ?? p, rs, w, rs.uthreshold, rs.lthreshold) });
  }
  if (sorry && (sorryActive || sorry.inhibit)) {
    const sfam: Family = parseIpv4(sorry.address) ? 'inet' : 'inet6';
    dests.push({ make: (p) => dest({ address: sorry.address, family: sfam }, sorry.port ?? p, sorry, sorryActive ? 1 : 0) });
  }
  const entries = ids.map((id) => {
    const service = serviceAttrs(vs, id);
    const m = new Map<string, IpvsDest>();
    for (const d of dests) {
      const x = d.make(id.port);
      m.set(destKey(x, id.af), x);
    }
    return { service, dests: m };
  });
  return { outcome: { vsKey: vsKey(vs), quorumUp, liveWeight: live, sorryActive, services: entries.map((e) => e.service), rsInTable }, entries };
}

/** The whole table. health: vsKey → rsKey → verdict; prevQuorum: vsKey → last quorum state. */
export function desiredTable(
  virtualServers: readonly VirtualServer[],
  groups: readonly VirtualServerGroup[],
  health: ReadonlyMap<string, ReadonlyMap<string, RsHealth>>,
  prevQuorum: ReadonlyMap<string, boolean>,
): { table: IpvsTable; outcomes: VsOutcome[] } {
  const table: IpvsTable = new Map();
  const outcomes: VsOutcome[] = [];
  for (const vs of virtualServers) {
    const k = vsKey(vs);
    const { outcome, entries } = desiredForVs(vs, groups, health.get(k) ?? new Map(), prevQuorum.get(k));
    outcomes.push(outcome);
    for (const e of entries) table.set(serviceKey(e.service), e);
  }
  return { table, outcomes };
}
