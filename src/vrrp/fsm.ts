/**
 * The VRRP state machine as a pure reducer: step(cfg, state, event, now) → {state, actions}.
 * RFC 3768 §6.3-6.4 (v2) and RFC 5798 §6.3-6.4 (v3), with keepalived's FAULT state and its
 * refinements (forcing a new election on a lower-priority advert, preempt_delay, GARP bursts,
 * priority-0 on stop). No I/O and no clock: deadlines are fields of the state, and the runtime
 * arms one timer for nextDeadline(state) and feeds {type:'tick'} back in.
 */
import { compareAddresses } from './addr';
import { msg } from './messages';
import { masterDownIntervalMs, skewTimeMs } from './timers';
import type { Action, Advert, FsmEvent, GarpConfig, InstanceConfig, InstanceState, LogLevel, LowerPrioAnswer, StepResult, VrrpStateName } from './types';

export type { InstanceConfig, InstanceState, FsmEvent, Action, StepResult } from './types';

/** keepalived's defaults (garp_master_delay 5 s, repeat 5, refresh off; lower_prio_* as the master burst). */
export const DEFAULT_GARP: GarpConfig = {
  masterDelayMs: 5000,
  masterRepeat: 5,
  masterRefreshMs: 0,
  masterRefreshRepeat: 1,
  intervalMs: 0,
  lowerPrioDelayMs: 5000,
  lowerPrioRepeat: 5,
};

/** Effective priority = base + Σ weights clamped to 1..254; an owner (255) never changes. */
export function clampEffectivePriority(base: number, sumWeights: number): number {
  if (base >= 255) return 255;
  return Math.min(254, Math.max(1, Math.round(base + sumWeights)));
}

/**
 * Every field present from the start, in one order (absent ones undefined): each transition's
 * `{...s, x}` then copies one object shape, which V8 clones in one fast step, and never adds a
 * field, which would give the states of different paths different shapes (measured at 1,000
 * instances: the per-property slow clone was the largest single cost of an advert tick).
 */
export function initialState(cfg: InstanceConfig): InstanceState {
  return {
    state: 'INIT',
    priority: cfg.basePriority,
    masterAdverIntCs: cfg.advertIntCs,
    faulted: false,
    faultReason: undefined,
    stopped: false,
    masterAddr: undefined,
    masterPriority: undefined,
    preemptAt: undefined,
    masterDownAt: undefined,
    adverAt: undefined,
    garpDelayAt: undefined,
    garpRefreshAt: undefined,
    garpLowerPrioAt: undefined,
    lastTransitionAt: undefined,
    standby: undefined,
    handoverUntil: undefined,
  };
}

/**
 * A field-by-field copy of `s`, for the one change a master's advert tick makes (every second
 * per instance). V8 11 (Node 20) clones `{...s, adverAt}` of this 17-field object through its
 * slow per-property path (measured ~1.1 µs a tick, 10x this copy; at 1,000 instances the
 * largest JS cost of the steady state), whatever the object's shape. (Required: a field added to
 * InstanceState and not copied here does not compile.)
 */
function copyState(s: InstanceState): { -readonly [K in keyof Required<InstanceState>]: InstanceState[K] } {
  return {
    state: s.state,
    priority: s.priority,
    masterAdverIntCs: s.masterAdverIntCs,
    faulted: s.faulted,
    faultReason: s.faultReason,
    stopped: s.stopped,
    masterAddr: s.masterAddr,
    masterPriority: s.masterPriority,
    preemptAt: s.preemptAt,
    masterDownAt: s.masterDownAt,
    adverAt: s.adverAt,
    garpDelayAt: s.garpDelayAt,
    garpRefreshAt: s.garpRefreshAt,
    garpLowerPrioAt: s.garpLowerPrioAt,
    lastTransitionAt: s.lastTransitionAt,
    standby: s.standby,
    handoverUntil: s.handoverUntil,
  };
}

/** The earliest armed deadline, or undefined when nothing is pending. */
export function nextDeadline(s: InstanceState): number | undefined {
  // (no array of the six: this runs after every event of every instance)
  let min = earlier(s.masterDownAt, s.adverAt);
  min = earlier(min, s.garpDelayAt);
  min = earlier(min, s.garpRefreshAt);
  min = earlier(min, s.garpLowerPrioAt);
  return earlier(min, s.handoverUntil);
}

function earlier(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  return b !== undefined && b < a ? b : a;
}

/** keepalived honours `nopreempt` only with initial state BACKUP; the owner always preempts. */
export function preemptEnabled(cfg: InstanceConfig): boolean {
  return cfg.preempt || cfg.initialState === 'MASTER' || cfg.basePriority >= 255;
}

export function isOwner(cfg: InstanceConfig): boolean {
  return cfg.basePriority >= 255;
}

/** Accumulates actions for one step; the state is threaded through explicitly. */
class Out {
  readonly actions: Action[] = [];
  constructor(
    readonly cfg: InstanceConfig,
    readonly now: number,
  ) {}
  log(level: LogLevel, text: string): void {
    this.actions.push({ type: 'log', level, text });
  }
  push(a: Action): void {
    this.actions.push(a);
  }
}

const NO_DEADLINES = {
  masterDownAt: undefined,
  adverAt: undefined,
  garpDelayAt: undefined,
  garpRefreshAt: undefined,
  garpLowerPrioAt: undefined,
  handoverUntil: undefined,
} as const;

function mdi(cfg: InstanceConfig, s: InstanceState): number {
  return masterDownIntervalMs(s.priority, s.masterAdverIntCs, cfg.version, cfg.downTimerAdverts);
}

function transition(o: Out, from: VrrpStateName, to: VrrpStateName, reason: string): void {
  o.push({ type: 'transition', from, to, reason });
}

/** RFC 5798 §6.4.1/§6.4.2: send an advert, announce the VIPs, start the Adver_Timer, go MASTER. */
function becomeMaster(o: Out, s: InstanceState, reason: string): InstanceState {
  const { cfg, now } = o;
  o.push({ type: 'send-advert', priority: s.priority });
  transition(o, s.state, 'MASTER', reason);
  o.log('info', msg.enteringMaster(cfg.name));
  o.push({ type: 'add-vips' });
  o.log('info', msg.settingVips(cfg.name));
  if (cfg.garp.masterRepeat > 0) o.push({ type: 'announce', count: cfg.garp.masterRepeat });
  o.push({ type: 'notify', state: 'MASTER', priority: s.priority });
  return {
    ...s,
    ...NO_DEADLINES,
    state: 'MASTER',
    masterAdverIntCs: cfg.advertIntCs,
    masterAddr: cfg.primaryAddress,
    masterPriority: s.priority,
    preemptAt: undefined,
    adverAt: now + cfg.advertIntCs * 10,
    garpDelayAt: cfg.garp.masterDelayMs > 0 && cfg.garp.masterRepeat > 0 ? now + cfg.garp.masterDelayMs : undefined,
    garpRefreshAt: cfg.garp.masterRefreshMs > 0 ? now + cfg.garp.masterRefreshMs : undefined,
    lastTransitionAt: now,
  };
}

/** Into BACKUP (from MASTER, FAULT or a sync-group force): VIPs go, the down timer starts. */
function becomeBackup(o: Out, s: InstanceState, reason: string): InstanceState {
  const { cfg, now } = o;
  const wasMaster = s.state === 'MASTER';
  if (wasMaster) o.push({ type: 'remove-vips' });
  transition(o, s.state, 'BACKUP', reason);
  // keepalived 2.2.7 logs the new state first, then "removing VIPs." (measured).
  o.log('info', msg.enteringBackup(cfg.name));
  if (wasMaster) o.log('info', msg.removingVips(cfg.name));
  o.push({ type: 'notify', state: 'BACKUP', priority: s.priority });
  const next: InstanceState = { ...s, ...NO_DEADLINES, state: 'BACKUP', lastTransitionAt: now };
  return { ...next, masterDownAt: now + mdi(cfg, next) };
}

/** keepalived FAULT: a master first says goodbye with priority 0, then VIPs go; no adverts. */
function becomeFault(o: Out, s: InstanceState, reason: string, init = false): InstanceState {
  const { cfg, now } = o;
  if (s.state === 'MASTER') {
    o.push({ type: 'send-advert', priority: 0 });
    o.log('info', msg.sentZeroPrio(cfg.name));
    o.push({ type: 'remove-vips' });
    o.log('info', msg.removingVips(cfg.name));
  }
  transition(o, s.state, 'FAULT', reason);
  o.log('info', init ? msg.enteringFaultInit(cfg.name) : msg.enteringFault(cfg.name));
  o.push({ type: 'notify', state: 'FAULT', priority: s.priority });
  return { ...s, ...NO_DEADLINES, state: 'FAULT', preemptAt: undefined, lastTransitionAt: now };
}

/**
 * When the Master_Down wait of a start ends. keepalived's timer starts a few milliseconds after
 * exec; ours starts once the daemon has loaded (~0.2 s quiet, over a second on a loaded host), so
 * two nodes started together would elect by whose start-up happened to be quicker, and the
 * lower-priority one could take the VIP for a moment and then be preempted. Given the process
 * start, the wait counts from there, as keepalived's in effect does; it never ends before the node
 * has listened 2 × Master_Adver_Interval + Skew_Time (one lost advert tolerated) and never after
 * the full wait counted from now.
 */
function startupMasterDownAt(o: Out, s: InstanceState, downMs: number, processStartedAt: number | undefined): number {
  const full = o.now + downMs;
  if (processStartedAt === undefined || processStartedAt > o.now) return full;
  const listenAtLeastMs = 2 * s.masterAdverIntCs * 10 + skewTimeMs(s.priority, s.masterAdverIntCs, o.cfg.version);
  return Math.min(full, Math.max(processStartedAt + downMs, o.now + listenAtLeastMs));
}

function onStartup(o: Out, s0: InstanceState, delayMs: number, processStartedAt?: number): InstanceState {
  const { cfg, now } = o;
  if (s0.state !== 'INIT') return s0;
  const s: InstanceState = { ...s0, stopped: false, masterAdverIntCs: cfg.advertIntCs, masterAddr: undefined };
  if (s.faulted) return becomeFault(o, s, `startup with a fault: ${s.faultReason ?? 'unknown'}`, true);
  // RFC 5798 §6.4.1: the owner (priority 255) goes straight to MASTER.
  if (isOwner(cfg) && !s.standby && delayMs <= 0) return becomeMaster(o, s, 'startup as address owner (priority 255)');
  // keepalived: `state MASTER` below 255 still starts in BACKUP and waits Master_Down_Interval.
  const down = mdi(cfg, s) + Math.max(0, delayMs);
  const masterDownAt = startupMasterDownAt(o, s, down, processStartedAt);
  transition(o, 'INIT', 'BACKUP', `startup (initial state ${cfg.initialState}, priority ${s.priority}): waiting ${Math.round(masterDownAt - now)}ms for a master`);
  // keepalived 2.2.7 logs this before its first state (stale VIPs are removed by the runtime at start-up).
  o.log('info', msg.removingVips(cfg.name));
  o.log('info', msg.enteringBackupInit(cfg.name));
  o.push({ type: 'notify', state: 'BACKUP', priority: s.priority });
  return {
    ...s,
    ...NO_DEADLINES,
    state: 'BACKUP',
    masterDownAt,
    preemptAt: cfg.preemptDelayMs > 0 ? now + cfg.preemptDelayMs : undefined,
    lastTransitionAt: now,
  };
}

/** RFC 5798 §6.4.2/§6.4.3 "Shutdown": a master sends priority 0 and drops the VIPs. */
function onShutdown(o: Out, s: InstanceState): InstanceState {
  const { cfg, now } = o;
  if (s.state === 'INIT') return { ...s, stopped: true };
  if (s.state === 'MASTER') {
    o.push({ type: 'send-advert', priority: 0 });
    o.log('info', msg.sentZeroPrio(cfg.name));
    o.push({ type: 'remove-vips' });
    o.log('info', msg.removingVips(cfg.name));
  }
  transition(o, s.state, 'INIT', 'shutdown');
  o.push({ type: 'notify', state: 'STOP', priority: s.priority });
  return { ...s, ...NO_DEADLINES, state: 'INIT', stopped: true, preemptAt: undefined, lastTransitionAt: now };
}

function onTick(o: Out, s0: InstanceState): InstanceState {
  const { cfg, now } = o;
  let s = s0;
  if (s.state === 'BACKUP' && s.masterDownAt !== undefined && s.masterDownAt <= now) {
    o.log('info', msg.receiveTimeout(cfg.name));
    const why = s.masterAddr
      ? `no advert from master ${s.masterAddr} for Master_Down_Interval (${mdi(cfg, s)}ms)`
      : `no master seen for Master_Down_Interval (${mdi(cfg, s)}ms)`;
    return becomeMaster(o, s, `master down timer expired: ${why}`);
  }
  if (s.state !== 'MASTER') return s;
  const intervalMs = cfg.advertIntCs * 10;
  if (s.handoverUntil !== undefined && s.handoverUntil <= now) {
    o.log('warn', msg.standbyNoTaker(cfg.name, handoverWindowMs(cfg)));
    o.push({ type: 'send-advert', priority: s.priority });
    return { ...s, standby: false, handoverUntil: undefined, adverAt: now + intervalMs };
  }
  if (s.adverAt !== undefined && s.adverAt <= now) {
    o.push({ type: 'send-advert', priority: s.priority });
    const next = s.adverAt + intervalMs;
    const c = copyState(s);
    c.adverAt = next > now ? next : now + intervalMs;
    s = c;
  }
  if (s.garpDelayAt !== undefined && s.garpDelayAt <= now) {
    o.push({ type: 'announce', count: cfg.garp.masterRepeat });
    s = { ...s, garpDelayAt: undefined };
  }
  if (s.garpRefreshAt !== undefined && s.garpRefreshAt <= now) {
    o.push({ type: 'announce', count: cfg.garp.masterRefreshRepeat });
    s = { ...s, garpRefreshAt: now + cfg.garp.masterRefreshMs };
  }
  if (s.garpLowerPrioAt !== undefined && s.garpLowerPrioAt <= now) {
    o.push({ type: 'announce', count: cfg.garp.lowerPrioRepeat });
    s = { ...s, garpLowerPrioAt: undefined };
  }
  return s;
}

/** Log "master set/changed" when the advertising master is a new one. */
function noteMaster(o: Out, s: InstanceState, src: string): void {
  if (s.masterAddr === src) return;
  if (s.masterAddr === undefined || s.masterAddr === o.cfg.primaryAddress) o.log('info', msg.masterSet(o.cfg.name, src));
  else o.log('info', msg.masterChanged(o.cfg.name, s.masterAddr, src));
}

/** v3 (RFC 5798 §6.4.2): a backup adopts the master's advertised interval. */
function learnInterval(o: Out, s: InstanceState, adv: Advert): InstanceState {
  if (o.cfg.version !== 3 || adv.advertIntCs <= 0 || adv.advertIntCs === s.masterAdverIntCs) return s;
  o.log('info', msg.intervalUpdated(o.cfg.name, s.masterAdverIntCs * 10, adv.advertIntCs * 10));
  return { ...s, masterAdverIntCs: adv.advertIntCs };
}

/**
 * RFC 5798 §6.4.2 (Backup): priority 0 → down timer = Skew_Time; otherwise, if preemption is
 * off or the advert's priority ≥ ours, restart the down timer; else discard it (and so
 * preempt when the timer fires). keepalived's preempt_delay keeps accepting lower-priority
 * adverts until the delay has run since the first one.
 */
function backupRx(o: Out, s: InstanceState, adv: Advert, src: string): InstanceState {
  const { cfg, now } = o;
  if (adv.priority === 0) {
    o.log('info', msg.backupPrioZero(cfg.name));
    return { ...s, masterDownAt: now + skewTimeMs(s.priority, s.masterAdverIntCs, cfg.version) };
  }
  const preempt = preemptEnabled(cfg);
  const lower = adv.priority < s.priority;
  const delaying = preempt && lower && cfg.preemptDelayMs > 0 && (s.preemptAt === undefined || now < s.preemptAt);
  if (preempt && lower && !delaying) {
    o.log('info', msg.lowerPrioDiscarding(cfg.name, adv.priority, src));
    return s;
  }
  let preemptAt = s.preemptAt;
  if (cfg.preemptDelayMs > 0 && preempt) {
    if (!lower) preemptAt = undefined;
    else if (preemptAt === undefined) preemptAt = now + cfg.preemptDelayMs;
  }
  noteMaster(o, s, src);
  // One new state per advert (learnInterval copies only when the interval changes).
  const learned = learnInterval(o, s, adv);
  return { ...learned, preemptAt, masterAddr: src, masterPriority: adv.priority, masterDownAt: now + mdi(cfg, learned) };
}

/**
 * RFC 5798 §6.4.3 (Master): priority 0 → advert at once; a higher priority, or an equal one
 * from a higher primary address, → BACKUP; otherwise discard, and (keepalived / RFC 9568)
 * answer at once so the lower-priority sender falls back ("forcing new election").
 */
function masterRx(o: Out, s: InstanceState, adv: Advert, src: string, answer: LowerPrioAnswer = ANSWER_ALL): InstanceState {
  const { cfg, now } = o;
  const intervalMs = cfg.advertIntCs * 10;
  if (s.handoverUntil !== undefined) {
    // Handing over (manual standby): the first other router's advert is the taker.
    if (adv.priority === 0 || src === cfg.primaryAddress) return s;
    o.log('info', msg.standbyHandover(cfg.name, src, adv.priority));
    const learned = learnInterval(o, { ...s, masterAddr: src, masterPriority: adv.priority }, adv);
    return becomeBackup(o, learned, `manual standby: ${src} took over with priority ${adv.priority}`);
  }
  if (adv.priority === 0) {
    o.log('info', msg.masterPrioZero(cfg.name));
    o.push({ type: 'send-advert', priority: s.priority });
    return { ...s, adverAt: now + intervalMs };
  }
  const cmp = compareAddresses(src, cfg.primaryAddress);
  if (adv.priority === s.priority && cmp === 0) return s; // our own advert looped back
  if (adv.priority > s.priority || (adv.priority === s.priority && cmp > 0)) {
    const why =
      adv.priority > s.priority
        ? msg.masterHigherPrio(cfg.name, src, adv.priority, s.priority)
        : msg.masterSamePrioHigherIp(cfg.name, src, adv.priority);
    o.log('info', why);
    if (cfg.higherPrioSendAdvert) o.push({ type: 'send-advert', priority: s.priority });
    const learned = learnInterval(o, { ...s, masterAddr: src, masterPriority: adv.priority }, adv);
    return becomeBackup(o, learned, `advert from ${src} with priority ${adv.priority} (ours ${s.priority})`);
  }
  if (cfg.lowerPrioNoAdvert) {
    o.log('debug', msg.lowerPrioDiscarding(cfg.name, adv.priority, src));
    return s;
  }
  // Rate-limited by the runtime (per source): an unanswered advert is only discarded (RFC 5798).
  if (!answer.advert) return s;
  o.log('info', msg.lowerPrioForcing(cfg.name, src, adv.priority, s.priority));
  o.push({ type: 'send-advert', priority: s.priority });
  // keepalived 2.2.7 (observed): with each "forcing new election" line, notify_master_rx_lower_pri
  // runs (no arguments) and the FIFOs get `INSTANCE "VI_1" MASTER_RX_LOWER_PRI <our priority>`.
  // (a lower priority only: an equal one from a lower address is answered but not reported)
  if (adv.priority < s.priority) o.push({ type: 'notify-rx-lower-pri', priority: s.priority });
  const garp = answer.garp && cfg.garp.lowerPrioRepeat > 0;
  if (garp) o.push({ type: 'announce', count: cfg.garp.lowerPrioRepeat });
  const lowerAt = garp && cfg.garp.lowerPrioDelayMs > 0 ? now + cfg.garp.lowerPrioDelayMs : s.garpLowerPrioAt;
  return { ...s, adverAt: now + intervalMs, garpLowerPrioAt: lowerAt };
}

const ANSWER_ALL: LowerPrioAnswer = { advert: true, garp: true };

/**
 * Whether this advert would be answered as a lower-priority one ("forcing new election"): the
 * runtime asks before the step, to rate-limit the answers per source. Mirrors masterRx/onAdvert.
 */
export function answersLowerPriority(cfg: InstanceConfig, s: InstanceState, adv: Advert, src: string): boolean {
  if (s.state !== 'MASTER' || s.handoverUntil !== undefined || cfg.lowerPrioNoAdvert) return false;
  if (isOwner(cfg) && (cfg.ownerIgnoreAdverts || cfg.strict)) return false;
  if (adv.priority === 0 || adv.priority > s.priority) return false;
  if (adv.priority === s.priority) return compareAddresses(src, cfg.primaryAddress) < 0;
  return true;
}

function onAdvert(o: Out, s: InstanceState, adv: Advert, src: string, answer?: LowerPrioAnswer): InstanceState {
  const { cfg } = o;
  if (s.state !== 'BACKUP' && s.state !== 'MASTER') return s; // INIT/FAULT: adverts are not processed
  // RFC 5798 §7.1 item 6 (keepalived: only with owner_ignore_adverts or vrrp_strict).
  if (isOwner(cfg) && (cfg.ownerIgnoreAdverts || cfg.strict)) {
    o.log('debug', msg.ownerDropping(cfg.name, src));
    return s;
  }
  if (isOwner(cfg) && adv.priority === 255) o.log('warn', msg.ownerConflict(cfg.name, src));
  return s.state === 'BACKUP' ? backupRx(o, s, adv, src) : masterRx(o, s, adv, src, answer);
}

/** A new effective priority (computed by the trackers); a master announces it at once. */
function onPriority(o: Out, s: InstanceState, effective: number): InstanceState {
  const { cfg, now } = o;
  const p = isOwner(cfg) ? 255 : Math.min(254, Math.max(1, Math.round(effective)));
  if (p === s.priority) return s;
  o.log('info', msg.changingPriority(cfg.name, s.priority, p));
  if (s.state !== 'MASTER' || s.handoverUntil !== undefined) return { ...s, priority: p };
  o.push({ type: 'send-advert', priority: p });
  return { ...s, priority: p, masterPriority: p, adverAt: now + cfg.advertIntCs * 10 };
}

function onFault(o: Out, s: InstanceState, faulted: boolean, reason: string): InstanceState {
  if (faulted) {
    const next: InstanceState = { ...s, faulted: true, faultReason: reason };
    if (s.state === 'INIT' || s.state === 'FAULT') return next;
    return becomeFault(o, next, reason);
  }
  if (!s.faulted) return s;
  const next: InstanceState = { ...s, faulted: false, faultReason: undefined };
  if (s.state !== 'FAULT') return next;
  const why = `fault cleared${reason ? `: ${reason}` : ''}`;
  return isOwner(o.cfg) && !s.standby ? becomeMaster(o, next, why) : becomeBackup(o, next, why);
}

/** Sync groups move members together (src/vrrp/sync-group.ts decides; this obeys). */
function onForce(o: Out, s: InstanceState, to: 'MASTER' | 'BACKUP' | 'FAULT', reason?: string): InstanceState {
  const why = `sync group: ${reason ?? `forced to ${to}`}`;
  if (s.state === 'INIT' || s.state === to) return s;
  if (to === 'FAULT') return becomeFault(o, s, why);
  if (to === 'MASTER') return s.state === 'BACKUP' && !s.standby ? becomeMaster(o, s, why) : s;
  if (s.state === 'FAULT' && s.faulted) return s; // still our own fault
  return becomeBackup(o, s, why);
}

/** How long a master in manual standby waits for another router to take over: 2 advert intervals (any backup's Skew_Time is under one). */
export function handoverWindowMs(cfg: InstanceConfig): number {
  return 2 * cfg.advertIntCs * 10;
}

/**
 * Manual standby (ours). On: a master advertises priority 0 once and stops advertising; it
 * keeps its VIPs until the taker's advert arrives (masterRx), or cancels the standby when no
 * one has taken over within handoverWindowMs (onTick); `force` steps down at once. A backup
 * in standby never arms its down timer (see step). Off: a backup re-arms Master_Down_Interval,
 * so preemption rules decide whether it takes the master role back.
 */
function onStandby(o: Out, s: InstanceState, on: boolean, force: boolean): InstanceState {
  const { cfg, now } = o;
  if (on) {
    if (s.standby && !(force && s.handoverUntil !== undefined)) return s;
    o.log('info', msg.standbyOn(cfg.name));
    if (s.state !== 'MASTER') return { ...s, standby: true };
    if (s.handoverUntil === undefined) {
      o.push({ type: 'send-advert', priority: 0 });
      o.log('info', msg.sentZeroPrio(cfg.name));
    }
    if (force) return becomeBackup(o, { ...s, standby: true, masterAddr: undefined, masterPriority: undefined }, 'manual standby (forced)');
    return { ...s, ...NO_DEADLINES, standby: true, handoverUntil: now + handoverWindowMs(cfg) };
  }
  if (!s.standby) return s;
  o.log('info', msg.standbyOff(cfg.name));
  const next: InstanceState = { ...s, standby: false, handoverUntil: undefined };
  if (s.state === 'MASTER') {
    o.push({ type: 'send-advert', priority: s.priority });
    return { ...next, adverAt: now + cfg.advertIntCs * 10 };
  }
  if (s.state === 'BACKUP') return { ...next, masterDownAt: now + mdi(cfg, next) };
  return next;
}

/**
 * SIGHUP applied in place (keepalived reloads an unchanged-identity instance without a state
 * change). `o.cfg` is the new config, `prev` the old one. A master keeps advertising, now with
 * the new priority/interval/VIP list (one advert at once when any of them changed, RFC 5798
 * §6.4.3 "Send an ADVERTISEMENT" with the new values), installs only the VIP delta and
 * announces only the added VIPs. A backup keeps its down timer; RFC 5798 §6.4.2 preemption then
 * follows from the new priority: the master's next lower-priority advert is discarded, so the
 * Master_Down_Timer expires and it takes over. A changed Master_Adver_Interval re-arms the timer
 * it drives (§6.4.2: Master_Down_Timer; §6.4.3: Adver_Timer). FAULT/INIT only record values.
 */
function onReconfigure(o: Out, s0: InstanceState, prev: InstanceConfig, effective: number): InstanceState {
  const { cfg, now } = o;
  const p = clampEffectivePriority(cfg.basePriority, effective - cfg.basePriority);
  const intervalMs = cfg.advertIntCs * 10;
  const added = cfg.vips.filter((v) => !prev.vips.includes(v));
  const vipsChanged = added.length > 0 || prev.vips.some((v) => !cfg.vips.includes(v));
  const changes: string[] = [];
  if (p !== s0.priority) {
    o.log('info', msg.changingPriority(cfg.name, s0.priority, p));
    changes.push(`priority ${s0.priority}->${p}`);
  }
  if (prev.advertIntCs !== cfg.advertIntCs) changes.push(`advert_int ${prev.advertIntCs * 10}ms->${intervalMs}ms`);
  if (vipsChanged) changes.push(`VIPs +[${added.join(' ')}] -[${prev.vips.filter((v) => !cfg.vips.includes(v)).join(' ')}]`);
  if (changes.length) o.log('debug', msg.reloadInPlace(cfg.name, changes.join(', ')));
  let s: InstanceState = { ...s0, priority: p };
  // Our own Master_Adver_Interval: always for v2; for v3 unless a backup learned the master's.
  const ownInterval = cfg.version === 2 || s.state !== 'BACKUP' || s.masterAddr === undefined;
  const intervalChanged = ownInterval && s.masterAdverIntCs !== cfg.advertIntCs;
  if (intervalChanged) s = { ...s, masterAdverIntCs: cfg.advertIntCs };
  if (cfg.preemptDelayMs <= 0 || !preemptEnabled(cfg)) s = { ...s, preemptAt: undefined };
  if (s.state === 'BACKUP') {
    // Becoming the address owner: RFC 5798 §6.4.1 — the owner is MASTER.
    if (isOwner(cfg) && !isOwner(prev) && !s.standby) return becomeMaster(o, s, 'reload: now the address owner (priority 255)');
    if (intervalChanged && s.masterDownAt !== undefined) s = { ...s, masterDownAt: now + mdi(cfg, s) };
    return s;
  }
  if (s.state !== 'MASTER') return s;
  if (vipsChanged) {
    o.push({ type: 'sync-vips' });
    if (added.length && cfg.garp.masterRepeat > 0 && s.handoverUntil === undefined) o.push({ type: 'announce', count: cfg.garp.masterRepeat, only: added });
  }
  // GARP timers follow the new settings.
  if (cfg.garp.masterRefreshMs !== prev.garp.masterRefreshMs) s = { ...s, garpRefreshAt: cfg.garp.masterRefreshMs > 0 && s.handoverUntil === undefined ? now + cfg.garp.masterRefreshMs : undefined };
  if (cfg.garp.masterDelayMs <= 0 || cfg.garp.masterRepeat <= 0) s = { ...s, garpDelayAt: undefined };
  if (cfg.garp.lowerPrioRepeat <= 0) s = { ...s, garpLowerPrioAt: undefined };
  if (s.handoverUntil !== undefined) return s; // manual standby handover: stay quiet, keep waiting for the taker
  s = { ...s, masterPriority: p, masterAddr: cfg.primaryAddress };
  if (p !== s0.priority || vipsChanged || prev.advertIntCs !== cfg.advertIntCs) {
    o.push({ type: 'send-advert', priority: p });
    return { ...s, adverAt: now + intervalMs };
  }
  return s;
}

/** The reducer. Pure: the same (cfg, state, event, now) always yields the same result. */
export function step(cfg: InstanceConfig, state: InstanceState, event: FsmEvent, now: number): StepResult {
  const o = new Out(cfg, now);
  if (state.stopped && event.type !== 'startup') {
    if (event.type === 'fault') return { state: { ...state, faulted: event.faulted, faultReason: event.faulted ? event.reason : undefined }, actions: [] };
    if (event.type === 'priority') return { state: { ...state, priority: clampEffectivePriority(cfg.basePriority, event.effective - cfg.basePriority) }, actions: [] };
    if (event.type === 'standby') return { state: { ...state, standby: event.on, handoverUntil: undefined }, actions: [] };
    if (event.type === 'reconfigure') return { state: { ...state, priority: clampEffectivePriority(cfg.basePriority, event.effective - cfg.basePriority), masterAdverIntCs: cfg.advertIntCs }, actions: [] };
    return { state, actions: [] };
  }
  let next: InstanceState;
  switch (event.type) {
    case 'startup':
      next = onStartup(o, state.stopped ? { ...state, state: 'INIT' } : state, event.delayMs ?? 0, event.processStartedAt);
      break;
    case 'shutdown':
      next = onShutdown(o, state);
      break;
    case 'tick':
      next = onTick(o, state);
      break;
    case 'advert':
      next = onAdvert(o, state, event.advert, event.src, event.answer);
      break;
    case 'priority':
      next = onPriority(o, state, event.effective);
      break;
    case 'fault':
      next = onFault(o, state, event.faulted, event.reason);
      break;
    case 'force':
      next = onForce(o, state, event.to, event.reason);
      break;
    case 'standby':
      next = onStandby(o, state, event.on, event.force === true);
      break;
    case 'reconfigure':
      next = onReconfigure(o, state, event.prev, event.effective);
      break;
  }
  // A backup in manual standby never takes over: no down timer, no preempt delay.
  if (next.standby && next.state === 'BACKUP' && (next.masterDownAt !== undefined || next.preemptAt !== undefined)) {
    next = { ...next, masterDownAt: undefined, preemptAt: undefined };
  }
  return { state: next, actions: o.actions };
}
