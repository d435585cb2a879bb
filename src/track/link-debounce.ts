/**
 * interface_up_down_delays: a link's up/down change reaches the VRRP instances (FAULT, BACKUP,
 * track_interface weights) only after the interface's delay; if the link returns to the state
 * the instances see before the delay ends, they never hear of it. Pure: time comes in as `nowMs`,
 * the pending change's deadline is a field, the runtime arms the timer and calls `linkDue`.
 *
 * Behaviour of keepalived 2.2.7, observed in the namespace lab (test/integration/link-debounce):
 * - a change is logged `eth0: Adding flags change from 0x11043 to 0x1003 delay by 2000000`
 *   (ifi_flags in hex, the delay in µs); a change back before the deadline is dropped silently;
 * - the up delay defaults to 0 when omitted (keepalived.conf(5) says "same as the down delay";
 *   2.2.7 does not: an up is applied at once);
 * - a delay not below (down_timer_adverts - 1) × advert_int of an instance using the interface
 *   is reset to that bound minus advert_int/256 (advert 1 s → 1996094 µs, 2 s → 3992188 µs),
 *   with `VI_1: interface eth0 debounce timer(s) not less that 2 * advert_int - resetting`.
 */

export interface LinkDelays {
  readonly downUs: number;
  readonly upUs: number;
}

/** What the instances see of one interface, and the change waiting for its delay. */
export interface DebouncedLink {
  readonly up: boolean;
  /** ifi_flags of the state the instances see (only for the log line). */
  readonly flags: number;
  readonly pending?: { readonly up: boolean; readonly flags: number; readonly dueMs: number };
}

export interface DebounceStep {
  readonly link: DebouncedLink;
  /** The instances must re-read this interface's state now. */
  readonly apply: boolean;
  /** Arm a timer for this deadline (ms) and call linkDue then. */
  readonly armAtMs?: number;
  /** Cancel the timer armed for the previous pending change. */
  readonly cancel: boolean;
  /** keepalived's log line for a change that was put off. */
  readonly line?: string;
}

const hex = (n: number): string => `0x${(n >>> 0).toString(16)}`;

/** The kernel reported `up`/`flags` for `ifname` (raw link state, every RTM_NEWLINK). */
export function linkChanged(prev: DebouncedLink, ifname: string, up: boolean, flags: number, delays: LinkDelays, nowMs: number): DebounceStep {
  const pending = prev.pending;
  if (pending) {
    if (up === prev.up) return { link: { up: prev.up, flags: prev.flags }, apply: false, cancel: true }; // back in time: never happened
    return { link: prev, apply: false, cancel: false }; // same direction again: the first deadline stands
  }
  if (up === prev.up) return { link: { ...prev, flags }, apply: false, cancel: false };
  const delayUs = up ? delays.upUs : delays.downUs;
  if (delayUs <= 0) return { link: { up, flags }, apply: true, cancel: false };
  const dueMs = nowMs + delayUs / 1000;
  return {
    link: { up: prev.up, flags: prev.flags, pending: { up, flags, dueMs } },
    apply: false,
    cancel: false,
    armAtMs: dueMs,
    line: `${ifname}: Adding flags change from ${hex(prev.flags)} to ${hex(flags)} delay by ${Math.round(delayUs)}`,
  };
}

/** The timer armed by linkChanged fired: the pending change reaches the instances. */
export function linkDue(link: DebouncedLink, nowMs: number): DebounceStep {
  const p = link.pending;
  if (!p || nowMs < p.dueMs) return { link, apply: false, cancel: false, ...(p ? { armAtMs: p.dueMs } : {}) };
  return { link: { up: p.up, flags: p.flags }, apply: true, cancel: false };
}

/** One instance using an interface: its advert interval and down_timer_adverts bound the delays. */
export interface DelayUser {
  readonly name: string;
  readonly ifname: string;
  readonly advertIntMs: number;
  readonly downTimerAdverts: number;
}

/**
 * The configured delays, each reduced below (down_timer_adverts - 1) × advert_int of every
 * instance on that interface (else a backup would time out and take over before this instance
 * entered FAULT). Instances are checked in configuration order; each offending one logs a line.
 */
export function boundDelays(configured: ReadonlyMap<string, LinkDelays>, users: readonly DelayUser[]): { delays: Map<string, LinkDelays>; lines: string[] } {
  const delays = new Map(configured);
  const lines: string[] = [];
  for (const u of users) {
    const d = delays.get(u.ifname);
    if (!d) continue;
    const advUs = Math.round(u.advertIntMs * 1000);
    const limitUs = (u.downTimerAdverts - 1) * advUs;
    if (d.downUs < limitUs && d.upUs < limitUs) continue;
    const resetUs = limitUs - Math.floor(advUs / 256);
    delays.set(u.ifname, { downUs: d.downUs >= limitUs ? resetUs : d.downUs, upUs: d.upUs >= limitUs ? resetUs : d.upUs });
    lines.push(`${u.name}: interface ${u.ifname} debounce timer(s) not less that ${u.downTimerAdverts - 1} * advert_int - resetting`);
  }
  return { delays, lines };
}

/**
 * A master advertising faster than configured (VRRPv3: the backup adopts its interval):
 * keepalived 2.2.7 (observed) then lowers the interface's delays that are not below the new
 * bound, as boundDelays does at start-up, and says so once: "(VI_1) advertisement interval
 * updated from 5000ms to 1000ms by master", "VI_1: lower advert_int reducing interface eth0
 * debounce timer(s)"; a down delay of 8 s became 1996094 us (2 × 1 s − 1 s/256).
 */
export function lowerAdvertInt(delays: ReadonlyMap<string, LinkDelays>, u: DelayUser): { delays: Map<string, LinkDelays>; line?: string } {
  const r = boundDelays(delays, [u]);
  if (!r.lines.length) return { delays: r.delays };
  return { delays: r.delays, line: `${u.name}: lower advert_int reducing interface ${u.ifname} debounce timer(s)` };
}
