/** virtual_server_group / virtual_server / real_server / checkers → model (VS → RS → checker inheritance). */
import type { Loc } from './ast';
import type { RawLine } from './build';
import type { Diagnostics } from './diagnostics';
import { formatIp, normalizeIp, parseRange, familyOf } from './addresses';
import type { Checker, CheckerCommon, Family, HttpUrl, LvsMethod, RealServer, SorryServer, TunnelSpec, VirtualServer, VirtualServerGroup, VsgEntry } from './model';
import { defined, optMs, scriptOf, sToMs, type Raw } from './resolve-common';

const PORT_RE = /^\d{1,5}$/;

function port(word: string | undefined, loc: Loc, diags: Diagnostics): number | undefined {
  if (word === undefined) return undefined;
  if (!PORT_RE.test(word) || Number(word) > 65535) {
    diags.error('ERR_CONFIG_BAD_VALUE', `invalid port '${word}'`, loc);
    return undefined;
  }
  return Number(word);
}

interface Method {
  lvsMethod: LvsMethod;
  tunnel?: TunnelSpec;
}

/** `TUN [type ipip|gue port N|gre] [nocsum|csum|remcsum]` after the method word. */
function tunnelOf(words: readonly string[], loc: Loc, diags: Diagnostics): TunnelSpec | undefined {
  if (words.length === 0) return undefined;
  const bad = (what: string): undefined => {
    diags.error('ERR_CONFIG_BAD_VALUE', `lvs_method TUN: ${what}`, loc);
    return undefined;
  };
  if (words[0] !== 'type') return bad(`unknown option '${words[0]}' (expected type ipip|gue|gre)`);
  const type = words[1];
  if (type !== 'ipip' && type !== 'gue' && type !== 'gre') return bad(`invalid tunnel type '${type ?? ''}' (expected ipip|gue|gre)`);
  let i = 2;
  let tport: number | undefined;
  if (type === 'gue') {
    if (words[2] !== 'port' || words[3] === undefined) return bad('type gue needs port NUM');
    tport = port(words[3], loc, diags);
    if (tport === undefined || tport === 0) return bad(`invalid gue port '${words[3]}'`);
    i = 4;
  }
  const csum = words[i];
  if (csum !== undefined) {
    if (csum !== 'nocsum' && csum !== 'csum' && csum !== 'remcsum') return bad(`unknown option '${csum}' (expected nocsum|csum|remcsum)`);
    if (type === 'ipip') return bad(`'${csum}' is not valid for type ipip`);
    if (csum === 'remcsum' && type !== 'gue') return bad("'remcsum' is only valid for type gue");
    if (words[i + 1] !== undefined) return bad(`unexpected '${words[i + 1]}'`);
  }
  return defined({ type, port: tport, csum: csum as TunnelSpec['csum'] }) as TunnelSpec;
}

function method(words: string[] | undefined, dflt: Method, loc: Loc, diags: Diagnostics): Method {
  if (!words?.[0]) return dflt;
  const m = words[0].toUpperCase();
  if (m === 'NAT' || m === 'DR' || m === 'TUN') {
    if (m !== words[0]) diags.warn('ERR_CONFIG_CASE', `lvs_method '${words[0]}' should be written '${m}'; accepted`, loc);
    if (m !== 'TUN') {
      if (words.length > 1) diags.error('ERR_CONFIG_BAD_VALUE', `lvs_method ${m} takes no options ('${words.slice(1).join(' ')}')`, loc);
      return { lvsMethod: m };
    }
    const tunnel = tunnelOf(words.slice(1), loc, diags);
    return tunnel ? { lvsMethod: m, tunnel } : { lvsMethod: m };
  }
  diags.error('ERR_CONFIG_BAD_VALUE', `invalid lvs_method '${words[0]}' (expected NAT|DR|TUN)`, loc);
  return dflt;
}

export function resolveVsg(r: Raw, diags: Diagnostics): VirtualServerGroup {
  const entries: VsgEntry[] = [];
  for (const l of (r.lines ?? []) as RawLine[]) {
    const [a, b, c] = l.args;
    if (a === 'fwmark') {
      if (b === undefined || !/^\d+$/.test(b)) diags.error('ERR_CONFIG_BAD_VALUE', `invalid fwmark '${b ?? ''}' in virtual_server_group`, l.loc);
      else entries.push({ kind: 'fwmark', fwmark: Number(b), family: c === 'inet6' ? 'inet6' : 'inet', loc: l.loc });
      continue;
    }
    const range = parseRange(a as string);
    if (!range) {
      diags.error('ERR_CONFIG_BAD_ADDRESS', `invalid address or range '${a}' in virtual_server_group`, l.loc);
      continue;
    }
    entries.push(defined({ kind: 'address', address: formatIp(range.first), lastAddress: formatIp(range.last), port: port(b, l.loc, diags), family: range.first.family, loc: l.loc } as VsgEntry));
  }
  return { name: r.args[0], entries, loc: r.loc };
}

/** Inheritable checker defaults at one level (VS or RS). */
interface Inherit {
  retry?: number;
  delayBeforeRetry?: number;
  warmup?: number;
  connectTimeout?: number;
  delayLoop?: number;
  alpha?: boolean;
}

function inherit(r: Raw, parent: Inherit): Inherit {
  return {
    retry: r.retry ?? parent.retry,
    delayBeforeRetry: r.delayBeforeRetry ?? parent.delayBeforeRetry,
    warmup: r.warmup ?? parent.warmup,
    connectTimeout: r.connectTimeout ?? parent.connectTimeout,
    delayLoop: r.delayLoop ?? parent.delayLoop,
    alpha: r.alpha ?? parent.alpha,
  };
}

/** keepalived's per-type defaults: retry 1 (DNS 3, MISC 0), delay_before_retry 1 s (HTTP/SSL 3 s, DNS = delay_loop). */
function common(c: Raw, up: Inherit, loc: Loc, diags: Diagnostics): CheckerCommon {
  const type = c.type as string;
  const delayLoop = c.delayLoop ?? up.delayLoop ?? 60;
  const dfltRetry = type === 'DNS_CHECK' ? 3 : type === 'MISC_CHECK' ? 0 : 1;
  const dfltDbr = type === 'HTTP_GET' || type === 'SSL_GET' ? 3 : type === 'DNS_CHECK' ? delayLoop : 1;
  return defined({
    connectIp: c.connectIp !== undefined ? normalizeIp(c.connectIp) ?? badIp(c.connectIp, loc, diags) : undefined,
    connectPort: c.connectPort,
    bindto: c.bindto,
    bindPort: c.bindPort,
    bindIf: c.bindIf,
    fwmark: c.fwmark,
    connectTimeoutMs: sToMs(c.connectTimeout ?? up.connectTimeout ?? 5),
    retry: c.retry ?? up.retry ?? dfltRetry,
    delayBeforeRetryMs: sToMs(c.delayBeforeRetry ?? up.delayBeforeRetry ?? dfltDbr),
    warmupMs: optMs(c.warmup ?? up.warmup),
    delayLoopMs: sToMs(delayLoop),
    alpha: c.alpha ?? up.alpha ?? false,
    logAllFailures: c.logAllFailures ?? false,
    loc,
  } as CheckerCommon);
}

function badIp(v: string, loc: Loc, diags: Diagnostics): undefined {
  diags.error('ERR_CONFIG_BAD_ADDRESS', `invalid IP address '${v}'`, loc);
  return undefined;
}

function statusCodes(words: string[] | undefined, loc: Loc, diags: Diagnostics): [number, number][] {
  if (!words) return [[200, 299]];
  const out: [number, number][] = [];
  for (const w of words) {
    const m = /^(\d{3})(?:-(\d{3}))?$/.exec(w);
    if (!m || Number(m[2] ?? m[1]) < Number(m[1])) diags.error('ERR_CONFIG_BAD_VALUE', `invalid status_code '${w}'`, loc);
    else out.push([Number(m[1]), Number(m[2] ?? m[1])]);
  }
  return out;
}

function url(u: Raw, diags: Diagnostics): HttpUrl {
  if (u.digest !== undefined && !/^[0-9a-fA-F]{32}$/.test(u.digest)) diags.error('ERR_CONFIG_BAD_VALUE', `digest '${u.digest}' is not 32 hex digits (MD5)`, u.loc);
  return defined({
    path: u.path ?? '/',
    digest: u.digest?.toLowerCase(),
    statusCodes: statusCodes(u.statusCode, u.loc, diags),
    virtualhost: u.virtualhost,
    regex: u.regex,
    regexNoMatch: u.regexNoMatch,
    regexOptions: u.regexOptions ?? [],
    regexMinOffset: u.regexMinOffset,
    regexMaxOffset: u.regexMaxOffset,
    loc: u.loc,
  } as HttpUrl);
}

function checker(c: Raw, up: Inherit, diags: Diagnostics): Checker {
  const base = common(c, up, c.loc, diags);
  const type = c.type as Checker['type'];
  switch (type) {
    case 'HTTP_GET':
    case 'SSL_GET':
      return defined({ ...base, type, httpProtocol: c.httpProtocol, virtualhost: c.virtualhost, fastRecovery: c.fastRecovery, enableSni: c.enableSni, tlsCompliant: c.tlsCompliant, sniName: c.sniName, urls: ((c.urls ?? []) as Raw[]).map((u) => url(u, diags)) });
    case 'SMTP_CHECK':
      return defined({ ...base, type, heloName: c.heloName, hosts: ((c.hosts ?? []) as Raw[]).map((h) => defined({ connectIp: h.connectIp, connectPort: h.connectPort, bindto: h.bindto, bindPort: h.bindPort, bindIf: h.bindIf, loc: h.loc })) });
    case 'DNS_CHECK':
      return { ...base, type, queryType: c.queryType, name: c.name };
    case 'UDP_CHECK':
      return defined({ ...base, type, payload: c.payload?.join(''), requireReply: c.requireReply ? c.requireReply.join('') : undefined, minReplyLength: c.minReplyLength, maxReplyLength: c.maxReplyLength });
    case 'MISC_CHECK': {
      const s = scriptOf(c.miscPath) ?? { command: '', argv: [], loc: c.loc };
      const user = c.user as string[] | undefined;
      return { ...base, type, miscPath: user ? defined({ ...s, user: user[0], group: user[1] }) : s, miscTimeoutMs: sToMs(c.miscTimeout ?? base.delayLoopMs / 1000), miscDynamic: c.miscDynamic };
    }
    case 'FILE_CHECK': {
      const w = c.weight as string[] | undefined;
      return defined({ ...base, type, trackFile: c.trackFile, weight: w?.[0] !== undefined ? Number(w[0]) : undefined, reverse: w?.includes('reverse') ?? false, dynamic: c.dynamic });
    }
    case 'BFD_CHECK':
      return { ...base, type, name: c.name };
    default:
      return { ...base, type } as Checker;
  }
}

function realServer(r: Raw, vs: Raw, up: Inherit, dfltMethod: Method, diags: Diagnostics): RealServer | undefined {
  const address = normalizeIp(r.args[0]);
  if (!address) {
    diags.error('ERR_CONFIG_BAD_ADDRESS', `invalid real_server address '${r.args[0]}'`, r.loc);
    return undefined;
  }
  const mine = inherit(r, up);
  return defined({
    address,
    family: familyOf(address) as Family,
    port: port(r.args[1], r.loc, diags),
    weight: r.weight,
    ...method(r.lvsMethod, dfltMethod, r.loc, diags),
    inhibitOnFailure: r.inhibitOnFailure ?? vs.inhibitOnFailure,
    alpha: mine.alpha ?? false,
    notifyUp: scriptOf(r.notifyUp),
    notifyDown: scriptOf(r.notifyDown),
    uthreshold: r.uthreshold,
    lthreshold: r.lthreshold,
    virtualhost: r.virtualhost ?? vs.virtualhost,
    smtpAlert: r.smtpAlert,
    checkers: ((r.checkers ?? []) as Raw[]).map((c) => checker(c, mine, diags)),
    loc: r.loc,
  } as RealServer);
}

function head(r: Raw, diags: Diagnostics): Pick<VirtualServer, 'kind' | 'address' | 'port' | 'fwmark' | 'group' | 'family'> | undefined {
  const [a, b] = r.args as string[];
  if (a === 'fwmark' || a === 'group') {
    if (b === undefined || (a === 'fwmark' && !/^\d+$/.test(b))) {
      diags.error('ERR_CONFIG_BAD_VALUE', `virtual_server ${a} needs a ${a === 'fwmark' ? 'number' : 'name'}`, r.loc);
      return undefined;
    }
    const family: Family = r.ipFamily ?? 'inet';
    return a === 'fwmark' ? { kind: 'fwmark', fwmark: Number(b), family } : { kind: 'group', group: b, family };
  }
  const address = a === undefined ? undefined : normalizeIp(a);
  if (!address) {
    diags.error('ERR_CONFIG_BAD_ADDRESS', `invalid virtual_server address '${a ?? ''}'`, r.loc);
    return undefined;
  }
  return defined({ kind: 'ip' as const, address, port: port(b, r.loc, diags), family: familyOf(address) as Family });
}

function sorry(r: Raw, vsMethod: Method, diags: Diagnostics): SorryServer | undefined {
  const w = r.sorryServer as string[] | undefined;
  if (!w) return undefined;
  const address = normalizeIp(w[0] as string);
  if (!address) return badIp(w[0] as string, r.loc, diags);
  return defined({ address, port: port(w[1], r.loc, diags), inhibit: r.sorryServerInhibit, ...method(r.sorryServerLvsMethod, vsMethod, r.loc, diags), loc: r.loc });
}

export function resolveVirtualServer(r: Raw, diags: Diagnostics, groups: readonly VirtualServerGroup[] = []): VirtualServer | undefined {
  const h = head(r, diags);
  if (!h) return undefined;
  const vsMethod = method(r.lvsMethod, { lvsMethod: 'NAT' }, r.loc, diags);
  const up = inherit(r, {});
  const flags = ['ops', 'flag1', 'flag2', 'flag3', 'shPort', 'shFallback', 'mhPort', 'mhFallback'].filter((f) => r[f]);
  const byAddress = h.kind === 'ip' || (h.kind === 'group' && !!groups.find((g) => g.name === h.group)?.entries.some((e) => e.kind === 'address'));
  const protocol = protocolOf(h, byAddress, r.protocol as string | undefined, r.loc, diags);
  const realServers = ((r.realServers ?? []) as Raw[]).map((rs) => realServer(rs, r, up, vsMethod, diags)).filter((x): x is RealServer => !!x);
  return defined({
    ...h,
    protocol,
    lvsSched: schedulerOf(h, protocol, r.lvsSched as string | undefined, r.loc, diags),
    schedFlags: flags.map((f) => f.replace(/([A-Z])/g, '-$1').replace(/(\d)$/, '-$1').toLowerCase()),
    ...vsMethod,
    persistenceTimeoutS: r.persistenceTimeout,
    persistenceGranularity: r.persistenceGranularity,
    persistenceEngine: r.persistenceEngine,
    delayLoopMs: sToMs(r.delayLoop ?? 60),
    quorum: r.quorum,
    hysteresis: r.hysteresis,
    quorumUp: scriptOf(r.quorumUp),
    quorumDown: scriptOf(r.quorumDown),
    alpha: r.alpha,
    omega: r.omega,
    inhibitOnFailure: r.inhibitOnFailure,
    haSuspend: r.haSuspend,
    virtualhost: r.virtualhost,
    smtpAlert: r.smtpAlert,
    sorryServer: sorry(r, vsMethod, diags),
    realServers: realServers.map((rs) => portForwarded(h, protocol, rs, diags)),
    loc: r.loc,
  } as VirtualServer);
}

/**
 * keepalived 2.2.7 (observed with -t, config errors; its check_parser sets it so because the kernel
 * would take protocol 0 as UDP): an address service without `protocol` is UDP, "Virtual server
 * [192.0.2.100]:none:80: no protocol set - defaulting to UDP"; a fwmark service ignores a protocol
 * ("Warning: Virtual server FWM 1: protocol specified for fwmark - protocol will be ignored"; IPVS
 * keys it by the mark, ours keeps TCP internally where a protocol is needed).
 */
function protocolOf(vs: Pick<VirtualServer, 'kind' | 'address' | 'port' | 'fwmark' | 'group'>, byAddress: boolean, written: string | undefined, loc: Loc, diags: Diagnostics): string {
  if (vs.kind === 'fwmark') {
    if (written !== undefined) diags.error('ERR_CONFIG_FWMARK_PROTOCOL', `Warning: Virtual server FWM ${vs.fwmark as number}: protocol specified for fwmark - protocol will be ignored`, loc);
    return 'TCP';
  }
  if (!byAddress) return written ?? 'TCP'; // a group of fwmarks only
  if (written !== undefined) return written;
  const where = vs.kind === 'ip' ? bracketed(vs.address as string, 'none', vs.port) : `GROUP ${vs.group as string}`;
  diags.error('ERR_CONFIG_VS_NO_PROTOCOL', `Virtual server ${where}: no protocol set - defaulting to UDP`, loc);
  return 'UDP';
}

/** keepalived 2.2.7 (observed with -t, a config error): "Virtual server [192.0.2.100]:tcp:80: no scheduler set, setting default 'wlc'". */
function schedulerOf(vs: Pick<VirtualServer, 'kind' | 'address' | 'port' | 'fwmark' | 'group'>, protocol: string, written: string | undefined, loc: Loc, diags: Diagnostics): string {
  if (written !== undefined) return written;
  const where = vs.kind === 'ip' ? bracketed(vs.address as string, protocol.toLowerCase(), vs.port) : vs.kind === 'fwmark' ? `FWM ${vs.fwmark as number}` : `GROUP ${vs.group as string}`;
  diags.error('ERR_CONFIG_VS_NO_SCHEDULER', `Virtual server ${where}: no scheduler set, setting default 'wlc'`, loc);
  return 'wlc';
}

const bracketed = (address: string, proto: string, port: number | undefined): string => `[${address}]:${proto}:${port ?? 0}`;

/**
 * DR and TUN forward packets unchanged, so a real server's port is the service's. keepalived
 * 2.2.7 (observed with -t, config errors; its checkers then use the corrected port):
 * `WARNING - fwmark virtual server FWM 1, real server [192.0.2.5]:none:80 has port specified - clearing`,
 * `WARNING - virtual server [192.0.2.100]:tcp:80 and real server [192.0.2.6]:tcp:8080 ports don't match - resetting`.
 * NAT keeps the real server's port.
 */
function portForwarded(vs: Pick<VirtualServer, 'kind' | 'address' | 'port' | 'fwmark'>, protocol: string, rs: RealServer, diags: Diagnostics): RealServer {
  if (rs.lvsMethod === 'NAT' || rs.port === undefined || rs.port === 0) return rs;
  if (vs.kind === 'fwmark') {
    diags.error('ERR_CONFIG_RS_PORT', `WARNING - fwmark virtual server FWM ${vs.fwmark as number}, real server ${bracketed(rs.address, 'none', rs.port)} has port specified - clearing`, rs.loc);
    const { port: _cleared, ...rest } = rs;
    return rest as RealServer;
  }
  if (vs.kind === 'ip' && vs.port !== undefined && rs.port !== vs.port) {
    const proto = protocol.toLowerCase();
    diags.error('ERR_CONFIG_RS_PORT', `WARNING - virtual server ${bracketed(vs.address as string, proto, vs.port)} and real server ${bracketed(rs.address, proto, rs.port)} ports don't match - resetting`, rs.loc);
    return { ...rs, port: vs.port };
  }
  return rs;
}
