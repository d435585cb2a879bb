/**
 * Every checker log line, in keepalived's words (keepalived-features.md §f, checker table),
 * so operators' greps keep matching. Pure: (checker kind, service, verdict, probe result)
 * → lines. The runtime only chooses the logger.
 */
import type { CheckerKind, Verdict } from './policy';
import type { FailReason, ProbeResult } from './result';

export interface LogLine {
  level: 'info' | 'warn' | 'debug';
  text: string;
}

export interface MessageContext {
  kind: CheckerKind;
  /** "[192.0.2.11]:tcp:80" */
  service: string;
  /** For MISC_CHECK: "[192.0.2.11]:tcp:80" of the RS, the VS label and the script. */
  vsLabel?: string;
  script?: string;
  /** log_all_failures: report failures even while already down. */
  logAllFailures?: boolean;
}

/** "[ip]:proto:port" as keepalived prints a service. */
export function serviceLabel(ip: string, proto: 'tcp' | 'udp' | 'sctp', port: number | undefined): string {
  return `[${ip}]:${proto}:${port ?? 0}`;
}

const HTTP_FAIL: Partial<Record<FailReason, string>> = {
  http_status: 'HTTP status code error to',
  digest: 'MD5 digest error to',
  regex: 'Regex match failed',
  timeout: 'Timeout HTTP read',
  refused: 'Error connecting',
  unreachable: 'Error connecting',
  connect_error: 'Error connecting',
  tls: 'SSL handshake error to',
  protocol: 'HTTP read error to',
};

function attemptLine(c: MessageContext, r: ProbeResult, retryNote: string): string {
  const s = c.service;
  const detail = r.ok ? '' : r.detail;
  switch (c.kind) {
    case 'TCP_CHECK':
      return r.ok ? `TCP connection to ${s} success.` : `TCP connection to ${s} ${!r.ok && r.reason === 'timeout' ? 'timeout' : 'failed'}.`;
    case 'HTTP_GET':
    case 'SSL_GET': {
      if (r.ok) return `HTTP status code success to ${s} url(${r.url ?? ''}).`;
      const prefix = HTTP_FAIL[r.reason] ?? 'Error connecting';
      return `${prefix} server ${s}${r.url !== undefined ? ` url(${r.url})` : ''}, ${detail}.`;
    }
    case 'SMTP_CHECK':
      return r.ok ? `Remote SMTP server ${s} succeed on service.` : `Error processing SMTP check on server ${s}: ${detail}.`;
    case 'DNS_CHECK':
      return r.ok ? `DNS_CHECK (${s}) succeed on service` : `DNS_CHECK (${s}) ${detail}`;
    case 'UDP_CHECK':
      return r.ok ? `UDP connection to ${s} success.` : `UDP connection to ${s} failed.`;
    case 'PING_CHECK':
      return r.ok ? `ICMP connection to ${s} success.` : `ICMP connection to ${s} failed.`;
    case 'MISC_CHECK': {
      const type = r.ok ? 'succeeded' : r.reason === 'timeout' ? 'timed_out' : 'failed';
      const tail = detail || (r.ok && r.detail ? r.detail : '');
      return `Misc check for [${s} VS ${c.vsLabel ?? '?'}] by [${c.script ?? '?'}] ${type}${retryNote}${tail ? ` (${tail})` : ''}.`;
    }
    case 'FILE_CHECK':
      return r.ok ? `FILE_CHECK for ${s} succeeded (${r.detail ?? ''}).` : `FILE_CHECK for ${s} failed (${detail}).`;
    case 'BFD_CHECK':
      return `BFD_CHECK for ${s}: session ${r.ok ? "Up" : "Down"}.`;
  }
}

function finalLine(c: MessageContext, retries: number): string {
  const s = c.service;
  const after = retries > 0 ? ` after ${retries} retries` : '';
  switch (c.kind) {
    case 'TCP_CHECK':
      return `TCP_CHECK on service ${s} failed${after}.`;
    case 'HTTP_GET':
    case 'SSL_GET':
      return `HTTP_CHECK on service ${s} failed${after}.`;
    case 'SMTP_CHECK':
      return `SMTP_CHECK on service ${s} failed${after}.`;
    case 'DNS_CHECK':
      return `DNS_CHECK (${s}) failed on service${after}`;
    case 'UDP_CHECK':
      return `UDP_CHECK on service ${s} failed${after}.`;
    case 'PING_CHECK':
      return `ICMP CHECK on service ${s} failed${after}.`;
    case 'MISC_CHECK':
    case 'FILE_CHECK':
    case 'BFD_CHECK':
      return '';
  }
}

/** The lines one probe outcome produces; `wasUp` is the checker state before it. */
export function checkerLines(c: MessageContext, v: Verdict, r: ProbeResult, wasUp: boolean): LogLine[] {
  if (v.kind === 'success') return [{ level: v.transition ? 'info' : 'debug', text: attemptLine(c, r, '') }];
  if (v.kind === 'retry') {
    const note = c.kind === 'MISC_CHECK' ? `, will do ${v.retry - v.attempt + 1} retr${v.retry - v.attempt + 1 === 1 ? 'y' : 'ies'}` : '';
    return [{ level: 'info', text: attemptLine(c, r, v.attempt > 1 ? ` on retry ${v.attempt - 1}/${v.retry}` : note) }];
  }
  // Final failure.
  const loud = wasUp || c.logAllFailures === true;
  const miscNote = v.retries > 0 ? ` after ${v.retries} retries` : ' with retry disabled';
  const lines: LogLine[] = [
    { level: loud ? 'info' : 'debug', text: attemptLine(c, r, c.kind === 'MISC_CHECK' ? miscNote : '') },
  ];
  const fin = finalLine(c, v.retries);
  if (v.transition && fin) lines.push({ level: 'info', text: fin });
  return lines;
}
