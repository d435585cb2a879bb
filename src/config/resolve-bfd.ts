/** bfd_instance → BfdInstance: ms timers to µs, keepalived's defaults, address checks. */
import { normalizeIp } from './addresses';
import type { Diagnostics } from './diagnostics';
import type { BfdInstance } from './model';
import { defined, type Raw } from './resolve-common';
import { parseWeightWords } from './resolve-lines';

/** keepalived.conf(5) defaults: min_rx/min_tx 10 ms, idle_tx 1000 ms, multiplier 5, ttl 255, hoplimit 64. */
export const BFD_DEFAULTS = { minRxMs: 10, minTxMs: 10, idleTxMs: 1000, multiplier: 5, ttl: 255, hoplimit: 64, maxHops: 0 } as const;

const msToUs = (ms: number): number => Math.round(ms * 1000);

/**
 * An address in RFC 5952 text (IPv6: lower case, `::` for the first longest zero run), the text
 * inet_ntop gives a received datagram's source and destination, so the service's lookup of a
 * session by address (a packet with Your Discriminator 0: how a passive session first hears of
 * its peer) matches however neighbor_ip / source_ip were written ("2001:DB8:0:0::3" is
 * "2001:db8::3"). A scoped address (`%zone`) and text that is no address are kept as written.
 */
function canonical(ip: string): string {
  return ip.includes('%') ? ip : normalizeIp(ip) ?? ip;
}

function familyOf(ip: string | undefined): 4 | 6 | undefined {
  if (ip === undefined) return undefined;
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(ip) && ip.split('.').every((o) => Number(o) <= 255)) return 4;
  if (/^[0-9a-fA-F:.]+$/.test(ip) && ip.includes(':')) return 6;
  return undefined;
}

export function resolveBfdInstance(r: Raw, diags: Diagnostics): BfdInstance | undefined {
  const name = r.args[0] as string;
  const neighborIp = r.neighborIp as string | undefined;
  const family = familyOf(neighborIp);
  if (neighborIp === undefined || family === undefined) {
    diags.error('ERR_CONFIG_BAD_ADDRESS', `(${name}) bfd_instance needs a valid neighbor_ip${neighborIp ? `, got '${neighborIp}'` : ''} - ignoring`, r.loc);
    return undefined;
  }
  const sourceIp = r.sourceIp as string | undefined;
  if (sourceIp !== undefined && familyOf(sourceIp) !== family) {
    diags.error('ERR_CONFIG_BAD_ADDRESS', `(${name}) source_ip '${sourceIp}' is not an address of neighbor_ip's family - ignoring it`, r.loc);
  }
  const w = parseWeightWords(r.weight, 253, r.loc, diags);
  const multihop = r.multihop === true;
  const maxHops = (r.maxHops as number | undefined) ?? BFD_DEFAULTS.maxHops;
  return defined({
    name,
    family,
    neighborIp: canonical(neighborIp),
    sourceIp: sourceIp !== undefined && familyOf(sourceIp) === family ? canonical(sourceIp) : undefined,
    minRxUs: msToUs((r.minRx as number | undefined) ?? BFD_DEFAULTS.minRxMs),
    minTxUs: msToUs((r.minTx as number | undefined) ?? BFD_DEFAULTS.minTxMs),
    idleTxUs: msToUs((r.idleTx as number | undefined) ?? BFD_DEFAULTS.idleTxMs),
    multiplier: (r.multiplier as number | undefined) ?? BFD_DEFAULTS.multiplier,
    passive: r.passive === true,
    ttl: (r.ttl as number | undefined) ?? BFD_DEFAULTS.ttl,
    hoplimit: (r.hoplimit as number | undefined) ?? BFD_DEFAULTS.hoplimit,
    maxHops,
    multihop,
    weight: w.weight,
    weightReverse: w.reverse,
    // Neither flag: events go to both VRRP and the checkers.
    notifyVrrp: r.vrrp === true || r.checker !== true,
    notifyChecker: r.checker === true || r.vrrp !== true,
    disabled: r.disabled === true,
    loc: r.loc,
  }) as BfdInstance;
}
