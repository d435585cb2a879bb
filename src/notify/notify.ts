/**
 * Notify conventions (keepalived-features.md §(d) "Notifications"), pure:
 *  - notify_master/backup/fault/stop/deleted run as written (their own arguments only);
 *  - `notify CMD` runs AFTER the specific script with 4 extra arguments:
 *    INSTANCE|GROUP, name, MASTER|BACKUP|FAULT|STOP|DELETED, priority;
 *  - on deletion by reload, DELETED is reported only when notify_deleted is configured,
 *    otherwise the instance reports FAULT (and runs notify_fault);
 *  - FIFO lines: `INSTANCE "VI_1" MASTER 100`; LVS lines `VS [ip]:tcp:80 UP`,
 *    `RS [rip]:tcp:80 [vip]:tcp:80 DOWN`;
 *  - SMTP alert subject/body wording of vrrp_notify.c.
 */
import { splitCommand } from '../config/script-argv';
import type { NotifyScripts, ScriptCommand } from '../config/model';

export type NotifyState = 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP' | 'DELETED';
export type NotifyKind = 'INSTANCE' | 'GROUP';

/** A configured hook: the command line as written plus optional `user [group]`. */
export interface NotifyScript {
  cmd: string | readonly string[];
  user?: string;
  group?: string;
}

export interface NotifyConfig {
  notifyMaster?: NotifyScript;
  notifyBackup?: NotifyScript;
  notifyFault?: NotifyScript;
  notifyStop?: NotifyScript;
  /** `notify_deleted` present (cmd may be empty: only changes FAULT → DELETED). */
  notifyDeleted?: NotifyScript;
  notify?: NotifyScript;
}

export interface HookCall {
  argv: string[];
  user?: string;
  group?: string;
  /** Which keyword produced it, for log lines. */
  keyword: string;
}

function argvOf(s: NotifyScript): string[] {
  return typeof s.cmd === 'string' ? splitCommand(s.cmd) : [...s.cmd];
}

function call(keyword: string, s: NotifyScript, extra: string[] = []): HookCall | undefined {
  const argv = argvOf(s);
  if (argv.length === 0) return undefined;
  const c: HookCall = { argv: [...argv, ...extra], keyword };
  if (s.user !== undefined) c.user = s.user;
  if (s.group !== undefined) c.group = s.group;
  return c;
}

/** The state actually reported: DELETED degrades to FAULT without notify_deleted. */
export function reportedState(cfg: NotifyConfig, state: NotifyState): NotifyState {
  return state === 'DELETED' && !cfg.notifyDeleted ? 'FAULT' : state;
}

const SPECIFIC: Record<NotifyState, keyof NotifyConfig> = {
  MASTER: 'notifyMaster',
  BACKUP: 'notifyBackup',
  FAULT: 'notifyFault',
  STOP: 'notifyStop',
  DELETED: 'notifyDeleted',
};

const KEYWORD: Record<NotifyState, string> = {
  MASTER: 'notify_master',
  BACKUP: 'notify_backup',
  FAULT: 'notify_fault',
  STOP: 'notify_stop',
  DELETED: 'notify_deleted',
};

/** The hooks to run, in order, for one transition of an instance or group. */
export function hookCalls(cfg: NotifyConfig, kind: NotifyKind, name: string, state: NotifyState, priority: number): HookCall[] {
  const st = reportedState(cfg, state);
  const out: HookCall[] = [];
  const specific = cfg[SPECIFIC[st]];
  if (specific) {
    const c = call(KEYWORD[st], specific);
    if (c) out.push(c);
  }
  if (cfg.notify) {
    const c = call('notify', cfg.notify, [kind, name, st, String(priority)]);
    if (c) out.push(c);
  }
  return out;
}

/** One notify FIFO line, newline included: `INSTANCE "VI_1" MASTER 100\n`. */
export function fifoLine(kind: NotifyKind, name: string, state: string, priority: number): string {
  return `${kind} "${name}" ${state} ${priority}\n`;
}

/** LVS FIFO line for a virtual server: `VS [192.168.201.15]:tcp:80 UP\n`. */
export function lvsVsLine(vs: string, up: boolean): string {
  return `VS ${vs} ${up ? 'UP' : 'DOWN'}\n`;
}

/** LVS FIFO line for a real server: `RS [1.2.3.4]:tcp:80 [192.168.201.15]:tcp:80 UP\n`. */
export function lvsRsLine(rs: string, vs: string, up: boolean): string {
  return `RS ${rs} ${vs} ${up ? 'UP' : 'DOWN'}\n`;
}

export interface MailText {
  subject: string;
  body: string;
}

/**
 * SMTP alert text for a VRRP transition (vrrp_notify.c wording): "Entering MASTER state" /
 * "… BACKUP/FAULT state", "Stopping" for STOP; subject prefixed "[router_id] VRRP Instance
 * NAME - " (or "VRRP Group NAME - ").
 */
export function vrrpMail(routerId: string, kind: NotifyKind, name: string, state: NotifyState): MailText {
  const what = kind === 'GROUP' ? `VRRP Group ${name}` : `VRRP Instance ${name}`;
  const subject = `[${routerId}] ${what} - ${state === 'STOP' ? 'Stopping' : `Entering ${state} state`}`;
  let body: string;
  if (kind === 'GROUP') body = `=> All VRRP group instances are now in ${state} state <=`;
  else if (state === 'MASTER') body = '=> VRRP Instance is now owning VRRP VIPs <=';
  else if (state === 'STOP') body = '=> VRRP Instance stopping <=';
  else body = '=> VRRP Instance is no longer owning VRRP VIPs <=';
  return { subject, body };
}

/**
 * Whether a transition sends mail: smtp_alert on, not a FAULT under no_email_faults, and
 * not the same state as the last mail sent for this instance (keepalived mails a state once).
 */
export function mailWanted(state: NotifyState, opts: { smtpAlert: boolean; noEmailFaults: boolean; lastMailed?: NotifyState }): boolean {
  if (!opts.smtpAlert || state === 'DELETED') return false;
  if (opts.noEmailFaults && state === 'FAULT') return false;
  return opts.lastMailed !== state;
}

function fromCommand(c: ScriptCommand): NotifyScript {
  const s: NotifyScript = { cmd: c.argv };
  if (c.user !== undefined) s.user = c.user;
  if (c.group !== undefined) s.group = c.group;
  return s;
}

/** NotifyConfig for an instance or sync group of the config model. */
export function notifyConfigOf(n: NotifyScripts & { notifyDeleted?: ScriptCommand | true }): NotifyConfig {
  const cfg: NotifyConfig = {};
  if (n.notifyMaster) cfg.notifyMaster = fromCommand(n.notifyMaster);
  if (n.notifyBackup) cfg.notifyBackup = fromCommand(n.notifyBackup);
  if (n.notifyFault) cfg.notifyFault = fromCommand(n.notifyFault);
  if (n.notifyStop) cfg.notifyStop = fromCommand(n.notifyStop);
  if (n.notify) cfg.notify = fromCommand(n.notify);
  if (n.notifyDeleted === true) cfg.notifyDeleted = { cmd: [] };
  else if (n.notifyDeleted) cfg.notifyDeleted = fromCommand(n.notifyDeleted);
  return cfg;
}
