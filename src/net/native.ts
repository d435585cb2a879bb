/**
 * Typed loader for the native addon (native/src/*.c). The addon only performs syscalls; this
 * file only describes its shape and finds the .node file, whether we run from dist/src/net/
 * (compiled) or src/net/ (ts tooling). TSKEEPALIVED_NATIVE overrides the path.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** An open socket owned by the addon (an N-API external; opaque to TypeScript). */
export type NativeSocket = { readonly __nativeSocket: unique symbol };

/** A pending tcpConnect (opaque). */
export type NativeConnect = { readonly __nativeConnect: unique symbol };

/** A timerfd-based one-shot timer owned by the addon (opaque). */
export type NativeTimer = { readonly __nativeTimer: unique symbol };

/** A signal watcher owned by the addon (opaque). */
export type NativeSignalWatch = { readonly __nativeSignalWatch: unique symbol };

/** One datagram as recvmsg returned it. For IPv4 `data` still starts with the IP header. */
export interface NativePacket {
  data: Buffer;
  src: string;
  /** Header destination from IP_PKTINFO / IPV6_PKTINFO ('' if the kernel gave none). */
  dst: string;
  ifindex: number;
  /** From IP_TTL / IPV6_HOPLIMIT ancillary data; -1 when absent. */
  ttl: number;
  /** The sender's UDP port (0 on raw sockets). */
  srcPort?: number;
  /** ms since the kernel received it (SO_TIMESTAMPNS enabled on the socket); -1 when absent. */
  ageMs: number;
  truncated: boolean;
  /** Netlink sockets only: the sender's port id (0 = the kernel). */
  nlPid?: number;
}

export interface NativeIfInfo {
  ifindex: number;
  mac: Buffer;
  /** ARPHRD_* (1 = Ethernet, 772 = loopback). */
  hwtype: number;
  flags: number;
  mtu: number;
}

/** spawnProcess options: credentials, the file to exec (default: PATH search of argv[0]),
 * the whole environment as NAME=value strings (default: ours), fds for stdout/stderr. */
export interface NativeSpawnOptions {
  uid?: number;
  gid?: number;
  file?: string;
  env?: readonly string[];
  stdout?: number;
  stderr?: number;
  /** A network namespace fd the child enters (setns) before anything else: pool threads may predate the daemon's own setns. */
  netns?: number;
}

/** A child started by spawnProcess: its pid (= its process group, it called setsid) and a pidfd. */
export interface NativeSpawned {
  pid: number;
  pidfd: number;
}

/** How a watched child ended: exactly one of the two is set. */
export interface NativeExit {
  status?: number;
  signal?: number;
}

/** Errors thrown by the addon: `code` like 'ENODEV', `errno` negative as in Node's own errors. */
export interface NativeError extends Error {
  code: string;
  errno: number;
  syscall: string;
}

export interface NativeConstants {
  SOL_SOCKET: number;
  SO_RCVBUF: number;
  SO_SNDBUF: number;
  SO_PRIORITY: number;
  SO_RCVBUFFORCE: number;
  SO_SNDBUFFORCE: number;
  SO_MARK: number;
  SO_TIMESTAMPNS: number;
  SOL_NETLINK: number;
  NETLINK_ADD_MEMBERSHIP: number;
  NETLINK_DROP_MEMBERSHIP: number;
  NETLINK_ROUTE: number;
  NETLINK_GENERIC: number;
  IPPROTO_IP: number;
  IPPROTO_IPV6: number;
  IPPROTO_ICMP: number;
  IPPROTO_ICMPV6: number;
  IPPROTO_UDP: number;
  SO_REUSEADDR: number;
  IP_TTL: number;
  IP_TOS: number;
  IP_MULTICAST_TTL: number;
  IP_MULTICAST_LOOP: number;
  IP_MULTICAST_ALL: number;
  IP_PKTINFO: number;
  IP_RECVTTL: number;
  IP_FREEBIND: number;
  IP_HDRINCL: number;
  IPV6_UNICAST_HOPS: number;
  IPV6_MULTICAST_HOPS: number;
  IPV6_MULTICAST_LOOP: number;
  IPV6_RECVPKTINFO: number;
  IPV6_RECVHOPLIMIT: number;
  IPV6_V6ONLY: number;
  IPV6_MULTICAST_ALL: number;
  LOG_PID: number;
  LOG_NDELAY: number;
  LOG_CONS: number;
  LOG_EMERG: number;
  LOG_ALERT: number;
  LOG_CRIT: number;
  LOG_ERR: number;
  LOG_WARNING: number;
  LOG_NOTICE: number;
  LOG_INFO: number;
  LOG_DEBUG: number;
  LOG_KERN: number;
  LOG_USER: number;
  LOG_DAEMON: number;
  LOG_LOCAL0: number;
  LOG_LOCAL1: number;
  LOG_LOCAL2: number;
  LOG_LOCAL3: number;
  LOG_LOCAL4: number;
  LOG_LOCAL5: number;
  LOG_LOCAL6: number;
  LOG_LOCAL7: number;
}

export interface NativeAddon {
  /** socket(AF_INET|AF_INET6, SOCK_RAW|NONBLOCK|CLOEXEC, protocol). */
  rawSocket(family: 4 | 6, protocol: number): NativeSocket;
  /**
   * socket(AF_INET|AF_INET6, SOCK_DGRAM|NONBLOCK|CLOEXEC, protocol): with IPPROTO_ICMP(V6) an
   * unprivileged "ping socket" — the kernel sets the echo id and delivers only this socket's
   * replies, ICMP header first (no IP header). EACCES unless the gid is in
   * net.ipv4.ping_group_range: then use rawSocket(4, IPPROTO_ICMP) / rawSocket(6, IPPROTO_ICMPV6).
   */
  dgramSocket(family: 4 | 6, protocol: number): NativeSocket;
  /** socket(AF_PACKET, SOCK_RAW, 0): send-only. */
  packetSocket(): NativeSocket;
  /** SO_BINDTODEVICE; ENODEV for an unknown interface. */
  bindToDevice(sock: NativeSocket, ifname: string): void;
  /** bind to a local address and port (default 0); ifindex scopes a link-local IPv6 address. */
  bindAddress(sock: NativeSocket, addr: string, ifindex: number, port?: number): void;
  /**
   * A TCP (stream) or UDP socket fd, non-blocking and close-on-exec, with SO_MARK (mark -1 =
   * none), SO_BINDTODEVICE (device '' = none) and bound to bindAddr/bindPort ('' / 0 = none)
   * before anything is sent: for Node's net.Socket({fd}) / dgram bind({fd}). The caller owns it.
   */
  inetSocket(family: 4 | 6, stream: boolean, mark: number, device: string, bindAddr: string, bindPort: number): number;
  /**
   * A whole TCP_CHECK: prepared socket (as inetSocket), non-blocking connect to dst:dstPort,
   * close. cb runs once on the loop: null = connected, else the error (ETIMEDOUT after
   * timeoutMs). Errors known before anything is sent (ENETUNREACH, ENODEV…) are thrown.
   */
  tcpConnect(
    family: 4 | 6, mark: number, device: string, bindAddr: string, bindPort: number,
    dst: string, dstPort: number, timeoutMs: number, cb: (err: NativeError | null) => void,
  ): NativeConnect;
  /** Abandon a pending tcpConnect without calling back; idempotent. */
  cancelConnect(handle: NativeConnect): void;
  /** A disarmed nanosecond one-shot timer (timerfd, CLOCK_MONOTONIC); cb runs on each expiry. */
  timerCreate(cb: () => void): NativeTimer;
  /** (Re)arm to fire once after delayMs (fractional); keeps the loop alive until it fires. */
  timerArm(timer: NativeTimer, delayMs: number): void;
  /** Cancel a pending expiry. */
  timerDisarm(timer: NativeTimer): void;
  /** Close the timer; idempotent. */
  timerClose(timer: NativeTimer): void;
  /** setsockopt with an int value. */
  setIntOpt(sock: NativeSocket, level: number, optname: number, value: number): void;
  /** IP_MULTICAST_IF (ip_mreqn) or IPV6_MULTICAST_IF. */
  setMulticastIf(sock: NativeSocket, ifindex: number): void;
  /** IP_ADD/DROP_MEMBERSHIP (ip_mreqn) or IPV6_JOIN/LEAVE_GROUP on ifindex. */
  membership(sock: NativeSocket, join: boolean, group: string, ifindex: number): void;
  /**
   * sendmsg with IP(V6)_PKTINFO carrying src ('' = kernel's choice) and ifindex (0 = any);
   * port is the destination port of a UDP socket (default 0; raw sockets ignore it).
   */
  send(sock: NativeSocket, payload: Buffer, dst: string, src: string, ifindex: number, port?: number): number;
  /**
   * send() of entries [start, start + count) of the three arrays, in order, with sendmmsg:
   * returns how many left. Throws the errno of entry `start` if it fails; when a later one
   * fails, returns how many went before it (call again from there for its error).
   */
  sendBatch(sock: NativeSocket, payloads: readonly Buffer[], dsts: readonly string[], srcs: readonly string[], ifindex: number, start: number, count: number): number;
  /** sendto(sockaddr_ll) of a complete Ethernet frame. */
  sendFrame(sock: NativeSocket, ifindex: number, frame: Buffer): number;
  /**
   * uv_poll the socket; cb gets every packet drained on each readable event, or an error.
   * A pending socket error (e.g. ENOBUFS after a netlink overrun) is reported as err and
   * reading continues; packets may accompany an error in the same call.
   */
  startReading(sock: NativeSocket, cb: (err: NativeError | null, packets: NativePacket[]) => void): void;
  /** Stop polling and close the fd; idempotent. */
  close(sock: NativeSocket): void;
  /** The fd, -1 once closed. */
  fileno(sock: NativeSocket): number;
  /** SIOCGIFINDEX/FLAGS/MTU/HWADDR; ENODEV for an unknown interface. */
  ifInfo(ifname: string): NativeIfInfo;
  /** socket(AF_NETLINK, SOCK_RAW|NONBLOCK|CLOEXEC, protocol), bound to a kernel-chosen port id. */
  netlinkSocket(protocol: number): NativeSocket;
  /** sendto the kernel (netlink port 0) of one or more complete netlink messages. */
  netlinkSend(sock: NativeSocket, message: Buffer): number;
  /** getsockopt with an int value (e.g. the effective SO_RCVBUF, which the kernel doubles). */
  getIntOpt(sock: NativeSocket, level: number, optname: number): number;
  /** poll(2) with timeout 0: true when a datagram is queued and not yet read. */
  readable(sock: NativeSocket): boolean;
  /** Whether a reading socket keeps the event loop alive (uv_ref / uv_unref). */
  setRef(sock: NativeSocket, ref: boolean): void;
  /** uv_signal_t watcher, unref'd (never keeps the process alive); works for real-time signals. */
  watchSignal(signum: number, cb: (signum: number) => void): NativeSignalWatch;
  /** Stop a watchSignal handle; idempotent. */
  unwatchSignal(handle: NativeSignalWatch): void;
  /**
   * vfork + (child: reset signals, setsid, setgroups([gid])/setgid/setuid if given, stdin and
   * stdout/stderr to /dev/null unless fds are given, close_range(3, ~0), execve(file) or execvp)
   * + pidfd_open. A failure in the child before exec (ENOENT, EACCES, EPERM…) is thrown
   * here with its syscall ('execvp', 'setuid'…) after the child has been reaped.
   */
  spawnProcess(argv: readonly string[], opts: NativeSpawnOptions): NativeSpawned;
  /**
   * The same spawn done on a libuv pool thread: vfork suspends the calling thread until the
   * child has exec'd, which on a loaded host is the child's scheduling delay — the event loop
   * must not pay it. cb gets the same result or error spawnProcess would return or throw.
   */
  spawnProcessAsync(
    argv: readonly string[],
    opts: NativeSpawnOptions,
    cb: (err: NativeError | null, spawned: NativeSpawned | undefined) => void,
  ): void;
  /** pipe2(O_CLOEXEC) → [readFd (non-blocking), writeFd]. */
  makePipe(): [number, number];
  /**
   * uv_poll the pidfd; on exit reap it (waitid P_PIDFD), close the pidfd and call cb exactly
   * once: `status` for a normal exit, `signal` (number) when killed. Keeps the loop alive.
   */
  watchExit(pidfd: number, cb: (err: NativeError | null, result: NativeExit | undefined) => void): void;
  /**
   * sendto of one datagram to a unix socket by name ('@name' = abstract namespace) from a fresh
   * unbound SOCK_DGRAM socket, MSG_DONTWAIT; returns the bytes sent. Used for sd_notify.
   */
  unixDgramSend(address: string, data: Buffer): number;
  openlog(ident: string, option: number, facility: number): void;
  syslog(priority: number, message: string): void;
  closelog(): void;
  /** setns(fd, CLONE_NEWNET) for the calling (JS) thread only; later threads and children inherit it. */
  setNetns(fd: number): void;
  /**
   * SCHED_RR | SCHED_RESET_ON_FORK at `priority` for the calling (JS) thread, RLIMIT_RTTIME
   * soft/hard in µs, and a SIGXCPU handler that returns the thread to SCHED_OTHER at once (so the
   * hard limit's SIGKILL cannot come) and then calls onDemoted from the loop. Throws with errno.
   */
  rtEnable(priority: number, rttimeSoftUs: number, rttimeHardUs: number, onDemoted: () => void): void;
  /** SCHED_OTHER for the calling thread; SIGXCPU back to its previous disposition. */
  rtDisable(): void;
  /** sched_yield(): lets work the kernel queued on this CPU (IPv6 addrconf) run before ours goes on. */
  yieldCpu(): void;
  constants: NativeConstants;
}

const ADDON_REL = join('native', 'build', 'Release', 'tskeepalived_native.node');

/** Walk up from this file to the directory holding native/build (the repo root). */
export function findAddon(from: string = __dirname): string | undefined {
  const override = process.env['TSKEEPALIVED_NATIVE'];
  if (override) return override;
  for (let dir = from, i = 0; i < 8; i++) {
    const candidate = join(dir, ADDON_REL);
    if (existsSync(candidate)) return candidate;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return undefined;
}

let cached: NativeAddon | undefined;

/** Load (once) and return the addon; throws ERR_NATIVE_MISSING with a build hint if absent. */
export function loadNative(): NativeAddon {
  if (cached) return cached;
  const path = findAddon();
  if (!path) {
    const e = new Error(`native addon not built: run "npm ci" or "npm run install" (looked for ${ADDON_REL})`);
    (e as Error & { code: string }).code = 'ERR_NATIVE_MISSING';
    throw e;
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  cached = require(path) as NativeAddon;
  return cached;
}

export function isNativeError(e: unknown): e is NativeError {
  return e instanceof Error && typeof (e as Partial<NativeError>).code === 'string' && typeof (e as Partial<NativeError>).errno === 'number';
}
