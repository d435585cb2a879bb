/**
 * The BFD sessions of the configuration (bfd_instance blocks): one pure session (bfd/session)
 * per instance, driven by the precise timers and the datagrams of net/bfd-socket. State changes
 * are logged in keepalived's words and handed to listeners (VRRP's track_bfd, BFD_CHECK).
 *
 * Reception (RFC 5880 §6.8.6, RFC 5881 §5, RFC 5883 §5): decode; check the TTL / hop limit
 * (single-hop: at least `ttl`/`hoplimit` − max_hops, i.e. 255 by default; max_hops 255 turns
 * the check off); find the session by Your Discriminator, or when it is zero by the source
 * address and port kind; then step the session.
 */
import { BFD_DIAG_NAME, BFD_DROP_REASONS, BFD_PORT_MULTI_HOP, BFD_PORT_SINGLE_HOP, BFD_STATE_NAME, BfdState, decodeControl, encodeControl } from '../bfd/packet';
import type { BfdDropReason, BfdControlToSend } from '../bfd/packet';
import { createSession, detectionTimeUs, farewell, nextDeadline, receive, retime, tick } from '../bfd/session';
import type { BfdEffect, BfdSession, Step } from '../bfd/session';
import type { BfdInstance, Model } from '../config/model';
import type { BfdDatagram, BfdFamily, BfdListener, BfdSender, BfdTransport } from '../net/bfd-socket';
import { ageAt } from '../net/ports';
import type { Clock, TimerHandle } from './clock';
import { bfdSessionView, type BfdSessionView } from '../bfd/view';

export interface BfdLog {
  info(text: string): void;
  warn(text: string): void;
  debug(text: string): void;
}

export type BfdStateListener = (name: string, up: boolean) => void;

interface Entry {
  inst: BfdInstance;
  session: BfdSession;
  sender: BfdSender | undefined;
  timer: TimerHandle | undefined;
  timerAt: number | undefined;
  /** The time the session's last step was dated at: a packet is never dated before it. */
  lastEventMs: number;
  counters: { rx: number; tx: number; txErrors: number; lastRxMs?: number; lastSendFailed: boolean };
}

export type { BfdSessionView };

export interface BfdServiceDeps {
  clock: Clock;
  transport: BfdTransport;
  log: BfdLog;
  /** [0, 1): jitter and discriminators (Math.random by default). */
  random?: () => number;
  /**
   * Runs fn after the pending I/O of this loop turn (setImmediate by default). A Detection
   * Time expiry is confirmed there: after a stall of the event loop the timer and the peer's
   * queued packets become ready together, and the packets must win.
   */
  defer?: (fn: () => void) => void;
}

export class BfdService {
  private readonly entries = new Map<string, Entry>();
  private readonly byDiscr = new Map<number, Entry>();
  private readonly listeners: BfdStateListener[] = [];
  private readonly sockets = new Map<string, BfdListener>();
  readonly drops: Record<BfdDropReason, number> = Object.fromEntries(BFD_DROP_REASONS.map((r) => [r, 0])) as Record<BfdDropReason, number>;
  private readonly rand: () => number;

  constructor(private readonly deps: BfdServiceDeps) {
    this.rand = deps.random ?? Math.random;
  }

  onStateChange(fn: BfdStateListener): void {
    this.listeners.push(fn);
  }

  /** Is the named session Up? (undefined: no such running session) */
  isUp(name: string): boolean | undefined {
    const e = this.entries.get(name);
    return e ? e.session.state === BfdState.Up : undefined;
  }

  start(model: Model): void {
    for (const inst of model.bfdInstances ?? []) {
      if (inst.disabled) {
        this.deps.log.info(`(${inst.name}) BFD instance is disabled`);
        continue;
      }
      this.add(inst);
    }
  }

  /**
   * SIGHUP: sessions whose bfd_instance is unchanged keep running (an Up session stays Up, same
   * discriminators). Changed timers (min_tx, min_rx, idle_tx, multiplier) are applied in place,
   * as keepalived 2.2.7 does: the session stays Up and a changed min_tx/min_rx runs a Poll
   * Sequence (RFC 5880 §6.8.3; bfd/session retime). A session whose wire settings changed
   * (addresses, ports, TTL, max_hops, passive) restarts (AdminDown to the peer, then a new
   * session from Down with a new discriminator); a removed one stops, a new one starts. What only
   * VRRP or the checkers read (weight, vrrp/checker) changes nothing on the wire. Returns the
   * names of the sessions that stopped or restarted (their consumers must see them Down).
   */
  reload(model: Model): string[] {
    const next = new Map((model.bfdInstances ?? []).filter((i) => !i.disabled).map((i) => [i.name, i] as const));
    const gone: string[] = [];
    for (const [name, e] of [...this.entries]) {
      const n = next.get(name);
      if (n && sessionKey(n) === sessionKey(e.inst)) {
        const retimed = timerKey(n) !== timerKey(e.inst);
        e.inst = n;
        if (retimed) {
          const was = e.session.polling;
          this.apply(e, retime(e.session, { desiredMinTxUs: n.minTxUs, requiredMinRxUs: n.minRxUs, idleTxUs: n.idleTxUs, detectMult: n.multiplier }));
          if (e.session.polling && !was) this.deps.log.info(`(${name}) Starting poll sequence`);
        }
        continue;
      }
      this.transmit(e, farewell(e.session));
      e.timer?.cancel();
      e.sender?.close();
      this.entries.delete(name);
      this.byDiscr.delete(e.session.localDiscr);
      gone.push(name);
    }
    for (const inst of model.bfdInstances ?? []) {
      if (inst.disabled) {
        if (!this.entries.has(inst.name)) this.deps.log.info(`(${inst.name}) BFD instance is disabled`);
        continue;
      }
      if (!this.entries.has(inst.name)) this.add(inst);
    }
    return gone;
  }

  /** Send AdminDown once on every session (the remote goes Down at once) and close everything. */
  stop(): void {
    for (const e of this.entries.values()) {
      this.transmit(e, farewell(e.session));
      e.timer?.cancel();
      e.sender?.close();
    }
    this.entries.clear();
    this.byDiscr.clear();
    for (const s of this.sockets.values()) s.close();
    this.sockets.clear();
  }

  sessions(): BfdSessionView[] {
    const now = this.deps.clock.now();
    const wall = this.deps.clock.wallNow();
    return [...this.entries.values()].map((e) => bfdSessionView(e.inst, e.session, e.counters, now, wall));
  }

  private add(inst: BfdInstance): void {
    const port = inst.multihop ? BFD_PORT_MULTI_HOP : BFD_PORT_SINGLE_HOP;
    this.ensureListener(inst.family, port);
    let sender: BfdSender | undefined;
    try {
      sender = this.deps.transport.sender({ family: inst.family, sourceIp: inst.sourceIp ?? '', device: '', ttl: inst.family === 4 ? inst.ttl : inst.hoplimit });
    } catch (err) {
      this.deps.log.warn(`(${inst.name}) cannot open the BFD socket: ${(err as Error).message}`);
    }
    const now = this.deps.clock.now();
    const session = createSession(
      { localDiscr: this.newDiscr(), desiredMinTxUs: inst.minTxUs, requiredMinRxUs: inst.minRxUs, idleTxUs: inst.idleTxUs, detectMult: inst.multiplier, passive: inst.passive },
      now,
      this.rand,
    );
    const e: Entry = { inst, session, sender, timer: undefined, timerAt: undefined, lastEventMs: now, counters: { rx: 0, tx: 0, txErrors: 0, lastSendFailed: false } };
    this.entries.set(inst.name, e);
    this.byDiscr.set(session.localDiscr, e);
    this.arm(e);
  }

  private readonly discrSource = (): number => this.newDiscr();

  /** A random non-zero discriminator not in use; on a collision the next free value (a fixed random source cannot loop). */
  private newDiscr(): number {
    let d = (Math.floor(this.rand() * 0xffffffff) + 1) >>> 0 || 1;
    while (this.byDiscr.has(d)) d = (d % 0xffffffff) + 1;
    return d;
  }

  private ensureListener(family: BfdFamily, port: number): void {
    const key = `${family}|${port}`;
    if (this.sockets.has(key)) return;
    try {
      const l = this.deps.transport.listen(family, port, (d) => this.onDatagram(d), (err) => this.deps.log.warn(`BFD receive error: ${err.message}`));
      this.sockets.set(key, l);
    } catch (err) {
      this.deps.log.warn(`BFD: cannot listen on ${family === 4 ? 'IPv4' : 'IPv6'} port ${port}: ${(err as Error).message}`);
    }
  }

  private dropped(reason: BfdDropReason, detail: string, src: string): void {
    this.drops[reason]++;
    this.deps.log.debug(`BFD packet from ${src} dropped: ${detail}`);
  }

  /** Exposed for tests with a fake transport. */
  onDatagram(d: BfdDatagram): void {
    const r = decodeControl(d.data);
    if (!r.ok) return this.dropped(r.reason, r.detail, d.src);
    const pkt = r.pkt;
    const e = pkt.yourDiscr !== 0 ? this.byDiscr.get(pkt.yourDiscr) : this.findByPeer(d);
    if (!e) return this.dropped('no_session', `no session for Your Discriminator ${pkt.yourDiscr} from ${d.src}`, d.src);
    if (e.inst.multihop !== d.multihop) return this.dropped('no_session', `packet for ${e.inst.name} on the wrong port`, d.src);
    const sentTtl = e.inst.family === 4 ? e.inst.ttl : e.inst.hoplimit;
    // RFC 5881 §5: single-hop packets must arrive with TTL/hop limit 255 (GTSM); max_hops relaxes it.
    if (e.inst.maxHops < 255 && d.ttl >= 0 && d.ttl < Math.max(1, Math.min(255, sentTtl) - e.inst.maxHops)) {
      return this.dropped('ttl', `(${e.inst.name}) TTL/hop limit ${d.ttl} below ${sentTtl - e.inst.maxHops}`, d.src);
    }
    e.counters.rx++;
    const at = this.arrival(e, d);
    e.counters.lastRxMs = at;
    this.apply(e, receive(e.session, pkt, at, this.rand, this.discrSource));
  }

  /**
   * When the kernel received d (RFC 5880 §6.8.4: the Detection Time runs from the last packet
   * received): its SO_TIMESTAMPNS age, not the moment the event loop got to it, which is later
   * by the wake-up and whatever ran first (measured: up to ~10 ms under load, all of it added
   * to Down detection). An implausible age (none, clock step, > 1 s) counts as now, and a
   * session's steps are never dated before the previous one.
   */
  private arrival(e: Entry, d: BfdDatagram): number {
    const now = this.deps.clock.now();
    const age = ageAt(d, now);
    const at = age !== undefined && age > 0 && age < 1000 ? Math.max(now - age, e.lastEventMs) : now;
    e.lastEventMs = at;
    return at;
  }

  private findByPeer(d: BfdDatagram): Entry | undefined {
    for (const e of this.entries.values()) {
      if (e.inst.neighborIp === d.src && e.inst.multihop === d.multihop && (!e.inst.sourceIp || !d.dst || e.inst.sourceIp === d.dst)) return e;
    }
    return undefined;
  }

  private onTimer(e: Entry, confirmed = false): void {
    if (!confirmed) {
      e.timer = undefined;
      e.timerAt = undefined;
    }
    if (this.entries.get(e.inst.name) !== e) return;
    const now = this.deps.clock.now();
    const expired = e.session.detectAtMs !== undefined && e.session.detectAtMs <= now;
    const goesDown = expired && (e.session.state === BfdState.Up || e.session.state === BfdState.Init);
    if (goesDown && !confirmed) {
      // Let the packets already queued on the socket in (they restart the detection timer and re-arm).
      (this.deps.defer ?? setImmediate)(() => this.onTimer(e, true));
      return;
    }
    if (confirmed && !goesDown) return this.arm(e); // a packet came in meanwhile (its apply() re-armed)
    if (goesDown) {
      const dt = detectionTimeUs(e.session);
      const overdueUs = Math.round((now - (e.session.detectAtMs as number)) * 1000);
      this.deps.log.info(`(${e.inst.name}) Expired after ${Math.round(dt / 1000)} ms (${overdueUs} usec overdue)`);
    }
    e.lastEventMs = Math.max(e.lastEventMs, now);
    this.apply(e, tick(e.session, now, this.rand, this.discrSource));
  }

  private apply(e: Entry, step: Step): void {
    const prev = e.session;
    e.session = step.session;
    if (prev.localDiscr !== e.session.localDiscr) {
      // Up → Down took a new discriminator (as keepalived): packets echoing the old one no longer match.
      if (this.byDiscr.get(prev.localDiscr) === e) this.byDiscr.delete(prev.localDiscr);
      this.byDiscr.set(e.session.localDiscr, e);
    }
    for (const eff of step.effects) this.effect(e, eff, prev);
    this.arm(e);
  }

  private effect(e: Entry, eff: BfdEffect, prev: BfdSession): void {
    if (eff.type === 'send') return this.transmit(e, eff.pkt);
    const name = e.inst.name;
    const log = this.deps.log;
    if (eff.to === BfdState.Down || eff.to === BfdState.AdminDown) {
      log.info(`(${name}) Entering ${BFD_STATE_NAME[eff.to]} state (Local diagnostic - ${BFD_DIAG_NAME[eff.diag] ?? eff.diag}, Remote diagnostic - ${BFD_DIAG_NAME[eff.remoteDiag] ?? eff.remoteDiag})`);
    } else if (eff.to === BfdState.Up) {
      log.info(`(${name}) Entering Up state`);
      if (e.session.polling && !prev.polling) log.info(`(${name}) Starting poll sequence`);
    } else log.debug(`(${name}) Entering ${BFD_STATE_NAME[eff.to]} state`);
    const wasUp = eff.from === BfdState.Up;
    const isUp = eff.to === BfdState.Up;
    if (wasUp !== isUp) for (const l of this.listeners) l(name, isUp);
  }

  private transmit(e: Entry, pkt: BfdControlToSend): void {
    if (!e.sender) return;
    try {
      e.sender.send(encodeControl(pkt), e.inst.neighborIp, e.inst.multihop ? BFD_PORT_MULTI_HOP : BFD_PORT_SINGLE_HOP);
      e.counters.tx++;
      e.counters.lastSendFailed = false;
    } catch (err) {
      e.counters.lastSendFailed = true;
      // ENETUNREACH and friends while the path is down: counted, logged once per burst at debug.
      if (e.counters.txErrors++ % 100 === 0) this.deps.log.debug(`(${e.inst.name}) BFD send error: ${(err as Error).message}`);
    }
  }

  private arm(e: Entry): void {
    const at = nextDeadline(e.session);
    if (at === e.timerAt) return;
    e.timer?.cancel();
    e.timer = undefined;
    e.timerAt = at;
    if (at === undefined) return;
    e.timer = this.deps.clock.at(at, () => this.onTimer(e), { precise: true });
  }
}

/** What defines a session on the wire (not its timers, not its consumers' settings, not its place in the file). */
function sessionKey(i: BfdInstance): string {
  return JSON.stringify([i.family, i.neighborIp, i.sourceIp ?? '', i.multihop, i.ttl, i.hoplimit, i.maxHops, i.passive]);
}

/** The timers a reload applies in place (RFC 5880 §6.8.3 Poll Sequence for min_tx/min_rx). */
function timerKey(i: BfdInstance): string {
  return JSON.stringify([i.minRxUs, i.minTxUs, i.idleTxUs, i.multiplier]);
}

export { trackedBfdLine } from './bfd-lines';
