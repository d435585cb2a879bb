/**
 * One policy for every script the daemon runs (vrrp_script, notify*, MISC_CHECK, LVS
 * notify_up/down and quorum scripts, notify FIFO scripts):
 *  - the user: the script's own `user [group]`, else global `script_user`, else
 *    `keepalived_script` when that user exists, else root — except with
 *    enable_script_security, where a script without a usable user is not run at all
 *    (keepalived 2.2.7 removes it: "Unable to set default user for vrrp script X - removing");
 *    a user that is not in /etc/passwd (numeric ids included) disables the script
 *    ("Script user 'X' does not exist"), it never runs as root or with gid 0;
 *  - enable_script_security: the path as written and the resolved path are checked
 *    (each directory and the file owned by root or the run-as user, not writable by group or
 *    others; a sticky world-writable directory like /tmp is accepted), and the runner then
 *    executes the RESOLVED path that was checked, never the name again: a symlink re-pointed
 *    after the check cannot change what runs;
 *  - credentials: uid and gid are always both given when either differs from the daemon's
 *    (the runner then replaces the supplementary groups by the gid alone).
 * Messages are keepalived's wording, logged once per script.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../observe/log';
import { SCRIPT_PATH } from './exec';
import { cannotSwitchMessage, selfCredentials, switchIds, type SelfCredentials } from './credentials';

export interface Ids {
  uid: number;
  gid: number;
}

export const DEFAULT_SCRIPT_USER = 'keepalived_script';

export interface UserFiles {
  passwd: string;
  group: string;
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

/**
 * `user [group]` → ids from /etc/passwd and /etc/group, as keepalived (getpwnam/getgrnam):
 * a user must have a passwd entry (a bare number that is no user's name or uid is unknown, so
 * it can never run with a made-up gid 0); the group defaults to the user's primary group.
 */
export function lookupUser(user: string, group?: string, files: UserFiles = { passwd: '/etc/passwd', group: '/etc/group' }): Ids | undefined {
  const numeric = /^\d+$/.test(user);
  const pw = readTable(files.passwd).find((f) => f[0] === user) ?? (numeric ? readTable(files.passwd).find((f) => f[2] === user) : undefined);
  if (!pw || !/^\d+$/.test(pw[2] ?? '') || !/^\d+$/.test(pw[3] ?? '')) return undefined;
  const uid = Number(pw[2]);
  let gid = Number(pw[3]);
  if (group !== undefined) {
    const table = readTable(files.group);
    const gr = table.find((f) => f[0] === group) ?? (/^\d+$/.test(group) ? table.find((f) => f[2] === group) : undefined);
    if (!gr || !/^\d+$/.test(gr[2] ?? '')) return undefined;
    gid = Number(gr[2]);
  }
  return { uid, gid };
}

/** Find the executable as execvp would (with the scripts' PATH): absolute path, not resolved. */
export function resolveScriptPath(cmd: string, envPath = SCRIPT_PATH): string | undefined {
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

/** Why `st` (of `p`) is unsafe for a script run as uid/gid, or undefined. */
function unsafe(p: string, st: fs.Stats, runAsUid: number, runAsGid: number): string | undefined {
  if (st.uid !== 0 && st.uid !== runAsUid) return `${p} is owned by uid ${st.uid}`;
  const sticky = st.isDirectory() && (st.mode & 0o1000) !== 0;
  if (st.mode & 0o020 && st.gid !== 0 && st.gid !== runAsGid && !sticky) return `${p} is writable by group ${st.gid}`;
  if (st.mode & 0o002 && !sticky) return `${p} is writable by others`;
  return undefined;
}

/** Every directory of an absolute path, from / down to its parent. */
function directoriesOf(p: string): string[] {
  const out: string[] = [];
  for (let d = path.dirname(p); ; d = path.dirname(d)) {
    out.unshift(d);
    if (path.dirname(d) === d) return out;
  }
}

/**
 * The script security check. `{ path }` is the resolved file to execute (no symlinks left);
 * `{ problem }` says why the script must not run. Both the path as written (every directory:
 * whoever can write one can swap a symlink in it) and the resolved path (every directory and
 * the file) must be safe.
 */
export function secureScriptPath(cmd: string, runAsUid = 0, runAsGid = 0, envPath = SCRIPT_PATH): { path: string } | { problem: string } {
  const found = resolveScriptPath(cmd, envPath);
  if (!found) return { problem: `script '${cmd}' not found` };
  let real: string;
  try {
    real = fs.realpathSync(found);
  } catch {
    return { problem: `script '${cmd}' cannot be resolved` };
  }
  const seen = new Set<string>();
  for (const p of [...directoriesOf(found), ...directoriesOf(real), real]) {
    if (seen.has(p)) continue;
    seen.add(p);
    let st: fs.Stats;
    try {
      st = fs.statSync(p);
    } catch {
      return { problem: `cannot stat ${p}` };
    }
    if (p === real && !st.isFile()) return { problem: `${p} is not a regular file` };
    const why = unsafe(p, st, runAsUid, runAsGid);
    if (why) return { problem: why };
  }
  return { path: real };
}

/** Why a script must not run under script security, or undefined when it is safe. */
export function scriptSecurityProblem(cmd: string, runAsUid = 0, runAsGid = 0): string | undefined {
  const r = secureScriptPath(cmd, runAsUid, runAsGid);
  return 'problem' in r ? r.problem : undefined;
}

/** What is being prepared, for keepalived's messages. */
export type ScriptKind = { kind: 'vrrp_script'; name: string } | { kind: 'notify' } | { kind: 'misc' };

/** A script cleared to run: the argv, the file to execute and the credentials to pass. */
export interface PreparedScript {
  argv: readonly string[];
  /** The file to exec (resolved once); argv[0] is kept as written. */
  execPath?: string;
  /** Absent = keep ours (a different user always gets its gid too; the group list is then the gid alone). */
  uid?: number;
  gid?: number;
}

export interface ScriptPolicyOptions {
  log: Logger;
  /** enable_script_security. */
  security?: boolean;
  /** global script_user [group] (or the resolved default). */
  scriptUser?: { user: string; group?: string };
  lookup?: (user: string, group?: string) => Ids | undefined;
  /** Our ids and whether we may switch (default: this process, /proc/self/status). */
  self?: SelfCredentials;
}

/** The options of a runner that owns a policy (hooks, trackers) mapped onto a policy's. */
export interface RunnerPolicyOptions {
  log: Logger;
  scriptSecurity?: boolean;
  scriptUser?: { user: string; group?: string };
  lookup?: (user: string, group?: string) => Ids | undefined;
  self?: SelfCredentials;
}

export function policyForRunner(o: RunnerPolicyOptions): ScriptPolicy {
  const p: ScriptPolicyOptions = { log: o.log, security: o.scriptSecurity ?? false };
  if (o.scriptUser) p.scriptUser = o.scriptUser;
  if (o.lookup) p.lookup = o.lookup;
  if (o.self) p.self = o.self;
  return new ScriptPolicy(p);
}

/** keepalived quotes each word: '/bin/x' 'arg'. */
function quoted(argv: readonly string[]): string {
  return argv.map((a) => `'${a}'`).join(' ');
}

export class ScriptPolicy {
  private readonly reported = new Set<string>();
  constructor(private readonly o: ScriptPolicyOptions) {}

  get security(): boolean {
    return this.o.security ?? false;
  }

  private once(key: string, lines: string[], level: 'error' | 'warn' = 'error'): void {
    if (this.reported.has(key)) return;
    this.reported.add(key);
    for (const l of lines) this.o.log[level](l);
  }

  private lookup(user: string, group?: string): Ids | undefined {
    return (this.o.lookup ?? ((u: string, g?: string) => lookupUser(u, g)))(user, group);
  }

  private creds: SelfCredentials | undefined;
  private self(): SelfCredentials {
    return (this.creds ??= this.o.self ?? selfCredentials());
  }

  /** ids for a script with optional own user; a string = why it cannot run (already logged). */
  private idsFor(argv: readonly string[], who: { user?: string; group?: string }, k: ScriptKind): Ids | string {
    const cmd = argv[0] ?? '';
    const key = `${k.kind}\0${argv.join('\0')}\0${who.user ?? ''}\0${who.group ?? ''}`;
    if (who.user !== undefined) {
      const ids = this.lookup(who.user, who.group);
      if (ids) return ids;
      const why = `Script user '${who.user}' does not exist`;
      const what =
        k.kind === 'vrrp_script'
          ? `Unable to set uid/gid for script ${quoted(argv)} - VRRP_Script(${k.name}) disabled`
          : k.kind === 'misc'
            ? `Failed to set uid/gid for misc checker script ${quoted(argv)} - removing`
            : `Invalid user/group for notify script ${cmd} - ignoring`;
      this.once(key, [why, what]);
      return why;
    }
    const def = this.o.scriptUser ?? (this.lookup(DEFAULT_SCRIPT_USER) ? { user: DEFAULT_SCRIPT_USER } : undefined);
    if (def) {
      const ids = this.lookup(def.user, def.group);
      if (ids) return ids;
    }
    if (!this.security && !def) return this.self(); // keepalived: the user it runs as (root)
    const name = def?.user ?? DEFAULT_SCRIPT_USER;
    const what =
      k.kind === 'vrrp_script'
        ? `Unable to set default user for vrrp script ${k.name} - removing`
        : k.kind === 'misc'
          ? `Unable to set default user for misc script ${quoted(argv)} - removing`
          : `Failed to set default user for notify script ${cmd} - ignoring`;
    this.once(key, [`Script user '${name}' does not exist`, what]);
    return `default user '${name}' does not exist`;
  }

  /**
   * Resolve the user and (with script security) check the file. undefined = must not run
   * (the reason is logged once, in keepalived's words).
   */
  prepare(argv: readonly string[], who: { user?: string; group?: string }, k: ScriptKind): PreparedScript | undefined {
    const cmd = argv[0];
    if (cmd === undefined || cmd === '') return undefined;
    const ids = this.idsFor(argv, who, k);
    if (typeof ids === 'string') return undefined;
    const out: PreparedScript = { argv };
    // Without CAP_SETUID/CAP_SETGID (a non-root daemon) a script of another user is never run, as keepalived.
    const switched = switchIds(ids, this.self());
    if (!switched) {
      const lines = [cannotSwitchMessage(ids, cmd)];
      if (k.kind === 'vrrp_script') lines.push(`Disabling track script ${k.name} due to insecure`);
      this.once(`switch\0${cmd}\0${ids.uid}:${ids.gid}`, lines);
      return undefined;
    }
    if (switched.uid !== undefined) out.uid = switched.uid;
    if (switched.gid !== undefined) out.gid = switched.gid;
    if (this.security) {
      const r = secureScriptPath(cmd, ids.uid, ids.gid);
      if ('problem' in r) {
        this.once(`unsafe\0${cmd}\0${ids.uid}`, [`Unsafe permissions found for script '${cmd}' - disabling.`, `Script '${cmd}' refused: ${r.problem}`], 'warn');
        return undefined;
      }
      this.reported.delete(`unsafe\0${cmd}\0${ids.uid}`);
      out.execPath = r.path;
    } else {
      const found = resolveScriptPath(cmd);
      if (found) out.execPath = found;
    }
    return out;
  }
}

/** Runner options for a prepared script. */
export function runOptionsOf(p: PreparedScript): { uid?: number; gid?: number; execPath?: string } {
  const o: { uid?: number; gid?: number; execPath?: string } = {};
  if (p.uid !== undefined) o.uid = p.uid;
  if (p.gid !== undefined) o.gid = p.gid;
  if (p.execPath !== undefined) o.execPath = p.execPath;
  return o;
}
