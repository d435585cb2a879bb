/**
 * PING_CHECK: one ICMP/ICMPv6 echo, sent through the native addon's ping socket
 * (src/net/icmp-echo.ts), honouring bindto, bind_if and fwmark. Where no ICMP socket can be
 * opened (or tests name a ping binary), the probe runs iputils `ping -c1 -W <timeout>` instead,
 * through the ScriptRunner, with a hard kill shortly after the timeout. Either way: an echo
 * reply = up.
 */
import net from 'node:net';
import { ProcessScriptRunner, type ScriptRunner } from '../../notify/exec';
import { fail, ok, type Probe } from '../result';
import { icmpEcho, type EchoOptions } from '../../net/icmp-echo';

export interface PingOptions {
  host: string;
  bindto?: string;
  bindIf?: string;
  fwmark?: number;
  connectTimeoutMs: number;
  runner?: ScriptRunner;
  /** Path of the ping binary (tests may point elsewhere). */
  pingPath?: string;
}

export function pingArgv(o: PingOptions): string[] {
  const secs = Math.max(0.001, o.connectTimeoutMs / 1000);
  const argv = [o.pingPath ?? 'ping', net.isIPv6(o.host) ? '-6' : '-4', '-n', '-q', '-c1', '-W', String(secs)];
  if (o.fwmark !== undefined) argv.push('-m', String(o.fwmark));
  // iputils takes one -I: a source address, or an interface name.
  if (o.bindto !== undefined) argv.push('-I', o.bindto);
  else if (o.bindIf !== undefined) argv.push('-I', o.bindIf);
  argv.push(o.host);
  return argv;
}

export function pingProbe(o: PingOptions): Probe {
  if (o.pingPath === undefined) {
    const echo: EchoOptions = {};
    if (o.bindto !== undefined) echo.bindAddr = o.bindto;
    if (o.bindIf !== undefined) echo.bindIf = o.bindIf;
    if (o.fwmark !== undefined) echo.mark = o.fwmark;
    return async (signal) => {
      if (signal.aborted) return fail('timeout', 'aborted');
      const r = await icmpEcho(o.host, o.connectTimeoutMs, echo);
      if (r.ok) return ok();
      if (r.reason === 'timeout') return fail('timeout', r.detail);
      if (r.reason === 'error') return spawnPing(o)(signal); // no ICMP socket here: iputils ping can still

      return fail('unreachable', r.detail);
    };
  }
  return spawnPing(o);
}

function spawnPing(o: PingOptions): Probe {
  const runner = o.runner ?? new ProcessScriptRunner();
  const argv = pingArgv(o);
  return async (signal) => {
    if (signal.aborted) return fail('timeout', 'aborted');
    const r = await runner.run(argv, { timeoutMs: o.connectTimeoutMs + 1000 });
    const out = r.outcome;
    if (out.kind === 'exited' && out.status === 0) return ok();
    if (out.kind === 'exited' && out.status === 1) return fail('timeout', 'no echo reply');
    if (out.kind === 'timed_out') return fail('timeout', 'ping did not finish');
    if (out.kind === 'exited') return fail('unreachable', r.stderr.trim().split('\n')[0] ?? `ping exited ${out.status}`);
    return fail('connect_error', out.kind === 'signalled' ? out.signal : out.message);
  };
}
