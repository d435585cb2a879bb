/**
 * A netlink socket on our own addon (native/src/nl.c), with request/reply matching.
 *
 * Why not the npm `netlink` package's socket: its C++ binding calls std::terminate when the
 * kernel flags a receive-buffer overrun (EPOLLERR with sk_err = ENOBUFS), so one burst of
 * 1,000 address changes killed the daemon. Here an overrun is an 'error' event carrying
 * ENOBUFS, and reading goes on. We still use the package's pure JS message parsers and
 * formatters, so decoding is unchanged.
 *
 * Flow control (the overrun's other half): at most `maxInFlight` requests are outstanding, so
 * the replies and ACKs queued for us are bounded (each is small; dumps are paced by the kernel
 * as we read). Only one dump runs at a time — a netlink socket refuses a second concurrent dump
 * with EBUSY. Requests leave in call order (FIFO), so "add then delete" reaches the kernel in
 * that order.
 *
 * Replies are matched on nlmsg_seq. A request completes on NLMSG_ERROR (an ACK is an error
 * of 0: every request carries NLM_F_ACK) or, for dumps, on NLMSG_DONE. Messages matching no
 * request (multicast notifications) are emitted as 'message' with the datagram's messages.
 */
import { EventEmitter } from 'node:events';
// The netlink package's codec modules, not its index: the index also loads its own native binding
// (raw sockets we do not use), genl, nl80211 and WireGuard codecs — a dozen modules and a dlopen at start-up.
import { formatMessage, parseMessages, type NetlinkMessage } from 'netlink/dist/structs';
import { loadNative, type NativeAddon, type NativeError, type NativePacket, type NativeSocket } from './native';

const NLMSG_ERROR = 2;
const NLMSG_DONE = 3;
const NLM_F_REQUEST = 0x1;
const NLM_F_ACK = 0x4;
const NLM_F_DUMP = 0x300;
/** One datagram's requests at most (the kernel refuses a datagram above the send buffer, ~200 KiB). */
const MAX_BATCH_BYTES = 32 << 10;

export interface NlSocketOptions {
  /** Keep the event loop alive while open (a watcher); default false (pending requests' timers do). */
  ref?: boolean;
  /** Receive buffer in bytes; SO_RCVBUFFORCE first (root may exceed rmem_max), then SO_RCVBUF. */
  rcvbuf?: number;
  /** Multicast groups to join (RTNLGRP_* numbers). */
  groups?: number[];
  /** Outstanding requests at most; default 32. */
  maxInFlight?: number;
  /** Addon to use (tests); default loadNative(). */
  addon?: NativeAddon;
}

export interface NlRequestOptions {
  flags?: number;
  /** Milliseconds from sending; on expiry the promise rejects with a plain Error (no errno). */
  timeout?: number;
  /** Accepted for call-compatibility with the `netlink` package; errors are never thrown from replies. */
  checkError?: boolean;
}

/**
 * Requests framed ahead (prepareRequests): one datagram whose messages only lack their
 * sequence numbers. sendPrepared numbers them in place and sends the datagram as it is.
 */
export interface PreparedRequests {
  readonly datagram: Buffer;
  /** Where each message starts in the datagram. */
  readonly offsets: readonly number[];
}

/** Frame `bodies` as requests of one type (NLM_F_REQUEST | NLM_F_ACK | flags), back to back in one datagram. */
export function prepareRequests(type: number, flags: number, bodies: readonly Uint8Array[]): PreparedRequests {
  const parts: Buffer[] = [];
  const offsets: number[] = [];
  let at = 0;
  for (const body of bodies) {
    const msg = formatMessage({ type, flags: flags | NLM_F_REQUEST | NLM_F_ACK, seq: 0, port: 0, data: body });
    const len = msg.reduce((n, b) => n + b.length, 0);
    offsets.push(at);
    // NLMSG_ALIGN: the next message of a datagram starts on a 4-byte boundary.
    at += (len + 3) & ~3;
    parts.push(Buffer.concat(msg, (len + 3) & ~3));
  }
  return { datagram: Buffer.concat(parts, at), offsets };
}

/** The requests of one sendPrepared: their ACKs are counted, one errno each (0 = done). */
interface PreparedPending {
  firstSeq: number;
  errnos: number[];
  left: number;
  timer?: NodeJS.Timeout;
  resolve: (errnos: number[]) => void;
  reject: (e: Error) => void;
}

interface Pending {
  type: number;
  body: Uint8Array[];
  opts: NlRequestOptions;
  dump: boolean;
  seq: number;
  /** The formatted message, between pump() and its send. */
  msg?: Buffer;
  msgs: NetlinkMessage[];
  timer?: NodeJS.Timeout;
  resolve: (r: [NetlinkMessage[], Record<string, never>]) => void;
  reject: (e: Error) => void;
}

export interface NlSocketEvents {
  message: (msgs: NetlinkMessage[]) => void;
  error: (err: NativeError) => void;
  close: () => void;
}

export class NlSocket extends EventEmitter {
  private readonly addon: NativeAddon;
  private readonly fd: NativeSocket;
  private readonly maxInFlight: number;
  private readonly queue: Pending[] = [];
  private readonly inFlight = new Map<number, Pending>();
  private dumpInFlight = false;
  /** sendPrepared batches whose ACKs are not all in (rarely more than one). */
  private prepared: PreparedPending[] = [];
  /** Their outstanding requests (counted against maxInFlight). */
  private preparedLeft = 0;
  private corked = 0;
  private seq = (Math.random() * 0x7fffffff) >>> 0;
  private closed = false;
  /** Datagrams dropped because their sender was not the kernel (nl_pid != 0). */
  foreignDropped = 0;
  private readonly keepAlive: boolean;

  constructor(protocol: number, opts: NlSocketOptions = {}) {
    super();
    this.addon = opts.addon ?? loadNative();
    this.maxInFlight = Math.max(1, opts.maxInFlight ?? 32);
    this.keepAlive = opts.ref === true;
    this.fd = this.addon.netlinkSocket(protocol);
    try {
      if (opts.rcvbuf) this.setRecvBufferSize(opts.rcvbuf);
      const c = this.addon.constants;
      for (const g of opts.groups ?? []) this.addon.setIntOpt(this.fd, c.SOL_NETLINK, c.NETLINK_ADD_MEMBERSHIP, g);
      this.addon.startReading(this.fd, (err, pkts) => this.onRead(err, pkts));
      this.addon.setRef(this.fd, opts.ref === true);
    } catch (e) {
      this.addon.close(this.fd);
      throw e;
    }
  }

  /** Shape-compatible with the `netlink` package's RtNetlinkSocket.socket (Rtnl uses either). */
  get socket(): this {
    return this;
  }

  override on<E extends keyof NlSocketEvents>(event: E, listener: NlSocketEvents[E]): this {
    return super.on(event, listener);
  }

  addMembership(group: number): void {
    const c = this.addon.constants;
    this.addon.setIntOpt(this.fd, c.SOL_NETLINK, c.NETLINK_ADD_MEMBERSHIP, group);
  }

  /** Best effort: SO_RCVBUFFORCE needs CAP_NET_ADMIN; otherwise capped by net.core.rmem_max. */
  setRecvBufferSize(bytes: number): void {
    const c = this.addon.constants;
    try {
      this.addon.setIntOpt(this.fd, c.SOL_SOCKET, c.SO_RCVBUFFORCE, bytes);
    } catch {
      this.addon.setIntOpt(this.fd, c.SOL_SOCKET, c.SO_RCVBUF, bytes);
    }
  }

  /** Effective size (the kernel doubles what was asked, for its bookkeeping). */
  getRecvBufferSize(): number {
    const c = this.addon.constants;
    return this.addon.getIntOpt(this.fd, c.SOL_SOCKET, c.SO_RCVBUF);
  }

  /** True when datagrams are queued in the kernel that have not been delivered yet. */
  hasQueued(): boolean {
    return !this.closed && this.addon.readable(this.fd);
  }

  /** Requests queued or outstanding (diagnostics, tests). */
  get pending(): number {
    return this.queue.length + this.inFlight.size;
  }

  request(type: number, body: Uint8Array[], opts: NlRequestOptions = {}): Promise<[NetlinkMessage[], Record<string, never>]> {
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(closedError());
      const dump = ((opts.flags ?? 0) & NLM_F_DUMP) === NLM_F_DUMP;
      this.queue.push({ type, body, opts, dump, seq: 0, msgs: [], resolve, reject });
      this.pump();
    });
  }

  /**
   * Send requests framed ahead as they are (numbered in place; nothing is built or copied):
   * resolves to each one's errno (0: done), in order. Undefined, and nothing sent, when they
   * cannot leave now without overtaking queued requests or the in-flight bound (the caller
   * then sends them as ordinary requests). A takeover's VIPs leave this way: the datagram is
   * the one built when the instance was.
   */
  sendPrepared(p: PreparedRequests, timeoutMs: number): Promise<number[]> | undefined {
    const n = p.offsets.length;
    if (this.closed || this.corked > 0 || this.queue.length > 0 || n === 0 || this.inFlight.size + this.preparedLeft + n > this.maxInFlight) return undefined;
    // consecutive numbers, never wrapping inside a batch (match() tests a range)
    if (this.seq > 0xfffffffe - n) this.seq = 0;
    const firstSeq = this.seq + 1;
    this.seq += n;
    for (let i = 0; i < n; i++) p.datagram.writeUInt32LE(firstSeq + i, (p.offsets[i] as number) + 8);
    try {
      this.addon.netlinkSend(this.fd, p.datagram);
    } catch (e) {
      return Promise.reject(e as Error);
    }
    return new Promise((resolve, reject) => {
      const b: PreparedPending = { firstSeq, errnos: new Array<number>(n).fill(0), left: n, resolve, reject };
      if (timeoutMs > 0) b.timer = setTimeout(() => this.finishPrepared(b, new Error('Timeout has been reached')), timeoutMs);
      this.prepared.push(b);
      this.preparedLeft += n;
      this.holdLoop();
    });
  }

  private finishPrepared(b: PreparedPending, err?: Error): void {
    const i = this.prepared.indexOf(b);
    if (i < 0) return;
    this.prepared.splice(i, 1);
    this.preparedLeft -= b.left;
    if (b.timer) clearTimeout(b.timer);
    this.releaseLoop();
    if (err) b.reject(err);
    else b.resolve(b.errnos);
    this.pump();
  }

  /** A process awaiting a reply is not idle: hold the loop while anything is outstanding. */
  private holdLoop(): void {
    if (this.inFlight.size + this.prepared.length === 1 && !this.keepAlive) this.addon.setRef(this.fd, true);
  }

  private releaseLoop(): void {
    if (this.inFlight.size + this.prepared.length === 0 && !this.keepAlive && !this.closed) this.addon.setRef(this.fd, false);
  }

  /**
   * Requests made while corked are only queued; uncork() sends every one the in-flight bound
   * allows in one datagram. The kernel runs a datagram's messages one after another, each with
   * its own ACK (an error in one does not stop the next): 50 VIPs cost one sendmsg, not 50.
   */
  cork(): void {
    this.corked++;
  }

  uncork(): void {
    if (this.corked > 0 && --this.corked === 0) this.pump();
  }

  /**
   * Start queued requests, in order, while the in-flight bound and the one-dump rule allow.
   * Consecutive non-dump requests leave together in one datagram (a dump goes alone).
   */
  private pump(): void {
    if (this.corked > 0) return;
    while (!this.closed && this.inFlight.size + this.preparedLeft < this.maxInFlight) {
      const first = this.queue[0];
      if (!first || (first.dump && this.dumpInFlight)) return;
      const batch: Pending[] = [];
      let bytes = 0;
      for (let p = this.queue[0]; p && this.inFlight.size + this.preparedLeft + batch.length < this.maxInFlight && bytes < MAX_BATCH_BYTES; p = this.queue[0]) {
        if (p.dump && (batch.length > 0 || this.dumpInFlight)) break;
        this.queue.shift();
        batch.push(p);
        bytes += this.frame(p).length;
        if (p.dump) break;
      }
      this.start(batch);
    }
  }

  /** Give p its sequence number and its complete message (header + body). */
  private frame(p: Pending): Buffer {
    this.seq = (this.seq % 0xfffffffe) + 1;
    p.seq = this.seq;
    const flags = (p.opts.flags ?? 0) | NLM_F_REQUEST | NLM_F_ACK;
    const parts = formatMessage({ type: p.type, flags, seq: p.seq, port: 0, data: p.body.length === 1 ? (p.body[0] as Uint8Array) : Buffer.concat(p.body) });
    const len = parts.reduce((n, b) => n + b.length, 0);
    // NLMSG_ALIGN: the next message of a datagram starts on a 4-byte boundary.
    p.msg = Buffer.concat(parts, (len + 3) & ~3);
    return p.msg;
  }

  private start(batch: Pending[]): void {
    const msg = batch.length === 1 ? (batch[0]?.msg as Buffer) : Buffer.concat(batch.map((p) => p.msg as Buffer));
    try {
      this.addon.netlinkSend(this.fd, msg);
    } catch (e) {
      for (const p of batch) p.reject(e as Error);
      return;
    }
    for (const p of batch) {
      p.msg = undefined;
      this.inFlight.set(p.seq, p);
      this.holdLoop();
      if (p.dump) this.dumpInFlight = true;
      if (p.opts.timeout) p.timer = setTimeout(() => this.finish(p, new Error('Timeout has been reached')), p.opts.timeout);
    }
  }

  private finish(p: Pending, err?: Error): void {
    if (this.inFlight.get(p.seq) !== p) return;
    this.inFlight.delete(p.seq);
    if (p.dump) this.dumpInFlight = false;
    if (p.timer) clearTimeout(p.timer);
    this.releaseLoop();
    if (err) p.reject(err);
    else p.resolve([p.msgs, {}]);
    this.pump();
  }

  private onRead(err: NativeError | null, pkts: NativePacket[]): void {
    if (this.closed) return;
    if (err) {
      // An overrun may have dropped replies as well as notifications: fail what is outstanding
      // now rather than let each caller wait for its timeout. Queued requests are unaffected.
      for (const p of [...this.inFlight.values()]) this.finish(p, err);
      for (const b of [...this.prepared]) this.finishPrepared(b, err);
      // Without a listener EventEmitter would throw inside the addon's callback: a fatal
      // exception, the very abort this module exists to avoid.
      if (this.listenerCount('error') > 0) this.emit('error', err);
    }
    for (const pkt of pkts) {
      if (this.closed) return;
      // Only the kernel (port id 0) speaks for the kernel: a process with CAP_NET_ADMIN can
      // send to our port or our multicast groups (a forged "lo down"), so drop anything else.
      if (pkt.nlPid !== undefined && pkt.nlPid !== 0) {
        this.foreignDropped++;
        continue;
      }
      let msgs: NetlinkMessage[];
      try {
        msgs = parseMessages(pkt.data);
      } catch {
        continue; // a malformed datagram from the kernel: nothing to match it to
      }
      const unmatched = msgs.filter((m) => !this.match(m));
      if (unmatched.length) this.emit('message', unmatched);
    }
  }

  /** Feed one message to its request; false if no request owns its seq. */
  private match(m: NetlinkMessage): boolean {
    const p = m.seq === 0 ? undefined : this.inFlight.get(m.seq);
    if (!p) return this.prepared.length > 0 && this.matchPrepared(m);
    if (m.type === NLMSG_ERROR) {
      // A kernel error replaces any partial reply; an ACK (errno 0) ends a non-dump request
      // after its data messages, or alone when there were none.
      const errno = m.data.length >= 4 ? m.data.readInt32LE(0) : 0;
      if (errno !== 0 || p.msgs.length === 0) p.msgs = [m];
      this.finish(p);
    } else if (m.type === NLMSG_DONE) {
      this.finish(p);
    } else {
      p.msgs.push(m);
      // Some requests (a doit without ACK support) answer with data only; a non-dump request
      // still waits for its ACK, which every rtnetlink doit sends because NLM_F_ACK is set.
    }
    return true;
  }

  /** An ACK (or error) of a sendPrepared request; their requests have no data replies. */
  private matchPrepared(m: NetlinkMessage): boolean {
    for (const b of this.prepared) {
      const i = m.seq - b.firstSeq;
      if (i < 0 || i >= b.errnos.length) continue;
      if (m.type !== NLMSG_ERROR) return true;
      b.errnos[i] = m.data.length >= 4 ? -m.data.readInt32LE(0) : 0;
      this.preparedLeft--;
      if (--b.left === 0) this.finishPrepared(b);
      return true;
    }
    return false;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.addon.close(this.fd);
    for (const p of [...this.inFlight.values()]) {
      if (p.timer) clearTimeout(p.timer);
      p.reject(closedError());
    }
    this.inFlight.clear();
    for (const b of this.prepared.splice(0)) {
      if (b.timer) clearTimeout(b.timer);
      b.reject(closedError());
    }
    this.preparedLeft = 0;
    for (const p of this.queue.splice(0)) p.reject(closedError());
    this.emit('close');
  }
}

function closedError(): Error {
  return Object.assign(new Error('netlink socket closed'), { code: 'ERR_NETLINK_CLOSED' });
}

/** NETLINK_ROUTE socket with named group membership, the shape Rtnl consumes. */
export interface RouteSocket {
  readonly socket: NlSocket;
  addMembership(group: RtnlGroup): void;
}

const RTNLGRP = { LINK: 1, IPV4_IFADDR: 5, IPV4_ROUTE: 7, IPV6_IFADDR: 9, IPV6_ROUTE: 11, IPV4_RULE: 8, IPV6_RULE: 19 } as const;
export type RtnlGroup = keyof typeof RTNLGRP;

export function createRouteSocket(opts: Omit<NlSocketOptions, 'groups'> = {}): RouteSocket {
  const addon = opts.addon ?? loadNative();
  const socket = new NlSocket(addon.constants.NETLINK_ROUTE, { ...opts, addon });
  return { socket, addMembership: (g) => socket.addMembership(RTNLGRP[g]) };
}
