/**
 * PING_CHECK: one ICMP/ICMPv6 echo. Node has no ICMP sockets and the project's native
 * addon exposes none, so the probe runs iputils `ping -c1 -W <timeout>` (which uses the
 * unprivileged ICMP datagram socket or its capability) through the ScriptRunner, with a
 * hard kill shortly after the timeout. Exit 0 = an echo reply came back.
 */
import net from 'node:net';
import { ProcessScriptRunner, type ScriptRunner } from '../../notify/exec';
import { fail, ok, type Probe } from '../result';

export interface PingOptions {
  host: string;
  bindto?: string;
  connectTimeoutMs: number;
  runner?: ScriptRunner;
  /** Path of the ping binary (tests may point elsewhere). */
  pingPath?: string;
}

export function pingArgv(o: PingOptions): string[] {
  const secs = Math.max(0.001, o.connectTimeoutMs / 1000);
  const argv = [o.pingPath ?? 'ping', net.isIPv6(o.host) ? '-6' : '-4', '-n', '-q', '-c1', '-W', String(secs)];
  if (o.bindto !== undefined) argv.push('-I', o.bindto);
  argv.push(o.host);
  return argv;
}

export function pingProbe(o: PingOptions): Probe {
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
