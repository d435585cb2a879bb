/**
 * systemd readiness protocol (sd_notify(3)) for `Type=notify` units: READY=1 once start-up is
 * complete, RELOADING=1 (with MONOTONIC_USEC, which systemd >= 253 wants for notify-reload and
 * older versions ignore) then READY=1 around a SIGHUP reload, STOPPING=1 when stopping.
 *
 * The messages are built here; the transport is a port: one datagram to the unix socket named by
 * $NOTIFY_SOCKET (a path, or '@name' for the abstract namespace), sent by the native addon (Node
 * has no unix datagram sockets). Without $NOTIFY_SOCKET nothing is sent. A failed send is logged
 * once and never stops the daemon.
 */
import { loadNative } from '../net/native';

/** Sends one notification datagram; throws on failure. */
export interface NotifyPort {
  send(message: string): void;
}

export interface SdNotifierDeps {
  port: NotifyPort;
  /** CLOCK_MONOTONIC in µs (systemd compares it with its own clock). */
  monotonicUsec: () => bigint;
  warn: (message: string) => void;
}

export class SdNotifier {
  private stopping = false;
  private warned = false;

  constructor(private readonly deps: SdNotifierDeps) {}

  /** Start-up complete, or a reload finished (whether or not the new config was accepted). */
  ready(): void {
    if (!this.stopping) this.send('READY=1');
  }

  /** A reload begins. */
  reloading(): void {
    if (!this.stopping) this.send(`RELOADING=1\nMONOTONIC_USEC=${this.deps.monotonicUsec()}`);
  }

  /** The daemon is stopping: sent once; READY=1 is never sent after it. */
  stop(): void {
    if (this.stopping) return;
    this.stopping = true;
    this.send('STOPPING=1');
  }

  private send(message: string): void {
    try {
      this.deps.port.send(message);
    } catch (e) {
      if (this.warned) return;
      this.warned = true;
      this.deps.warn(`sd_notify: cannot notify systemd (${(e as Error).message})`);
    }
  }
}

/** The port to $NOTIFY_SOCKET, through the addon. */
export function nativeNotifyPort(address: string): NotifyPort {
  const native = loadNative();
  return { send: (message) => void native.unixDgramSend(address, Buffer.from(message)) };
}

/**
 * The notifier for this process when systemd asked for one ($NOTIFY_SOCKET set), else undefined.
 * NOTIFY_SOCKET is removed from the environment so scripts we run do not inherit it (as
 * sd_notify's unset_environment), which also keeps a reload from notifying twice.
 */
export function sdNotifierFromEnv(env: NodeJS.ProcessEnv, warn: (m: string) => void): SdNotifier | undefined {
  const address = env['NOTIFY_SOCKET'];
  delete env['NOTIFY_SOCKET'];
  if (!address) return undefined;
  if (!address.startsWith('/') && !address.startsWith('@')) {
    warn(`sd_notify: NOTIFY_SOCKET '${address}' is neither a path nor an abstract name; not notifying systemd`);
    return undefined;
  }
  return new SdNotifier({ port: nativeNotifyPort(address), monotonicUsec: () => process.hrtime.bigint() / 1000n, warn });
}
