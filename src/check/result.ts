/**
 * What one probe run returns. Probes never throw: every way a check can go wrong is a
 * stable `reason` code (decide on it, never on `detail`, which is for humans and logs).
 */

export type FailReason =
  | 'refused' // TCP RST / ICMP port unreachable
  | 'timeout' // connect_timeout (or misc_timeout) elapsed
  | 'unreachable' // host/net unreachable, no route
  | 'connect_error' // any other socket error
  | 'tls' // handshake or certificate verification failed
  | 'http_status' // status code outside status_code ranges
  | 'digest' // MD5 of the body differs from `digest`
  | 'regex' // regex did not match (or matched with regex_no_match)
  | 'protocol' // malformed or unexpected reply (HTTP, SMTP, DNS, UDP)
  | 'script_failed' // MISC_CHECK exit status not accepted
  | 'script_error' // MISC_CHECK could not be spawned / was signalled
  | 'file' // FILE_CHECK value means down, or the file is unreadable
  | 'unsupported'; // checker kind this implementation cannot run

export type ProbeResult =
  | { ok: true; detail?: string; dynamicWeight?: number; url?: string }
  | { ok: false; reason: FailReason; detail: string; url?: string };

export const ok = (detail?: string, dynamicWeight?: number): ProbeResult => {
  const r: { ok: true; detail?: string; dynamicWeight?: number } = { ok: true };
  if (detail !== undefined) r.detail = detail;
  if (dynamicWeight !== undefined) r.dynamicWeight = dynamicWeight;
  return r;
};

export const fail = (reason: FailReason, detail: string): ProbeResult => ({ ok: false, reason, detail });

/** Map a Node socket error code (errno name) to a stable reason. */
export function reasonForErrno(code: string | undefined): FailReason {
  switch (code) {
    case 'ECONNREFUSED':
      return 'refused';
    case 'ETIMEDOUT':
      return 'timeout';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EHOSTDOWN':
    case 'ENETDOWN':
    case 'EADDRNOTAVAIL':
      return 'unreachable';
    default:
      return 'connect_error';
  }
}

/** A probe: one run, bounded by its own timeout, honouring `signal` (pause/stop). */
export type Probe = (signal: AbortSignal) => Promise<ProbeResult>;
