/**
 * Minimal SMTP client for smtp_alert (RFC 5321 dialogue): greeting 220, EHLO (HELO if
 * EHLO is refused), MAIL FROM, one RCPT TO per notification_email, DATA with the alert,
 * QUIT. The whole exchange is bounded by smtp_connect_timeout. It never throws: the
 * result says what failed and the caller logs it; the daemon must not care about mail.
 */
import net from 'node:net';
import os from 'node:os';
import type { GlobalDefs } from '../config/model';

export interface SmtpSettings {
  server: string;
  port?: number;
  /** smtp_helo_name (default: router_id / hostname, decided by the caller). */
  helo: string;
  from: string;
  to: readonly string[];
  /** smtp_connect_timeout in ms (keepalived default 30 s). */
  timeoutMs?: number;
}

export interface Mail {
  subject: string;
  body: string;
  date?: Date;
}

export type SmtpResult = { ok: true } | { ok: false; error: string };

/** Dot-stuffing and CRLF line endings for the DATA section (RFC 5321 §4.5.2). */
export function encodeData(lines: string): string {
  return lines
    .split(/\r?\n/)
    .map((l) => (l.startsWith('.') ? '.' + l : l))
    .join('\r\n');
}

export function formatMessage(s: SmtpSettings, m: Mail): string {
  const date = (m.date ?? new Date()).toUTCString().replace('GMT', '+0000');
  const head = [
    `Date: ${date}`,
    `From: ${s.from}`,
    `Subject: ${m.subject}`,
    'X-Mailer: Keepalived',
    `To: ${s.to.join(', ')}`,
    '',
  ].join('\n');
  return encodeData(`${head}\n${m.body}\n`) + '.\r\n';
}

/** Reads SMTP replies (multi-line "250-…" continuations joined) one at a time. */
class ReplyReader {
  private buf = '';
  private lines: string[] = [];
  private waiter: ((r: { code: number; text: string }) => void) | undefined;
  feed(chunk: string): void {
    this.buf += chunk;
    let i: number;
    while ((i = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, i).replace(/\r$/, '');
      this.buf = this.buf.slice(i + 1);
      this.lines.push(line);
      if (/^\d{3}( |$)/.test(line)) this.complete();
    }
  }
  private complete(): void {
    const last = this.lines[this.lines.length - 1] ?? '';
    const reply = { code: Number(last.slice(0, 3)), text: this.lines.join('\n') };
    this.lines = [];
    const w = this.waiter;
    this.waiter = undefined;
    if (w) w(reply);
    else this.pending.push(reply);
  }
  private pending: Array<{ code: number; text: string }> = [];
  next(): Promise<{ code: number; text: string }> {
    const p = this.pending.shift();
    if (p) return Promise.resolve(p);
    return new Promise((res) => (this.waiter = res));
  }
}

export function sendMail(s: SmtpSettings, m: Mail): Promise<SmtpResult> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: s.server, port: s.port ?? 25 });
    const reader = new ReplyReader();
    let done = false;
    // Once the server accepted the DATA, the mail is delivered whatever QUIT does.
    let delivered = false;
    const finish = (r: SmtpResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => finish({ ok: false, error: `timeout after ${s.timeoutMs ?? 30000} ms` }), s.timeoutMs ?? 30000);
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => reader.feed(d));
    sock.on('error', (e) => finish(delivered ? { ok: true } : { ok: false, error: e.message }));
    sock.on('close', () => finish(delivered ? { ok: true } : { ok: false, error: 'connection closed by server' }));
    const expect = async (codes: number[], what: string): Promise<void> => {
      const r = await reader.next();
      if (!codes.includes(r.code)) throw new Error(`${what}: server replied ${r.text}`);
    };
    const send = (line: string): void => void sock.write(line + '\r\n');
    const dialogue = async (): Promise<void> => {
      await expect([220], 'greeting');
      send(`EHLO ${s.helo}`);
      const ehlo = await reader.next();
      if (ehlo.code !== 250) {
        send(`HELO ${s.helo}`);
        await expect([250], 'HELO');
      }
      send(`MAIL FROM:<${s.from}>`);
      await expect([250], 'MAIL FROM');
      for (const rcpt of s.to) {
        send(`RCPT TO:<${rcpt}>`);
        await expect([250, 251], `RCPT TO ${rcpt}`);
      }
      send('DATA');
      await expect([354], 'DATA');
      sock.write(formatMessage(s, m));
      await expect([250], 'end of DATA');
      delivered = true;
      send('QUIT');
      await expect([221], 'QUIT').catch(() => undefined);
    };
    dialogue().then(
      () => finish({ ok: true }),
      (e: Error) => finish({ ok: false, error: e.message }),
    );
  });
}

/**
 * SMTP settings from global_defs, or undefined when mail cannot be sent (no smtp_server or
 * no notification_email). Defaults: helo = smtp_helo_name, else router_id, else hostname;
 * from = notification_email_from, else keepalived@hostname.
 */
export function smtpSettingsOf(g: GlobalDefs, hostname = os.hostname()): SmtpSettings | undefined {
  if (!g.smtpServer || g.notificationEmail.length === 0) return undefined;
  return {
    server: g.smtpServer.host,
    port: g.smtpServer.port,
    helo: g.smtpHeloName ?? g.routerId ?? hostname,
    from: g.notificationEmailFrom ?? `keepalived@${hostname}`,
    to: [...g.notificationEmail],
    timeoutMs: g.smtpConnectTimeoutMs,
  };
}
