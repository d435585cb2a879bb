/**
 * State notifications for instances and sync groups: notify_* hooks (ordered per instance,
 * never blocking the protocol), notify FIFO lines and SMTP alerts.
 */
import type { GlobalDefs, NotifyScripts, ScriptCommand } from '../config/model';
import type { Logger } from '../observe/log';
import { HookRunner } from '../notify/hooks';
import { NotifyFifo, fifoFromSpec } from '../notify/fifo';
import { fifoLine, hookCalls, notifyConfigOf, reportedState, vrrpMail, type HookCall, type NotifyKind, type NotifyState } from '../notify/notify';
import { sendMail } from '../notify/smtp';
import type { ScriptRunner } from '../notify/exec';

export class Notifier {
  readonly hooks: HookRunner;
  private readonly fifos: NotifyFifo[] = [];

  /** `scriptUser`: the resolved default user (script_user or keepalived_script); g.scriptUser otherwise. */
  constructor(private g: GlobalDefs, private readonly log: Logger, runner?: ScriptRunner, private readonly scriptUser = g.scriptUser) {
    const opts: ConstructorParameters<typeof HookRunner>[0] = { log, scriptSecurity: g.enableScriptSecurity };
    if (runner) opts.runner = runner;
    if (scriptUser) opts.scriptUser = scriptUser;
    this.hooks = new HookRunner(opts);
    for (const spec of [g.notifyFifo, g.vrrpNotifyFifo]) {
      if (!spec) continue;
      const fifo = fifoFromSpec(spec, log, undefined, { ...(runner ? { runner } : {}), policy: this.hooks.policy });
      if (fifo.open()) this.fifos.push(fifo);
    }
  }

  notify(kind: NotifyKind, name: string, scripts: NotifyScripts & { notifyDeleted?: ScriptCommand | true }, state: NotifyState, priority: number): void {
    const cfg = notifyConfigOf(scripts);
    const shown = reportedState(cfg, state);
    void this.hooks.enqueue(`${kind}:${name}`, hookCalls(cfg, kind, name, state, priority));
    const line = fifoLine(kind, name, shown, priority);
    for (const f of this.fifos) f.write(line);
    const alert = scripts.smtpAlert ?? this.g.smtpAlertVrrp ?? this.g.smtpAlert ?? false;
    // no_email_faults: no mail for FAULT (keepalived 2.2.7, observed: MASTER and BACKUP mails still go)
    const faultMuted = shown === 'FAULT' && this.g.noEmailFaults;
    if (alert && !faultMuted && this.g.smtpServer && this.g.notificationEmail.length && (shown === 'MASTER' || shown === 'BACKUP' || shown === 'FAULT')) {
      const text = vrrpMail(this.g.routerId ?? 'keepalived', kind, name, shown);
      void sendMail(
        {
          server: this.g.smtpServer.host,
          port: this.g.smtpServer.port,
          from: this.g.notificationEmailFrom ?? `keepalived@${this.g.routerId ?? 'localhost'}`,
          to: [...this.g.notificationEmail],
          helo: this.g.smtpHeloName ?? this.g.routerId ?? 'localhost',
          timeoutMs: this.g.smtpConnectTimeoutMs,
        },
        text,
      ).then((r) => {
        if (r.ok) this.log.info(`Remote SMTP server [${this.g.smtpServer?.host}]:${this.g.smtpServer?.port} connected.`);
        else this.log.error(`Error sending SMTP alert: ${r.error}`);
      });
    }
  }

  /**
   * notify_priority_changes: `INSTANCE "VI_1" MASTER_PRIORITY 107` (or BACKUP_PRIORITY) on the
   * FIFOs only, as keepalived 2.2.7 does (observed: its notify script is not run for these).
   */
  priorityChanged(name: string, state: 'MASTER' | 'BACKUP', priority: number): void {
    this.fifoOnly('INSTANCE', name, `${state}_PRIORITY`, priority);
  }

  /**
   * A MASTER heard a lower priority: notify_master_rx_lower_pri runs with no arguments (not the
   * generic `notify`), and the FIFOs get `INSTANCE "VI_1" MASTER_RX_LOWER_PRI 200`, as keepalived
   * 2.2.7 does (observed; the priority is ours).
   */
  masterRxLowerPri(name: string, script: ScriptCommand | undefined, priority: number): void {
    if (script && script.argv.length) {
      const call: HookCall = { argv: [...script.argv], keyword: 'notify_master_rx_lower_pri' };
      if (script.user !== undefined) call.user = script.user;
      if (script.group !== undefined) call.group = script.group;
      void this.hooks.enqueue(`INSTANCE:${name}`, [call]);
    }
    this.fifoOnly('INSTANCE', name, 'MASTER_RX_LOWER_PRI', priority);
  }

  /** A line for the FIFOs alone (no hook, no mail). */
  fifoOnly(kind: NotifyKind, name: string, state: string, priority: number): void {
    const line = fifoLine(kind, name, state, priority);
    for (const f of this.fifos) f.write(line);
  }

  /**
   * Reload: keep this notifier (its hook queues stay ordered, the FIFO and its reader stay open)
   * when nothing it was built from changed; the SMTP settings are read per alert, so they just
   * follow. Returns false when the caller must build a new one.
   */
  adopt(next: GlobalDefs, scriptUser: { user: string; group?: string } | undefined): boolean {
    const built = (g: GlobalDefs, u: typeof scriptUser): string => JSON.stringify([g.enableScriptSecurity, u, g.notifyFifo, g.vrrpNotifyFifo]);
    if (built(next, scriptUser) !== built(this.g, this.scriptUser)) return false;
    this.g = next;
    return true;
  }

  /** Wait (bounded) for queued hooks, e.g. notify_stop at shutdown. */
  async idle(maxMs: number): Promise<void> {
    await Promise.race([this.hooks.idle(), new Promise((r) => setTimeout(r, maxMs).unref())]);
  }

  /** Stop: kill the hooks still running (see HookRunner.killRunning). */
  killRunning(): Promise<number> {
    return this.hooks.killRunning();
  }

  close(): void {
    for (const f of this.fifos) f.close();
  }
}
