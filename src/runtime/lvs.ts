/**
 * LVS runtime glue: keeps the kernel IPVS table equal to model-to-ipvs's desired table as
 * checker verdicts arrive. Logs transitions in keepalived's words, runs notify_up/notify_down
 * and quorum_up/quorum_down, adopts/cleans entries at start-up, removes ours at shutdown.
 * All kernel changes go through one serial queue, so a burst of health events cannot interleave
 * half-applied diffs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PRIVATE_FILE_MODE, writeFileReplacing } from '../observe/safe-file';
import type { GlobalDefs, Model, VirtualServer, VrrpInstance, ScriptCommand } from '../config/model';
import type { Logger } from '../observe/log';
import { ProcessScriptRunner, type ScriptRunner } from '../notify/exec';
import { ScriptPolicy, runOptionsOf } from '../notify/script-policy';
import type { IpvsPort } from '../lvs/ipvs';
import { normalizeAddr, serviceKey, type IpvsDaemon } from '../lvs/ipvs-codec';
import { desiredTable, formatEndpoint, formatVs, rsIsUp, rsKey, vsKey, type IpvsTable, type RsHealth, type VsOutcome } from '../lvs/model-to-ipvs';
import { reconcile, type ActualService, type IpvsOp } from '../lvs/reconcile';
import type { LvsEvent } from './lvs-notify';

/** What the checker runtime emits for one real server. */
export interface HealthEvent {
  vsKey: string;
  rsKey: string;
  up: boolean;
  dynamicWeight?: number;
}

/** Consumer side of the checker runtime: src/runtime/checkers.ts's CheckerRuntime fits as is. */
export interface HealthSource {
  on(event: 'health', listener: (e: HealthEvent) => void): unknown;
  /** ha_suspend: stop / restart the checks of these virtual servers (by vsKey). */
  pause?(vsKeys: Iterable<string>): void;
  resume?(vsKeys: Iterable<string>): void;
}

/** The parts of the Model this runtime reads (a full Model fits). */
export interface LvsModel {
  readonly virtualServers: Model['virtualServers'];
  readonly virtualServerGroups: Model['virtualServerGroups'];
  readonly globalDefs: Pick<GlobalDefs, 'lvsFlush' | 'lvsFlushOnStop' | 'lvsTimeouts' | 'lvsSyncDaemon'> & Partial<Pick<GlobalDefs, 'rsInitNotifies' | 'lvsFlushOnStopVsOnly'>>;
  readonly vrrpInstances: readonly Pick<VrrpInstance, 'name' | 'virtualIpaddress'>[];
}

export interface LvsRuntimeOptions {
  model: LvsModel;
  ipvs: IpvsPort;
  log: Logger;
  scripts?: ScriptRunner;
  health?: HealthSource;
  /** -I / --dont-release-ipvs: leave our entries in the kernel at shutdown. */
  keepOnShutdown?: boolean;
  scriptTimeoutMs?: number;
  /**
   * Remembers which kernel services are ours across restarts, so services a crashed run left
   * behind — or that a changed config no longer has — are removed at start-up, while services
   * other tools created are never touched.
   */
  ownedStateFile?: string;
  /** User, script security and file to exec for notify/quorum scripts (default: no script security). */
  scriptPolicy?: ScriptPolicy;
  /** Quorum and real-server state changes, for lvs_notify_fifo and smtp_alert (runtime/lvs-notify). */
  events?: (e: LvsEvent) => void;
}

export class LvsRuntime {
  private model: LvsModel;
  private readonly ipvs: IpvsPort;
  private readonly log: Logger;
  private readonly scripts: ScriptRunner;
  private readonly policy: ScriptPolicy;
  private readonly health = new Map<string, Map<string, RsHealth>>();
  private readonly quorum = new Map<string, boolean>();
  private outcomes = new Map<string, VsOutcome>();
  private applied: IpvsTable = new Map();
  private owned = new Set<string>();
  private queue: Promise<void> = Promise.resolve();
  private readonly suspended = new Set<string>();
  private readonly suspendListeners: ((vsKey: string, suspended: boolean) => void)[] = [];
  private needResync = false;
  private stopped = false;
  /** A recompute already queued and not yet started: later events ride on it (burst coalescing). */
  private pendingRecompute: Promise<void> | undefined;

  constructor(private readonly opts: LvsRuntimeOptions) {
    this.model = opts.model;
    this.ipvs = opts.ipvs;
    this.log = opts.log;
    this.scripts = opts.scripts ?? new ProcessScriptRunner();
    this.policy = opts.scriptPolicy ?? new ScriptPolicy({ log: opts.log });
    opts.health?.on('health', (e) => void this.handleHealth(e));
  }

  /** Adopt matching kernel entries (diffing them), apply lvs_flush / lvs_timeouts / lvs_sync_daemon. */
  start(): Promise<void> {
    return this.enqueue(async () => {
      const g = this.model.globalDefs;
      if (g.lvsFlush) await this.ipvs.flush();
      if (g.lvsTimeouts) await this.applyTimeouts(g.lvsTimeouts);
      // with an instance the VRRP side runs it, following the instance (runtime/lvs-syncd)
      if (g.lvsSyncDaemon && g.lvsSyncDaemon.instance === undefined) await this.startSyncDaemon(g.lvsSyncDaemon);
      const { table, outcomes } = desiredTable(this.model.virtualServers, this.model.virtualServerGroups, this.health, this.quorum);
      for (const o of outcomes) {
        this.quorum.set(o.vsKey, o.quorumUp);
        const v = this.vsByKey(o.vsKey);
        if (v && o.sorryActive && v.sorryServer) this.log.info(`Adding sorry server ${this.sorryText(v)} to VS ${formatVs(v)}`);
        if (v) this.announceStart(v, o);
      }
      this.outcomes = new Map(outcomes.map((o) => [o.vsKey, o]));
      for (const k of this.loadOwned()) this.owned.add(k);
      await this.applyTable(table, await this.readKernel(), 'owned');
    });
  }

  /**
   * keepalived 2.2.7 at start-up (observed): a VS whose quorum is met by the servers that start
   * up logs "Gained quorum", runs quorum_up and reports VS UP; one that starts below quorum
   * (alpha) says nothing until a crossing. With rs_init_notifies, every real server that starts
   * up first runs notify_up and reports RS UP.
   */
  private announceStart(v: VirtualServer, o: VsOutcome): void {
    if (this.model.globalDefs.rsInitNotifies) {
      const h = this.health.get(o.vsKey);
      for (const r of v.realServers) {
        if (!rsIsUp(v, r, h?.get(rsKey(r)))) continue;
        this.runScript(r.notifyUp);
        this.opts.events?.({ kind: 'rs', vs: v, rs: r, up: true, init: true });
      }
    }
    if (!o.quorumUp) return;
    this.log.info(`Gained quorum ${v.quorum}+${v.hysteresis}=${v.quorum + v.hysteresis} <= ${o.liveWeight} for VS ${formatVs(v)}`);
    this.runScript(v.quorumUp);
    this.opts.events?.({ kind: 'quorum', vs: v, up: true, start: true, liveWeight: o.liveWeight });
  }

  /** Feed one checker verdict; resolves once the resulting diff is applied. */
  handleHealth(e: HealthEvent): Promise<void> {
    let m = this.health.get(e.vsKey);
    if (!m) this.health.set(e.vsKey, (m = new Map()));
    const prev = m.get(e.rsKey);
    const next: RsHealth = e.dynamicWeight === undefined ? { up: e.up } : { up: e.up, dynamicWeight: e.dynamicWeight };
    m.set(e.rsKey, next);
    const v = this.vsByKey(e.vsKey);
    const r = v?.realServers.find((x) => rsKey(x) === e.rsKey);
    if (v && r) {
      const wasUp = rsIsUp(v, r, prev);
      if (wasUp !== e.up) {
        this.runScript(e.up ? r.notifyUp : r.notifyDown);
        this.opts.events?.({ kind: 'rs', vs: v, rs: r, up: e.up, init: false });
      }
    }
    return this.scheduleRecompute();
  }

  /**
   * The checker runtime reports every server at start (thousands of events in one tick): one
   * queued recompute covers all events that arrive before it starts, so a burst costs one diff.
   */
  private scheduleRecompute(): Promise<void> {
    if (this.pendingRecompute) return this.pendingRecompute;
    const p = this.enqueue(async () => {
      this.pendingRecompute = undefined;
      await this.recompute();
    });
    this.pendingRecompute = p;
    return p;
  }

  /** ha_suspend: checkers of VSes whose address is a VIP of `instance` run only while it is MASTER. */
  setVrrpMaster(instance: string, isMaster: boolean): void {
    const inst = this.model.vrrpInstances.find((i) => i.name === instance);
    if (!inst) return;
    const vips = new Set(inst.virtualIpaddress.map((p) => `${p.family}|${normalizeAddr(p.family, p.address)}`));
    for (const v of this.model.virtualServers) {
      if (!v.haSuspend || v.kind !== 'ip' || !v.address) continue;
      if (!vips.has(`${v.family}|${normalizeAddr(v.family, v.address)}`)) continue;
      const k = vsKey(v);
      if (this.suspended.has(k) === !isMaster) continue;
      if (isMaster) this.suspended.delete(k);
      else this.suspended.add(k);
      if (isMaster) this.opts.health?.resume?.([k]);
      else this.opts.health?.pause?.([k]);
      for (const l of this.suspendListeners) l(k, !isMaster);
    }
  }

  isSuspended(k: string): boolean {
    return this.suspended.has(k);
  }

  onSuspendChange(l: (vsKey: string, suspended: boolean) => void): void {
    this.suspendListeners.push(l);
  }

  /** Reload: switch to a new model; services of removed virtual servers are deleted. */
  reload(model: LvsModel): Promise<void> {
    return this.enqueue(async () => {
      this.model = model;
      const live = new Set(model.virtualServers.map(vsKey));
      for (const k of [...this.health.keys()]) if (!live.has(k)) this.health.delete(k);
      await this.recompute();
    });
  }

  /** Shutdown: omega scripts, then remove our services unless told to keep them. */
  stop(): Promise<void> {
    return this.enqueue(async () => {
      this.stopped = true;
      for (const v of this.model.virtualServers) {
        if (!v.omega) continue;
        const o = this.outcomes.get(vsKey(v));
        if (o?.quorumUp) this.runScript(v.quorumDown);
        for (const r of v.realServers) if (rsIsUp(v, r, this.health.get(vsKey(v))?.get(rsKey(r)))) this.runScript(r.notifyDown);
      }
      if (this.model.globalDefs.lvsFlushOnStop && !this.model.globalDefs.lvsFlushOnStopVsOnly) {
        await this.ipvs.flush();
      } else if (this.model.globalDefs.lvsFlushOnStopVsOnly) {
        // lvs_flush_on_stop VS: each of our services goes, its real servers with it (no per-dest deletes)
        for (const s of await this.ipvs.listServices()) {
          if (!this.owned.has(serviceKey(s))) continue;
          try {
            await this.ipvs.delService(s);
          } catch (e) {
            this.log.error(`IPVS: delete service failed: ${e instanceof Error ? e.message : String(e)}`);
          }
        }
        this.owned = new Set();
        this.saveOwned();
      } else if (!this.opts.keepOnShutdown) {
        const kernel = await this.readKernel();
        await this.execute(reconcile(new Map(), kernel, { removeStale: 'owned', owned: this.owned }));
        this.owned = new Set();
        this.saveOwned();
      }
      this.applied = new Map();
    });
  }

  /** Resolves when every queued change has been applied (for tests and orderly shutdown). */
  settled(): Promise<void> {
    return this.queue;
  }

  /** A snapshot of the per-VS outcome (quorum, live weight, sorry state). */
  outcome(k: string): VsOutcome | undefined {
    return this.outcomes.get(k);
  }

  // ------------------------------------------------------------------ internals

  private enqueue(job: () => Promise<void>): Promise<void> {
    const run = this.queue.then(job).catch((e: unknown) => {
      this.needResync = true;
      this.log.error(`IPVS: ${e instanceof Error ? e.message : String(e)}`);
    });
    this.queue = run;
    return run;
  }

  private async recompute(): Promise<void> {
    if (this.stopped) return;
    const { table, outcomes } = desiredTable(this.model.virtualServers, this.model.virtualServerGroups, this.health, this.quorum);
    for (const o of outcomes) {
      const v = this.vsByKey(o.vsKey);
      if (v) this.logTransitions(v, this.outcomes.get(o.vsKey), o);
      this.quorum.set(o.vsKey, o.quorumUp);
    }
    this.outcomes = new Map(outcomes.map((o) => [o.vsKey, o]));
    const actual = this.needResync ? await this.readKernel() : tableAsActual(this.applied);
    this.needResync = false;
    await this.applyTable(table, actual, 'owned');
  }

  private async applyTable(table: IpvsTable, actual: ActualService[], mode: 'owned' | 'all'): Promise<void> {
    const ops = reconcile(table, actual, { removeStale: mode, owned: this.owned });
    await this.execute(ops);
    this.applied = table;
    this.owned = new Set(table.keys());
    this.saveOwned();
  }

  private loadOwned(): string[] {
    const f = this.opts.ownedStateFile;
    if (!f) return [];
    try {
      const v = JSON.parse(fs.readFileSync(f, 'utf8')) as unknown;
      return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
    } catch {
      return [];
    }
  }

  private saveOwned(): void {
    const f = this.opts.ownedStateFile;
    if (!f) return;
    try {
      fs.mkdirSync(path.dirname(f), { recursive: true });
      writeFileReplacing(f, JSON.stringify([...this.owned]), PRIVATE_FILE_MODE);
    } catch (e) {
      this.log.warn(`Unable to record our IPVS services in ${f}: ${(e as Error).message}`);
    }
  }

  private async execute(ops: IpvsOp[]): Promise<void> {
    for (const op of ops) {
      try {
        await this.applyOp(op);
      } catch (e) {
        this.needResync = true;
        this.log.error(`IPVS: ${op.op} failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }

  private applyOp(op: IpvsOp): Promise<void> {
    switch (op.op) {
      case 'addService': return this.ipvs.addService(op.service);
      case 'editService': return this.ipvs.editService(op.service);
      case 'delService': return this.ipvs.delService(op.service);
      case 'addDest': return this.ipvs.addDest(op.service, op.dest);
      case 'editDest': return this.ipvs.editDest(op.service, op.dest);
      case 'delDest': return this.ipvs.delDest(op.service, op.dest);
    }
  }

  private async readKernel(): Promise<ActualService[]> {
    const out: ActualService[] = [];
    for (const s of await this.ipvs.listServices()) out.push({ service: s, dests: await this.ipvs.listDests(s) });
    return out;
  }

  private logTransitions(v: VirtualServer, before: VsOutcome | undefined, after: VsOutcome): void {
    const vsText = formatVs(v);
    if (before && before.quorumUp !== after.quorumUp) {
      if (after.quorumUp) this.log.info(`Gained quorum ${v.quorum}+${v.hysteresis}=${v.quorum + v.hysteresis} <= ${after.liveWeight} for VS ${vsText}`);
      else this.log.info(`Lost quorum ${v.quorum}-${v.hysteresis}=${v.quorum - v.hysteresis} > ${after.liveWeight} for VS ${vsText}`);
      this.runScript(after.quorumUp ? v.quorumUp : v.quorumDown);
      this.opts.events?.({ kind: 'quorum', vs: v, up: after.quorumUp, start: false, liveWeight: after.liveWeight });
    }
    if (before && v.sorryServer && before.sorryActive !== after.sorryActive) {
      if (after.sorryActive) this.log.info(`Adding sorry server ${this.sorryText(v)} to VS ${vsText}`);
      else this.log.info(`Removing sorry server ${this.sorryText(v)} from VS ${vsText}`);
    }
    if (!before) return;
    for (const r of v.realServers) {
      const k = rsKey(r);
      const w0 = before.rsInTable.get(k);
      const w1 = after.rsInTable.get(k);
      const rsText = formatEndpoint(r.address, r.family, v.protocol, r.port);
      if (w0 === undefined && w1 !== undefined && w1 > 0) this.log.info(`Adding service ${rsText} to VS ${vsText}`);
      else if (w0 !== undefined && w1 === undefined && w0 > 0) this.log.info(`Removing service ${rsText} from VS ${vsText}`);
      else if (w0 !== undefined && w1 !== undefined && (w0 > 0) !== (w1 > 0)) {
        this.log.info(`${w1 > 0 ? 'Enabling' : 'Disabling'} service ${rsText} of VS ${vsText}`);
      }
    }
  }

  private sorryText(v: VirtualServer): string {
    const s = v.sorryServer;
    if (!s) return '';
    return formatEndpoint(s.address, s.address.includes(':') ? 'inet6' : 'inet', v.protocol, s.port);
  }

  private runScript(cmd: ScriptCommand | undefined): void {
    if (!cmd || cmd.argv.length === 0) return;
    const timeoutMs = this.opts.scriptTimeoutMs ?? 30_000;
    const who: { user?: string; group?: string } = {};
    if (cmd.user !== undefined) who.user = cmd.user;
    if (cmd.group !== undefined) who.group = cmd.group;
    const prepared = this.policy.prepare(cmd.argv, who, { kind: 'notify' });
    if (!prepared) return; // logged by the policy
    void this.scripts.run(cmd.argv, { ...runOptionsOf(prepared), timeoutMs }).then((r) => {
      if (r.outcome.kind === 'spawn_error') this.log.warn(`Failed to run script ${cmd.command}: ${r.outcome.message}`);
      else if (r.outcome.kind === 'timed_out') this.log.warn(`Script ${cmd.command} timed out`);
    });
  }

  private vsByKey(k: string): VirtualServer | undefined {
    return this.model.virtualServers.find((v) => vsKey(v) === k);
  }

  private async applyTimeouts(t: { tcpS?: number; tcpfinS?: number; udpS?: number }): Promise<void> {
    try {
      const cur = await this.ipvs.getTimeouts();
      await this.ipvs.setTimeouts({ tcpS: t.tcpS ?? cur.tcpS, tcpFinS: t.tcpfinS ?? cur.tcpFinS, udpS: t.udpS ?? cur.udpS });
    } catch (e) {
      this.log.warn(`IPVS: cannot set lvs_timeouts: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private async startSyncDaemon(s: { interface: string; args: readonly string[] }): Promise<void> {
    const d: Omit<IpvsDaemon, 'state'> = parseSyncArgs(s.interface, s.args);
    for (const state of ['master', 'backup'] as const) {
      try {
        await this.ipvs.addDaemon({ ...d, state });
      } catch (e) {
        this.log.warn(`IPVS: cannot start the ${state} sync daemon: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }
}

/** lvs_sync_daemon IF [inst VI] [id N] [maxlen N] [port N] [ttl N] [group ADDR] */
export function parseSyncArgs(ifname: string, args: readonly string[]): Omit<IpvsDaemon, 'state'> {
  const d: Omit<IpvsDaemon, 'state'> = { ifname, syncId: 0 };
  for (let i = 0; i < args.length; i++) {
    const k = args[i];
    const v = args[i + 1];
    if (v === undefined) break;
    if (k === 'id') { d.syncId = Number(v); i++; }
    else if (k === 'maxlen') { d.maxLen = Number(v); i++; }
    else if (k === 'port') { d.port = Number(v); i++; }
    else if (k === 'ttl') { d.ttl = Number(v); i++; }
    else if (k === 'group') { d.group = v; i++; }
    else if (k === 'inst') i++;
  }
  return d;
}

function tableAsActual(t: IpvsTable): ActualService[] {
  return [...t.values()].map((e) => ({ service: e.service, dests: [...e.dests.values()] }));
}

