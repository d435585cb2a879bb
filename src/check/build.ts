/**
 * Model → the checkers the runtime schedules: one probe + timing per configured checker,
 * keyed by virtual server and real server (the keys the LVS side uses for health events).
 * Unsupported features are reported once here, at start-up, instead of silently ignored.
 */
import { readFileSync } from 'node:fs';
import type { Checker, Model, RealServer, SmtpHost, VirtualServer } from '../config/model';
import type { ScriptRunner } from '../notify/exec';
import { ScriptPolicy } from '../notify/script-policy';
import { splitCommand } from '../config/script-argv';
import type { CheckTiming, CheckerKind } from './policy';
import { serviceLabel } from './messages';
import { fail, type Probe } from './result';
import { dnsProbe } from './probes/dns';
import { fileProbe } from './probes/file';
import { httpProbe, type TlsOptions } from './probes/http';
import { miscProbe } from './probes/misc';
import { pingProbe } from './probes/ping';
import { smtpProbe } from './probes/smtp';
import { tcpProbe, type ConnectOptions } from './probes/tcp';
import { udpProbe } from './probes/udp';
import { vsKeyOf, rsKeyOf } from './keys';

export { vsKeyOf, rsKeyOf } from './keys';

const bracket = (a: string): string => `[${a}]`;

export interface CheckerSpec {
  kind: CheckerKind;
  /** "[192.0.2.11]:tcp:80", the endpoint actually probed. */
  service: string;
  timing: CheckTiming;
  probe: Probe;
  logAllFailures: boolean;
  vsLabel: string;
  script?: string;
  /** BFD_CHECK: the bfd_instance whose session state this checker follows (no probe runs). */
  bfd?: string;
}

export interface ServerSpec {
  vsKey: string;
  rsKey: string;
  checkers: CheckerSpec[];
}

export interface BuildOptions {
  hostname: string;
  runner?: ScriptRunner;
  /** Reads a PEM file named in the SSL block (injected for tests). */
  readPem?: (path: string) => Buffer;
  /**
   * User, script security and file to exec for MISC_CHECK scripts (the daemon's one policy for
   * every script). Default: no script security, the script's own `user` or ourselves, refusals
   * reported as build warnings.
   */
  scriptPolicy?: ScriptPolicy;
  logAllFailures?: boolean;
}

function connectOf(c: Checker, rs: RealServer): ConnectOptions {
  const o: ConnectOptions = { host: c.connectIp ?? rs.address, port: c.connectPort ?? rs.port ?? 0, connectTimeoutMs: c.connectTimeoutMs };
  if (c.bindto !== undefined) o.bindto = c.bindto;
  if (c.bindPort !== undefined) o.bindPort = c.bindPort;
  if (c.bindIf !== undefined) o.bindIf = c.bindIf;
  if (c.fwmark !== undefined) o.fwmark = c.fwmark;
  return o;
}

function tlsOf(model: Model, c: Checker, opts: BuildOptions, warn: (s: string) => void): TlsOptions {
  const t: TlsOptions = {};
  if (c.type === 'HTTP_GET' || c.type === 'SSL_GET') {
    t.enableSni = c.enableSni;
    if (c.sniName !== undefined) t.sniName = c.sniName;
  }
  const ssl = model.sslConfig;
  const read = opts.readPem ?? ((p: string) => readFileSync(p));
  const load = (what: string, p: string): Buffer | undefined => {
    try {
      return read(p);
    } catch (e) {
      warn(`SSL ${what} ${p} unreadable (${(e as NodeJS.ErrnoException).code ?? String(e)}) - ignoring`);
      return undefined;
    }
  };
  if (ssl?.ca !== undefined) {
    const ca = load('ca', ssl.ca);
    if (ca) t.ca = ca;
  }
  if (ssl?.certificate !== undefined) {
    const cert = load('certificate', ssl.certificate);
    if (cert) t.cert = cert;
  }
  if (ssl?.key !== undefined) {
    const key = load('key', ssl.key);
    if (key) t.key = key;
  }
  if (ssl?.password !== undefined) t.passphrase = ssl.password;
  return t;
}

/** The probe for a checker; undefined = the checker is removed (a MISC_CHECK the script policy refuses). */
function probeOf(model: Model, vs: VirtualServer, rs: RealServer, c: Checker, opts: BuildOptions, warn: (s: string) => void, policy: ScriptPolicy): Probe | undefined {
  const conn = connectOf(c, rs);
  switch (c.type) {
    case 'TCP_CHECK':
      return tcpProbe(conn);
    case 'HTTP_GET':
    case 'SSL_GET': {
      const vh = c.virtualhost ?? rs.virtualhost ?? vs.virtualhost;
      return httpProbe({
        ...conn,
        ...(vh !== undefined ? { virtualhost: vh } : {}),
        protocol: c.httpProtocol ?? '1.0',
        urls: c.urls.map((u) => ({ ...u })),
        ...(c.type === 'SSL_GET' ? { tls: tlsOf(model, c, opts, warn) } : {}),
      });
    }
    case 'SMTP_CHECK':
      if (c.hosts.length > 0) warn(`SMTP_CHECK for ${rs.address}: host {} sub-blocks are deprecated; only the first is checked`);
      return smtpProbe({ ...conn, ...hostOverride(c.hosts[0]), heloName: c.heloName ?? opts.hostname });
    case 'DNS_CHECK':
      return dnsProbe({ ...conn, type: c.queryType, name: c.name });
    case 'UDP_CHECK':
      return udpProbe({
        ...conn,
        ...(c.payload !== undefined ? { payloadHex: c.payload } : {}),
        ...(c.requireReply !== undefined ? { requireReply: c.requireReply } : {}),
        minReplyLength: c.minReplyLength,
        maxReplyLength: c.maxReplyLength,
      });
    case 'PING_CHECK':
      return pingProbe({ ...conn, ...runnerOf(opts) });
    case 'MISC_CHECK': {
      const who: { user?: string; group?: string } = {};
      if (c.miscPath.user !== undefined) who.user = c.miscPath.user;
      if (c.miscPath.group !== undefined) who.group = c.miscPath.group;
      const prepared = policy.prepare(splitCommand(c.miscPath.command), who, { kind: 'misc' });
      if (!prepared) return undefined; // keepalived removes the checker (logged by the policy)
      return miscProbe({ path: c.miscPath.command, timeoutMs: c.miscTimeoutMs, dynamic: c.miscDynamic, prepared, ...runnerOf(opts) });
    }
    case 'FILE_CHECK': {
      const tf = model.trackFiles.find((f) => f.name === c.trackFile);
      if (!tf) {
        warn(`FILE_CHECK for ${rs.address}: track_file ${c.trackFile} not found`);
        return async () => fail('file', `track_file ${c.trackFile} not found`);
      }
      return fileProbe({ path: tf.file, weight: c.weight ?? tf.weight, reverse: c.reverse, dynamic: c.dynamic, rsWeight: rs.weight });
    }
    case 'BFD_CHECK':
      // Event-driven (runtime/checkers.ts bfdEvent): the runtime never schedules this probe.
      return async () => fail('unsupported', 'BFD_CHECK follows its BFD session; it is not polled');
  }
}

function hostOverride(h: SmtpHost | undefined): Partial<ConnectOptions> {
  if (!h) return {};
  const o: Partial<ConnectOptions> = {};
  if (h.connectIp !== undefined) o.host = h.connectIp;
  if (h.connectPort !== undefined) o.port = h.connectPort;
  if (h.bindto !== undefined) o.bindto = h.bindto;
  if (h.bindPort !== undefined) o.bindPort = h.bindPort;
  if (h.bindIf !== undefined) o.bindIf = h.bindIf;
  return o;
}

function runnerOf(opts: BuildOptions): { runner?: ScriptRunner } {
  return opts.runner ? { runner: opts.runner } : {};
}

/**
 * FILE_CHECK has no timing keywords of its own; keepalived reacts to file changes at once
 * (inotify). We poll the file every second (or delay_loop if shorter), with no retries.
 */
function timingOf(c: Checker): CheckTiming {
  // BFD_CHECK: no timer and no retries; `alpha` starts it down until the session comes Up.
  if (c.type === 'BFD_CHECK') return { delayLoopMs: c.delayLoopMs, retry: 0, delayBeforeRetryMs: 0, warmupMs: 0, alpha: c.alpha };
  if (c.type === 'FILE_CHECK') {
    return { delayLoopMs: Math.min(c.delayLoopMs, 1000), retry: 0, delayBeforeRetryMs: 0, warmupMs: 0, alpha: c.alpha };
  }
  return {
    delayLoopMs: c.delayLoopMs,
    retry: c.retry,
    delayBeforeRetryMs: c.delayBeforeRetryMs,
    warmupMs: c.warmupMs ?? c.delayLoopMs,
    alpha: c.alpha,
  };
}

/**
 * keepalived 2.2.7 skips a BFD_CHECK naming no bfd_instance, or one the real server already
 * follows ("(%s) BFD_CHECK - BFD %s not configured", "RS already monitoring %s").
 */
function bfdCheckUsable(model: Model, rs: RealServer, name: string, seen: Set<string>, warn: (s: string) => void): boolean {
  if (!(model.bfdInstances ?? []).some((b) => b.name === name)) {
    warn(`(${rs.address}) BFD_CHECK - BFD ${name} not configured`);
    return false;
  }
  if (seen.has(name)) {
    warn(`(${rs.address}) BFD_CHECK - RS already monitoring ${name}`);
    return false;
  }
  seen.add(name);
  return true;
}

export function buildCheckers(model: Model, opts: BuildOptions): { servers: ServerSpec[]; warnings: string[] } {
  const warnings: string[] = [];
  const servers: ServerSpec[] = [];
  const warn = (w: string): void => void warnings.push(w);
  const quiet = (): void => undefined;
  const policy =
    opts.scriptPolicy ?? new ScriptPolicy({ log: { error: warn, warn, info: quiet, debug: quiet, detail: false, child() { return this; } } });
  for (const vs of model.virtualServers) {
    const vsLabel = vs.kind === 'ip' ? `${bracket(vs.address ?? '')}:${vs.protocol.toLowerCase()}:${vs.port ?? 0}` : vsKeyOf(vs);
    const proto = vs.protocol === 'UDP' ? 'udp' : vs.protocol === 'SCTP' ? 'sctp' : 'tcp';
    for (const rs of vs.realServers) {
      const bfdNames = new Set<string>();
      const checkers = rs.checkers.flatMap((c): CheckerSpec[] => {
        if (c.type === 'BFD_CHECK' && !bfdCheckUsable(model, rs, c.name, bfdNames, warn)) return [];
        const conn = connectOf(c, rs);
        const probe = probeOf(model, vs, rs, c, opts, warn, policy);
        if (!probe) return [];
        const p = c.type === 'UDP_CHECK' || c.type === 'DNS_CHECK' ? 'udp' : c.type === 'TCP_CHECK' || c.type === 'HTTP_GET' || c.type === 'SSL_GET' || c.type === 'SMTP_CHECK' ? 'tcp' : proto;
        const spec: CheckerSpec = {
          kind: c.type,
          service: serviceLabel(conn.host, p, conn.port),
          timing: timingOf(c),
          probe,
          logAllFailures: c.logAllFailures || model.globalDefs.checkerLogAllFailures || Boolean(opts.logAllFailures),
          vsLabel,
        };
        if (c.type === 'MISC_CHECK') spec.script = c.miscPath.command;
        if (c.type === 'BFD_CHECK') {
          spec.bfd = c.name;
          spec.service = serviceLabel(rs.address, proto, rs.port);
        }
        return [spec];
      });
      servers.push({ vsKey: vsKeyOf(vs), rsKey: rsKeyOf(rs), checkers });
    }
  }
  return { servers, warnings };
}
