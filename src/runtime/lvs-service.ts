/**
 * The checker (LVS) half of the daemon: IPVS over generic netlink, real-server health checkers,
 * and the glue that keeps the kernel table equal to config + health (src/runtime/lvs.ts).
 * Started by the daemon when the config has virtual servers (unless -P).
 */
import os from 'node:os';
import { EventEmitter } from 'node:events';
import type { Model } from '../config/model';
import type { Logger } from '../observe/log';
import type { Clock } from './clock';
import { NetlinkIpvs } from '../lvs/ipvs';
import { buildCheckers } from '../check/build';
import { CheckerRuntime } from './checkers';
import type { CheckerState } from '../check/policy';
import { LvsRuntime } from './lvs';
import { LvsNotifier } from './lvs-notify';
import { ScriptPolicy } from '../notify/script-policy';
import type { ScriptRunner } from '../notify/exec';
import type { Recorder } from '../observe/recorder';
import type { IpvsDest, IpvsService } from '../lvs/ipvs-codec';

export interface LvsHandle {
  stop(): Promise<void>;
  reload(m: Model): Promise<void>;
  /** VRRP state of an instance changed (ha_suspend checks only while the related instance is MASTER). */
  setVrrpMaster(instance: string, isMaster: boolean): void;
  /** A bfd_instance session went Up/Down (BFD_CHECK). */
  setBfdState(name: string, up: boolean): void;
  /** The kernel's IPVS services and destinations with their counters (for the metrics). */
  ipvsTable?(): Promise<Array<{ service: IpvsService; dests: IpvsDest[] }>>;
}

export interface LvsDeps {
  clock: Clock;
  log: Logger;
  /** -I: leave our IPVS entries in the kernel on exit. */
  keepOnShutdown: boolean;
  /** Runs quorum/notify scripts and MISC_CHECKs (the daemon's worker-thread runner). */
  runner?: ScriptRunner;
  /** Where the services we own are remembered between runs (default /run/keepalived/ipvs-owned.json). */
  ownedStateFile?: string;
  /** Checker results and real-server health for `status` and the metrics. */
  recorder?: Recorder;
}

/**
 * The LVS runtime holds one health source for its lifetime; a reload replaces the checkers
 * behind it, so events and ha_suspend pause/resume always reach the current ones.
 */
class HealthRelay extends EventEmitter {
  private current: CheckerRuntime | undefined;
  attach(c: CheckerRuntime): void {
    this.current = c;
    c.on('health', (e) => {
      if (this.current === c) this.emit('health', e);
    });
  }
  pause(keys: Iterable<string>): void {
    this.current?.pause(keys);
  }
  resume(keys: Iterable<string>): void {
    this.current?.resume(keys);
  }
}

/** The daemon's script policy for the checker side (MISC_CHECK, notify_up/down, quorum scripts). */
export function scriptPolicyOf(model: Model, deps: Pick<LvsDeps, 'log'>): ScriptPolicy {
  const g = model.globalDefs;
  return new ScriptPolicy({ log: deps.log, security: g.enableScriptSecurity, ...(g.scriptUser ? { scriptUser: g.scriptUser } : {}) });
}

function checkersFor(model: Model, deps: LvsDeps, carry?: ReadonlyMap<string, CheckerState>): CheckerRuntime {
  const opts: Parameters<typeof buildCheckers>[1] = { hostname: os.hostname().split('.')[0] ?? 'localhost', scriptPolicy: scriptPolicyOf(model, deps) };
  if (deps.runner) opts.runner = deps.runner;
  const built = buildCheckers(model, opts);
  for (const w of built.warnings) deps.log.warn(w);
  const rec = deps.recorder;
  const onProbe = rec ? (vs: string, rs: string, kind: string, ok: boolean, ms: number) => rec.probe(vs, rs, kind, ok, ms, deps.clock.wallNow()) : undefined;
  return new CheckerRuntime(built.servers, { clock: deps.clock, log: deps.log, ...(onProbe ? { onProbe } : {}), ...(carry ? { carry } : {}) });
}

export async function startLvs(model: Model, deps: LvsDeps): Promise<LvsHandle> {
  const { log } = deps;
  log.info('Initializing ipvs');
  const ipvs = await NetlinkIpvs.open({});
  let checkers = checkersFor(model, deps);
  const relay = new HealthRelay();
  relay.attach(checkers);
  relay.on('health', (e: { vsKey: string; rsKey: string; up: boolean; dynamicWeight?: number }) => deps.recorder?.health(e.vsKey, e.rsKey, e));
  const policy = scriptPolicyOf(model, deps);
  let notifier = new LvsNotifier(model.globalDefs, log, { ...(deps.runner ? { runner: deps.runner } : {}), policy });
  const lvs = new LvsRuntime({
    model,
    events: (e) => notifier.handle(e),
    ipvs,
    log,
    health: relay,
    keepOnShutdown: deps.keepOnShutdown,
    ownedStateFile: deps.ownedStateFile ?? '/run/keepalived/ipvs-owned.json',
    scriptPolicy: scriptPolicyOf(model, deps),
    ...(deps.runner ? { scripts: deps.runner } : {}),
  });
  await lvs.start();
  checkers.start();
  // Session states seen so far, replayed to the checkers a reload builds (their BFD_CHECKs start afresh).
  const bfdStates = new Map<string, boolean>();
  return {
    async stop() {
      checkers.stop();
      await lvs.stop();
      notifier.close();
      ipvs.close();
    },
    async reload(next: Model) {
      const carry = checkers.carriedStates();
      checkers.stop();
      notifier.close();
      notifier = new LvsNotifier(next.globalDefs, log, { ...(deps.runner ? { runner: deps.runner } : {}), policy: scriptPolicyOf(next, deps) });
      await lvs.reload(next);
      checkers = checkersFor(next, deps, carry);
      relay.attach(checkers);
      checkers.start();
      for (const [name, up] of bfdStates) checkers.bfdEvent(name, up);
    },
    setBfdState(name: string, up: boolean) {
      bfdStates.set(name, up);
      checkers.bfdEvent(name, up);
    },
    setVrrpMaster(instance: string, isMaster: boolean) {
      lvs.setVrrpMaster(instance, isMaster);
    },
    async ipvsTable() {
      const services = await ipvs.listServices();
      return Promise.all(services.map(async (service) => ({ service, dests: await ipvs.listDests(service) })));
    },
  };
}
