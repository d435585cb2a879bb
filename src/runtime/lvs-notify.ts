/**
 * Checker-side notifications: lvs_notify_fifo (and notify_fifo) lines and smtp_alert mails for
 * virtual-server quorum changes and real-server state changes, in keepalived 2.2.7's words
 * (observed in the IPVS VM, see test/ipvs/lvs-notify.test.ts):
 *   FIFO  "VS [192.0.2.100]:tcp:80 UP" / "RS [192.0.2.11]:tcp:8080 [192.0.2.100]:tcp:80 DOWN"
 *   mail  "[router_id] Virtualserver [192.0.2.100]:tcp:80 - UP", body "=> Gained quorum 3+1=4 <= 4 <="
 *         "[router_id] Realserver [192.0.2.11]:tcp:8080 of virtual server [192.0.2.100]:tcp:80 - DOWN",
 *         body "=> TCP CHECK failed on service <="
 * The mail decision (smtp_alert on RS, else VS, else smtp_alert_checker, else smtp_alert) and
 * the texts are pure functions; the class only writes and sends.
 */
import type { GlobalDefs, RealServer, VirtualServer } from '../config/model';
import type { Logger } from '../observe/log';
import { NotifyFifo, fifoFromSpec } from '../notify/fifo';
import { sendMail, smtpSettingsOf, type Mail } from '../notify/smtp';
import type { ScriptRunner } from '../notify/exec';
import type { ScriptPolicy } from '../notify/script-policy';
import { formatEndpoint, formatVs } from '../lvs/model-to-ipvs';
import { lvsRsLine, lvsVsLine } from '../notify/notify';
import os from 'node:os';

/** What the LVS runtime reports (src/runtime/lvs.ts). */
export type LvsEvent =
  | { kind: 'quorum'; vs: VirtualServer; up: boolean; start: boolean; liveWeight: number }
  | { kind: 'rs'; vs: VirtualServer; rs: RealServer; up: boolean; init: boolean };

export function rsText(vs: VirtualServer, rs: RealServer): string {
  return formatEndpoint(rs.address, rs.family, vs.protocol, rs.port ?? vs.port);
}

export function lvsFifoLine(e: LvsEvent): string {
  return e.kind === 'quorum' ? lvsVsLine(formatVs(e.vs), e.up) : lvsRsLine(rsText(e.vs, e.rs), formatVs(e.vs), e.up);
}

/** Whether this event mails: the RS's smtp_alert, else the VS's, else smtp_alert_checker, else smtp_alert. */
export function lvsMailWanted(g: Pick<GlobalDefs, 'smtpAlert' | 'smtpAlertChecker'>, e: LvsEvent): boolean {
  const own = e.kind === 'rs' ? e.rs.smtpAlert ?? e.vs.smtpAlert : e.vs.smtpAlert;
  return own ?? g.smtpAlertChecker ?? g.smtpAlert ?? false;
}

/** The checker type named in a real server's mail ("TCP CHECK", "HTTP_GET CHECK", ...). */
function checkName(rs: RealServer): string {
  const t = rs.checkers[0]?.type;
  if (t === undefined || t === 'TCP_CHECK') return 'TCP CHECK';
  return t.replace(/_CHECK$/, '') + ' CHECK';
}

export function lvsMail(routerId: string, e: LvsEvent): Mail {
  const state = e.up ? 'UP' : 'DOWN';
  if (e.kind === 'rs') {
    return {
      subject: `[${routerId}] Realserver ${rsText(e.vs, e.rs)} of virtual server ${formatVs(e.vs)} - ${state}`,
      body: `=> ${checkName(e.rs)} ${e.up ? 'succeed' : 'failed'} on service <=`,
    };
  }
  const q = e.vs.quorum;
  const h = e.vs.hysteresis;
  // keepalived 2.2.7 writes the lost case as "Q+H=Q-H <= live" (observed), kept for greps.
  const body = e.up
    ? `=> ${e.start ? 'Starting with quorum up' : 'Gained quorum'} ${q}+${h}=${q + h} <= ${e.liveWeight} <=`
    : `=> Lost quorum ${q}+${h}=${q - h} <= ${e.liveWeight} <=`;
  return { subject: `[${routerId}] Virtualserver ${formatVs(e.vs)} - ${state}`, body };
}

export class LvsNotifier {
  private readonly fifos: NotifyFifo[] = [];

  constructor(private readonly g: GlobalDefs, private readonly log: Logger, deps: { runner?: ScriptRunner; policy?: ScriptPolicy } = {}) {
    if (g.lvsNotifyFifo) {
      const f = fifoFromSpec(g.lvsNotifyFifo, log, undefined, deps);
      if (f.open()) this.fifos.push(f);
    }
    // notify_fifo carries every event; its reader script belongs to the VRRP side's writer.
    if (g.notifyFifo && g.notifyFifo.path !== g.lvsNotifyFifo?.path) {
      const { script: _script, ...noScript } = g.notifyFifo;
      const f = fifoFromSpec(noScript, log, undefined, deps);
      if (f.open()) this.fifos.push(f);
    }
  }

  handle(e: LvsEvent): void {
    const line = lvsFifoLine(e);
    for (const f of this.fifos) f.write(line);
    if (!lvsMailWanted(this.g, e)) return;
    const s = smtpSettingsOf(this.g);
    if (!s) return;
    void sendMail(s, lvsMail(this.g.routerId ?? os.hostname().split('.')[0] ?? 'localhost', e)).then((r) => {
      if (r.ok) this.log.info(`Remote SMTP server [${s.server}]:${s.port ?? 25} connected.`);
      else this.log.error(`Error sending SMTP alert: ${r.error}`);
    });
  }

  close(): void {
    for (const f of this.fifos) f.close();
  }
}
