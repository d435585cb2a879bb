/**
 * Composition root of the running daemon (`keepalived -f FILE -n`): loads the configuration,
 * builds the real ports, starts the VRRP service (and the LVS/checker side when the config has
 * virtual servers), and maps signals to keepalived's behaviour: TERM/INT stop (priority-0
 * adverts, VIPs released, notify_stop), HUP reload, USR1 data dump, USR2 stats dump.
 *
 * Signal numbers (stable, as keepalived): SIGHUP(1) reload, SIGUSR1(10) data dump, SIGUSR2(12)
 * stats dump, SIGTERM(15)/SIGINT(2) stop. keepalived's SIGJSON (SIGRTMIN+2) and
 * SIGSTATS_CLEAR (SIGRTMAX-1) cannot be caught by Node: runDaemon fills `realtimeSignalHooks`
 * so a native real-time-signal watcher can call them.
 */
import { runLifecycleScript } from './lifecycle-scripts';
import type { CliOptions } from '../cli/args';
import { writePidfile, removePidfile } from '../cli/pidfile';
import { hostInterface, loadConfigFile } from './config-files';
import { loadConfigFileOffThread } from './config-worker';
import type { LoadResult } from '../config/load';
import type { Model } from '../config/model';
import { formatDiagnostic, type Diagnostic } from '../config/diagnostics';
import { createLogger, type Logger } from '../observe/log';
import { writeDump, type DumpKind } from '../observe/dump-writer';
import { dumpPathsFromNodes } from './dump-paths';
import { writeBfdData, writeParentData } from './dump-view';
import { Rtnl } from '../net/rtnl';
import { NativeVrrpSocketFactory } from '../net/vrrp-socket';
import { PacketAnnouncer } from '../net/announce';
import { NftCli } from '../net/nft';
import { SystemClock } from './clock';
import { VrrpService } from './vrrp-service';
import type { BfdService } from './bfd-service';
import { diffModels } from './reload';
import type { LvsHandle } from './lvs-service';
import { NativeScriptRunner } from '../notify/native-runner';
import { loadNative } from '../net/native';
import { RealtimeScheduler, chooseRealtime, type RtParts } from './realtime';
import { onRealtimeSignal, SIG_JSON_DUMP, SIG_STATS_CLEAR } from '../net/rt-signals';
import { VERSION_TEXT } from '../cli/version';
import { daemonRefusalStatus } from '../cli/exit-status';
import { Recorder } from '../observe/recorder';
import { openControl, serveControl, startMetrics, type RunningParts } from '../control/glue';
import { StaticConfig, hasStaticConfig } from './static-config';
import { loadIproute2Names } from './iproute2-files';
import { msg } from '../vrrp/messages';
import { CHECKER_IDENT, PARENT_IDENT, changingIdent, commandLine, configurationFile, cpuTimes, cpuUsage, namespaceExiting, namespaceOpenFailed, namespaceSetFailed, openingFile, runningOn, stoppedUsed } from '../observe/daemon-lines';
import { enterNetNamespace } from '../net/netns';
import { sdNotifierFromEnv } from './sd-notify';

export function logDiagnostics(log: Logger, diags: readonly Diagnostic[]): void {
  for (const d of diags as Diagnostic[]) {
    const line = formatDiagnostic(d);
    if (d.severity === 'fatal' || d.severity === 'error') log.error(line);
    else log.warn(line);
  }
}

/**
 * Loads, reports and accepts (or refuses) the configuration; `dumpPaths` are read from the same
 * parse (parsing the file a second time for them cost 39 ms of a 1,000-instance start-up).
 * A reload passes what its worker thread loaded (`loaded`, with the dump paths of that parse).
 */
function load(o: CliOptions, log: Logger, reloading = false, loaded?: { result: LoadResult; dumpPaths: Record<DumpKind, string> }): { model: Model; dumpPaths: Record<DumpKind, string> } | { refusedStatus: number } {
  const parent = log.child({ ident: PARENT_IDENT });
  if (!loaded) parent.debug(openingFile(o.configFile));
  const r = loaded?.result ?? loadConfigFile(o.configFile, { configId: o.configId, allConfig: o.allConfig, interfaceExists: hostInterface });
  if (!r.diagnostics.some((d) => d.code === 'ERR_CONFIG_FILE_NOT_FOUND')) parent.info(configurationFile(o.configFile));
  logDiagnostics(log, r.diagnostics);
  // At start-up keepalived runs a fixed-up config despite errors; a reload must not replace a
  // working configuration with a fixed-up one, so an error refuses it unless the file is used as
  // written (keepalived's advice such as a one-instance sync group: it reloads those too).
  const refused = r.diagnostics.some((d) => d.severity === 'fatal' || (reloading && d.severity === 'error' && !d.asWritten));
  if (!r.model || refused) {
    if (reloading) log.error(`Configuration file ${o.configFile} has errors - reload aborted, the running configuration is kept`);
    else log.error(`Configuration file ${o.configFile} cannot be used - not starting`);
    return { refusedStatus: daemonRefusalStatus(r.diagnostics) };
  }
  // -d: dump the configuration to the log (ours: the validated model, one JSON line per section)
  if (o.dumpConf) {
    for (const [section, value] of Object.entries(r.model)) log.info(`Configuration ${section}: ${JSON.stringify(value)}`);
  }
  return { model: r.model as Model, dumpPaths: loaded?.dumpPaths ?? dumpPathsFromNodes(r.nodes) };
}

/**
 * keepalived's -D start-up lines of its VRRP process: the netlink channels, then every address on
 * the interfaces the instances use ("Assigned address 192.0.2.1 for interface eth0"), then the
 * GARP channel. Logging only: a failure to list addresses is not a start-up failure.
 */
/** The instance-following IPVS sync daemon, when the config asks for one (loaded only then). */
async function startSyncd(model: Model, log: Logger): Promise<import('./lvs-syncd').SyncDaemonFollower | undefined> {
  const { syncdSpecOf, SyncDaemonFollower } = require('./lvs-syncd') as typeof import('./lvs-syncd');
  const spec = syncdSpecOf(model);
  if (!spec) return undefined;
  try {
    const { NetlinkIpvs } = require('../lvs/ipvs') as typeof import('../lvs/ipvs');
    const f = new SyncDaemonFollower(spec, await NetlinkIpvs.open({}), log);
    await f.start();
    return f;
  } catch (e) {
    log.error(`IPVS: cannot run the sync daemon for ${spec.instance}: ${(e as Error).message}`);
    return undefined;
  }
}

async function startupDetail(log: Logger, rtnl: Rtnl, model: Model): Promise<void> {
  if (!log.detail) return;
  log.debug('Registering Kernel netlink reflector');
  log.debug('Registering Kernel netlink command channel');
  await assignedAddresses(log, rtnl, model);
  log.debug('Registering gratuitous ARP shared channel');
}

/**
 * -D, at start-up and on reload: the addresses the instances' interfaces will send from, as
 * keepalived logs them ("Assigned address 192.0.2.1 for interface eth0"): the first IPv4 address
 * and the first IPv6 link-local one (measured: a global IPv6 address on the link is not listed).
 */
async function assignedAddresses(log: Logger, rtnl: Rtnl, model: Model): Promise<void> {
  if (!log.detail) return;
  const ifnames = [...new Set(model.vrrpInstances.map((vi) => vi.interface).filter((x): x is string => x !== undefined))];
  for (const ifname of ifnames) {
    try {
      const addrs = await rtnl.listAddresses(ifname);
      const v4 = addrs.find((x) => x.family === 'inet');
      const ll6 = addrs.find((x) => x.family === 'inet6' && /^fe[89ab]/i.test(x.address));
      for (const a of [v4, ll6]) if (a) log.debug(`Assigned address ${a.address} for interface ${ifname}`);
    } catch {
      /* logging only */
    }
  }
}

/**
 * Enters the run's network namespace. When it cannot: keepalived 2.2.7's lines in its order
 * (configuration read, ident changed, "Failed to open /run/netns/NAME", "Unable to set network
 * namespace NAME - exiting", stop lines) and undefined: the run ends with status 0, as keepalived's.
 * Else the namespace's fd, kept open for the script runner (its children enter it).
 */
function enterNamespace(ns: string, configFile: string, log: Logger): number | undefined {
  const r = enterNetNamespace(ns);
  if (r.ok) return r.fd;
  const parent = log.child({ ident: PARENT_IDENT });
  parent.debug(openingFile(configFile));
  parent.info(configurationFile(configFile));
  parent.info(changingIdent(ns));
  log.setIdentSuffix?.(`_${ns}`);
  parent.error(r.stage === 'open' ? namespaceOpenFailed(r.path) : namespaceSetFailed(ns, r.message));
  parent.error(namespaceExiting(ns));
  const cpu = cpuTimes();
  parent.debug(cpuUsage(cpu));
  parent.info(`Stopped ${VERSION_TEXT}`);
  return undefined;
}

/** At most this long a stop waits for a reload in flight (its parse; a parse that ends later applies nothing). */
const RELOAD_WAIT_ON_STOP_MS = 10_000;

/**
 * Handlers for keepalived's real-time signals, which Node's `process.on` cannot receive:
 * SIGRTMIN+2 → `jsonDump()` (writes json_dump_file, default /tmp/keepalived.json),
 * SIGRTMAX-1 → `clearStats()`. Filled while the daemon runs; a native watcher calls them.
 */
export const realtimeSignalHooks: { jsonDump?: () => void; clearStats?: () => void } = {};

export async function runDaemon(o: CliOptions): Promise<number> {
  if (o.umask !== undefined) process.umask(o.umask);
  const log = createLogger({
    console: o.logConsole,
    detail: o.logDetail,
    json: o.logJson,
    syslog: !o.noSyslog,
    facility: o.logFacility,
    file: o.logFile,
    ident: 'Keepalived_vrrp',
  });
  // Signals that arrive while we start are honoured once start-up is done (never a half-started exit).
  // One listener for the whole run whose action changes once started: removing a signal's last
  // listener closes libuv's watcher and drops a signal that arrived but was not yet dispatched
  // (seen: SIGTERM sent just after 'Entering BACKUP STATE (init)' was lost, the daemon ran on).
  let earlyStop = false;
  let onStopSignal = (): void => {
    earlyStop = true;
  };
  process.on('SIGTERM', () => onStopSignal());
  process.on('SIGINT', () => onStopSignal());
  // systemd Type=notify: READY=1 after start-up, RELOADING=1/READY=1 around reloads, STOPPING=1.
  const sd = sdNotifierFromEnv(process.env, (m) => log.warn(m));
  // keepalived's parent-process lines (syslog ident Keepalived), in its order and words (observe/daemon-lines).
  const parent = log.child({ ident: PARENT_IDENT });
  parent.info(`Starting ${VERSION_TEXT}`);
  parent.info(runningOn());
  parent.info(commandLine());
  // net_namespace / -s: entered before the configuration's interfaces are looked up and before
  // any socket, netlink channel or pool thread exists (net/netns).
  let netnsFd: number | undefined;
  if (o.namespace !== undefined) {
    netnsFd = enterNamespace(o.namespace, o.configFile, log);
    if (netnsFd === undefined) return 0;
  }
  const loaded = load(o, log);
  if ('refusedStatus' in loaded) return loaded.refusedStatus;
  let model: Model | undefined = loaded.model;
  let dumpPaths = loaded.dumpPaths;
  const netNamespace = o.namespace ?? loaded.model.globalDefs.netNamespace;
  if (netNamespace !== undefined) {
    parent.info(changingIdent(netNamespace));
    log.setIdentSuffix?.(`_${netNamespace}`);
  }
  // The control socket opens before anything runs: a second daemon on the same socket refuses to start.
  const control = await openControl(o, model, log);
  if (!control) return 1;
  const recorder = new Recorder();

  const clock = new SystemClock();
  // The watch buffer is sized once at start (a reload does not reopen the socket).
  const rtnl = new Rtnl(model.globalDefs.netlinkMonitorRcvBufBytes !== undefined ? { watchRecvBufferBytes: model.globalDefs.netlinkMonitorRcvBufBytes } : {});
  const names = loadIproute2Names();
  // keepalived runs its VRRP process for static addresses/routes/rules even without instances.
  const runVrrp = !o.checkOnly && (model.vrrpInstances.length > 0 || hasStaticConfig(model));
  const runLvs = !o.vrrpOnly && model.virtualServers.length > 0;
  const pidFiles: string[] = [];
  const pidfile = (f: string): void => {
    const r = writePidfile(f);
    if (r.ok) pidFiles.push(f);
    else log.warn(r.message);
  };
  if (runVrrp) pidfile(o.vrrpPidFile);
  if (runLvs) pidfile(o.checkersPidFile);

  // One runner for trackers, hooks, MISC_CHECK and LVS scripts; check scripts are spread over
  // their interval (Trackers spreadRuns) so spawning never comes in bursts that delay adverts.
  const runner = new NativeScriptRunner({ netnsFd });
  // keepalived's parent runs startup_script before any child starts (waited for, killed at its timeout).
  await runLifecycleScript('startup', model, { log: parent, runner });
  let lvs: LvsHandle | undefined;
  // lvs_sync_daemon tied to a VRRP instance: the VRRP side runs it (as keepalived's VRRP process does).
  const syncd = runVrrp ? await startSyncd(model, log) : undefined;
  const vrrp = runVrrp
    ? new VrrpService(model, {
        clock,
        log,
        rtnl,
        runner,
        onStateChange: (name, state) => {
          lvs?.setVrrpMaster(name, state === 'MASTER');
          void syncd?.setState(name, state);
        },
        sockets: new NativeVrrpSocketFactory(),
        announcer: new PacketAnnouncer(),
        dontReleaseVrrp: o.dontReleaseVrrp,
        addressMonitoring: o.addressMonitoring,
        recorder,
        names,
        nft: new NftCli(),
        processStartedAt: clock.now() - process.uptime() * 1000,
        yieldCpu: () => loadNative().yieldCpu(),
      })
    : undefined;
  const statics = runVrrp ? new StaticConfig(model, { rtnl, log, names }) : undefined;
  // BFD (bfd_instance): sessions on the precise timers; Up/Down feed track_bfd. -B turns it off.
  let bfd: BfdService | undefined;
  let toChecker = new Set<string>();
  const startBfd = (m: Model): void => {
    if (o.noBfd || !(m.bfdInstances ?? []).length) return;
    // Required only with bfd_instance blocks (BFD codec, sessions and sockets).
    const { BfdService: Service } = require('./bfd-service') as typeof import('./bfd-service');
    const { NativeBfdTransport } = require('../net/bfd-socket') as typeof import('../net/bfd-socket');
    bfd = new Service({ clock, log, transport: new NativeBfdTransport() });
    toChecker = new Set((m.bfdInstances ?? []).filter((b) => b.notifyChecker).map((b) => b.name));
    bfd.onStateChange((name, up) => {
      vrrp?.setBfdState(name, up);
      if (toChecker.has(name)) lvs?.setBfdState(name, up);
    });
    bfd.start(m);
  };
  if (runVrrp) await startupDetail(log, rtnl, model);
  try {
    await statics?.start();
    if (vrrp) await vrrp.start();
    startBfd(model);
    if (runLvs) {
      // Required only with virtual servers: IPVS, checkers and probes are 18 modules a VRRP-only start-up does not need.
      const { startLvs } = require('./lvs-service') as typeof import('./lvs-service');
      lvs = await startLvs(model, { clock, log: log.child({ ident: CHECKER_IDENT }), keepOnShutdown: o.dontReleaseIpvs, runner, recorder });
      for (const name of vrrp?.names ?? []) lvs.setVrrpMaster(name, vrrp?.instance(name)?.state.state === 'MASTER');
    }
  } catch (e) {
    log.error(`Start-up failed: ${(e as Error).message}`);
    await vrrp?.stop().catch(() => undefined);
    await control.close();
    await statics?.stop(o.dontReleaseVrrp).catch(() => undefined);
    rtnl.close();
    for (const f of pidFiles) removePidfile(f);
    return 2;
  }
  log.info('Startup complete');
  // vrrp_rt_priority & co: SCHED_RR once start-up is done (its CPU bursts would only trip RLIMIT_RTTIME).
  const realtime = new RealtimeScheduler({ enable: (...a) => loadNative().rtEnable(...a), disable: () => loadNative().rtDisable() }, log);
  const rtParts = (m: Model): RtParts => ({ vrrp: runVrrp, bfd: !o.noBfd && (m.bfdInstances ?? []).length > 0, checker: runLvs });
  realtime.apply(chooseRealtime(model.globalDefs, rtParts(model)));
  sd?.ready();
  let reloadNow = (): Promise<void> => Promise.resolve();
  const parts: RunningParts = {
    o, log, recorder, vrrp, lvs: () => lvs, bfd: () => bfd, model: () => model as Model, dumpPaths: () => dumpPaths, reload: () => reloadNow(), wallNow: () => clock.wallNow(),
  };
  serveControl(control, parts);
  const metricsServer = await startMetrics(parts);

  let stopRt = (): void => undefined;
  return new Promise<number>((resolve) => {
    let stopping = false;
    let reloading: Promise<void> = Promise.resolve();
    const stop = async (): Promise<void> => {
      if (stopping) return;
      stopping = true;
      sd?.stop();
      parent.info('Stopping');
      // shutdown_script runs after everything stopped: the hard stop leaves it its timeout.
      const shutdownMs = model?.globalDefs.shutdownScript ? model.globalDefs.shutdownScriptTimeoutMs : 0;
      // A reload in flight finishes first (one whose parse is still running applies nothing now:
      // see reloadConfig); the hard stop counts from there, so a slow parse cannot cut the cleanup.
      await Promise.race([reloading.catch(() => undefined), new Promise((r) => setTimeout(r, RELOAD_WAIT_ON_STOP_MS).unref())]);
      const hardStop = setTimeout(() => process.exit(0), 3000 + shutdownMs);
      hardStop.unref();
      await Promise.all([control.close(), metricsServer?.close()]);
      bfd?.stop();
      await Promise.all([vrrp?.stop(), lvs?.stop()].map((p) => p?.catch((e: Error) => log.error(`stop: ${e.message}`))));
      await syncd?.stop().catch((e: Error) => log.error(`stop: ${e.message}`));
      await statics?.stop(o.dontReleaseVrrp).catch((e: Error) => log.error(`stop: ${e.message}`));
      if (model) await runLifecycleScript('shutdown', model, { log: parent, runner }).catch((e: Error) => log.error(`shutdown script: ${e.message}`));
      rtnl.close();
      stopRt();
      realtime.stop();
      for (const f of pidFiles) removePidfile(f);
      delete realtimeSignalHooks.jsonDump;
      delete realtimeSignalHooks.clearStats;
      const cpu = cpuTimes();
      log.info(stoppedUsed(cpu, log.detail));
      parent.debug(cpuUsage(cpu));
      parent.info(`Stopped ${VERSION_TEXT}`);
      resolve(0);
    };
    const reload = async (): Promise<void> => {
      sd?.reloading();
      try {
        await reloadConfig();
      } finally {
        sd?.ready();
      }
    };
    const reloadConfig = async (): Promise<void> => {
      parent.info('Reloading ...');
      // Parsed on a worker thread: a huge configuration takes seconds, and adverts must go on.
      parent.debug(openingFile(o.configFile));
      let off: Awaited<ReturnType<typeof loadConfigFileOffThread>>;
      try {
        off = await loadConfigFileOffThread(o.configFile, { configId: o.configId, allConfig: o.allConfig, interfaceExists: hostInterface });
      } catch (e) {
        log.error(`Configuration file ${o.configFile} could not be read (${(e as Error).message}) - reload aborted, the running configuration is kept`);
        return;
      }
      if (stopping) {
        log.info('Reload abandoned: stopping');
        return;
      }
      const loadedNext = load(o, log, true, off);
      if ('refusedStatus' in loadedNext || !model) return;
      const next = loadedNext.model;
      log.info('Reloading');
      if (vrrp) await assignedAddresses(log, rtnl, next);
      dumpPaths = loadedNext.dumpPaths; // from the worker's parse (reading the file here would block adverts again)
      const diff = diffModels(model, next);
      const changed = new Set(diff.changed.map((c) => c.name));
      await statics?.reload(next);
      if (vrrp) await vrrp.reload(next, changed, diff.removed, diff.added);
      // keepalived re-sets the VIPs of its masters on every reload and says so; so do we (the reload keeps them in place).
      for (const name of vrrp?.names ?? []) if (vrrp?.instance(name)?.state.state === 'MASTER') log.info(msg.settingVips(name));
      if (lvs) await lvs.reload(next);
      // BFD: unchanged sessions keep running (Up stays Up); changed, removed and new ones restart, stop, start.
      if (bfd && !o.noBfd) {
        for (const name of bfd.reload(next)) {
          vrrp?.setBfdState(name, false);
          if (toChecker.has(name)) lvs?.setBfdState(name, false);
        }
        toChecker = new Set((next.bfdInstances ?? []).filter((b) => b.notifyChecker).map((b) => b.name));
      } else startBfd(next);
      model = next;
      realtime.apply(chooseRealtime(next.globalDefs, rtParts(next)));
      log.info('Reload complete');
    };
    const dump = (kind: DumpKind): void => {
      // keepalived's BFD process writes keepalived_bfd.data on SIGUSR1.
      if (kind === 'data' && bfd) writeBfdData(log, model as Model, bfd.sessions(), dumpPaths.data, o.umask ?? 0o177, (model as Model).globalDefs.scriptUser);
      if (!vrrp) return;
      const snap = vrrp.snapshot();
      // keepalived's parent writes keepalived_parent.data on the same signal (and logs it first).
      if (kind === 'data') writeParentData(log, snap, dumpPaths.data);
      if (kind === 'data') log.info(`Printing VRRP data for process(${process.pid}) on signal`);
      else if (kind === 'stats') log.info(`Printing VRRP stats for process(${process.pid}) on signal`);
      else log.info(`Printing VRRP as json for process(${process.pid}) on signal`);
      const r = writeDump(kind, snap, dumpPaths[kind]);
      if (!r.ok) log.error(`Unable to write ${kind} dump: ${r.error}`);
    };
    onStopSignal = () => void stop();
    if (earlyStop) void stop();
    // Once stopping, a reload request is ignored: nothing may be set up again behind the cleanup.
    // Requests that arrive while a reload runs wait as one: a burst of SIGHUPs costs at most two
    // reloads (the running one and one that reads the file as it is when it starts).
    let waiting: Promise<void> | undefined;
    reloadNow = () => {
      if (stopping) return reloading;
      if (waiting) return waiting;
      const next = reloading.then(() => {
        waiting = undefined;
        return stopping ? undefined : reload(); // a stop came while this one waited
      });
      waiting = reloading = next.catch((e: Error) => log.error(`Reload failed: ${e.message}`));
      return reloading;
    };
    process.on('SIGHUP', () => {
      if (stopping) log.info('Reload request ignored: stopping');
      else void reloadNow();
    });
    process.on('SIGUSR1', () => dump('data'));
    process.on('SIGUSR2', () => dump('stats'));
    realtimeSignalHooks.jsonDump = () => dump('json');
    realtimeSignalHooks.clearStats = () => {
      dump('stats');
      log.info(`Clearing VRRP stats for process(${process.pid}) on signal`);
      vrrp?.clearStats();
    };
    // keepalived's real-time signals, caught by the addon (Node cannot): JSON dump, stats clear.
    let rtStops: Array<() => void> = [];
    try {
      rtStops = [onRealtimeSignal(SIG_JSON_DUMP, () => realtimeSignalHooks.jsonDump?.()), onRealtimeSignal(SIG_STATS_CLEAR, () => realtimeSignalHooks.clearStats?.())];
    } catch (e) {
      log.warn(`Real-time signals (JSON dump, stats clear) unavailable: ${(e as Error).message}`);
    }
    stopRt = () => {
      for (const f of rtStops) f();
    };
  });
}
