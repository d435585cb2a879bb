/**
 * The fault tests' lab (issue #14 fault matrix): two daemons on one link, h1 MASTER at priority
 * 100 and h2 BACKUP at 90 (VRRPv2, advert_int 1 s, VIP 192.0.2.100/24 on eth0), and what they
 * check after a fault: which hosts hold the VIP, and that exactly one does within a bound and
 * stays the only one. Used by test/integration/fault-*.test.ts.
 */
import type { Test } from 'tap';
import { Lab, sleep, waitFor, type LabHost } from './netns';
import { logsOnFailure, startDaemon, vrrpConfig, type RunningDaemon } from './daemon';
import type { Starter } from './keepalived';

export const FAULT_VIP = '192.0.2.100';

export interface FaultPair {
  lab: Lab;
  h1: LabHost;
  h2: LabHost;
  d1: RunningDaemon;
  d2: RunningDaemon;
}

/**
 * A two-host lab with `start1` (ours by default) on h1 as MASTER 100 and ours on h2 as BACKUP
 * 90 (or the configs given), both logs printed on failure. Does not wait for them.
 */
export async function faultPair(t: Test, o: { cfg1?: string | undefined; cfg2?: string | undefined; start1?: Starter } = {}): Promise<FaultPair> {
  const lab = await Lab.create(t, { hosts: 2 });
  const [h1, h2] = [lab.host(1), lab.host(2)];
  const d1 = (o.start1 ?? startDaemon)(lab, h1, o.cfg1 ?? vrrpConfig({ state: 'MASTER', priority: 100 }));
  const d2 = startDaemon(lab, h2, o.cfg2 ?? vrrpConfig({ state: 'BACKUP', priority: 90 }));
  logsOnFailure(t, d1, d2);
  return { lab, h1, h2, d1, d2 };
}

/** The names of the hosts holding `vip` now. */
export async function holders(lab: Lab, hosts: LabHost[], vip = FAULT_VIP): Promise<string[]> {
  const out: string[] = [];
  for (const h of hosts) if (await lab.hasAddress(h, vip)) out.push(h.name);
  return out;
}

/** Resolves true once h1 holds the VIP, h2 does not and h2 has logged BACKUP; undefined after `ms`. */
export function masterAndBackup(p: FaultPair, ms: number): Promise<true | undefined> {
  return waitFor(async () => ((await p.lab.hasAddress(p.h1, FAULT_VIP)) && !(await p.lab.hasAddress(p.h2, FAULT_VIP)) && p.d2.out.has('Entering BACKUP STATE') ? true : undefined), ms);
}

/**
 * Wait (at most `boundMs`, polling every `pollMs`) until exactly `who` holds the VIP, then
 * check it stays the only holder for `stableMs`. Asserts both; returns the time it took from
 * `since`, or undefined when either failed.
 */
export async function onlyHolder(
  t: Test, lab: Lab, hosts: LabHost[], who: string, since: number, boundMs: number, what: string,
  o: { stableMs?: number; pollMs?: number } = {},
): Promise<number | undefined> {
  const stableMs = o.stableMs ?? 3000;
  const ok = await waitFor(async () => {
    const h = await holders(lab, hosts);
    return h.length === 1 && h[0] === who ? true : undefined;
  }, boundMs, o.pollMs ?? 50);
  const took = Date.now() - since;
  t.ok(ok, `${what}: exactly one holder (${who}) within ${boundMs} ms (took ${took} ms; holders now ${JSON.stringify(await holders(lab, hosts))})`);
  if (!ok) return undefined;
  const end = Date.now() + stableMs;
  while (Date.now() < end) {
    const h = await holders(lab, hosts);
    if (h.length !== 1 || h[0] !== who) {
      t.fail(`${what}: holder set changed to ${JSON.stringify(h)} after converging`);
      return undefined;
    }
    await sleep(100);
  }
  t.pass(`${what}: ${who} stayed the only holder for ${stableMs} ms`);
  return took;
}
