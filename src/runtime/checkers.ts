/**
 * CheckerRuntime: runs every real-server checker on the Clock. The decisions (retry,
 * delay_before_retry, alpha, warmup, all-checkers-up) live in check/policy (pure); this
 * file only arms timers, runs probes, logs in keepalived's words and emits `health`
 * whenever a real server's aggregate state (up, dynamic weight) changes.
 *
 * Scale: one timer per checker and nothing else, so thousands run in parallel; warmup
 * spreads their first runs over delay_loop.
 */
import { EventEmitter } from 'node:events';
import type { CheckerSpec, ServerSpec } from '../check/build';
import { checkerLines } from '../check/messages';
import {
  initChecker,
  resumeChecker,
  sameHealth,
  serverHealth,
  stepChecker,
  type CheckerState,
  type ServerHealth,
} from '../check/policy';
import { fail, type ProbeResult } from '../check/result';
import type { Clock, TimerHandle } from './clock';

export interface HealthEvent {
  vsKey: string;
  rsKey: string;
  up: boolean;
  dynamicWeight?: number;
}

export interface CheckLog {
  info(text: string): void;
  warn(text: string): void;
  debug(text: string): void;
}

export interface CheckerRuntimeOptions {
  clock: Clock;
  log?: CheckLog;
  /** [0,1) source for warmup (Math.random by default). */
  random?: () => number;
  /** Every probe result with its latency (status and metrics). */
  onProbe?: (vsKey: string, rsKey: string, kind: string, ok: boolean, latencyMs: number) => void;
  /**
   * Reload: the states of the checkers this runtime replaces (carriedStates() of the old one).
   * The same checker of the same real server keeps its up/down state, retries and dynamic weight
   * (a reload must not put a failed real server back in the pool until its next check, nor take
   * a healthy one out); a new or changed checker starts as at start-up.
   */
  carry?: ReadonlyMap<string, CheckerState>;
}

/** A checker's identity across a reload: its real server, kind, probed endpoint, script or BFD session, and rank among equals. */
function checkerIdentity(s: ServerSpec, c: CheckerSpec, nth: number): string {
  return [s.vsKey, s.rsKey, c.kind, c.service, c.script ?? '', c.bfd ?? '', nth].join('|');
}

/** Identities of a server's checkers, in order (a second identical checker gets rank 1). */
function identities(s: ServerSpec): string[] {
  const seen = new Map<string, number>();
  return s.checkers.map((c) => {
    const base = checkerIdentity(s, c, 0);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    return checkerIdentity(s, c, n);
  });
}

interface RunningChecker {
  spec: CheckerSpec;
  state: CheckerState;
  timer?: TimerHandle;
  inFlight?: AbortController;
  /** Bumped on pause/stop so a late probe result is dropped. */
  gen: number;
}

interface RunningServer {
  spec: ServerSpec;
  checkers: RunningChecker[];
  health: ServerHealth;
  paused: boolean;
}

const silent: CheckLog = { info: () => undefined, warn: () => undefined, debug: () => undefined };

export class CheckerRuntime extends EventEmitter {
  private readonly servers: RunningServer[] = [];
  private readonly clock: Clock;
  private readonly log: CheckLog;
  private readonly random: () => number;
  private readonly onProbe: CheckerRuntimeOptions['onProbe'];
  private readonly carry: ReadonlyMap<string, CheckerState>;
  private running = false;
  /** The last state each BFD session reported (replayed to suspended BFD_CHECKs on resume). */
  private readonly bfdLast = new Map<string, boolean>();
  /** Probes completed (for the benchmark and status dumps). */
  probesDone = 0;

  constructor(servers: readonly ServerSpec[], opts: CheckerRuntimeOptions) {
    super();
    this.clock = opts.clock;
    this.log = opts.log ?? silent;
    this.random = opts.random ?? Math.random;
    this.onProbe = opts.onProbe;
    this.carry = opts.carry ?? new Map();
    for (const spec of servers) {
      this.servers.push({ spec, checkers: [], health: { up: true }, paused: false });
    }
  }

  /** Initialise every checker, emit each server's initial health, and arm the timers. */
  start(): void {
    if (this.running) return;
    this.running = true;
    const now = this.clock.now();
    for (const s of this.servers) {
      const ids = identities(s.spec);
      s.checkers = s.spec.checkers.map((spec, i) => {
        const fresh = initChecker(spec.timing, now, this.random);
        const old = this.carry.get(ids[i] as string);
        const state: CheckerState = old ? { ...fresh, up: old.up, retryIt: old.retryIt, ...(old.dynamicWeight !== undefined ? { dynamicWeight: old.dynamicWeight } : {}) } : fresh;
        return { spec, state, gen: 0 };
      });
      s.health = serverHealth(s.checkers.map((c) => c.state));
      for (const c of s.checkers) this.log.info(c.spec.bfd !== undefined ? 'Activating BFD healthchecker' : `Activating healthchecker for service ${c.spec.service} for VS ${c.spec.vsLabel}`);
      this.emitHealth(s);
      for (const c of s.checkers) this.arm(s, c);
    }
  }

  /** Every checker's state by identity, for the runtime that replaces this one on a reload. */
  carriedStates(): Map<string, CheckerState> {
    const out = new Map<string, CheckerState>();
    for (const s of this.servers) {
      const ids = identities(s.spec);
      s.checkers.forEach((c, i) => out.set(ids[i] as string, c.state));
    }
    return out;
  }

  /** Cancel every timer and abort probes in flight; states are kept. */
  stop(): void {
    this.running = false;
    for (const s of this.servers) for (const c of s.checkers) this.halt(c);
  }

  /**
   * Suspend checks (ha_suspend). Each key selects real servers by rsKey, by vsKey (all its
   * servers), or by "vsKey rsKey". Health stays as it was.
   */
  pause(keys: Iterable<string>): void {
    for (const s of this.select(keys)) {
      if (s.paused) continue;
      s.paused = true;
      for (const c of s.checkers) this.halt(c);
    }
  }

  /** Resume suspended checks: each runs at once, then on its normal schedule. */
  resume(keys: Iterable<string>): void {
    const now = this.clock.now();
    for (const s of this.select(keys)) {
      if (!s.paused) continue;
      s.paused = false;
      for (const c of s.checkers) {
        c.state = resumeChecker(c.state, now);
        this.arm(s, c);
      }
    }
    for (const [name, up] of this.bfdLast) this.bfdEvent(name, up);
  }

  health(vsKey: string, rsKey: string): ServerHealth | undefined {
    return this.servers.find((s) => s.spec.vsKey === vsKey && s.spec.rsKey === rsKey)?.health;
  }

  /** Per-checker view for dumps and tests. */
  checkerStates(vsKey: string, rsKey: string): readonly CheckerState[] {
    return this.servers.find((s) => s.spec.vsKey === vsKey && s.spec.rsKey === rsKey)?.checkers.map((c) => c.state) ?? [];
  }

  private select(keys: Iterable<string>): RunningServer[] {
    const set = new Set(keys);
    return this.servers.filter(
      (s) => set.has(s.spec.rsKey) || set.has(s.spec.vsKey) || set.has(`${s.spec.vsKey} ${s.spec.rsKey}`),
    );
  }

  private halt(c: RunningChecker): void {
    c.gen++;
    c.timer?.cancel();
    c.timer = undefined;
    c.inFlight?.abort();
    c.inFlight = undefined;
  }

  /**
   * A bfd_instance's session went Up or Down: every BFD_CHECK following it goes up or down at
   * once (no retries), as keepalived 2.2.7's checker does on the BFD process's event, and logs
   * "BFD check of [NAME] RS([ip]:proto:port) is UP|DOWN". Ignored while stopped or suspended.
   */
  bfdEvent(name: string, up: boolean): void {
    this.bfdLast.set(name, up);
    if (!this.running) return;
    this.log.debug(`Received BFD event: instance ${name} is in state ${up ? 'Up' : 'Down'}`);
    for (const s of this.servers) {
      if (s.paused) continue;
      for (const c of s.checkers) {
        if (c.spec.bfd !== name || c.state.up === up) continue;
        this.log.info(`BFD check of [${name}] RS(${c.spec.service}) is ${up ? 'UP' : 'DOWN'}`);
        c.state = stepChecker(c.state, c.spec.timing, up, this.clock.now()).state;
        const h = serverHealth(s.checkers.map((x) => x.state));
        if (!sameHealth(h, s.health)) {
          s.health = h;
          this.emitHealth(s);
        }
      }
    }
  }

  private arm(s: RunningServer, c: RunningChecker): void {
    if (!this.running || s.paused) return;
    if (c.spec.bfd !== undefined) return; // BFD_CHECK: driven by bfdEvent, never polled
    c.timer = this.clock.at(c.state.nextAtMs, () => {
      c.timer = undefined;
      this.run(s, c);
    });
  }

  private run(s: RunningServer, c: RunningChecker): void {
    const gen = c.gen;
    const ac = new AbortController();
    c.inFlight = ac;
    const startedAt = this.clock.now();
    let p: Promise<ProbeResult>;
    try {
      p = c.spec.probe(ac.signal);
    } catch (e) {
      p = Promise.resolve(fail('connect_error', String(e)));
    }
    p.catch((e: unknown) => fail('connect_error', String(e))).then((r) => {
      if (c.gen !== gen || !this.running) return; // paused or stopped meanwhile
      c.inFlight = undefined;
      this.probesDone++;
      this.onProbe?.(s.spec.vsKey, s.spec.rsKey, c.spec.kind, r.ok, this.clock.now() - startedAt);
      this.apply(s, c, r);
      this.arm(s, c);
    });
  }

  private apply(s: RunningServer, c: RunningChecker, r: ProbeResult): void {
    const wasUp = c.state.up;
    const step = stepChecker(c.state, c.spec.timing, r.ok, this.clock.now(), r.ok ? r.dynamicWeight : undefined);
    c.state = step.state;
    const ctx = {
      kind: c.spec.kind,
      service: c.spec.service,
      vsLabel: c.spec.vsLabel,
      logAllFailures: c.spec.logAllFailures,
      ...(c.spec.script !== undefined ? { script: c.spec.script } : {}),
    };
    for (const line of checkerLines(ctx, step.verdict, r, wasUp)) this.log[line.level](line.text);
    const h = serverHealth(s.checkers.map((x) => x.state));
    if (!sameHealth(h, s.health)) {
      s.health = h;
      this.emitHealth(s);
    }
  }

  private emitHealth(s: RunningServer): void {
    const e: HealthEvent = { vsKey: s.spec.vsKey, rsKey: s.spec.rsKey, up: s.health.up };
    if (s.health.dynamicWeight !== undefined) e.dynamicWeight = s.health.dynamicWeight;
    try {
      this.emit('health', e);
    } catch (err) {
      // A consumer's bug must not stop the checkers.
      this.log.warn(`health listener failed for ${e.rsKey} of VS ${e.vsKey}: ${String(err)}`);
    }
  }
}

export interface CheckerRuntime {
  on(event: 'health', fn: (e: HealthEvent) => void): this;
  emit(event: 'health', e: HealthEvent): boolean;
}
