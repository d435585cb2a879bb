/**
 * The VRRP half of the daemon: builds an InstanceRuntime per vrrp_instance, shares one raw
 * socket per (family, interface, group), demultiplexes received adverts by VRID, turns link
 * and tracker changes into priority/fault events, keeps sync groups together and routes
 * notifications. Everything kernel-facing goes through the ports it is given.
 */
import { applySysctls, fsSysctlIo, restoreSysctls, type AppliedSetting } from '../net/sysctl';
import { trackedBfdLine } from './bfd-lines';
import type { Model, VrrpInstance, VrrpSyncGroup } from '../config/model';
import { ageAt, type AnnouncePort, type LinkInfo, type NetEvent, type ReceivedPacket, type RtnlPort, type RtnlWatch, type VrrpSocket, type WatchStats, type VrrpSocketFactory } from '../net/ports';
import type { Logger } from '../observe/log';
import type { Iproute2Names } from '../config/rt-tables';
import type { Clock } from './clock';
import type { ScriptRunner } from '../notify/exec';
import { decodeAdvert, validateForInstance } from '../vrrp/packet';
import type { InstanceWireConfig, NotifyState, VrrpStateName } from '../vrrp/types';
import { computePriority, instanceTrackRefs, type TrackedItem } from '../track/priority';
import { Trackers, trackerSpecsFromModel } from './trackers';
import { syncOnTransition, groupStateOf, type GroupState } from '../vrrp/sync-group';
import { InstanceRuntime } from './instance';
import { Notifier } from './notifier';
import { baseInterfaceOf, pickPrimary, resolveWiring, WiringError, type ResolvedWiring } from './wiring';
import { vipToAddressSpec } from './address-specs';
import { formatJson, type DaemonSnapshot, type InstanceSnapshot } from '../observe/dump';
import { resolveScriptUser } from './script-user';
import type { Recorder } from '../observe/recorder';
import { buildDataView } from './dump-view';
import { diffModels } from './reload';
import { AhSession } from './ah-session';
import { LimitedLog } from './limited-log';
import { Firewall } from './firewall';
import { LinkDelayGate } from './link-delays';
import { GarpPacing } from './garp-pacing';
import { missingUnicastSource, unicastTtlOf, unicastWithoutPeers } from '../vrrp/unicast';
import { staticTrackInterfaces } from '../track/static-track';
import type { NftPort } from '../net/nft';

export interface VrrpServiceDeps {
  clock: Clock;
  log: Logger;
  rtnl: RtnlPort;
  sockets: VrrpSocketFactory;
  announcer: AnnouncePort;
  runner?: ScriptRunner;
  /** Every state change of every instance (the LVS side's ha_suspend follows MASTER/not MASTER). */
  onStateChange?: (instance: string, state: VrrpStateName) => void;
  /** -V: leave VIPs and VMACs in place on exit. */
  dontReleaseVrrp?: boolean;
  /** -a: log every address change netlink reports. */
  addressMonitoring?: boolean;
  /** Transitions, script results (status and metrics). */
  recorder?: Recorder;
  /** iproute2 names for virtual_routes/virtual_rules (rt_tables, rt_protos, rt_realms). */
  names?: Iproute2Names;
  /** nftables for the no_accept firewall (none: no firewall, as in unit tests). */
  nft?: NftPort;
  /**
   * When the daemon's process started (clock ms): the first Master_Down wait counts from there, so
   * nodes started together elect in the order they were started, whatever their load times.
   */
  processStartedAt?: number;
  /** sched_yield, for the instances (see InstanceDeps.yieldCpu). */
  yieldCpu?: () => void;
}

interface Running {
  rt: InstanceRuntime;
  wiring: ResolvedWiring;
  wire: InstanceWireConfig;
  socketKey: string;
  /** Interfaces whose state matters to this instance (own + track_interface). */
  lastItems: TrackedItem[];
  /** auth_type AH: sequence state; adverts go out and come in through a proto-51 socket. */
  ah?: AhSession;
}

/** The instance's cached advert is already a Buffer: sent as is, not copied per advert. */
function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b);
}

function isMulticast(a: string): boolean {
  return /^(22[4-9]|23\d)\./.test(a) || /^ff/i.test(a);
}

export class VrrpService {
  private readonly instances = new Map<string, Running>();
  /** socketKey|vrid → receiving instance; derived from `instances`, dropped whenever that changes. */
  private rxIndex: Map<string, Running> | undefined;
  private readonly sockets = new Map<string, VrrpSocket>();
  private readonly links = new Map<string, LinkInfo>();
  /**
   * Interfaces deleted under running instances: when one comes back (a new ifindex), those
   * instances are rewired (new socket, new wiring), else they would send with ENODEV, hear
   * nothing, and take the VIP beside the real master.
   */
  private readonly deletedUnder = new Set<string>();
  /** Instances stopped for a rewire whose new wiring failed (no address yet): retried on addr-added. */
  private readonly unwired = new Set<string>();
  private rewiring: Promise<void> = Promise.resolve();
  private primaryRefresh: Promise<void> = Promise.resolve();
  /** promote_secondaries: the sysctls we set (restored at stop, as keepalived 2.2.7 does). */
  private promoted: AppliedSetting[] = [];
  private readonly groupStates = new Map<string, GroupState>();
  private readonly dropLog: LimitedLog;
  /** The link/address watch's overrun and resync counts (`status --json` netlink). */
  get netlinkStats(): WatchStats | undefined {
    return this.watch?.stats?.();
  }

  /** Packets no instance took (unknown VRID, too short to have one), by reason: `status --json` drops. */
  readonly unmatchedDrops: Record<string, number> = {};
  /** Instances in manual standby (`keepalived standby`), kept across reloads. */
  private readonly standbyNames = new Set<string>();
  /** track_bfd: the last state BfdService reported per bfd_instance (absent = not Up yet, as keepalived). */
  private readonly bfdUp = new Map<string, boolean>();
  /** FAULT causes that are not tracked items (an absent unicast_src_ip): instance → causes. */
  private readonly heldFaults = new Map<string, Set<string>>();
  private trackers: Trackers | undefined;
  private watch: RtnlWatch | undefined;
  private notifier: Notifier;
  private stopping = false;
  /** script_user, or keepalived's default user when it exists (undefined: root). */
  private scriptUser: { user: string; group?: string } | undefined;
  private readonly firewall: Firewall | undefined;
  /** interface_up_down_delays: the link state instances see. */
  private readonly linkGate: LinkDelayGate;
  /** garp_group and the global GARP/NA intervals: frames paced per interface group. */
  private readonly pacing: GarpPacing;

  constructor(private model: Model, private readonly deps: VrrpServiceDeps) {
    this.pacing = new GarpPacing(deps.clock, model);
    this.linkGate = new LinkDelayGate(deps.clock, deps.log, (ifname, up) => {
      deps.log.info(`Netlink reports ${ifname} ${up ? 'up' : 'down'}`);
      this.refreshAll();
    });
    this.firewall = deps.nft ? new Firewall(model, deps.nft, deps.log) : undefined;
    this.dropLog = new LimitedLog(deps.clock, { maxKeys: 256, global: 64 });
    this.scriptUser = resolveScriptUser(model.globalDefs, deps.log, model.hasScripts);
    this.notifier = new Notifier(model.globalDefs, deps.log, deps.runner, this.scriptUser);
  }

  get names(): string[] {
    return [...this.instances.keys()];
  }

  instance(name: string): InstanceRuntime | undefined {
    return this.instances.get(name)?.rt;
  }

  async start(): Promise<void> {
    for (const l of await this.deps.rtnl.listLinks()) this.links.set(l.ifname, l);
    // An overrun (ENOBUFS) makes the watcher re-read links and addresses and tell us the
    // differences; both lines are rate-limited (a storm overruns many times a second).
    this.watch = this.deps.rtnl.watch(
      (e) => this.onNetEvent(e),
      (err) => this.limited('netlink|error', `Netlink watch error: ${err.message}`, (t) => this.deps.log.warn(t)),
      (changes, s) =>
        this.limited('netlink|resync', `Netlink resync: links and addresses re-read after an overrun, ${changes} changes (${s.overruns} overruns, ${s.resyncs} resyncs so far)`, (t) => this.deps.log.info(t)),
    );
    this.startTrackers(this.model);
    await this.firewall?.start();
    for (const m of this.model.vrrpInstances) if (!(await this.addInstance(m))) this.unwired.add(m.name);
    this.configureLinkDelays();
    const delayMs = this.model.globalDefs.vrrpStartupDelayMs;
    if (delayMs > 0 && this.instances.size) this.deps.log.info(`Delaying startup for ${delayMs / 1000} seconds`);
    // Every instance's start is dated at the same time (as keepalived starts them all at its
    // loop's time): instances that wait for the same Master_Down take over in one wake-up and
    // then advertise in one wake-up a second, not one each, spread over however long this loop
    // (warm-up of each instance's takeover path) took: ~94 timer wake-ups a second at 1,000
    // instances before. The loop runs without yielding, so an advert arriving meanwhile is
    // read after it, dated by its arrival stamp, and is not missed.
    const startedAt = this.deps.clock.now();
    for (const r of this.instances.values()) {
      const noPeer = unicastWithoutPeers(r.rt.model);
      if (noPeer) this.deps.log.info(noPeer.line);
      this.refreshTracking(r);
      r.rt.start(delayMs, this.deps.processStartedAt, startedAt);
    }
  }

  /** interface_up_down_delays, bounded by the advert interval of each instance on the interface. */
  private configureLinkDelays(): void {
    const g = this.model.globalDefs;
    const users = this.model.vrrpInstances.flatMap((m) => {
      const ifname = this.instances.get(m.name)?.wiring.baseIfname ?? baseInterfaceOf(m, g);
      return ifname ? [{ name: m.name, ifname, advertIntMs: m.advertIntMs, downTimerAdverts: m.downTimerAdverts }] : [];
    });
    this.linkGate.configure(this.model, users);
  }

  private startTrackers(model: Model): void {
    const g = model.globalDefs;
    const t = new Trackers({
      clock: this.deps.clock,
      log: this.deps.log,
      onChange: () => this.refreshAll(),
      runner: this.deps.runner,
      spreadRuns: true,
      scriptSecurity: g.enableScriptSecurity,
      scriptUser: this.scriptUser,
      ...(this.deps.recorder ? { onScriptResult: this.deps.recorder.scriptResult.bind(this.deps.recorder) } : {}),
    });
    const specs = trackerSpecsFromModel(model);
    for (const s of specs.scripts) t.addScript(s);
    for (const f of specs.files) t.addFile(f);
    for (const p of specs.processes) t.addProcess(p);
    t.start();
    this.trackers = t;
  }

  /**
   * Reload keeps every tracker whose definition is unchanged with its current state (a script
   * that was failing is still failing, no re-run of rise/fall); only when the settings every
   * script shares (script security, script_user) change are all trackers rebuilt.
   */
  private reloadTrackers(prev: Model, next: Model): void {
    const a = prev.globalDefs;
    const b = next.globalDefs;
    const user = resolveScriptUser(b, this.deps.log, next.hasScripts);
    const sameExec = a.enableScriptSecurity === b.enableScriptSecurity && JSON.stringify(user) === JSON.stringify(this.scriptUser);
    this.scriptUser = user;
    if (this.trackers && sameExec) {
      const r = this.trackers.reconfigure(trackerSpecsFromModel(next));
      if (this.deps.log.detail) this.deps.log.debug(`Trackers on reload: kept [${r.kept.join(', ')}] restarted [${r.restarted.join(', ')}] added [${r.added.join(', ')}] removed [${r.removed.join(', ')}]`);
      return;
    }
    this.trackers?.stop();
    this.startTrackers(next);
  }

  /** unicast_src_ip on no interface: FAULT from the start, as keepalived (vrrp/unicast.ts). */
  private async checkUnicastSource(m: VrrpInstance): Promise<void> {
    this.heldFaults.delete(m.name);
    if (m.unicastSrcIp === undefined || !m.unicastPeers.length) return;
    const local = new Set((await this.deps.rtnl.listAddresses()).map((a) => a.address));
    const lines = missingUnicastSource(m, local);
    if (!lines) return;
    this.deps.log.error(lines[0] as string);
    this.deps.log.info(lines[1] as string);
    this.heldFaults.set(m.name, new Set(['src address not configured']));
  }

  /** Remove leftovers of a previous run (crash, kill -9): none of our VIPs may survive start-up. */
  private async cleanStale(m: VrrpInstance, w: ResolvedWiring): Promise<void> {
    const installed = await this.deps.rtnl.listAddresses();
    for (const v of [...m.virtualIpaddress, ...m.virtualIpaddressExcluded]) {
      const spec = vipToAddressSpec(v, w.vipIfname);
      if (installed.some((a) => a.address === v.address && a.ifname === spec.dev)) {
        this.deps.log.info(`(${m.name}) removing stale VIP ${v.address} from ${spec.dev}`);
        await this.deps.rtnl.delAddress(spec);
      }
    }
  }

  /**
   * Builds and registers the instance; false when its interface (or an address on it) is not
   * there yet: the caller keeps it in `unwired` and it is built when the interface appears or
   * gets an address (dynamic_interfaces; keepalived 2.2.7 likewise waits in FAULT and enters
   * BACKUP once the interface is up with an address).
   */
  private async addInstance(m: VrrpInstance): Promise<boolean> {
    const log = this.deps.log;
    let wiring: ResolvedWiring;
    try {
      wiring = await resolveWiring(m, this.model.globalDefs, this.deps.rtnl, this.links, (line) => log.info(line));
    } catch (e) {
      const base = baseInterfaceOf(m, this.model.globalDefs);
      if (e instanceof WiringError && e.code === 'ERR_WIRING_NO_INTERFACE' && base && this.model.globalDefs.dynamicInterfaces) {
        // keepalived 2.2.7's words (observed), then its FAULT line for the missing link.
        log.info(`Configuration specifies interface ${base} which doesn't currently exist - will use if created`);
        log.info(`(${m.name}): entering FAULT state (interface ${base} down)`);
      } else log.error((e as Error).message);
      return false;
    }
    await this.cleanStale(m, wiring);
    await this.checkUnicastSource(m);
    if (m.promoteSecondaries) this.promoteSecondaries(wiring.vipIfname);
    const ah = m.auth?.type === 'AH' && m.version === 2 && m.family === 'inet' ? new AhSession(m.auth.pass) : undefined;
    const socketKey = `${m.family}|${wiring.xmitIfname}|${wiring.group ?? 'unicast'}${ah ? '|ah' : ''}`;
    let sock = this.sockets.get(socketKey);
    if (!sock) {
      sock = this.deps.sockets.open({ family: m.family, ifname: wiring.xmitIfname, group: wiring.group, ...(ah ? { ipsecAh: true } : {}) });
      const key = socketKey;
      sock.onPacket((p) => this.onPacket(key, p));
      sock.onError((err) => log.error(`VRRP socket on ${wiring.xmitIfname}: ${err.message}`));
      this.sockets.set(socketKey, sock);
    }
    const s = sock;
    const ttl = wiring.group === undefined ? unicastTtlOf(m) : undefined;
    const rt = new InstanceRuntime(
      m,
      {
        vipIfname: wiring.vipIfname,
        announceIfname: wiring.announceIfname,
        announceMac: wiring.announceMac,
        primaryAddress: wiring.primaryAddress,
        destinations: wiring.destinations,
        // unicast_ttl: the TTL/hop limit of unicast adverts (multicast ones always go with 255).
        // A routine advert leaves with the others due at the same wake-up (one sendmmsg per socket).
        send: ah
          ? (payload, dst, src) => s.send(ah.wrap(payload, src, dst, ttl), dst, src)
          : (payload, dst, src, routine) => (routine && s.sendSoon ? s.sendSoon(asBuffer(payload), dst, src, ttl) : s.send(asBuffer(payload), dst, src, ttl)),
        router: false,
        baseIfname: wiring.baseIfname,
      },
      {
        clock: this.deps.clock,
        log: log.child({ instance: m.name, vrid: m.vrid, af: m.family }),
        rtnl: this.deps.rtnl,
        announcer: this.deps.announcer,
        names: this.deps.names,
        onTransition: (inst, from, to, reason) => {
          this.deps.recorder?.transition(inst.name, from, to, reason, this.deps.clock.wallNow());
          this.onTransition(inst, from, to);
        },
        onNotify: (inst, state, prio) => this.notifier.notify('INSTANCE', inst.name, inst.model, state, prio),
        onRxLowerPri: (inst, prio) => this.notifier.masterRxLowerPri(inst.name, inst.model.notifyMasterRxLowerPri, prio),
        onPriorityChange: (inst, state, prio) => {
          if (inst.model.notifyPriorityChanges) this.notifier.priorityChanged(inst.name, state, prio);
        },
        firewall: this.firewall,
        pacing: this.pacing,
        configIndex: this.model.vrrpInstances.findIndex((x) => x.name === m.name),
        yieldCpu: this.deps.yieldCpu,
      },
      this.model.globalDefs.vrrpMinGarp,
    );
    if (wiring.vmac) this.linkGate.setParent(wiring.vmac, wiring.baseIfname);
    if (this.deps.dontReleaseVrrp) rt.keepVipsOnStop = true;
    if (this.standbyNames.has(m.name)) rt.setStandby(true); // manual standby survives a rebuild on reload
    this.instances.set(m.name, { rt, wiring, wire: wireConfigOf(m, rt), socketKey, lastItems: [], ...(ah ? { ah } : {}) });
    this.rxIndex = undefined;
    return true;
  }

  // ---- receive ----------------------------------------------------------------------

  private onPacket(socketKey: string, p: ReceivedPacket): void {
    const vrid = p.data.length > 1 ? (p.data[1] as number) : -1;
    const target = this.receiverOf(socketKey, vrid);
    const unicast = !isMulticast(p.dst);
    const peer = target?.rt.model.unicastPeers.find((u) => u.address === p.src);
    const rx: Parameters<typeof decodeAdvert>[1] = { family: p.family, src: p.src, dst: p.dst, ttl: p.ttl, unicast };
    if (peer?.minTtl !== undefined) rx.minTtl = peer.minTtl;
    if (peer?.maxTtl !== undefined) rx.maxTtl = peer.maxTtl;
    const decoded = decodeAdvert(p.data, rx);
    if (!target) {
      // Every proto-112 socket on a link gets a copy: one of them (the first) speaks for the strays.
      const link = socketKey.split('|').slice(0, 2).join('|');
      if (socketKey.endsWith('|ah') || this.strayOwner(link) !== socketKey) return;
      const other = this.linkVrids().get(`${link}|${vrid}`);
      // An advert without AH for an AH instance (that instance only hears proto 51): its drop.
      if (other?.ah) return this.drop(other, 'auth_type', 'received an advert without IPSEC-AH (auth_type AH configured)');
      if (other) return; // another socket's instance: that socket has its own copy
      const reason = vrid < 0 ? 'length' : 'unknown_vrid';
      this.unmatchedDrops[reason] = (this.unmatchedDrops[reason] ?? 0) + 1;
      if (this.model.globalDefs.logUnknownVrids) this.limited(`vrid${vrid}`, `Unknown VRID(${vrid}) received on interface(${socketKey.split('|')[1]}). ignoring...`, (t) => this.deps.log.info(t));
      return;
    }
    if (!decoded.ok) return this.drop(target, decoded.reason, decoded.detail);
    if (p.src === target.wiring.primaryAddress) return; // our own advert looped back
    if (target.ah) {
      const c = p.datagram ? target.ah.check(p.datagram) : { ok: false as const, reason: 'ah_malformed' as const, detail: 'IPSEC-AH header missing' };
      if (!c.ok) return this.drop(target, c.reason, c.detail);
    }
    const valid = validateForInstance(decoded.advert, target.wire, { src: p.src, unicast });
    if (!valid.ok) return this.drop(target, valid.reason, valid.detail);
    const beforeCs = target.rt.state.masterAdverIntCs;
    target.rt.receive(decoded.advert, p.src, ageAt(p, this.deps.clock.now()));
    // A master advertising faster than we do (v3): interface_up_down_delays follow the new interval.
    const nowCs = target.rt.state.masterAdverIntCs;
    if (nowCs < beforeCs && nowCs * 10 < target.rt.model.advertIntMs) {
      const m = target.rt.model;
      this.linkGate.lowerAdvertInt({ name: m.name, ifname: target.wiring.baseIfname, advertIntMs: nowCs * 10, downTimerAdverts: m.downTimerAdverts });
    }
  }

  /** family|ifname|vrid → an instance on any socket of that link (an AH one first). */
  private linkVridIndex: Map<string, Running> | undefined;
  private linkVrids(): Map<string, Running> {
    if (!this.linkVridIndex || !this.rxIndex) {
      this.receiverOf('', -1); // (re)builds rxIndex
      this.linkVridIndex = new Map();
      for (const r of this.instances.values()) {
        const k = `${r.socketKey.split('|').slice(0, 2).join('|')}|${r.rt.model.vrid}`;
        if (!this.linkVridIndex.has(k) || r.ah) this.linkVridIndex.set(k, r);
      }
    }
    return this.linkVridIndex;
  }

  /** The first non-AH socket of a link (family|ifname). */
  private strayOwner(link: string): string | undefined {
    for (const k of this.sockets.keys()) if (!k.endsWith('|ah') && k.startsWith(`${link}|`)) return k;
    return undefined;
  }

  /** The instance an advert on this socket with this VRID is for (first configured wins). */
  private receiverOf(socketKey: string, vrid: number): Running | undefined {
    // Every packet asks: an index instead of a scan, so 1,000 instances cost O(1) per advert.
    if (!this.rxIndex) {
      this.rxIndex = new Map();
      this.linkVridIndex = undefined;
      for (const r of this.instances.values()) {
        const k = `${r.socketKey}|${r.rt.model.vrid}`;
        if (!this.rxIndex.has(k)) this.rxIndex.set(k, r);
      }
    }
    return this.rxIndex.get(`${socketKey}|${vrid}`);
  }

  private drop(r: Running, reason: string, detail: string): void {
    r.rt.countDrop(reason);
    this.limited(`${r.rt.name}|${reason}`, `(${r.rt.name}) ${detail}`, (t) => r.rt.log.warn(t));
  }

  /**
   * Bad-packet logging is rate-limited (RFC 9568 §7.1 asks for it): one line per key per 10 s,
   * then a "suppressed N" line (LimitedLog, the same limiter as the received-advert lines).
   */
  private limited(key: string, text: string, write: (t: string) => void): void {
    this.dropLog.line(key, text, write);
  }

  // ---- tracking ---------------------------------------------------------------------

  private itemsFor(r: Running, m: VrrpInstance = r.rt.model): TrackedItem[] {
    const refs = instanceTrackRefs(this.model, m);
    if (!m.dontTrackPrimary) refs.unshift({ kind: 'interface', name: r.wiring.baseIfname, weight: 0, reverse: false });
    if (r.wiring.vmac && !m.dontTrackPrimary) refs.push({ kind: 'interface', name: r.wiring.vmac, weight: 0, reverse: false });
    // track_group: the interfaces of static addresses/routes/rules naming one of this instance's groups.
    for (const dev of this.staticTracked().get(m.name) ?? []) refs.push({ kind: 'interface', name: dev, weight: 0, reverse: false });
    const withIf = refs.map((ref) =>
      ref.kind === 'interface' ? { ...ref, state: this.linkGate.isUp(ref.name, this.links.get(ref.name)?.up ?? false) ? ('up' as const) : ('down' as const) }
      : ref.kind === 'bfd' ? { ...ref, state: this.bfdUp.get(ref.name) ? ('up' as const) : ('down' as const) }
      : ref,
    );
    return this.trackers ? this.trackers.items(withIf) : withIf.map((x) => ({ ...x, state: 'state' in x ? x.state : ('init' as const) }));
  }

  private staticTrack: { model: Model; byInstance: Map<string, string[]> } | undefined;
  private staticTracked(): Map<string, string[]> {
    if (this.staticTrack?.model !== this.model) this.staticTrack = { model: this.model, byInstance: staticTrackInterfaces(this.model) };
    return this.staticTrack.byInstance;
  }

  /** Tracked items and effective priority; `m`: the model to compute them for (a reload's new one). */
  private tracking(r: Running, m: VrrpInstance = r.rt.model): ReturnType<typeof computePriority> {
    const items = this.itemsFor(r, m);
    r.lastItems = items;
    const group = this.groupOf(r.rt.name);
    return computePriority({
      basePriority: m.priority,
      items,
      inSyncGroup: group !== undefined,
      syncGroupTrackingWeight: group?.syncGroupTrackingWeight ?? false,
    });
  }

  private refreshTracking(r: Running): void {
    const res = this.tracking(r);
    r.rt.setPriority(res.effectivePriority);
    // unicast_fault_no_peer: no peer to talk to, FAULT for as long as the configuration says so
    if (unicastWithoutPeers(r.rt.model)?.fault) return r.rt.setFault(true, 'no unicast peers');
    const held = this.heldFaults.get(r.rt.name);
    if (held?.size) return r.rt.setFault(true, [...held].join(', '));
    r.rt.setFault(res.fault, res.faultReasons.join(', '));
  }

  /** A BFD session changed (runtime/bfd-service): log it for each instance tracking it, then re-rate. */
  setBfdState(name: string, up: boolean): void {
    if (this.bfdUp.get(name) === up) return;
    this.bfdUp.set(name, up);
    for (const r of this.instances.values()) {
      if (this.itemsFor(r).some((i) => i.kind === 'bfd' && i.name === name)) r.rt.log.info(trackedBfdLine(r.rt.name, name, up));
    }
    this.refreshAll();
  }

  private refreshAll(): void {
    if (this.stopping) return;
    for (const r of this.instances.values()) this.refreshTracking(r);
  }

  private onNetEvent(e: NetEvent): void {
    const log = this.deps.log;
    if (e.type === 'link') {
      const prev = this.links.get(e.link.ifname);
      this.links.set(e.link.ifname, e.link);
      // interface_up_down_delays may put the change off (the gate then reports it when due).
      const applyNow = this.linkGate.onLink(e.link, prev);
      if (prev && applyNow && prev.up !== e.link.up) log.info(`Netlink reports ${e.link.ifname} ${e.link.up ? 'up' : 'down'}`);
      const waiting = e.link.up && this.unwiredOn(e.link.ifname);
      if (e.link.up && (waiting || this.deletedUnder.has(e.link.ifname) || (prev && prev.ifindex !== e.link.ifindex))) {
        this.deletedUnder.delete(e.link.ifname);
        this.queueRewire(e.link.ifname);
        return;
      }
      if (applyNow) this.refreshAll();
      return;
    }
    if (e.type === 'link-deleted') {
      if (this.links.delete(e.ifname)) log.info(`Interface ${e.ifname} deleted`);
      this.linkGate.forget(e.ifname);
      if (this.instancesOn(e.ifname).length) this.deletedUnder.add(e.ifname);
      this.refreshAll();
      return;
    }
    if (e.type === 'addr-added' && this.unwired.size) this.queueRewire(e.addr.ifname);
    const ours = [...this.instances.values()].find((r) =>
      [...r.rt.model.virtualIpaddress, ...r.rt.model.virtualIpaddressExcluded].some((v) => v.address === e.addr.address),
    );
    if (!ours) this.queuePrimaryRefresh(e.addr.ifname);
    const verb = e.type === 'addr-added' ? 'added to' : 'removed from';
    if (this.deps.addressMonitoring || (ours && log.detail)) log.info(`Netlink reflector reports IP ${e.addr.address} ${verb} ${e.addr.ifname}`);
    if (e.type === 'addr-removed' && ours && !this.stopping && ours.rt.state.state === 'MASTER' && ours.rt.hasVips) {
      const vip = [...ours.rt.model.virtualIpaddress, ...ours.rt.model.virtualIpaddressExcluded].find((v) => v.address === e.addr.address);
      if (vip && !vip.noTrack && ours.rt.isSettled()) {
        if (!log.detail && !this.deps.addressMonitoring) log.info(`Netlink reflector reports IP ${e.addr.address} removed from ${e.addr.ifname}`);
        log.info(`(${ours.rt.name}) restoring VIP ${e.addr.address} removed behind our back`);
        void ours.rt.restoreVip(e.addr.address);
      }
    }
  }

  /** promote_secondaries: net.ipv4.conf.IF.promote_secondaries=1 while we run (keepalived sets it at start, restores it at stop). */
  private promoteSecondaries(ifname: string): void {
    try {
      this.promoted.push(...applySysctls(fsSysctlIo(), [{ family: 'inet', ifname, key: 'promote_secondaries', value: '1' }]));
    } catch (e) {
      this.deps.log.warn(`Unable to set promote_secondaries on ${ifname}: ${(e as Error).message}`);
    }
  }

  /** Some instance waits (not built yet) for `ifname`. */
  private unwiredOn(ifname: string): boolean {
    return this.model.vrrpInstances.some((m) => this.unwired.has(m.name) && baseInterfaceOf(m, this.model.globalDefs) === ifname);
  }

  /** Running (or unwired) instances whose sending or base interface is `ifname`. */
  private instancesOn(ifname: string): string[] {
    return this.model.vrrpInstances
      .filter((m) => {
        const r = this.instances.get(m.name);
        return r ? r.wiring.xmitIfname === ifname || baseInterfaceOf(m, this.model.globalDefs) === ifname : this.unwired.has(m.name) && baseInterfaceOf(m, this.model.globalDefs) === ifname;
      })
      .map((m) => m.name);
  }

  /**
   * An address that is not a VIP came or went on `ifname`: the instances there whose advert
   * source is the interface's address (no unicast_src_ip / mcast_src_ip) follow its primary
   * address, as keepalived 2.2.7 does (observed: the primary 192.0.2.1 replaced by .11 behind
   * its back, it logs "Assigned address 192.0.2.11 for interface eth0" and advertises from .11).
   * Without this the adverts kept the old source, sendmsg failed (ENETUNREACH) and the backup
   * took the VIP beside us. With no usable address left the old source is kept until one comes.
   */
  private queuePrimaryRefresh(ifname: string): void {
    this.primaryRefresh = this.primaryRefresh.then(() => this.refreshPrimaries(ifname)).catch((err: Error) => this.deps.log.error(`Refreshing addresses of ${ifname}: ${err.message}`));
  }

  private async refreshPrimaries(ifname: string): Promise<void> {
    if (this.stopping) return;
    for (const r of this.instances.values()) {
      const m = r.rt.model;
      if (m.unicastSrcIp !== undefined || m.mcastSrcIp !== undefined) continue;
      if (r.wiring.baseIfname !== ifname && r.wiring.xmitIfname !== ifname) continue;
      const next = await pickPrimary(m, this.deps.rtnl, r.wiring.baseIfname, r.wiring.xmitIfname);
      if (!next || next === r.wiring.primaryAddress || this.stopping) continue;
      this.deps.log.info(`Assigned address ${next} for interface ${r.wiring.baseIfname}`);
      r.wiring.primaryAddress = next;
      r.rt.setPrimaryAddress(next);
    }
  }

  private queueRewire(ifname: string): void {
    this.rewiring = this.rewiring.then(() => this.rewire(ifname)).catch((err: Error) => this.deps.log.error(`Rewiring instances on ${ifname}: ${err.message}`));
  }

  /** The interface under these instances was re-created: stop them, rebuild wiring and sockets, start again. */
  private async rewire(ifname: string): Promise<void> {
    if (this.stopping) return;
    const names = this.instancesOn(ifname);
    if (!names.length) return;
    const fresh = names.every((n) => !this.instances.has(n));
    this.deps.log.info(fresh ? `Interface ${ifname} added: starting its VRRP instances (${names.join(', ')})` : `Interface ${ifname} re-created: reopening its VRRP instances (${names.join(', ')})`);
    for (const name of names) {
      const r = this.instances.get(name);
      if (!r) continue;
      await r.rt.stop();
      if (r.wiring.vmac) await this.deps.rtnl.deleteLink(r.wiring.vmac).catch(() => undefined);
      this.instances.delete(name);
      this.rxIndex = undefined;
    }
    for (const [key, sock] of [...this.sockets.entries()]) {
      if (![...this.instances.values()].some((r) => r.socketKey === key)) {
        sock.close();
        this.sockets.delete(key);
      }
    }
    for (const name of names) {
      const m = this.model.vrrpInstances.find((x) => x.name === name);
      if (!m || this.stopping) continue;
      if (!(await this.addInstance(m))) {
        this.unwired.add(name);
        continue;
      }
      const r = this.instances.get(name);
      if (!r) continue;
      this.unwired.delete(name);
      this.refreshTracking(r);
      r.rt.start();
    }
    this.refreshAll();
  }

  // ---- sync groups ------------------------------------------------------------------

  private groupOf(name: string): VrrpSyncGroup | undefined {
    return this.model.vrrpSyncGroups.find((g) => g.members.includes(name));
  }

  private onTransition(inst: InstanceRuntime, from: VrrpStateName, to: VrrpStateName): void {
    this.deps.onStateChange?.(inst.name, to);
    const g = this.groupOf(inst.name);
    if (!g || this.stopping) return;
    const members = g.members
      .map((n) => this.instances.get(n))
      .filter((r): r is Running => r !== undefined)
      .map((r) => ({ name: r.rt.name, state: r.rt === inst ? from : r.rt.state.state, ownFault: r.rt.state.faulted }));
    const prevGroup = this.groupStates.get(g.name) ?? groupStateOf(members.map((m) => m.state));
    const res = syncOnTransition({ name: g.name, members, state: prevGroup }, inst.name, from, to);
    this.groupStates.set(g.name, res.groupState);
    if (res.log) this.deps.log.info(res.log);
    if (res.groupNotify) {
      // A sync group has no priority: keepalived 2.2.7 passes 0 (observed: `GROUP G1 MASTER 0` to notify and the FIFO).
      this.notifier.notify('GROUP', g.name, g, res.groupNotify as NotifyState, 0);
    }
    // Forced moves run after this transition has finished being applied.
    queueMicrotask(() => {
      for (const f of res.forces) this.instances.get(f.instance)?.rt.force(f.event.to, `sync group ${g.name}`);
    });
  }

  // ---- lifecycle --------------------------------------------------------------------

  async stop(): Promise<void> {
    this.stopping = true;
    this.dropLog.stop();
    this.linkGate.stop();
    this.pacing.stop();
    this.trackers?.stop();
    await Promise.all([...this.instances.values()].map((r) => r.rt.stop()));
    await this.firewall?.stop(this.deps.dontReleaseVrrp);
    for (const g of this.model.vrrpSyncGroups) this.notifier.notify('GROUP', g.name, g, 'STOP', 0);
    await this.notifier.idle(700);
    const killed = await this.notifier.killRunning();
    if (killed) this.deps.log.info(`Stopped ${killed} notify script(s) still running`);
    this.watch?.close();
    for (const s of this.sockets.values()) s.close();
    this.sockets.clear();
    if (!this.deps.dontReleaseVrrp) {
      for (const r of this.instances.values()) {
        if (!r.wiring.vmac) continue;
        const gone = await this.deps.rtnl.deleteLink(r.wiring.vmac).then(() => true, () => false);
        // keepalived 2.2.7 logs this for its ipvlan (observed), in its words.
        if (gone && r.rt.model.useIpvlan) this.deps.log.info(`(${r.rt.model.name}) Success removing VMAC interface ${r.wiring.vmac}`);
      }
      for (const e of restoreSysctls(fsSysctlIo(), this.promoted)) this.deps.log.warn(e.message);
      this.promoted = [];
    }
    this.notifier.close();
  }

  /**
   * SIGHUP: instances whose configuration is unchanged keep running untouched (same state,
   * same timers, no extra advert or GARP); changed ones keep running too, with the change
   * applied in place (the state machine's `reconfigure`), unless their identity changed
   * (reload.ts needsRestart): those are stopped (a master sends priority 0 first) and rebuilt.
   * Removed ones release.
   */
  async reload(next: Model, changed: ReadonlySet<string>, removed: readonly string[], added: readonly string[]): Promise<void> {
    const restart = new Set(diffModels(this.model, next).changed.filter((c) => c.restart).map((c) => c.name));
    const rebuild = [...changed].filter((n) => restart.has(n));
    const inPlace = new Set([...changed].filter((n) => !restart.has(n)));
    for (const name of [...removed, ...rebuild]) {
      const r = this.instances.get(name);
      if (!r) continue;
      if (removed.includes(name)) r.rt.deleting = true;
      await r.rt.stop();
      if (r.wiring.vmac) await this.deps.rtnl.deleteLink(r.wiring.vmac).catch(() => undefined);
      this.instances.delete(name);
      this.rxIndex = undefined;
    }
    const prev = this.model;
    this.model = next;
    for (const r of this.instances.values()) {
      const m = next.vrrpInstances.find((x) => x.name === r.rt.name);
      if (m && !inPlace.has(r.rt.name)) r.rt.updateModel(m);
    }
    this.reloadTrackers(prev, next);
    this.configureLinkDelays();
    this.pacing.configure(next);
    if (!this.notifier.adopt(next.globalDefs, this.scriptUser)) {
      this.notifier.close();
      this.notifier = new Notifier(next.globalDefs, this.deps.log, this.deps.runner, this.scriptUser);
    }
    const notRunning: string[] = []; // its wiring failed before (e.g. no interface): try again from scratch
    for (const name of inPlace) {
      const r = this.instances.get(name);
      const m = next.vrrpInstances.find((x) => x.name === name);
      if (!r) notRunning.push(name);
      if (!r || !m) continue;
      const res = this.tracking(r, m);
      r.rt.reconfigure(m, res.effectivePriority);
      r.wire = wireConfigOf(m, r.rt);
      r.rt.setFault(res.fault, res.faultReasons.join(', '));
    }
    const fresh: Running[] = [];
    for (const name of [...rebuild, ...notRunning, ...added]) {
      const m = next.vrrpInstances.find((x) => x.name === name);
      if (!m) continue;
      if (!(await this.addInstance(m))) {
        this.unwired.add(name);
        continue;
      }
      this.unwired.delete(name);
      const r = this.instances.get(name);
      if (r) fresh.push(r);
    }
    for (const s of [...this.sockets.entries()]) {
      if (![...this.instances.values()].some((r) => r.socketKey === s[0])) {
        s[1].close();
        this.sockets.delete(s[0]);
      }
    }
    for (const r of fresh) {
      this.refreshTracking(r);
      r.rt.start();
    }
    this.refreshAll();
    // keepalived 2.2.7 (observed) writes each sync group's state, priority 0, and no instance lines.
    if (next.globalDefs.fifoWriteVrrpStatesOnReload) {
      for (const g of next.vrrpSyncGroups) {
        const st = this.groupStateOf(g.name);
        if (st) this.notifier.fifoOnly('GROUP', g.name, st, 0);
      }
    }
  }

  /** Manual standby on/off for one instance; remembered so a reload keeps it. */
  setStandby(name: string, on: boolean, force = false): boolean {
    const r = this.instances.get(name);
    if (!r) return false;
    if (on) this.standbyNames.add(name);
    else this.standbyNames.delete(name);
    r.rt.setStandby(on, force);
    return true;
  }

  isStandby(name: string): boolean {
    return this.standbyNames.has(name);
  }

  /** The current model (status reads sync groups and virtual servers from it). */
  get currentModel(): Model {
    return this.model;
  }

  /** What `keepalived status` reads of each instance. */
  views(): Array<{ rt: InstanceRuntime; wiring: ResolvedWiring; items: readonly TrackedItem[]; group?: VrrpSyncGroup }> {
    return [...this.instances.values()].map((r) => {
      const group = this.groupOf(r.rt.name);
      return group ? { rt: r.rt, wiring: r.wiring, items: r.lastItems, group } : { rt: r.rt, wiring: r.wiring, items: r.lastItems };
    });
  }

  groupStateOf(name: string): GroupState | undefined {
    const g = this.model.vrrpSyncGroups.find((x) => x.name === name);
    if (!g) return undefined;
    return this.groupStates.get(g.name) ?? groupStateOf(g.members.map((n) => this.instances.get(n)?.rt.state.state ?? 'INIT'));
  }

  snapshot(): DaemonSnapshot {
    const instances: InstanceSnapshot[] = [...this.instances.values()].map((r) => {
      const m = r.rt.model;
      const st = r.rt.state;
      const s = r.rt.stats;
      const snap: InstanceSnapshot = {
        name: m.name,
        state: st.state,
        wantstate: st.state,
        vrid: m.vrid,
        version: m.version,
        family: m.family,
        basePriority: m.priority,
        effectivePriority: st.priority,
        lastTransitionMs: r.rt.lastTransitionWall,
        advertIntMs: m.advertIntMs,
        masterAdvertIntMs: st.masterAdverIntCs * 10,
        accept: m.accept,
        nopreempt: m.nopreempt,
        preemptDelayMs: m.preemptDelayMs,
        vips: m.virtualIpaddress.map((v) => `${v.address}/${v.prefixLen}`),
        evips: m.virtualIpaddressExcluded.map((v) => `${v.address}/${v.prefixLen}`),
        trackers: r.lastItems.map((i) => ({ kind: i.kind, name: i.name, weight: i.weight, reverse: i.reverse, status: i.kind === 'file' ? String(i.value ?? '') : i.state })),
        stats: {
          advertRcvd: s.advert_rcvd, advertSent: s.advert_sent, becomeMaster: s.become_master, releaseMaster: s.release_master,
          packetLenErr: s.packet_len_err, advertIntervalErr: s.advert_interval_err, ipTtlErr: s.ip_ttl_err,
          invalidTypeRcvd: s.invalid_type_rcvd, addrListErr: s.addr_list_err, invalidAuthtype: s.invalid_authtype,
          authtypeMismatch: s.authtype_mismatch, authFailure: s.auth_failure, priZeroRcvd: s.pri_zero_rcvd,
          priZeroSent: s.pri_zero_sent, drops: { ...s.drops },
        },
      };
      if (r.wiring.baseIfname) snap.interface = r.wiring.baseIfname;
      if (st.masterAddr !== undefined) snap.masterRouter = st.masterAddr;
      if (st.masterPriority !== undefined) snap.masterPriority = st.masterPriority;
      if (m.syncGroup !== undefined) snap.syncGroup = m.syncGroup;
      if (st.standby) snap.standby = true;
      return snap;
    });
    const syncGroups = this.model.vrrpSyncGroups.map((g) => ({
      name: g.name,
      state: this.groupStates.get(g.name) ?? groupStateOf(g.members.map((n) => this.instances.get(n)?.rt.state.state ?? 'INIT')),
      members: [...g.members],
    }));
    const view = buildDataView({
      model: this.model,
      instances: [...this.instances.values()],
      sockets: this.sockets,
      links: this.links,
      trackers: this.trackers,
      scriptUser: this.scriptUser,
      clock: this.deps.clock,
      bfdUp: (n) => this.bfdUp.get(n) === true,
      groupState: (n) => syncGroups.find((g) => g.name === n)?.state,
    });
    return { takenAtMs: this.deps.clock.wallNow(), instances, syncGroups, view };
  }

  /** keepalived's SIGJSON dump (src/observe/dump.ts formatJson) of the current state. */
  dumpJson(): string {
    return formatJson(this.snapshot());
  }

  /** keepalived's SIGSTATS_CLEAR: zero every instance's counters. */
  clearStats(): void {
    for (const r of this.instances.values()) r.rt.clearStats();
  }
}

/** What validateForInstance checks received adverts against, from the instance's model and config. */
function wireConfigOf(m: VrrpInstance, rt: InstanceRuntime): InstanceWireConfig {
  const wire: InstanceWireConfig = {
    name: m.name,
    vrid: m.vrid,
    version: m.version,
    family: m.family,
    advertIntCs: rt.cfg.advertIntCs,
    vips: rt.cfg.vips,
    skipCheckAdvAddr: m.skipCheckAdvAddr,
    unicastPeers: rt.cfg.unicastPeers,
    checkUnicastSrc: m.checkUnicastSrc,
  };
  if (m.auth) wire.auth = { type: m.auth.type, password: m.auth.pass };
  return wire;
}
