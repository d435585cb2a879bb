/**
 * TCP_CHECK (connect only) and the connect helper the stream-based probes share
 * (HTTP_GET, SSL_GET, SMTP_CHECK). `fwmark` cannot be honoured: node:net exposes no
 * SO_MARK, so a configured fwmark is reported at start-up by the runtime and ignored.
 */
import net from 'node:net';
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
  connectTimeoutMs: number;
}

export type Connected = { ok: true; socket: net.Socket } | { ok: false; result: ProbeResult };

/** Open a TCP connection bounded by connectTimeoutMs; never rejects. */
export function connectTcp(o: ConnectOptions, signal: AbortSignal): Promise<Connected> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve({ ok: false, result: fail('timeout', 'aborted') });
      return;
    }
    const opts: net.NetConnectOpts = { host: o.host, port: o.port, noDelay: true };
    if (o.bindto !== undefined) opts.localAddress = o.bindto;
    if (o.bindPort !== undefined) opts.localPort = o.bindPort;
    let done = false;
    const socket = net.connect(opts);
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
