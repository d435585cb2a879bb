/**
 * Gratuitous ARP / unsolicited NA pacing per interface group (garp_group, and the global
 * vrrp_garp_interval / vrrp_gna_interval for interfaces in no group): at most one frame per
 * interval on the group's interfaces together, ARPs and NAs paced separately.
 *
 * What keepalived 2.2.7 does, observed on the wire (test/integration/garp-group): a frame for an
 * address goes out at once if the interval since the group's last one has passed, else the
 * address is marked pending; an address already pending is not queued twice, so a burst of
 * garp_master_repeat 3 for VIPs .100 .101 .102 with garp_interval 0.2 s is .100 at 0, then one
 * each for .100 .101 .102 at 0.2 s steps (4 frames, not 9), waiting addresses in configuration
 * order (instances, then their VIPs), not in the order they were asked for. Pure: the runtime arms a timer at
 * `armAtMs` and calls `pacerDue`.
 */

export interface PacerState<K> {
  /** When the next frame may go (ms). */
  readonly nextAtMs: number;
  /** Keys waiting, oldest first, each once. */
  readonly pending: readonly K[];
}

export interface PacerStep<K> {
  readonly state: PacerState<K>;
  /** Send this key's frame now. */
  readonly send?: K;
  /** Arm (or keep) a timer for this time and call pacerDue then. */
  readonly armAtMs?: number;
}

export function newPacer<K>(): PacerState<K> {
  return { nextAtMs: -Infinity, pending: [] };
}

/**
 * A frame for `key` is wanted now. `rank`: the waiting keys go in this order (keepalived scans
 * its instances and their VIPs in configuration order), ties oldest first.
 */
export function pacerRequest<K>(s: PacerState<K>, key: K, nowMs: number, intervalMs: number, rank: (k: K) => number = () => 0): PacerStep<K> {
  if (intervalMs <= 0) return { state: s, send: key };
  if (!s.pending.length && nowMs >= s.nextAtMs) return { state: { nextAtMs: nowMs + intervalMs, pending: [] }, send: key };
  if (s.pending.includes(key)) return { state: s };
  const r = rank(key);
  const at = s.pending.findIndex((k) => rank(k) > r);
  const pending = at < 0 ? [...s.pending, key] : [...s.pending.slice(0, at), key, ...s.pending.slice(at)];
  return { state: { ...s, pending }, armAtMs: s.nextAtMs };
}

/** The timer fired: the oldest pending key goes if its turn has come. */
export function pacerDue<K>(s: PacerState<K>, nowMs: number, intervalMs: number): PacerStep<K> {
  const [first, ...rest] = s.pending;
  if (first === undefined) return { state: s };
  if (nowMs < s.nextAtMs) return { state: s, armAtMs: s.nextAtMs };
  const state = { nextAtMs: nowMs + intervalMs, pending: rest };
  return rest.length ? { state, send: first, armAtMs: state.nextAtMs } : { state, send: first };
}

/** Drop pending keys (an instance stepped down: its VIPs are no longer ours to announce). */
export function pacerForget<K>(s: PacerState<K>, drop: (k: K) => boolean): PacerState<K> {
  return s.pending.some(drop) ? { ...s, pending: s.pending.filter((k) => !drop(k)) } : s;
}

/** garp_group: interface → group name; an interface in no group is its own group with the global intervals. */
export interface GarpGroupSpec {
  readonly garpIntervalMs: number;
  readonly gnaIntervalMs: number;
  readonly interfaces: readonly string[];
}

export interface PacingOf {
  /** Key of the group whose clock the interface shares. */
  readonly group: string;
  readonly intervalMs: number;
}

export function pacingOf(ifname: string, family: 'inet' | 'inet6', groups: readonly GarpGroupSpec[], globalGarpMs: number, globalGnaMs: number): PacingOf {
  const i = groups.findIndex((g) => g.interfaces.includes(ifname));
  const g = groups[i];
  if (g) return { group: `group${i}|${family}`, intervalMs: family === 'inet' ? g.garpIntervalMs : g.gnaIntervalMs };
  return { group: `if:${ifname}|${family}`, intervalMs: family === 'inet' ? globalGarpMs : globalGnaMs };
}
