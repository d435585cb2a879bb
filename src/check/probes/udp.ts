/**
 * UDP_CHECK and the datagram exchange DNS_CHECK shares. The socket is connect()ed, so an
 * ICMP port/host unreachable comes back as an error on it (ECONNREFUSED etc.) = failure.
 * Without require_reply, silence until connect_timeout counts as success (nothing said
 * "unreachable"); with require_reply a matching reply must arrive in time.
 */
import type dgram from 'node:dgram';
import { preparedUdpSocket } from '../../net/inet-socket';
import { fail, ok, reasonForErrno, type Probe, type ProbeResult } from '../result';
import { deadline, type Deadline } from './deadline';
import { prepFailure, socketPrep, type ConnectOptions } from './tcp';

export type Exchange = { reply: Buffer } | { silent: true } | { error: ProbeResult };

/**
 * Send one datagram and wait for the first reply `accept` takes (others are ignored),
 * an ICMP error, or the timeout.
 */
export function udpExchange(
  o: ConnectOptions,
  payload: Uint8Array,
  signal: AbortSignal,
  accept: (b: Buffer) => boolean = () => true,
): Promise<Exchange> {
  return new Promise((resolve) => {
    let settled = false;
    let sock: dgram.Socket | undefined;
    let timer: Deadline | undefined;
    const done = (r: Exchange): void => {
      if (settled) return;
      settled = true;
      timer?.clear();
      signal.removeEventListener('abort', onAbort);
      try {
        sock?.close();
      } catch {
        /* already closed */
      }
      resolve(r);
    };
    const onAbort = (): void => done({ error: fail('timeout', 'aborted') });
    if (signal.aborted) return onAbort();
    try {
      sock = preparedUdpSocket(socketPrep(o));
    } catch (e) {
      return done({ error: prepFailure(e) });
    }
    const s = sock;
    timer = deadline(o.connectTimeoutMs, () => done({ silent: true }));
    signal.addEventListener('abort', onAbort, { once: true });
    s.on('error', (e: NodeJS.ErrnoException) => done({ error: fail(reasonForErrno(e.code), e.code ?? e.message) }));
    s.on('message', (m: Buffer) => {
      if (accept(m)) done({ reply: m });
    });
    // connect() makes an ICMP unreachable come back as an error on this socket.
    s.connect(o.port, o.host, (err?: Error) => {
      // A failed connect (no route: ENETUNREACH) is reported here, not on 'error'.
      if (err) return done({ error: fail(reasonForErrno((err as NodeJS.ErrnoException).code), err.message) });
      s.send(payload, (e) => {
        if (e) done({ error: fail(reasonForErrno((e as NodeJS.ErrnoException).code), e.message) });
      });
    });
  });
}

export interface UdpOptions extends ConnectOptions {
  /** payload as hex (keepalived `payload`); absent = an empty datagram. */
  payloadHex?: string;
  /** require_reply: hex pattern, `x` = any nibble; '' = any reply. Absent = no reply needed. */
  requireReply?: string;
  minReplyLength?: number;
  maxReplyLength?: number;
}

export function hexToBytes(hex: string): Buffer {
  const h = hex.replace(/\s+/g, '');
  return Buffer.from(h.length % 2 ? `0${h}` : h, 'hex');
}

/** Does `reply` start with `pattern` (hex digits, x/X matches any nibble)? */
export function matchHexPattern(reply: Uint8Array, pattern: string): boolean {
  const p = pattern.replace(/\s+/g, '').toLowerCase();
  if (reply.length * 2 < p.length) return false;
  for (let i = 0; i < p.length; i++) {
    const c = p[i] as string;
    if (c === 'x') continue;
    const byte = reply[i >> 1] as number;
    const nibble = i % 2 === 0 ? byte >> 4 : byte & 15;
    if (parseInt(c, 16) !== nibble) return false;
  }
  return true;
}

export function judgeUdpReply(o: UdpOptions, ex: Exchange): ProbeResult {
  if ('error' in ex) return ex.error;
  if ('silent' in ex) return o.requireReply !== undefined ? fail('timeout', 'no reply') : ok('no reply, no ICMP error');
  const len = ex.reply.length;
  const min = o.minReplyLength ?? 0;
  const max = o.maxReplyLength ?? 255;
  if (len < min || len > max) return fail('protocol', `reply length ${len} outside ${min}-${max}`);
  if (o.requireReply && !matchHexPattern(ex.reply, o.requireReply)) return fail('protocol', 'reply does not match require_reply');
  return ok(`reply of ${len} bytes`);
}

export function udpProbe(o: UdpOptions): Probe {
  const payload = o.payloadHex !== undefined ? hexToBytes(o.payloadHex) : Buffer.alloc(0);
  return async (signal) => judgeUdpReply(o, await udpExchange(o, payload, signal));
}
