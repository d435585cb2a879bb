/**
 * global_defs `startup_script` / `shutdown_script` (+ `_timeout`): run once, the first before
 * anything else starts (no VRRP, static config or LVS yet) and the second after everything has
 * stopped, as keepalived's parent runs them around its children. The daemon waits for each, and
 * a script still running at its timeout (default 10 s) is killed, so it cannot hang start or stop.
 * Same script policy as every other script (user, enable_script_security).
 */
import type { Model, ScriptCommand } from '../config/model';
import type { ScriptRunner } from '../notify/exec';
import { ScriptPolicy, runOptionsOf } from '../notify/script-policy';
import type { Logger } from '../observe/log';

export type LifecycleScript = 'startup' | 'shutdown';

export async function runLifecycleScript(which: LifecycleScript, model: Model, deps: { log: Logger; runner: ScriptRunner; policy?: ScriptPolicy }): Promise<void> {
  const g = model.globalDefs;
  const script: ScriptCommand | undefined = which === 'startup' ? g.startupScript : g.shutdownScript;
  if (!script) return;
  const timeoutMs = (which === 'startup' ? g.startupScriptTimeoutMs : g.shutdownScriptTimeoutMs) ?? 10_000;
  const policy = deps.policy ?? new ScriptPolicy({ log: deps.log, security: g.enableScriptSecurity, ...(g.scriptUser ? { scriptUser: g.scriptUser } : {}) });
  const who: { user?: string; group?: string } = {};
  if (script.user !== undefined) who.user = script.user;
  if (script.group !== undefined) who.group = script.group;
  const prepared = policy.prepare(script.argv, who, { kind: 'notify' });
  if (!prepared) return; // why is already logged, in keepalived's words
  deps.log.info(`Running ${which} script ${script.command}`);
  const r = await deps.runner.run(prepared.argv, { ...runOptionsOf(prepared), timeoutMs });
  const o = r.outcome;
  if (o.kind === 'exited' && o.status === 0) deps.log.info(`${cap(which)} script ${script.command} finished`);
  else if (o.kind === 'exited') deps.log.warn(`${cap(which)} script ${script.command} exited with status ${o.status}`);
  else if (o.kind === 'timed_out') deps.log.warn(`${cap(which)} script ${script.command} timed out after ${timeoutMs / 1000} s - killed`);
  else if (o.kind === 'signalled') deps.log.warn(`${cap(which)} script ${script.command} killed by ${o.signal}`);
  else deps.log.warn(`${cap(which)} script ${script.command} could not be run: ${o.message}`);
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
