/**
 * Runs notify hooks without blocking the protocol: each call goes through a ScriptRunner
 * (own process group, optional timeout) on a per-key queue, so an instance's BACKUP hook
 * can never overtake its MASTER hook while different instances still run in parallel.
 * Also owns the two script-permission rules shared with the trackers:
 *  - script_user / `user [group]`: names resolved to uid/gid from /etc/passwd, /etc/group;
 *  - enable_script_security: a script run as root whose file or any parent directory is
 *    writable by a non-root user is refused with keepalived's
 *    "Unsafe permissions found for script '%s' - disabling." plus a reason line.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../observe/log';
import type { HookCall } from './notify';
import { ProcessScriptRunner, type ScriptResult, type ScriptRunner } from './exec';
import { cannotSwitchMessage, selfCredentials, switchIds, type SelfCredentials } from './credentials';

export interface Ids {
  uid: number;
  gid: number;
}

function readTable(file: string): string[][] {
  try {
    return fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => l.split(':'));
  } catch {
    return [];
  }
}

/** `user [group]` → ids; numeric names are taken as ids. undefined if unknown. */
export function lookupUser(user: string, group?: string, files = { passwd: '/etc/passwd', group: '/etc/group' }): Ids | undefined {
  let uid: number | undefined;
  let gid: number | undefined;
  if (/^\d+$/.test(user)) uid = Number(user);
  const pw = readTable(files.passwd).find((f) => f[0] === user || (uid !== undefined && f[2] === user));
  if (pw) {
    uid = Number(pw[2]);
    gid = Number(pw[3]);
  }
  if (uid === undefined) return undefined;
  if (group !== undefined) {
    if (/^\d+$/.test(group)) gid = Number(group);
    else {
      const gr = readTable(files.group).find((f) => f[0] === group);
      if (!gr) return undefined;
      gid = Number(gr[2]);
    }
  }
  return { uid, gid: gid ?? 0 };
}

/** Find the executable as execvp would: an absolute/relative path, or a PATH search. */
export function resolveScriptPath(cmd: string, envPath = process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'): string | undefined {
  if (cmd.includes('/')) return fs.existsSync(cmd) ? path.resolve(cmd) : undefined;
  for (const dir of envPath.split(':')) {
    const p = path.join(dir || '.', cmd);
    try {
      if (fs.statSync(p).isFile()) return p;
    } catch {
      /* try next */
    }
  }
  return undefined;
}

/**
 * Why a script must not run under script security, or undefined when it is safe.
 * Safe means: the file and every directory above it are owned by root (or by the user the
 * script runs as) and are not writable by group/others other than root; a world-writable
 * directory with the sticky bit (like /tmp) is acceptable, as nobody else can replace
 * an existing entry in it.
 */
export function scriptSecurityProblem(cmd: string, runAsUid = 0, runAsGid = 0): string | undefined {
  const resolved = resolveScriptPath(cmd);
  if (!resolved) return `script '${cmd}' not found`;
  let real: string;
  try {
    real = fs.realpathSync(resolved);
  } catch {
    return `script '${cmd}' cannot be resolved`;
  }
  const okOwner = (uid: number): boolean => uid === 0 || uid === runAsUid;
  let p = real;
  for (;;) {
    let st: fs.Stats;
    try {
      st = fs.statSync(p);
    } catch {
      return `cannot stat ${p}`;
    }
    const isDir = p !== real;
    if (!okOwner(st.uid)) return `${p} is owned by uid ${st.uid}`;
    if (st.mode & 0o020 && st.gid !== 0 && st.gid !== runAsGid) return `${p} is writable by group ${st.gid}`;
    if (st.mode & 0o002 && !(isDir && st.mode & 0o1000)) return `${p} is writable by others`;
    const parent = path.dirname(p);
    if (parent === p) return undefined;
    p = parent;
  }
}

export interface HookRunnerOptions {
  log: Logger;
  runner?: ScriptRunner;
  /** enable_script_security. */
  scriptSecurity?: boolean;
  /** global script_user [group]: default user for hooks without their own. */
  scriptUser?: { user: string; group?: string };
  /** Kill a hook still running after this long (undefined = never). */
  timeoutMs?: number;
  /** For tests: user lookup (defaults to /etc/passwd). */
  lookup?: (user: string, group?: string) => Ids | undefined;
  /** For tests: our ids and whether we may switch (default: this process, /proc/self/status). */
  self?: SelfCredentials;
}

export class HookRunner {
  private readonly runner: ScriptRunner;
  private readonly queues = new Map<string, Promise<void>>();
  /** Scripts refused by script security, reported once each. */
  private readonly refused = new Set<string>();
  private self: SelfCredentials | undefined;
  constructor(private readonly opts: HookRunnerOptions) {
    this.runner = opts.runner ?? new ProcessScriptRunner();
  }

  /** Queue `calls` (run one after another) behind everything queued for `key`. */
  enqueue(key: string, calls: readonly HookCall[]): Promise<void> {
    const prev = this.queues.get(key) ?? Promise.resolve();
    const next = prev.then(async () => {
      for (const c of calls) await this.runOne(c);
    });
    this.queues.set(key, next);
    void next.then(() => {
      if (this.queues.get(key) === next) this.queues.delete(key);
    });
    return next;
  }

  /** Resolves when every queue is empty (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.queues.size > 0) await Promise.all([...this.queues.values()]);
  }

  /** uid/gid for a call, or a reason it cannot run. */
  idsFor(c: { user?: string; group?: string }): Ids | string {
    const lookup = this.opts.lookup ?? ((u: string, g?: string) => lookupUser(u, g));
    const user = c.user ?? this.opts.scriptUser?.user;
    const group = c.user !== undefined ? c.group : this.opts.scriptUser?.group;
    if (user === undefined) return { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
    return lookup(user, group) ?? `unknown user '${user}${group !== undefined ? ':' + group : ''}'`;
  }

  private async runOne(c: HookCall): Promise<void> {
    const log = this.opts.log;
    const cmd = c.argv[0] ?? '';
    const ids = this.idsFor(c);
    if (typeof ids === 'string') {
      log.error(`Unable to run ${c.keyword} script ${cmd}: ${ids}`);
      return;
    }
    if (this.opts.scriptSecurity) {
      const problem = scriptSecurityProblem(cmd, ids.uid, ids.gid);
      if (problem) {
        if (!this.refused.has(cmd)) {
          log.warn(`Unsafe permissions found for script '${cmd}' - disabling.`);
          log.warn(`Script '${cmd}' refused: ${problem}`);
          this.refused.add(cmd);
        }
        return;
      }
    }
    // Without CAP_SETUID/CAP_SETGID (a non-root daemon) a script of another user is never run, as keepalived.
    const switched = switchIds(ids, (this.self ??= this.opts.self ?? selfCredentials()));
    if (!switched) {
      if (!this.refused.has(cmd)) {
        log.error(cannotSwitchMessage(ids, cmd));
        this.refused.add(cmd);
      }
      return;
    }
    const runOpts: { uid?: number; gid?: number; timeoutMs?: number } = { ...switched };
    if (this.opts.timeoutMs !== undefined) runOpts.timeoutMs = this.opts.timeoutMs;
    log.debug(`Running ${c.keyword} script: ${c.argv.join(' ')}`);
    const r = await this.runner.run(c.argv, runOpts);
    this.report(c, r);
  }

  private report(c: HookCall, r: ScriptResult): void {
    const log = this.opts.log;
    const what = `${c.keyword} script \`${c.argv.join(' ')}\``;
    for (const line of r.stdout.split('\n')) if (line) log.info(`${what} stdout: ${line}`);
    for (const line of r.stderr.split('\n')) if (line) log.info(`${what} stderr: ${line}`);
    const o = r.outcome;
    if (o.kind === 'exited' && o.status === 0) log.debug(`${what} exited with status 0`);
    else if (o.kind === 'exited') log.warn(`${what} exited with status ${o.status}`);
    else if (o.kind === 'signalled') log.warn(`${what} terminated by signal ${o.signal}`);
    else if (o.kind === 'timed_out') log.warn(`${what} timed out`);
    else log.error(`${what} could not be run: ${o.message}`);
  }
}
