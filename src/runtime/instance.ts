/**
 * One running VRRP instance: feeds events to the pure FSM (src/vrrp/fsm.ts) and carries out the
 * actions it returns through the ports. All protocol decisions live in the FSM; this file only
 * arms the single timer the FSM asks for, encodes/sends adverts, adds/removes addresses, sends
 * GARP/NA bursts and reports transitions/notifications to the daemon.
 */
import type { VipEntry, VrrpInstance } from '../config/model';
import type { AddressSpec, AnnouncePort, RtnlPort } from '../net/ports';
import type { Logger } from '../observe/log';
import type { Clock } from './clock';
import { Deadline, deadlineQueues } from './deadline-queue';
import { answersLowerPriority, initialState, nextDeadline, step } from '../vrrp/fsm';
import { RateLimiter } from '../vrrp/rate-limit';
import { LimitedLog } from './limited-log';
import { encodeAdvert } from '../vrrp/packet';
import type { Action, Advert, FsmEvent, InstanceConfig, InstanceState, LowerPrioAnswer, NotifyState, VrrpStateName } from '../vrrp/types';
import { vipToAddressSpec } from './address-specs';
import { routeSpecOrThrow, ruleSpecOrThrow } from './route-specs';
import type { Iproute2Names } from '../config/rt-tables';
import type { VipFirewall } from './firewall';

/** keepalived's per-instance counters (names as in its JSON stats). */
export interface InstanceStats {
  advert_rcvd: number;
  advert_sent: number;
  become_master: number;
  release_master: number;
  packet_len_err: number;
  advert_interval_err: number;
  ip_ttl_err: number;
  invalid_type_rcvd: number;
  addr_list_err: number;
  invalid_authtype: number;
  authtype_mismatch: number;
  auth_failure: number;
  pri_zero_rcvd: number;
  pri_zero_sent: number;
  /** Gratuitous ARPs / unsolicited NAs sent (ours). */
  announce_sent: number;
  /** Every drop by our reason code (more detail than keepalived's counters). */
  drops: Record<string, number>;
}

export function newStats(): InstanceStats {
  return {
    advert_rcvd: 0, advert_sent: 0, become_master: 0, release_master: 0, packet_len_err: 0,
    advert_interval_err: 0, ip_ttl_err: 0, invalid_type_rcvd: 0, addr_list_err: 0, invalid_authtype: 0,
    authtype_mismatch: 0, auth_failure: 0, pri_zero_rcvd: 0, pri_zero_sent: 0, announce_sent: 0, drops: {},
  };
}

const DROP_STAT: Record<string, keyof Omit<InstanceStats, 'drops'> | undefined> = {
  ttl: 'ip_ttl_err', length: 'packet_len_err', count: 'packet_len_err', type: 'invalid_type_rcvd',
  interval: 'advert_interval_err', addr_list: 'addr_list_err', auth_type: 'invalid_authtype',
  auth_mismatch: 'authtype_mismatch', auth_failure: 'auth_failure', ah_auth_failed: 'auth_failure',
};

/** Where this instance talks: resolved by the daemon from the model and the live interfaces. */
export interface InstanceWiring {
  /** Interface the VIPs go on by default (the VMAC when use_vmac). */
  vipIfname: string;
  /** Interface GARP/NA frames leave from, and its MAC (the VMAC's when use_vmac). */
  announceIfname: string;
  announceMac: string;
  /** Our advert source (IPv6: link-local). */
  primaryAddress: string;
  /** Multicast group, or the unicast peers. */
  destinations: string[];
  /** `routine`: a master's advert due at its interval (may leave batched with others, see VrrpSocket.sendSoon). */
  send(payload: Uint8Array, dst: string, src: string, routine?: boolean): void;
  /** IPv6 NA Router flag: set when forwarding is on (keepalived's rule). */
  router: boolean;
  /** The physical interface under a VMAC (garp_group pacing is per physical interface). */
  baseIfname?: string;
}

/** GARP/NA pacing shared by the instances (runtime/garp-pacing). */
export interface AnnouncePacing {
  paced(ifname: string, family: 'inet' | 'inet6'): boolean;
  request(ifname: string, family: 'inet' | 'inet6', key: string, send: () => void, rank?: number): void;
}

export interface InstanceDeps {
  clock: Clock;
  log: Logger;
  rtnl: RtnlPort;
  announcer: AnnouncePort;
  /** iproute2 names for virtual_routes/virtual_rules; default: built-ins only. */
  names?: Iproute2Names;
  onTransition?: (inst: InstanceRuntime, from: VrrpStateName, to: VrrpStateName, reason: string) => void;
  onNotify?: (inst: InstanceRuntime, state: NotifyState | 'DELETED', priority: number) => void;
  /** A MASTER answered a lower-priority advert (notify_master_rx_lower_pri, FIFO line). */
  onRxLowerPri?: (inst: InstanceRuntime, priority: number) => void;
  /** The effective priority changed while MASTER or BACKUP (notify_priority_changes FIFO lines). */
  onPriorityChange?: (inst: InstanceRuntime, state: 'MASTER' | 'BACKUP', priority: number) => void;
  /** The no_accept firewall: drop rule set before the VIPs are added, removed after they go. */
  firewall?: VipFirewall;
  /** garp_group / vrrp_garp_interval / vrrp_gna_interval: frames paced per interface group (else each round is spaced by the global interval). */
  pacing?: AnnouncePacing;
  /** This instance's place in the configuration (paced frames wait in configuration order). */
  configIndex?: number;
  /**
   * Give the CPU away for a moment (sched_yield). After an IPv6 VIP add the address becomes
   * usable, and is announced to netlink listeners, only when the kernel's addrconf work runs, and
   * that work is queued on this CPU: without a yield it waits behind the rest of the takeover
   * (lines, notify spawns) until the loop sleeps or its time slice ends.
   */
  yieldCpu?: () => void;
}

export function fsmConfig(m: VrrpInstance, primaryAddress: string, minGarp = false): InstanceConfig {
  return {
    name: m.name,
    vrid: m.vrid,
    version: m.version,
    family: m.family,
    basePriority: m.priority,
    advertIntCs: Math.round(m.advertIntMs / 10),
    initialState: m.state,
    preempt: !m.nopreempt,
    preemptDelayMs: m.preemptDelayMs,
    primaryAddress,
    vips: m.virtualIpaddress.map((v) => v.address),
    unicastPeers: m.unicastPeers.map((p) => p.address),
    downTimerAdverts: m.downTimerAdverts,
    lowerPrioNoAdvert: m.lowerPrioNoAdvert,
    higherPrioSendAdvert: m.higherPrioSendAdvert,
    ownerIgnoreAdverts: m.ownerIgnoreAdverts,
    strict: m.strictMode,
    accept: m.accept,
    garp: {
      masterDelayMs: minGarp ? 0 : m.garpMasterDelayMs,
      masterRepeat: minGarp ? 1 : m.garpMasterRepeat,
      masterRefreshMs: m.garpMasterRefreshMs,
      masterRefreshRepeat: m.garpMasterRefreshRepeat,
      intervalMs: m.family === 'inet6' ? m.gnaIntervalMs : m.garpIntervalMs,
      lowerPrioDelayMs: m.garpLowerPrioDelayMs,
      lowerPrioRepeat: m.garpLowerPrioRepeat,
    },
  };
}

export class InstanceRuntime {
  readonly name: string;
  private config: InstanceConfig;
  readonly stats: InstanceStats = newStats();
  private st: InstanceState;
  /** This instance's one deadline in the clock's shared queues (see armTimer). */
  private readonly deadline = new Deadline(
    (wakeMs) => this.onDeadline(wakeMs),
    () => this.rehearseDeadline(),
  );
  private readonly queues: ReturnType<typeof deadlineQueues>;
  private timerAt: number | undefined;
  /** Address/announce effects run in order, after each other, without holding up adverts. */
  private effects: Promise<void> = Promise.resolve();
  private vipsInstalled = false;
  /** The add requests of the latest add-vips have left (rtnetlink has applied them on send). */
  private vipsRequested = false;
  private pendingEffects = 0;
  private stopping = false;
  /** -V: leave the VIPs in place when the daemon stops. */
  keepVipsOnStop = false;
  /** Removed by a reload: notify DELETED rather than STOP. */
  deleting = false;
  lastTransitionWall = 0;
  /** deps.log, held back while a dispatch puts its effects on the wire (see dispatch). */
  readonly log: Logger;
  /** Log lines and hooks of the dispatch in progress, in the order they were asked for. */
  private deferred: Array<() => void> | undefined;
  /** A dispatch is running: later() collects instead of running. */
  private deferring = false;
  /** This dispatch added IPv6 VIPs: yield the CPU before its deferred lines and hooks (see InstanceDeps.yieldCpu). */
  private yieldAfterDispatch = false;

  private lastEventAt = -Infinity;
  private specCache: VipSpecs | undefined;
  /**
   * Set by a dispatch whose add-vips is followed by the takeover's first announce round: the
   * first VIP is then added on its own and announced at once, before the other VIPs' requests
   * (see addVips). Only true while that dispatch runs.
   */
  private leadAnnounce = false;
  /** The actions being run are a tick's that changes no state: its advert is routine. */
  private routine = false;
  /** The VIP announced by addVips ahead of its round (announceFirstRoundNow skips it). */
  private leadAnnounced: VipEntry | undefined;
  private advertCache: { m?: VrrpInstance; cfg?: InstanceConfig; src?: string; bufs: Map<string, Buffer>; last?: { priority: number; dst: string; buf: Buffer } } = { bufs: new Map() };
  /**
   * Hostile traffic must not be amplified: a master answers a lower-priority advert (keepalived's
   * "forcing new election") with an advert at most once per advert interval per source, and with
   * a GARP burst at most once per max(advert interval, garp_lower_prio_delay) per source; log
   * lines of adverts that change nothing are limited per source and kind (LimitedLog).
   */
  private answerLimits: { intervalMs: number; garpMs: number; reply: RateLimiter; garp: RateLimiter } | undefined;
  /** Made on the first received advert that logs (a master that never hears one needs none). */
  private advertLogger: LimitedLog | undefined;
  /** The model the installed VIPs/routes/rules were built from, while a reload's sync-vips is pending. */
  private syncFrom: VrrpInstance | undefined;

  constructor(private m: VrrpInstance, readonly wiring: InstanceWiring, private readonly deps: InstanceDeps, private readonly minGarp = false) {
    this.name = m.name;
    this.config = fsmConfig(m, wiring.primaryAddress, minGarp);
    this.st = initialState(this.config);
    this.log = deferringLogger(deps.log, (fn) => this.later(fn));
    this.queues = deadlineQueues(deps.clock);
  }

  get cfg(): InstanceConfig {
    return this.config;
  }

  get model(): VrrpInstance {
    return this.m;
  }

  /** Reload with an equivalent configuration: keep state and timers, adopt the new model. */
  updateModel(m: VrrpInstance): void {
    this.m = m;
    this.warmVipRequests();
  }

  /**
   * SIGHUP applied in place (same VRID, interface, family, version, VMAC): adopt the new model
   * and let the state machine decide what it means (new priority advertised, VIP delta, timers
   * re-armed). `effective`: the new effective priority (base + tracker weights).
   */
  reconfigure(m: VrrpInstance, effective: number): void {
    const prev = this.config;
    this.syncFrom = this.m;
    this.m = m;
    this.config = fsmConfig(m, this.wiring.primaryAddress, this.minGarp);
    const dest = m.unicastPeers.length > 0 ? m.unicastPeers.map((p) => p.address) : [m.mcastDstIp];
    this.wiring.destinations.splice(0, this.wiring.destinations.length, ...dest);
    this.dispatch({ type: 'reconfigure', prev, effective });
    this.syncFrom = undefined;
    this.warmVipRequests();
  }

  /**
   * The interface's address changed behind our back (keepalived follows it: "Assigned address
   * X for interface Y", its adverts then come from X): adverts, our own-advert filter and the
   * address tie-break use the new primary from now on.
   */
  setPrimaryAddress(addr: string): void {
    this.wiring.primaryAddress = addr;
    this.config = fsmConfig(this.m, addr, this.minGarp);
  }

  clearStats(): void {
    Object.assign(this.stats, newStats());
  }

  /** No address/announce effect is queued or running. */
  isSettled(): boolean {
    return this.pendingEffects === 0;
  }

  get state(): InstanceState {
    return this.st;
  }

  get hasVips(): boolean {
    return this.vipsInstalled;
  }

  /**
   * `startupDelayMs`: vrrp_startup_delay; `processStartedAt`: when the daemon process started (the
   * Master_Down wait counts from there, fsm onStartup). Both given at daemon start only (not to
   * instances added by a reload). `startedAtMs`: the time this start is dated at (the daemon
   * starts all its instances at one time, as keepalived's loop does; see VrrpService.start).
   */
  start(startupDelayMs = 0, processStartedAt?: number, startedAtMs?: number): void {
    try {
      this.deps.announcer.prepare?.();
    } catch (e) {
      this.log.error(`(${this.name}) cannot open the GARP/NA socket: ${(e as Error).message}`);
    }
    this.warmTakeoverPath();
    this.dispatch({
      type: 'startup',
      ...(startupDelayMs > 0 ? { delayMs: startupDelayMs } : {}),
      ...(processStartedAt !== undefined ? { processStartedAt } : {}),
    }, undefined, startedAtMs);
  }

  /**
   * V8 compiles a function on its first call. A backup's first takeover would pay that
   * (measured ~1-2 ms) between its Master_Down timer and its first advert on the wire, so the
   * takeover path runs once now, on scratch data: pure calls only, results discarded.
   */
  private warmTakeoverPath(): void {
    const now = this.deps.clock.now();
    const backup: InstanceState = { ...this.st, state: 'BACKUP', masterDownAt: now };
    const m = this.model;
    // ...and a master's priority-0 advert (Skew_Time takeover), from a peer that cannot exist.
    const leaving: Advert = {
      version: m.version, type: 1, vrid: m.vrid, priority: 0, countAddrs: this.cfg.vips.length, authType: 0,
      authData: new Uint8Array(0), advertIntCs: this.cfg.advertIntCs, checksum: 0, addresses: [...this.cfg.vips],
    };
    const leave: FsmEvent = { type: 'advert', advert: leaving, src: m.family === 'inet6' ? '::' : '0.0.0.0' };
    // V8 gives a function its feedback vector (what makes its property accesses and calls
    // fast) only after ~8 calls: run the pure path that often, once per process (the
    // functions are shared by every instance). Measured: a 50-VIP takeover step() took
    // 50-84 µs after one warm-up call, 19-23 µs after ten.
    for (let i = warmRuns > 0 ? 1 : WARM_RUNS; i > 0; i--) {
      step(this.cfg, backup, TICK, now);
      step(this.cfg, backup, leave, now);
    }
    warmRuns++;
    this.warmVipRequests();
    [...m.virtualIpaddress, ...m.virtualIpaddressExcluded].forEach((v) => {
      try {
        this.deps.announcer.prebuild?.(this.wiring.announceIfname, v.family, v.address, this.wiring.announceMac, this.wiring.router);
      } catch {
        /* reported when the VIP is really added or announced */
      }
    });
    for (const dst of this.wiring.destinations) {
      try {
        this.advertFor(this.st.priority, dst);
      } catch {
        /* reported when a real advert is sent */
      }
    }
  }

  /** Build ahead the datagrams addVips sends (all the VIPs, or the lead one then the others). */
  private warmVipRequests(): void {
    const vs = this.vipSpecs();
    try {
      for (const specs of vs.rest.length > 0 ? [vs.all, vs.head, vs.rest] : [vs.all]) {
        if (this.deps.rtnl.warmAddresses) this.deps.rtnl.warmAddresses(specs);
        else specs.forEach((spec) => this.deps.rtnl.warmAddress?.(spec));
      }
    } catch {
      /* reported when the VIPs are really added */
    }
  }

  /** Shut down: priority-0 advert, VIPs removed, notify STOP; resolves when the effects are done. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.dispatch({ type: 'shutdown' });
    this.cancelTimer();
    this.advertLogger?.stop();
    await this.effects;
  }

  /** Resolves once every queued address/announce effect has run. */
  settled(): Promise<void> {
    return this.effects;
  }

  /** `ageMs`: how long ago the kernel received it; the state machine sees the arrival time. */
  receive(advert: Advert, src: string, ageMs?: number): void {
    this.stats.advert_rcvd++;
    if (advert.priority === 0) this.stats.pri_zero_rcvd++;
    let answer: LowerPrioAnswer | undefined;
    if (answersLowerPriority(this.cfg, this.st, advert, src)) {
      const now = this.deps.clock.now();
      const lim = this.limits();
      const reply = lim.reply.take(src, now);
      answer = { advert: reply, garp: reply && lim.garp.take(src, now) };
      if (!reply) this.countDrop('lower_prio_unanswered');
    }
    this.dispatch(answer ? { type: 'advert', advert, src, answer } : { type: 'advert', advert, src }, ageMs);
  }

  private advertLog(): LimitedLog {
    return (this.advertLogger ??= new LimitedLog(this.deps.clock));
  }

  private limits(): NonNullable<InstanceRuntime['answerLimits']> {
    const intervalMs = Math.max(10, this.cfg.advertIntCs * 10);
    const garpMs = Math.max(intervalMs, this.cfg.garp.lowerPrioDelayMs);
    let l = this.answerLimits;
    if (!l || l.intervalMs !== intervalMs || l.garpMs !== garpMs) {
      l = {
        intervalMs,
        garpMs,
        reply: new RateLimiter({ windowMs: intervalMs, perKey: 1, global: 8, maxKeys: 64, reports: false }),
        garp: new RateLimiter({ windowMs: garpMs, perKey: 1, global: 2, maxKeys: 64, reports: false }),
      };
      this.answerLimits = l;
    }
    return l;
  }

  countDrop(reason: string): void {
    this.stats.drops[reason] = (this.stats.drops[reason] ?? 0) + 1;
    const stat = DROP_STAT[reason];
    if (stat) this.stats[stat]++;
  }

  setPriority(effective: number): void {
    if (effective !== this.st.priority) this.dispatch({ type: 'priority', effective });
  }

  setFault(faulted: boolean, reason: string): void {
    if (faulted !== this.st.faulted) this.dispatch({ type: 'fault', faulted, reason });
  }

  /** Manual standby (`keepalived standby` / `resume`): an input of the state machine. */
  setStandby(on: boolean, force = false): void {
    this.dispatch({ type: 'standby', on, force });
  }

  force(to: 'MASTER' | 'BACKUP' | 'FAULT', reason?: string): void {
    this.dispatch({ type: 'force', to, reason });
  }

  /**
   * The state machine's actions run in its order, but only the wire effects (advert, netlink
   * requests, GARP/NA) run at once: log lines, the transition hooks and notify scripts are
   * collected and run right after, still in the order asked for. A log line costs 0.15-0.2 ms
   * (formatting, a write to stderr/syslog), a notify spawn more: on a takeover those used to sit
   * between the advert, the VIP request and the first GARP (measured: log + hooks 0.5 ms of the
   * 2.8 ms from advert to first GARP).
   */
  dispatch(ev: FsmEvent, ageMs?: number, atMs?: number): void {
    const before = this.st.priority;
    const { state, actions } = step(this.cfg, this.st, ev, this.eventTime(ageMs, atMs));
    this.st = state;
    const outer = !this.deferring;
    this.deferring = true;
    const lead = this.leadAnnounce;
    // (plain loops: an advert's dispatch allocates nothing of its own)
    let addsVips = false;
    let announces = false;
    let transition = false;
    for (const a of actions) {
      if (a.type === 'add-vips') addsVips = true;
      else if (a.type === 'announce' && !a.only && a.count > 0) announces = true;
      else if (a.type === 'transition') transition = true;
    }
    this.leadAnnounce = state.state === 'MASTER' && addsVips && announces;
    try {
      // The lines of an advert that changed no state are limited per source and kind.
      const limitLines = ev.type === 'advert' && !transition;
      this.routine = ev.type === 'tick' && !transition;
      for (const a of actions) {
        if (limitLines && a.type === 'log') this.advertLog().line(`${ev.src}|${a.text.replace(/\d+/g, '#')}`, a.text, (t) => this.execute({ ...a, text: t }));
        else this.execute(a);
      }
      this.routine = false;
      this.armTimer();
      const now = this.st.state;
      if (this.st.priority !== before && (now === 'MASTER' || now === 'BACKUP')) this.later(() => this.deps.onPriorityChange?.(this, now, this.st.priority));
    } finally {
      this.leadAnnounce = lead;
      if (outer) {
        if (this.yieldAfterDispatch) {
          this.yieldAfterDispatch = false;
          this.deps.yieldCpu?.();
        }
        this.runDeferred();
      }
    }
  }

  private later(fn: () => void): void {
    if (this.deferring) (this.deferred ??= []).push(fn);
    else fn();
  }

  private runDeferred(): void {
    this.deferring = false;
    // (hooks may dispatch again: each nested dispatch runs its own)
    for (let fns = this.deferred; fns !== undefined; fns = this.deferred) {
      this.deferred = undefined;
      for (const fn of fns) {
        try {
          fn();
        } catch (e) {
          this.deps.log.error(`(${this.name}) ${(e as Error).message}`);
        }
      }
    }
  }
  /**
   * Now, or when the event happened if it waited in a queue (an advert's arrival stamp). An
   * implausible age (clock step, > 1 s) counts as none, and time never runs backwards for
   * the state machine: an event is never dated before the previous one. `atMs`: the time the
   * event is dated at (a deadline's wake-up).
   */
  private eventTime(ageMs: number | undefined, atMs?: number): number {
    if (atMs !== undefined) return (this.lastEventAt = Math.max(atMs, this.lastEventAt));
    const now = this.deps.clock.now();
    const t = ageMs !== undefined && ageMs > 0 && ageMs < 1000 ? Math.max(now - ageMs, this.lastEventAt) : now;
    this.lastEventAt = t;
    return t;
  }

  /**
   * One deadline per instance in a queue shared by every instance on the clock: one timer for
   * all of them, nothing allocated per advert. Only a backup's Master_Down deadline decides
   * takeover latency and goes in the precise queue (timerfd); a master's advert deadlines go in
   * the setTimeout-backed one, which batches them (a timerfd wake per advert costs ~2x the
   * CPU at 1,000 instances).
   */
  private armTimer(): void {
    const at = nextDeadline(this.st);
    if (at === this.timerAt) return;
    if (at === undefined) return this.cancelTimer();
    this.timerAt = at;
    const q = this.queues;
    (this.st.state === 'BACKUP' && at === this.st.masterDownAt ? q.precise : q.coarse).set(this.deadline, at);
  }

  /**
   * Every instance due at one wake-up sees the same time, the wake-up's (as keepalived's
   * timers see its loop's time): masters that took over together keep one deadline and then
   * advertise in one wake-up a second, instead of a wake-up each, spread over however long
   * their takeovers took.
   */
  private onDeadline(wakeMs: number): void {
    this.timerAt = undefined;
    this.dispatch(TICK, undefined, wakeMs);
  }

  /**
   * The precise queue's early wake-up before this instance's Master_Down deadline: run what
   * the deadline will run, on scratch data (the pure step, results discarded) and through the
   * caches a takeover reads (the encoded advert, the prepared VIP requests, the GARP/NA frames),
   * so that the pages and code of the takeover are warm again after the sleep.
   */
  private rehearseDeadline(): void {
    const at = this.st.masterDownAt;
    if (at === undefined) return;
    step(this.cfg, this.st, TICK, at);
    for (const dst of this.wiring.destinations) {
      try {
        this.advertFor(this.st.priority, dst);
      } catch {
        /* reported when a real advert is sent */
      }
    }
    this.warmVipRequests();
    try {
      for (const v of this.model.virtualIpaddress) this.deps.announcer.prebuild?.(this.wiring.announceIfname, v.family, v.address, this.wiring.announceMac, this.wiring.router);
    } catch {
      /* reported when the VIP is announced */
    }
  }

  private cancelTimer(): void {
    this.deadline.queue?.clear(this.deadline);
    this.timerAt = undefined;
  }

  private execute(a: Action): void {
    switch (a.type) {
      case 'send-advert':
        return this.sendAdvert(a.priority);
      case 'add-vips':
        return this.queue(() => this.addVips());
      case 'remove-vips':
        if (this.stopping && this.keepVipsOnStop) return;
        return this.queue(() => this.removeVips());
      case 'announce':
        return this.announceFirstRoundNow(a.count, a.only);
      case 'sync-vips': {
        const from = this.syncFrom;
        const to = this.m;
        if (from) this.queue(() => this.syncVips(from, to));
        return;
      }
      case 'transition':
        if (a.to === 'MASTER') this.stats.become_master++;
        if (a.from === 'MASTER') this.stats.release_master++;
        this.lastTransitionWall = this.deps.clock.wallNow();
        this.later(() => this.deps.onTransition?.(this, a.from, a.to, a.reason));
        return;
      case 'notify': {
        const state = a.state === 'STOP' && this.deleting ? 'DELETED' : a.state;
        this.later(() => this.deps.onNotify?.(this, state, a.priority));
        return;
      }
      case 'notify-rx-lower-pri':
        this.later(() => this.deps.onRxLowerPri?.(this, a.priority));
        return;
      case 'log':
        if (a.level === 'debug') this.log.debug(a.text);
        else if (a.level === 'warn') this.log.warn(a.text);
        else this.log.info(a.text);
        return;
    }
  }

  /** The instance's VIPs as address specs, made once per model and interface (Rtnl keeps their prebuilt requests by array). */
  private vipSpecs(): VipSpecs {
    const c = this.specCache;
    if (c && c.m === this.m && c.ifname === this.wiring.vipIfname) return c;
    const all = [...this.m.virtualIpaddress, ...this.m.virtualIpaddressExcluded].map((v) => vipToAddressSpec(v, this.wiring.vipIfname));
    return (this.specCache = { m: this.m, ifname: this.wiring.vipIfname, all, head: all.slice(0, 1), rest: all.slice(1) });
  }

  /**
   * Adverts by (priority, destination), encoded once per model: a master sends the same bytes
   * every interval, and a takeover's first advert leaves without encoding or checksumming
   * (built by the warm-up at start).
   */
  private advertFor(priority: number, dst: string): Buffer {
    let c = this.advertCache;
    if (c.m !== this.m || c.cfg !== this.config || c.src !== this.wiring.primaryAddress || c.bufs.size >= 16) {
      c = this.advertCache = { m: this.m, cfg: this.config, src: this.wiring.primaryAddress, bufs: new Map() };
    }
    // A master sends the same advert to the same group every interval: no key string per advert.
    const last = c.last;
    if (last !== undefined && last.priority === priority && last.dst === dst) return last.buf;
    const key = `${priority} ${dst}`;
    let b = c.bufs.get(key);
    if (!b) {
      b = this.encodeAdvertFor(priority, dst);
      c.bufs.set(key, b);
    }
    c.last = { priority, dst, buf: b };
    return b;
  }

  private encodeAdvertFor(priority: number, dst: string): Buffer {
    const m = this.model;
    return encodeAdvert({
      version: m.version,
      family: m.family,
      vrid: m.vrid,
      priority,
      advertIntCs: this.cfg.advertIntCs,
      addresses: this.cfg.vips,
      auth: m.auth ? { type: m.auth.type, password: m.auth.pass } : undefined,
      src: this.wiring.primaryAddress,
      dst,
      v3ChecksumAsV2: m.v3ChecksumAsV2,
    });
  }

  private sendAdvert(priority: number): void {
    for (const dst of this.wiring.destinations) {
      try {
        const b = this.advertFor(priority, dst);
        this.wiring.send(b, dst, this.wiring.primaryAddress, this.routine);
        this.stats.advert_sent++;
        if (priority === 0) this.stats.pri_zero_sent++;
      } catch (e) {
        this.log.error(`(${this.name}) failed to send advert to ${dst}: ${(e as Error).message}`);
      }
    }
  }

  /**
   * Effects run one after another. When nothing is queued the effect starts now, inside the
   * dispatch that asked for it, rather than a microtask later: a takeover's netlink requests
   * and first gratuitous ARPs then leave right behind its first advert.
   */
  private queue(fn: () => Promise<void>): void {
   
    const run = (): Promise<void> =>
      fn()
        .catch((e: Error) => this.log.error(`(${this.name}) ${e.message}`))
        .finally(() => void this.pendingEffects--);
    this.effects = this.pendingEffects++ === 0 ? run() : this.effects.then(run);
  }

  /**
   * Every address request is issued at once (the netlink socket keeps them in call order and
   * bounds how many are in flight) instead of one round trip each: 50 VIPs cost one wait, not 50.
   *
   * On a takeover (leadAnnounce: this add runs inside the dispatch whose first announce round
   * follows) the first VIP goes alone and is announced at once, then the others go in one
   * datagram: the kernel spends 20-30 µs per IPv4 address and 40-50 µs per IPv6 one (nodad;
   * mostly the solicited-node group join) inside the sendmsg, so with 50 VIPs in one datagram
   * the first GARP/NA waited 1-2.5 ms for all of them. Now it waits for one; the last VIP
   * pays one more sendmsg and one frame (~30 µs). keepalived adds each VIP with its own
   * request and announces after the last one; every GARP/NA still follows its own address.
   */
  private async addVips(): Promise<void> {
    const m = this.model;
    if (!m.accept && this.deps.firewall) await this.deps.firewall.hold(m, this.wiring.vipIfname);
    const vs = this.vipSpecs();
    let adds: Array<Promise<void>>;
    const first = m.virtualIpaddress[0] ?? m.virtualIpaddressExcluded[0];
    // (paced frames — garp_group, vrrp_garp_interval — wait for their slot in sendRound instead)
    if (this.leadAnnounce && first && vs.rest.length > 0 && this.st.state === 'MASTER' && !this.pacedFor(first.family)) {
      this.leadAnnounce = false;
      const head = this.addAll(vs.head);
      if (this.sendAnnounce(first.family, first.address)) this.leadAnnounced = first;
      adds = head.concat(this.addAll(vs.rest));
    } else {
      adds = this.addAll(vs.all);
    }
    this.vipsRequested = true;
    if (this.deferring && vs.all.some((s) => s.family === 'inet6')) this.yieldAfterDispatch = true;
    const failed = (await Promise.allSettled(adds)).flatMap((r, i) => (r.status === 'rejected' ? [`VIP ${vs.all[i]?.address}: ${(r.reason as Error).message}`] : []));
    if (failed.length) throw new Error(failed.join('; '));
    this.vipsInstalled = true;
    if (m.virtualRoutes.length) this.log.debug(`(${this.name}) setting Virtual Routes`);
    for (const r of m.virtualRoutes) await this.tolerate(() => this.deps.rtnl.addRoute(routeSpecOrThrow(r, m.interface, this.deps.names)), `route ${r.args.join(' ')}`);
    if (m.virtualRules.length) this.log.debug(`(${this.name}) setting Virtual Rules`);
    for (const r of m.virtualRules) await this.tolerate(() => this.deps.rtnl.addRule(ruleSpecOrThrow(r, this.deps.names)), `rule ${r.args.join(' ')}`);
  }

  /** Every spec's add request, in one datagram where the port can. */
  private addAll(specs: readonly AddressSpec[]): Array<Promise<void>> {
    const rtnl = this.deps.rtnl;
    return rtnl.addAddresses ? rtnl.addAddresses(specs) : specs.map((spec) => rtnl.addAddress(spec));
  }

  private async removeVips(): Promise<void> {
    this.vipsRequested = false;
    const m = this.model;
    for (const r of m.virtualRules) await this.tolerate(() => this.deps.rtnl.delRule(ruleSpecOrThrow(r, this.deps.names)), `rule ${r.args.join(' ')}`);
    for (const r of m.virtualRoutes) await this.tolerate(() => this.deps.rtnl.delRoute(routeSpecOrThrow(r, m.interface, this.deps.names)), `route ${r.args.join(' ')}`);
    for (const v of [...m.virtualIpaddress, ...m.virtualIpaddressExcluded]) {
      await this.tolerate(() => this.deps.rtnl.delAddress(vipToAddressSpec(v, this.wiring.vipIfname)), `VIP ${v.address}`);
    }
    this.vipsInstalled = false;
    await this.deps.firewall?.release(this.name);
  }

  /**
   * Reload while MASTER: only the difference between the old and the new VIPs, routes and rules
   * is removed/added; unchanged ones stay installed untouched.
   */
  private async syncVips(from: VrrpInstance, to: VrrpInstance): Promise<void> {
    if (!this.vipsInstalled) return;
    const ifn = this.wiring.vipIfname;
    const key = (x: unknown): string => JSON.stringify(x);
    const vipsOf = (m: VrrpInstance) => new Map([...m.virtualIpaddress, ...m.virtualIpaddressExcluded].map((v) => [key(vipToAddressSpec(v, ifn)), v] as const));
    const routesOf = (m: VrrpInstance) => new Map(m.virtualRoutes.map((r) => [key(r.args), r] as const));
    const rulesOf = (m: VrrpInstance) => new Map(m.virtualRules.map((r) => [key(r.args), r] as const));
    const gone = <T>(a: Map<string, T>, b: Map<string, T>): T[] => [...a].filter(([k]) => !b.has(k)).map(([, v]) => v);
    const [va, vb, ra, rb, ua, ub] = [vipsOf(from), vipsOf(to), routesOf(from), routesOf(to), rulesOf(from), rulesOf(to)];
    for (const r of gone(ua, ub)) await this.tolerate(() => this.deps.rtnl.delRule(ruleSpecOrThrow(r, this.deps.names)), `rule ${r.args.join(' ')}`);
    for (const r of gone(ra, rb)) await this.tolerate(() => this.deps.rtnl.delRoute(routeSpecOrThrow(r, from.interface, this.deps.names)), `route ${r.args.join(' ')}`);
    for (const v of gone(va, vb)) await this.tolerate(() => this.deps.rtnl.delAddress(vipToAddressSpec(v, ifn)), `VIP ${v.address}`);
    // The drop set follows: gone VIPs leave it after their removal, new ones join before they are added.
    if (this.deps.firewall) await (to.accept ? this.deps.firewall.release(this.name) : this.deps.firewall.hold(to, ifn));
    for (const v of gone(vb, va)) await this.tolerate(() => this.deps.rtnl.addAddress(vipToAddressSpec(v, ifn)), `VIP ${v.address}`);
    for (const r of gone(rb, ra)) await this.tolerate(() => this.deps.rtnl.addRoute(routeSpecOrThrow(r, to.interface, this.deps.names)), `route ${r.args.join(' ')}`);
    for (const r of gone(ub, ua)) await this.tolerate(() => this.deps.rtnl.addRule(ruleSpecOrThrow(r, this.deps.names)), `rule ${r.args.join(' ')}`);
  }

  /** Re-add one VIP removed behind our back while MASTER. */
  async restoreVip(address: string): Promise<void> {
    const v = [...this.model.virtualIpaddress, ...this.model.virtualIpaddressExcluded].find((x) => x.address === address);
    if (!v || !this.vipsInstalled || this.st.state !== 'MASTER') return;
    this.queue(() => this.deps.rtnl.addAddress(vipToAddressSpec(v, this.wiring.vipIfname)));
    this.queue(() => this.announceOne(v.address, 1));
  }

  private async tolerate(fn: () => Promise<void>, what: string): Promise<void> {
    try {
      await fn();
    } catch (e) {
      this.log.error(`(${this.name}) ${what}: ${(e as Error).message}`);
    }
  }

  /**
   * A takeover's burst: when the only effect in flight is the VIP add just sent in this same
   * dispatch, the addresses already exist (rtnetlink applies a request within the send), so
   * the first round of GARPs/NAs goes out now rather than after the kernel's ACKs are read;
   * the rest of the burst is queued as usual. Otherwise the whole burst waits its turn.
   */
  private announceFirstRoundNow(count: number, only?: readonly string[]): void {
    const lead = this.leadAnnounced;
    this.leadAnnounced = undefined;
    if (!only && count > 0 && this.vipsRequested && this.pendingEffects === 1 && this.st.state === 'MASTER') {
      this.sendRound(undefined, lead);
      this.logBurst();
      if (count > 1) this.queue(() => this.announce(count - 1, true));
      return;
    }
    this.queue(() => this.announce(count, false, only));
  }

  /** `only`: announce just these VIPs (a reload's added ones); default all. */
  private async announce(count: number, continued = false, only?: readonly string[]): Promise<void> {
    // A burst queued while MASTER must not go out once we have stepped down (it would point
    // neighbours at us for a VIP we no longer hold).
    if (count <= 0 || !this.vipsInstalled || this.st.state !== 'MASTER') return;
    if (!continued) this.logBurst(only);
    for (let i = 0; i < count; i++) {
      if ((i > 0 || continued) && this.cfg.garp.intervalMs > 0 && !this.deps.pacing) await delay(this.deps.clock, this.cfg.garp.intervalMs);
      if (this.st.state !== 'MASTER') return;
      this.sendRound(only);
    }
  }

  private logBurst(only?: readonly string[]): void {
    const kind = this.model.family === 'inet6' ? 'Unsolicited Neighbour Adverts' : 'gratuitous ARPs';
    for (const v of this.model.virtualIpaddress) {
      if (!only || only.includes(v.address)) this.log.info(`(${this.name}) Sending/queueing ${kind} on ${this.wiring.announceIfname} for ${v.address}`);
    }
  }

  /**
   * One GARP/NA per VIP (or per VIP of `only`); the -D lines are written after the frames have
   * left. `lead`: already announced by addVips for this round.
   */
  private sendRound(only?: readonly string[], lead?: VipEntry): void {
    const m = this.model;
    const sent: VipEntry[] = lead ? [lead] : [];
    for (const list of [m.virtualIpaddress, m.virtualIpaddressExcluded]) {
      for (const v of list) {
        if (v === lead || (only && !only.includes(v.address))) continue;
        if (this.pacedFor(v.family)) this.sendPaced(v);
        else if (this.sendAnnounce(v.family, v.address)) sent.push(v);
      }
    }
    for (const v of sent) this.logSent(v);
  }

  private logSent(v: VipEntry): void {
    if (!this.log.detail) return;
    const ifn = this.wiring.announceIfname;
    this.log.debug(v.family === 'inet' ? `Sending gratuitous ARP on ${ifn} for ${v.address}` : `Sending unsolicited Neighbour Advert on ${ifn} for ${v.address}`);
  }

  private pacedFor(family: 'inet' | 'inet6'): boolean {
    return this.deps.pacing?.paced(this.wiring.baseIfname ?? this.wiring.announceIfname, family) ?? false;
  }

  /** Through the interface group's pacer: now, or at its next slot (once however often asked); not once we are no longer MASTER. */
  private sendPaced(v: VipEntry): void {
    const m = this.model;
    const i = m.virtualIpaddress.indexOf(v);
    const vipIndex = i >= 0 ? i : m.virtualIpaddress.length + m.virtualIpaddressExcluded.indexOf(v);
    const rank = (this.deps.configIndex ?? 0) * 65536 + vipIndex;
    this.deps.pacing?.request(this.wiring.baseIfname ?? this.wiring.announceIfname, v.family, `${this.name}|${v.address}`, () => {
      // a takeover's first round goes out as the VIP add is sent (see announceFirstRoundNow)
      if (this.st.state !== 'MASTER' || !(this.vipsInstalled || this.vipsRequested)) return;
      if (this.sendAnnounce(v.family, v.address)) this.logSent(v);
    }, rank);
  }

  private async announceOne(address: string, count: number): Promise<void> {
    const v = [...this.model.virtualIpaddress, ...this.model.virtualIpaddressExcluded].find((x) => x.address === address);
    if (!v) return;
    if (this.pacedFor(v.family)) return this.sendPaced(v);
    for (let i = 0; i < count; i++) this.sendAnnounce(v.family, v.address);
  }

  private sendAnnounce(family: 'inet' | 'inet6', address: string): boolean {
    const { announceIfname: ifn, announceMac: mac } = this.wiring;
    try {
      if (family === 'inet') this.deps.announcer.gratuitousArp(ifn, address, mac);
      else this.deps.announcer.unsolicitedNa(ifn, address, mac, this.wiring.router);
      this.stats.announce_sent++;
      return true;
    } catch (e) {
      this.log.error(`(${this.name}) announce ${address} on ${ifn} failed: ${(e as Error).message}`);
      return false;
    }
  }
}

const TICK: FsmEvent = { type: 'tick' };

/** Calls of the pure takeover path at the first instance's start (see warmTakeoverPath). */
const WARM_RUNS = 10;
let warmRuns = 0;

/** An instance's VIPs as address specs: all of them, and split as a takeover sends them (the lead VIP, the others). */
interface VipSpecs {
  m: VrrpInstance;
  ifname: string;
  all: AddressSpec[];
  head: AddressSpec[];
  rest: AddressSpec[];
}

/** A Logger whose lines go through `defer` (run now, or after the wire effects of a dispatch). */
function deferringLogger(log: Logger, defer: (fn: () => void) => void): Logger {
  return new DeferringLogger(log, defer);
}

/** (a class, not an object of closures: one small object per instance) */
class DeferringLogger implements Logger {
  constructor(
    private readonly log: Logger,
    private readonly defer: (fn: () => void) => void,
  ) {}
  error(text: string): void {
    this.defer(() => this.log.error(text));
  }
  warn(text: string): void {
    this.defer(() => this.log.warn(text));
  }
  info(text: string): void {
    this.defer(() => this.log.info(text));
  }
  debug(text: string): void {
    if (this.log.detail) this.defer(() => this.log.debug(text));
  }
  child(b: Record<string, unknown>): Logger {
    return new DeferringLogger(this.log.child(b), this.defer);
  }
  get detail(): boolean {
    return this.log.detail;
  }
}

function delay(clock: Clock, ms: number): Promise<void> {
  return new Promise((r) => clock.after(ms, r));
}
