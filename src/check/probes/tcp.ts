/**
 * TCP_CHECK (connect only) and the connect helper the stream-based probes share
 * (HTTP_GET, SSL_GET, SMTP_CHECK). The socket is prepared by the addon (src/net/inet-socket)
 * so `fwmark` and `bind_if` apply before connect(); node:net does the rest.
 */
import type net from 'node:net';
import { preparedTcpSocket, type SocketPrep } from '../../net/inet-socket';
import { fail, ok, reasonForErrno, type Probe, type ProbeResult } from '../result';

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
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      socket.removeListener('error', onError);
      if (!r.ok) socket.destroy();
      resolve(r);
    };
    const onError = (e: NodeJS.ErrnoException): void =>
      finish({ ok: false, result: fail(reasonForErrno(e.code), e.code ?? e.message) });
    const onAbort = (): void => finish({ ok: false, result: fail('timeout', 'aborted') });
    const timer = setTimeout(
      () => finish({ ok: false, result: fail('timeout', `no connection within ${o.connectTimeoutMs} ms`) }),
      o.connectTimeoutMs,
    );
    socket.once('connect', () => finish({ ok: true, socket }));
    socket.on('error', onError);
    signal.addEventListener('abort', onAbort, { once: true });
    socket.connect({ host: o.host, port: o.port, noDelay: true });
  });
}

export function tcpProbe(o: ConnectOptions): Probe {
  return async (signal) => {
    const c = await connectTcp(o, signal);
    if (!c.ok) return c.result;
    // A swallowed error after destroy() must not crash the daemon.
    c.socket.on('error', () => undefined);
    c.socket.destroy();
    return ok();
  };
}
