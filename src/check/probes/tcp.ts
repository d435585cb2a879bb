/**
 * TCP_CHECK (connect only, done wholly in the addon) and the connect helper the stream-based
 * probes share (HTTP_GET, SSL_GET, SMTP_CHECK: a socket prepared by the addon, then node:net).
 * Either way `fwmark`, `bind_if`, `bindto` and `bind_port` apply before connect().
 */
import type net from 'node:net';
import { connectOnce, preparedTcpSocket, type SocketPrep } from '../../net/inet-socket';
import { fail, ok, reasonForErrno, type Probe, type ProbeResult } from '../result';
import { deadline } from './deadline';

export interface ConnectOptions {
  /** connect_ip, else the real server's address. */
  host: string;
  /** connect_port, else the real server's port. */
  port: number;
  /** bindto: local source address. */
  bindto?: string;
  /** bind_port: local source port. */
  bindPort?: number;
  /** bind_if: SO_BINDTODEVICE (reaches IPv6 link-local real servers). */
  bindIf?: string;
  /** fwmark: SO_MARK on the checker's packets (policy routing). */
  fwmark?: number;
  connectTimeoutMs: number;
}

/** What the addon must set on a checker socket before it talks to o.host. */
export function socketPrep(o: ConnectOptions): SocketPrep {
  const p: SocketPrep = { peer: o.host };
  if (o.fwmark !== undefined) p.mark = o.fwmark;
  if (o.bindIf !== undefined) p.device = o.bindIf;
  if (o.bindto !== undefined) p.bindAddr = o.bindto;
  if (o.bindPort !== undefined) p.bindPort = o.bindPort;
  return p;
}

/** A failed socket preparation (EPERM for SO_MARK, ENODEV for bind_if, EADDRNOTAVAIL for bindto…). */
export function prepFailure(e: unknown): ProbeResult {
  const err = e as NodeJS.ErrnoException;
  return fail(reasonForErrno(err.code), err.message);
}

export type Connected = { ok: true; socket: net.Socket } | { ok: false; result: ProbeResult };

/** Open a TCP connection bounded by connectTimeoutMs; never rejects. */
export function connectTcp(o: ConnectOptions, signal: AbortSignal): Promise<Connected> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve({ ok: false, result: fail('timeout', 'aborted') });
      return;
    }
    let socket: net.Socket;
    try {
      socket = preparedTcpSocket(socketPrep(o));
    } catch (e) {
      resolve({ ok: false, result: prepFailure(e) });
      return;
    }
    let done = false;
    const finish = (r: Connected): void => {
      if (done) return;
      done = true;
      timer.clear();
      signal.removeEventListener('abort', onAbort);
      socket.removeListener('error', onError);
      if (!r.ok) socket.destroy();
      resolve(r);
    };
    const onError = (e: NodeJS.ErrnoException): void =>
      finish({ ok: false, result: fail(reasonForErrno(e.code), e.code ?? e.message) });
    const onAbort = (): void => finish({ ok: false, result: fail('timeout', 'aborted') });
    const timer = deadline(o.connectTimeoutMs, () =>
      finish({ ok: false, result: fail('timeout', `no connection within ${o.connectTimeoutMs} ms`) }),
    );
    socket.once('connect', () => finish({ ok: true, socket }));
    socket.on('error', onError);
    signal.addEventListener('abort', onAbort, { once: true });
    socket.connect({ host: o.host, port: o.port, noDelay: true });
  });
}

export function tcpProbe(o: ConnectOptions): Probe {
  const prep = socketPrep(o);
  return async (signal) => {
    const err = await connectOnce(prep, o.port, o.connectTimeoutMs, signal);
    if (err === null) return ok();
    if (err.code === 'ETIMEDOUT') return fail('timeout', `no connection within ${o.connectTimeoutMs} ms`);
    if (err.code === 'ECANCELED') return fail('timeout', 'aborted');
    return fail(reasonForErrno(err.code), err.code);
  };
}
