/**
 * One BFD session's state machine (RFC 5880 §6.8), asynchronous mode only: Demand mode off
 * and no Echo function, as keepalived. Pure: `now` (ms, monotonic, fractional) and a random
 * source arrive with each call; deadlines (next transmission, detection) are fields of the
 * state; every call returns the effects (packets to send, state changes) as data.
 *
 * Intervals are kept in microseconds as on the wire (§4.1); deadlines in milliseconds.
 */
import { BfdDiag, BfdState } from './packet';
import type { BfdControl, BfdControlToSend } from './packet';

/** RFC 5880 §6.8.3: while not Up, bfd.DesiredMinTxInterval MUST be at least one second. */
export const SLOW_TX_US = 1_000_000;

export interface BfdSessionConfig {
  /** bfd.LocalDiscr: non-zero, unique on this system (§6.8.1). */
  localDiscr: number;
  /** min_tx: bfd.DesiredMinTxInterval once Up. */
  desiredMinTxUs: number;
  /** min_rx: bfd.RequiredMinRxInterval. */
  requiredMinRxUs: number;
  /** idle_tx: the transmit interval while not Up (never below SLOW_TX_US, §6.8.3). */
  idleTxUs: number;
  /** multiplier: bfd.DetectMult. */
  detectMult: number;
  /** passive: the Passive role (§6.1): send nothing until the remote's discriminator is known. */
  passive: boolean;
}

export interface BfdSession {
  readonly cfg: BfdSessionConfig;
  /**
   * bfd.LocalDiscr in use: cfg.localDiscr at creation. As keepalived 2.2.7 does (observed on the
   * wire), an Up session that goes Down takes a new one; RFC 5880 §6.3 permits a change at any
   * time, since only this system demultiplexes on it.
   */
  localDiscr: number;
  state: BfdState;
  /** bfd.RemoteSessionState */
  remoteState: BfdState;
  /** bfd.LocalDiag */
  localDiag: number;
  /** The remote's last Diag field (for logs). */
  remoteDiag: number;
  /** bfd.RemoteDiscr: 0 until learnt, reset when the Detection Time expires (§6.8.1). */
  remoteDiscr: number;
  /** bfd.RemoteMinRxInterval: initialised to 1 µs (§6.8.1). */
  remoteMinRxUs: number;
  /** The remote's last Desired Min TX Interval and Detect Mult (0 = nothing received yet). */
  remoteDesiredMinTxUs: number;
  remoteDetectMult: number;
  /** bfd.DesiredMinTxInterval and bfd.RequiredMinRxInterval as advertised now. */
  advTxUs: number;
  advRxUs: number;
  /** The values in force for our transmit interval and the Detection Time while a Poll Sequence runs (§6.8.3). */
  txBasisUs: number;
  rxBasisUs: number;
  /** A Poll Sequence is in progress (§6.5): periodic packets carry P until a packet with F arrives. */
  polling: boolean;
  nextTxAtMs: number | undefined;
  detectAtMs: number | undefined;
  /** When the session last entered its current state (for dumps). */
  sinceMs: number;
}

export type BfdEffect =
  | { type: 'send'; pkt: BfdControlToSend }
  | { type: 'state'; from: BfdState; to: BfdState; diag: number; remoteDiag: number };

export interface Step {
  session: BfdSession;
  effects: BfdEffect[];
}

/** A random number in [0, 1), injected so tests are deterministic. */
export type Rand = () => number;

/** A fresh non-zero local discriminator (the caller keeps them unique among its sessions). */
export type NewDiscr = () => number;

/** A discriminator drawn from `rand` alone (callers with several sessions pass their own NewDiscr). */
export const randomDiscr =
  (rand: Rand): NewDiscr =>
  () =>
    (Math.floor(rand() * 0xffffffff) + 1) >>> 0 || 1;

/** The timer settings a SIGHUP may change on a running session (§6.8.3: by a Poll Sequence). */
export type BfdTimers = Pick<BfdSessionConfig, 'desiredMinTxUs' | 'requiredMinRxUs' | 'idleTxUs' | 'detectMult'>;

export function createSession(cfg: BfdSessionConfig, nowMs: number, rand: Rand): BfdSession {
  const slow = Math.max(cfg.idleTxUs, SLOW_TX_US);
  const s: BfdSession = {
    cfg,
    localDiscr: cfg.localDiscr,
    state: BfdState.Down,
    remoteState: BfdState.Down,
    localDiag: BfdDiag.None,
    remoteDiag: BfdDiag.None,
    remoteDiscr: 0,
    remoteMinRxUs: 1,
    remoteDesiredMinTxUs: 0,
    remoteDetectMult: 0,
    advTxUs: slow,
    advRxUs: cfg.requiredMinRxUs,
    txBasisUs: slow,
    rxBasisUs: cfg.requiredMinRxUs,
    polling: false,
    nextTxAtMs: undefined,
    detectAtMs: undefined,
    sinceMs: nowMs,
  };
  // The first packet goes out at once (a random fraction of an interval would only delay Up).
  s.nextTxAtMs = mayTransmit(s) ? nowMs : undefined;
  void rand;
  return s;
}

/** RFC 5880 §6.8.4: Detection Time = remote Detect Mult × max(bfd.RequiredMinRxInterval, remote Desired Min TX). */
export function detectionTimeUs(s: BfdSession): number {
  return s.remoteDetectMult * Math.max(s.rxBasisUs, s.remoteDesiredMinTxUs);
}

/** RFC 5880 §6.8.7: the interval is max(bfd.DesiredMinTxInterval, bfd.RemoteMinRxInterval). */
export function txIntervalUs(s: BfdSession): number {
  return Math.max(s.txBasisUs, s.remoteMinRxUs);
}

/**
 * RFC 5880 §6.8.7 jitter: the interval is reduced by a random 0–25% (75–100% of it); with
 * bfd.DetectMult 1 by 10–25% (75–90%), so no interval reaches the remote's Detection Time.
 */
export function jitteredIntervalMs(s: BfdSession, rand: Rand): number {
  const span = s.cfg.detectMult === 1 ? 0.15 : 0.25;
  return (txIntervalUs(s) / 1000) * (0.75 + span * rand());
}

/**
 * RFC 5880 §6.8.7: nothing is sent while bfd.RemoteMinRxInterval is zero, nor in the Passive
 * role before the remote's discriminator is known (§6.1).
 */
export function mayTransmit(s: BfdSession): boolean {
  if (s.remoteMinRxUs === 0) return false;
  if (s.cfg.passive && s.remoteDiscr === 0) return false;
  return true;
}

/** The earliest deadline (ms), or undefined when nothing is pending. */
export function nextDeadline(s: BfdSession): number | undefined {
  const a = s.nextTxAtMs;
  const b = s.detectAtMs;
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

function packet(s: BfdSession, final: boolean): BfdControlToSend {
  return {
    diag: s.localDiag,
    state: s.state,
    poll: s.polling && !final,
    final,
    detectMult: s.cfg.detectMult,
    myDiscr: s.localDiscr,
    yourDiscr: s.remoteDiscr,
    desiredMinTxUs: s.advTxUs,
    requiredMinRxUs: s.advRxUs,
    requiredMinEchoRxUs: 0,
  };
}

/**
 * Change bfd.SessionState, adjust the advertised timers for it (§6.8.3) and send at once. Up →
 * Down draws a new local discriminator, as keepalived 2.2.7 (§6.3 allows it).
 */
function transition(s: BfdSession, to: BfdState, diag: number, nowMs: number, effects: BfdEffect[], newDiscr?: NewDiscr): void {
  const from = s.state;
  if (from === BfdState.Up && to === BfdState.Down && newDiscr) s.localDiscr = newDiscr();
  s.state = to;
  s.localDiag = diag;
  s.sinceMs = nowMs;
  effects.push({ type: 'state', from, to, diag, remoteDiag: s.remoteDiag });
  const wanted = to === BfdState.Up ? s.cfg.desiredMinTxUs : Math.max(s.cfg.idleTxUs, SLOW_TX_US);
  if (wanted !== s.advTxUs) {
    s.advTxUs = wanted;
    if (to === BfdState.Up) {
      // §6.8.3: a changed DesiredMinTxInterval starts a Poll Sequence; a decrease may be used
      // at once, an increase only once the sequence completes.
      s.polling = true;
      if (wanted < s.txBasisUs) s.txBasisUs = wanted;
    } else s.polling = false;
  }
  if (to !== BfdState.Up) {
    // §6.8.3: outside Up the values are in force at once, so the interval in use is the slow
    // one (≥ 1 s) even when the advertised value did not change: a Poll begun while Up (SIGHUP
    // min_tx 50 → 1000 ms) may still hold back an increase, which must not outlive Up.
    s.txBasisUs = wanted;
    s.rxBasisUs = s.advRxUs;
  }
  // A state change is signalled to the remote right away rather than at the next tick.
  s.nextTxAtMs = mayTransmit(s) ? nowMs : undefined;
}

/**
 * A decoded control packet for this session (already demultiplexed: RFC 5880 §6.8.6 from
 * "If the Final (F) bit is set" on).
 */
export function receive(prev: BfdSession, pkt: BfdControl, nowMs: number, rand: Rand, newDiscr: NewDiscr = randomDiscr(rand)): Step {
  const s: BfdSession = { ...prev };
  const effects: BfdEffect[] = [];
  // §6.8.6: a Final terminates the Poll Sequence; the new timer values are now in force.
  if (pkt.final && s.polling) {
    s.polling = false;
    s.txBasisUs = s.advTxUs;
    s.rxBasisUs = s.advRxUs;
  }
  s.remoteDiscr = pkt.myDiscr;
  s.remoteState = pkt.state;
  s.remoteDiag = pkt.diag;
  s.remoteMinRxUs = pkt.requiredMinRxUs;
  s.remoteDesiredMinTxUs = pkt.desiredMinTxUs;
  s.remoteDetectMult = pkt.detectMult;
  if (s.state === BfdState.AdminDown) return { session: s, effects };

  if (pkt.state === BfdState.AdminDown) {
    if (s.state !== BfdState.Down) transition(s, BfdState.Down, BfdDiag.NeighborSignaledSessionDown, nowMs, effects, newDiscr);
  } else if (s.state === BfdState.Down) {
    if (pkt.state === BfdState.Down) transition(s, BfdState.Init, BfdDiag.None, nowMs, effects);
    else if (pkt.state === BfdState.Init) transition(s, BfdState.Up, BfdDiag.None, nowMs, effects);
  } else if (s.state === BfdState.Init) {
    if (pkt.state === BfdState.Init || pkt.state === BfdState.Up) transition(s, BfdState.Up, BfdDiag.None, nowMs, effects);
  } else if (pkt.state === BfdState.Down) {
    // Up
    transition(s, BfdState.Down, BfdDiag.NeighborSignaledSessionDown, nowMs, effects, newDiscr);
  }

  // §6.8.4: the detection timer restarts on every accepted packet.
  s.detectAtMs = nowMs + detectionTimeUs(s) / 1000;

  // §6.8.7: with P set, a packet with F goes out at once, regardless of the transmit timer.
  if (pkt.poll) effects.push({ type: 'send', pkt: packet(s, true) });

  // The transmit schedule follows the (possibly new) interval and permission to send.
  if (!mayTransmit(s)) s.nextTxAtMs = undefined;
  else {
    const soonest = nowMs + jitteredIntervalMs(s, rand);
    if (s.nextTxAtMs === undefined || s.nextTxAtMs > soonest) s.nextTxAtMs = s.nextTxAtMs === undefined ? nowMs : soonest;
  }
  return { session: s, effects };
}

/** Run whatever deadlines have passed at nowMs. */
export function tick(prev: BfdSession, nowMs: number, rand: Rand, newDiscr: NewDiscr = randomDiscr(rand)): Step {
  const s: BfdSession = { ...prev };
  const effects: BfdEffect[] = [];
  if (s.detectAtMs !== undefined && s.detectAtMs <= nowMs) {
    s.detectAtMs = undefined;
    // §6.8.1: bfd.RemoteDiscr is reset when the Detection Time expires; §6.8.4: in Init or Up
    // the session goes Down with Diag 1.
    s.remoteDiscr = 0;
    s.remoteMinRxUs = 1;
    s.remoteDesiredMinTxUs = 0;
    if (s.state === BfdState.Init || s.state === BfdState.Up) {
      transition(s, BfdState.Down, BfdDiag.ControlDetectionTimeExpired, nowMs, effects, newDiscr);
    }
    if (!mayTransmit(s)) s.nextTxAtMs = undefined;
    else if (s.nextTxAtMs === undefined) s.nextTxAtMs = nowMs;
  }
  if (s.nextTxAtMs !== undefined && s.nextTxAtMs <= nowMs) {
    if (mayTransmit(s)) {
      effects.push({ type: 'send', pkt: packet(s, false) });
      s.nextTxAtMs = nowMs + jitteredIntervalMs(s, rand);
    } else s.nextTxAtMs = undefined;
  }
  return { session: s, effects };
}

/**
 * Administrative down (§6.8.16): state AdminDown, Diag 7; control packets keep going at the
 * slow rate so the remote learns it. adminUp returns to Down.
 */
export function adminDown(prev: BfdSession, nowMs: number): Step {
  const s: BfdSession = { ...prev };
  const effects: BfdEffect[] = [];
  if (s.state !== BfdState.AdminDown) transition(s, BfdState.AdminDown, BfdDiag.AdministrativelyDown, nowMs, effects);
  s.detectAtMs = undefined;
  return { session: s, effects };
}

export function adminUp(prev: BfdSession, nowMs: number): Step {
  const s: BfdSession = { ...prev };
  const effects: BfdEffect[] = [];
  if (s.state === BfdState.AdminDown) transition(s, BfdState.Down, BfdDiag.None, nowMs, effects);
  return { session: s, effects };
}

/** The packet a stopping daemon sends once: AdminDown, Diag 7, so the remote goes Down at once. */
export function farewell(s: BfdSession): BfdControlToSend {
  return { ...packet(s, false), state: BfdState.AdminDown, diag: BfdDiag.AdministrativelyDown, poll: false };
}

/**
 * New timer settings for a running session (SIGHUP with a changed min_tx / min_rx / idle_tx /
 * multiplier): the session keeps its state and discriminators, as keepalived 2.2.7 does.
 * RFC 5880 §6.8.3: a changed bfd.DesiredMinTxInterval or bfd.RequiredMinRxInterval starts a Poll
 * Sequence (§6.5: periodic packets carry P until a packet with F arrives). While Up, a TX
 * interval that grows and an RX interval that shrinks take effect only on the Final (the remote
 * must first agree); a shrinking TX and a growing RX, which only make the session safer, apply at
 * once. Outside Up the slow rate is advertised anyway and the new values are in force at once.
 * bfd.DetectMult goes into the next packet (no Poll needed). Nothing is sent here: the next
 * periodic packet carries the P bit (keepalived 2.2.7 the same).
 */
export function retime(prev: BfdSession, timers: BfdTimers): Step {
  const s: BfdSession = { ...prev, cfg: { ...prev.cfg, ...timers } };
  const effects: BfdEffect[] = [];
  const up = s.state === BfdState.Up;
  const tx = up ? timers.desiredMinTxUs : Math.max(timers.idleTxUs, SLOW_TX_US);
  const rx = timers.requiredMinRxUs;
  // As keepalived 2.2.7: a Poll when min_tx or min_rx changed (idle_tx / multiplier alone: none).
  const changed = timers.desiredMinTxUs !== prev.cfg.desiredMinTxUs || timers.requiredMinRxUs !== prev.cfg.requiredMinRxUs;
  s.advTxUs = tx;
  s.advRxUs = rx;
  if (up) {
    if (tx < s.txBasisUs) s.txBasisUs = tx;
    if (rx > s.rxBasisUs) s.rxBasisUs = rx;
  } else {
    s.txBasisUs = tx;
    s.rxBasisUs = rx;
  }
  if (changed && s.state !== BfdState.AdminDown) s.polling = true;
  return { session: s, effects };
}
