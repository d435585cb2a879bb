/**
 * UDP_CHECK and the datagram exchange DNS_CHECK shares. The socket is connect()ed, so an
 * ICMP port/host unreachable comes back as an error on it (ECONNREFUSED etc.) = failure.
 * Without require_reply, silence until connect_timeout counts as success (nothing said
 * "unreachable"); with require_reply a matching reply must arrive in time.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { fail, ok, reasonForErrno, type Probe, type ProbeResult } from '../result';
import type { ConnectOptions } from './tcp';

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
    const sock = dgram.createSocket(net.isIPv6(o.host) ? 'udp6' : 'udp4');
    let settled = false;
    const done = (r: Exchange): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      try {
        sock.close();
      } catch {
        /* already closed */
      }
      resolve(r);
    };
    const onAbort = (): void => done({ error: fail('timeout', 'aborted') });
    const timer = setTimeout(() => done({ silent: true }), o.connectTimeoutMs);
    signal.addEventListener('abort', onAbort, { once: true });
    sock.on('error', (e: NodeJS.ErrnoException) => done({ error: fail(reasonForErrno(e.code), e.code ?? e.message) }));
    sock.on('message', (m: Buffer) => {
      if (accept(m)) done({ reply: m });
    });
    const go = (): void =>
      sock.connect(o.port, o.host, () => {
        sock.send(payload, (e) => {
          if (e) done({ error: fail(reasonForErrno((e as NodeJS.ErrnoException).code), e.message) });
        });
      });
    if (o.bindto !== undefined || o.bindPort !== undefined) {
      const b: dgram.BindOptions = { port: o.bindPort ?? 0 };
      if (o.bindto !== undefined) b.address = o.bindto;
      sock.bind(b, go);
    } else go();
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
