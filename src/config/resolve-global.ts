/** global_defs → GlobalDefs, plus the tracker definitions (vrrp_script, track_file, vrrp_track_process). */
import type { Diagnostics } from './diagnostics';
import type { FifoSpec, GlobalDefs, TrackFile, TrackProcess, VrrpScript } from './model';
import { defined, optMs, scriptOf, sToMs, type Raw } from './resolve-common';
import { parseWeightWords } from './resolve-lines';

function fifo(words: string[] | undefined, script: Raw | undefined, loc: FifoSpec['loc']): FifoSpec | undefined {
  if (!words || words[0] === undefined) return undefined;
  return defined({ path: words[0], user: words[1], group: words[2], script: scriptOf(script as never), loc } as FifoSpec);
}

function lvsTimeouts(words: string[] | undefined): GlobalDefs['lvsTimeouts'] {
  if (!words) return undefined;
  const out: Record<string, number> = {};
  for (let i = 0; i + 1 < words.length; i += 2) out[`${words[i]}S`] = Number(words[i + 1]);
  return out;
}

/** `ADDRESS:PORT` or `[IPv6]:PORT` → host and port (1-65535). */
export function parseListen(text: string): { host: string; port: number } | undefined {
  const m = /^\[([0-9a-fA-F:.]+)\]:(\d{1,5})$/.exec(text) ?? /^([0-9.]+|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(text);
  if (!m) return undefined;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return undefined;
  return { host: m[1] as string, port };
}

/** `lvs_sync_daemon IF [[inst] VI] [id N] ...`: the instance follows `inst`, or is the bare second word. */
function syncdInstance(w: readonly string[]): string | undefined {
  if (w[1] === 'inst') return w[2];
  if (w[1] !== undefined && !['id', 'maxlen', 'port', 'ttl', 'group'].includes(w[1])) return w[1];
  return undefined;
}

export function resolveGlobal(g: Raw, diags: Diagnostics): GlobalDefs {
  const loc = g.loc;
  const masterDelay = g.vrrpGarpMasterDelay as number;
  const masterRepeat = g.vrrpGarpMasterRepeat as number;
  const smtp = g.smtpServer as string[] | undefined;
  const syncd = g.lvsSyncDaemon as string[] | undefined;
  if (smtp?.[1] !== undefined && !/^\d+$/.test(smtp[1])) diags.error('ERR_CONFIG_BAD_VALUE', `invalid smtp_server port '${smtp[1]}'`, loc);
  const metrics = g.metricsListen !== undefined ? parseListen(g.metricsListen as string) : undefined;
  if (g.metricsListen !== undefined && !metrics) diags.error('ERR_CONFIG_BAD_VALUE', `invalid metrics_listen '${String(g.metricsListen)}' (want ADDRESS:PORT, IPv6 as [::1]:9650)`, loc);
  const nftTable = g.nftables === undefined ? undefined : ((g.nftables as string[])[0] ?? 'keepalived');
  if (nftTable !== undefined && !/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/.test(nftTable)) diags.error('ERR_CONFIG_BAD_VALUE', `invalid nftables table name '${nftTable}'`, loc);
  return defined({
    loc,
    routerId: g.routerId,
    controlSocket: g.controlSocket,
    metricsListen: metrics,
    notificationEmail: ((g.notificationEmail ?? []) as Raw[]).flatMap((l) => l.args as string[]),
    notificationEmailFrom: g.notificationEmailFrom,
    smtpServer: smtp?.[0] !== undefined ? { host: smtp[0], port: Number(smtp[1] ?? 25) } : undefined,
    smtpHeloName: g.smtpHeloName,
    smtpConnectTimeoutMs: sToMs(g.smtpConnectTimeout),
    smtpAlert: g.smtpAlert,
    smtpAlertVrrp: g.smtpAlertVrrp,
    smtpAlertChecker: g.smtpAlertChecker,
    scriptUser: g.scriptUser ? defined({ user: g.scriptUser[0], group: g.scriptUser[1] }) : undefined,
    enableScriptSecurity: g.enableScriptSecurity,
    startupScript: scriptOf(g.startupScript),
    startupScriptTimeoutMs: sToMs(g.startupScriptTimeout),
    shutdownScript: scriptOf(g.shutdownScript),
    shutdownScriptTimeoutMs: sToMs(g.shutdownScriptTimeout),
    notifyFifo: fifo(g.notifyFifo, g.notifyFifoScript, loc),
    vrrpNotifyFifo: fifo(g.vrrpNotifyFifo, g.vrrpNotifyFifoScript, loc),
    lvsNotifyFifo: fifo(g.lvsNotifyFifo, g.lvsNotifyFifoScript, loc),
    vrrpNotifyPriorityChanges: g.vrrpNotifyPriorityChanges,
    fifoWriteVrrpStatesOnReload: g.fifoWriteVrrpStatesOnReload ?? false,
    vrrpVersion: g.vrrpVersion,
    vrrpMcastGroup4: g.vrrpMcastGroup4,
    vrrpMcastGroup6: g.vrrpMcastGroup6,
    vrrpStrict: g.vrrpStrict,
    nftablesTable: nftTable,
    nftablesPriority: g.nftablesPriority,
    nftablesCounters: g.nftablesCounters,
    nftablesIfindex: g.nftablesIfindex,
    vrrpSkipCheckAdvAddr: g.vrrpSkipCheckAdvAddr,
    vrrpCheckUnicastSrc: g.vrrpCheckUnicastSrc,
    vrrpMinGarp: g.vrrpMinGarp,
    vrrpLowerPrioNoAdvert: g.vrrpLowerPrioNoAdvert,
    vrrpHigherPrioSendAdvert: g.vrrpHigherPrioSendAdvert,
    vrrpDownTimerAdverts: g.vrrpDownTimerAdverts,
    vrrpStartupDelayMs: sToMs(g.vrrpStartupDelay),
    vrrpOwnerIgnoreAdverts: g.vrrpOwnerIgnoreAdverts,
    logUnknownVrids: g.logUnknownVrids,
    netlinkMonitorRcvBufBytes: g.vrrpNetlinkMonitorRcvBufs,
    dynamicInterfaces: g.dynamicInterfaces !== undefined,
    defaultInterface: g.defaultInterface,
    vmacPrefix: g.vmacPrefix,
    vmacAddrPrefix: g.vmacAddrPrefix,
    lvsFlush: g.lvsFlush,
    lvsFlushOnStop: g.lvsFlushOnStop !== undefined,
    lvsFlushOnStopVsOnly: (g.lvsFlushOnStop as string[] | undefined)?.[0]?.toUpperCase() === 'VS' ? true : undefined,
    rsInitNotifies: g.rsInitNotifies === true ? true : undefined,
    lvsTimeouts: lvsTimeouts(g.lvsTimeouts),
    lvsSyncDaemon: syncd?.[0] !== undefined
      ? defined({ interface: syncd[0], instance: syncdInstance(syncd), args: syncd.slice(1) })
      : undefined,
    checkerLogAllFailures: g.checkerLogAllFailures,
    noEmailFaults: g.noEmailFaults,
    maxAutoPriority: g.maxAutoPriority,
    vrrpRtPriority: g.vrrpRtPriority,
    bfdRtPriority: g.bfdRtPriority,
    checkerRtPriority: g.checkerRtPriority,
    vrrpRlimitRttimeUs: g.vrrpRlimitRttime,
    bfdRlimitRttimeUs: g.bfdRlimitRttime,
    checkerRlimitRttimeUs: g.checkerRlimitRttime,
    garpMasterDelayMs: sToMs(masterDelay),
    garpMasterRepeat: masterRepeat,
    garpMasterRefreshMs: sToMs(g.vrrpGarpMasterRefresh),
    garpMasterRefreshRepeat: g.vrrpGarpMasterRefreshRepeat,
    // keepalived: the lower-priority GARP settings default to the master ones.
    garpLowerPrioDelayMs: sToMs(g.vrrpGarpLowerPrioDelay ?? masterDelay),
    garpLowerPrioRepeat: g.vrrpGarpLowerPrioRepeat ?? masterRepeat,
    garpIntervalMs: sToMs(g.vrrpGarpInterval),
    gnaIntervalMs: sToMs(g.vrrpGnaInterval),
  } as GlobalDefs);
}

export function resolveScript(r: Raw, diags: Diagnostics): VrrpScript {
  const w = parseWeightWords(r.weight, 253, r.loc, diags);
  const script = scriptOf(r.script) ?? { command: '', argv: [], loc: r.loc };
  const user = r.user as string[] | undefined;
  return {
    name: r.args[0],
    script: user ? defined({ ...script, user: user[0], group: user[1] }) : script,
    intervalMs: sToMs(r.interval),
    timeoutMs: sToMs(r.timeout ?? r.interval),
    weight: w.weight,
    weightReverse: w.reverse,
    rise: r.rise,
    fall: r.fall,
    initFail: r.initFail,
    loc: r.loc,
  };
}

export function resolveTrackFile(r: Raw, diags: Diagnostics): TrackFile {
  // A track_file's own weight defaults to 1 (keepalived.conf(5), and keepalived 2.2.7 observed: a
  // file holding 5 tracked without any weight makes priority 100 → 105, "Weight = 1" in its dump);
  // weight 0 must be written (then a non-zero value means FAULT).
  const w = r.weight === undefined ? { weight: 1, reverse: false } : parseWeightWords(r.weight, 254, r.loc, diags);
  const init = r.initFile as string[] | undefined;
  let initFile: TrackFile['initFile'];
  if (init) {
    const value = init[0] !== undefined && /^-?\d+$/.test(init[0]) ? Number(init[0]) : 0;
    initFile = { value, overwrite: init.includes('overwrite') };
  }
  return defined({ name: r.args[0], file: r.file ?? '', weight: w.weight, weightReverse: w.reverse, initFile, loc: r.loc });
}

export function resolveTrackProcess(r: Raw, diags: Diagnostics): TrackProcess {
  const w = parseWeightWords(r.weight, 254, r.loc, diags);
  const proc = (r.process ?? ['']) as string[];
  return defined({
    name: r.args[0],
    process: proc[0] as string,
    processArgs: proc.slice(1),
    paramMatch: r.paramMatch,
    fullCommand: r.fullCommand,
    quorum: r.quorum,
    quorumMax: r.quorumMax,
    weight: w.weight,
    weightReverse: w.reverse,
    delayMs: optMs(r.delay),
    terminateDelayMs: optMs(r.terminateDelay),
    forkDelayMs: optMs(r.forkDelay),
    loc: r.loc,
  });
}
