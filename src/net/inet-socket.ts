/**
 * TCP/UDP sockets for the health checkers, prepared by the addon before Node uses them:
 * keepalived's checker `fwmark` (SO_MARK, for policy routing) and `bind_if` (SO_BINDTODEVICE,
 * needed to reach an IPv6 link-local real server) must be set before connect(), which
 * node:net and node:dgram cannot do. Node then owns the fd: connect, TLS, streams, close.
 */
import dgram from 'node:dgram';
import { closeSync } from 'node:fs';
import net from 'node:net';
import { loadNative, type NativeAddon } from './native';

export interface SocketPrep {
  /** Address the socket will talk to: picks IPv4 or IPv6. */
  peer: string;
  /** SO_MARK (checker `fwmark`). */
  mark?: number;
  /** SO_BINDTODEVICE (checker `bind_if`). */
  device?: string;
  /** Local source address (`bindto`). */
  bindAddr?: string;
  /** Local source port (`bind_port`). */
  bindPort?: number;
}

function prepArgs(p: SocketPrep): [4 | 6, number, string, string, number] {
  return [net.isIPv6(p.peer) ? 6 : 4, p.mark ?? -1, p.device ?? '', p.bindAddr ?? '', p.bindPort ?? 0];
}

function preparedFd(p: SocketPrep, stream: boolean, addon: NativeAddon): number {
  const [family, mark, device, bindAddr, bindPort] = prepArgs(p);
  return addon.inetSocket(family, stream, mark, device, bindAddr, bindPort);
}

/**
 * Connect to p.peer:port and close at once (TCP_CHECK), entirely in the addon: no JS stream
 * object per check. Resolves null on success, else the errno name ('ECONNREFUSED',
 * 'ETIMEDOUT' after timeoutMs, 'ENETUNREACH'…) and message. `signal` abandons the attempt.
 */
export function connectOnce(
  p: SocketPrep,
  port: number,
  timeoutMs: number,
  signal: AbortSignal,
  addon: NativeAddon = loadNative(),
): Promise<{ code: string; message: string } | null> {
  return new Promise((resolve) => {
    const asError = (e: unknown): { code: string; message: string } => ({
      code: (e as NodeJS.ErrnoException).code ?? 'EINVAL',
      message: (e as Error).message,
    });
    if (signal.aborted) return resolve({ code: 'ECANCELED', message: 'aborted' });
    try {
      const h = addon.tcpConnect(...prepArgs(p), p.peer, port, timeoutMs, (err) => {
        signal.removeEventListener('abort', onAbort);
        resolve(err ? asError(err) : null);
      });
      const onAbort = (): void => {
        addon.cancelConnect(h);
        resolve({ code: 'ECANCELED', message: 'aborted' });
      };
      signal.addEventListener('abort', onAbort, { once: true });
    } catch (e) {
      resolve(asError(e));
    }
  });
}

/** An unconnected net.Socket over a prepared fd; call .connect() on it. Throws the addon's errors (EPERM, ENODEV, EADDRNOTAVAIL…). */
export function preparedTcpSocket(p: SocketPrep, addon: NativeAddon = loadNative()): net.Socket {
  const fd = preparedFd(p, true, addon);
  try {
    return new net.Socket({ fd, readable: true, writable: true });
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

/** A dgram socket over a prepared fd, already bound (Node's bind({fd}) completes synchronously). */
export function preparedUdpSocket(p: SocketPrep, addon: NativeAddon = loadNative()): dgram.Socket {
  const fd = preparedFd(p, false, addon);
  let sock: dgram.Socket;
  try {
    sock = dgram.createSocket(net.isIPv6(p.peer) ? 'udp6' : 'udp4');
  } catch (e) {
    closeSync(fd);
    throw e;
  }
  try {
    sock.bind({ fd });
  } catch (e) {
    // Node did not take the fd (it only owns it once open() succeeded).
    closeSync(fd);
    sock.close();
    throw e;
  }
  return sock;
}
