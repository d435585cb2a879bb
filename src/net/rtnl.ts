/**
 * RtnlPort over rtnetlink (NETLINK_ROUTE). Sockets are our addon's (nl-socket.ts: an overrun is
 * an error event, never an abort, and requests in flight are bounded); messages are built and
 * parsed with the npm `netlink` package's pure JS codecs; layouts live in rtnl-codec.ts.
 *
 * Everything keepalived needs is expressible with the package's typed messages; the two
 * attributes it leaves as raw buffers (IFLA_LINKINFO for macvlan, IFLA_AF_SPEC for the IPv6
 * address-generation mode) are built in the codec. We never shell out to `ip`.
 *
 * Errors: requests go out with checkError off so we read the kernel's errno ourselves and
 * throw RtnlError (code ERR_NETLINK_*, errno). Idempotence is decided on errno here, once.
 * The socket is opened lazily (constructing an Rtnl needs no privileges) and inherits the
 * network namespace of the process at first use.
 */
// The netlink package's codec modules, not its index: the index also loads its own native binding
// (raw sockets we do not use), genl, nl80211 and WireGuard codecs — a dozen modules and a dlopen at start-up.
import { AttrStream, formatMessage, parseError, type NetlinkMessage } from 'netlink/dist/structs';
import { FlagsGet, FlagsNew } from 'netlink/dist/constants';
import * as rt from 'netlink/dist/rt/structs';
import { createRouteSocket, prepareRequests, type PreparedRequests, type RtnlGroup } from './nl-socket';
import type {
  AddressSpec, InstalledAddress, IpvlanFlags, LinkInfo, MacvlanMode, NetEvent, RouteEvent, RouteSpec, RtnlPort, RtnlWatch, RuleEvent, RuleSpec, WatchStats,
} from './ports';
import { watchRouteDeletions, watchRuleDeletions } from './rtnl-route-watch';
import {
  addrGenModeNoneSpec, decodeAddress, decodeLink, tryParse, describeAddress, describeRoute, describeRule, encodeAddress,
  encodeIpvlan, encodeMacvlan, encodeRoute, encodeRule, ERRNO, isRtnlError, RtnlError, toLinkInfo, type LinkDetail,
} from './rtnl-codec';
import { isValidIfname, parseMac } from './vmac';
import { ifindexOf as ioctlIfindex } from './ifinfo';

const NLMSG_ERROR = 2;
const CREATE_EXCL = FlagsNew.CREATE | FlagsNew.EXCL;
const T = rt.MessageType;

/** What Rtnl needs of a socket: our NlSocket (via createRouteSocket), or a scripted fake. */
export interface RtSocket {
  readonly socket: {
    request(type: number, body: Uint8Array[], opts: { flags?: number; timeout?: number; checkError?: boolean }): Promise<[NetlinkMessage[], unknown]>;
    on(event: 'message', fn: (msgs: NetlinkMessage[]) => void): unknown;
    on(event: 'error', fn: (err: Error) => void): unknown;
    close(): void;
    setRecvBufferSize(bytes: number): void;
    /** Datagrams queued in the kernel and not yet read (watch resync); absent on fakes. */
    hasQueued?(): boolean;
    /** Hold requests, then send them in one datagram (nl-socket.ts); absent on fakes. */
    cork?(): void;
    uncork?(): void;
    /** Send requests framed ahead (nl-socket.ts); undefined when they cannot leave now; absent on fakes. */
    sendPrepared?(p: PreparedRequests, timeoutMs: number): Promise<number[]> | undefined;
  };
  addMembership(group: RtnlGroup): void;
}

export interface RtnlOptions {
  /** Per-request timeout; a kernel that never answers is a bug, not a wait. Default 5000 ms. */
  timeoutMs?: number;
  /**
   * Receive buffer of each watch socket. Default 8 MiB (SO_RCVBUFFORCE as root): about 10,000
   * address notifications. Tests make it small to provoke overruns.
   */
  watchRecvBufferBytes?: number;
  /** Socket factory (tests may inject); default createRouteSocket(). */
  openSocket?: (opts: { ref: boolean }) => RtSocket;
  /**
   * Synchronous ifindex lookup (an ioctl), so an address request leaves in the same tick as
   * the call instead of after a RTM_GETLINK round trip; undefined when unknown (then netlink
   * is asked). Default: the addon's ioctl, unless a socket factory was injected (fakes script
   * their own ifindexes).
   */
  ifindexNow?: (ifname: string) => number | undefined;
}

type Encoded = { kind: 'address'; data: rt.Address; attrs: rt.AddressAttrs }
  | { kind: 'route'; data: rt.Route; attrs: rt.RouteAttrs }
  | { kind: 'rule'; data: rt.Rule; attrs: rt.RuleAttrs }
  | { kind: 'link'; data: rt.Link; attrs: rt.LinkMessage['attrs'] };

function encode(msg: Encoded): Uint8Array[] {
  const out = new AttrStream();
  if (msg.kind === 'address') rt.formatAddressMessage(msg, out);
  else if (msg.kind === 'route') rt.formatRouteMessage(msg, out);
  else if (msg.kind === 'rule') rt.formatRuleMessage(msg, out);
  else rt.formatLinkMessage(msg, out);
  return out.bufs;
}

/** True if err is a kernel rejection with one of the given errnos. */
function isErrno(err: unknown, ...errnos: number[]): boolean {
  return isRtnlError(err) && err.code === 'ERR_NETLINK_REQUEST' && errnos.includes(err.errno);
}

export class Rtnl implements RtnlPort {
  private sock: RtSocket | undefined;
  private closed = false;
  private readonly watches = new Set<RtnlWatch>();
  private readonly timeoutMs: number;
  private readonly openSocket: (opts: { ref: boolean }) => RtSocket;
  private readonly watchRecvBufferBytes: number;
  private readonly ifindexNow: (ifname: string) => number | undefined;
  /** ifindex by name as last read by ifindexNow (addAddress, warmAddress); ENODEV drops an entry. */
  private readonly ifindexes = new Map<string, number>();
  /** RTM_NEWADDR bodies by spec object (the instance keeps its specs), for one ifindex. */
  private readonly addBodies = new WeakMap<AddressSpec, { ifindex: number; body: Uint8Array[] }>();
  /** addAddresses' datagrams framed ahead, by specs array (the instance keeps its arrays), for their ifindexes. */
  private readonly addBatches = new WeakMap<readonly AddressSpec[], { devs: string[]; ifindexes: number[]; requests: PreparedRequests }>();

  constructor(opts: RtnlOptions = {}) {
    this.ifindexNow = opts.ifindexNow ?? (opts.openSocket ? () => undefined : ioctlIfindexOrUndefined);
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.watchRecvBufferBytes = opts.watchRecvBufferBytes ?? 8 << 20;
    // Replies to bounded requests are small: 1 MiB is ample; dumps are paced by our reads.
    // 256 in flight (an ACK's buffer costs under 1 KiB, so at most ~256 KiB queued) lets a
    // takeover send all of a large instance's VIPs at once.
    this.openSocket = opts.openSocket ?? ((o) => createRouteSocket({ ref: o.ref, rcvbuf: 1 << 20, maxInFlight: 256 }));
  }

  // ---------- transport ----------

  private socket(op: string, target: string): RtSocket {
    if (this.closed) throw new RtnlError('ERR_NETLINK_CLOSED', 0, op, target, 'port closed');
    if (!this.sock) {
      try {
        this.sock = this.openSocket({ ref: false });
      } catch (e) {
        throw new RtnlError('ERR_NETLINK_SOCKET', errnoOf(e), op, target, `cannot open netlink socket: ${(e as Error).message}`);
      }
      // A socket-level error (e.g. ENOBUFS) must not crash the process; requests time out instead.
      this.sock.socket.on('error', () => undefined);
    }
    return this.sock;
  }

  /** Send one request, wait for its ACK or replies, turn NLMSG_ERROR into RtnlError. */
  private async request(op: string, target: string, type: number, body: Uint8Array[], flags: number): Promise<rt.Message[]> {
    const sock = this.socket(op, target);
    let reply: NetlinkMessage[];
    try {
      [reply] = await sock.socket.request(type, body, { flags, timeout: this.timeoutMs, checkError: false });
    } catch (e) {
      return this.transportError(e, op, target);
    }
    const first = reply[0];
    if (first && first.type === NLMSG_ERROR) {
      const { errno } = parseError(first.data, first.flags);
      if (errno !== 0) throw new RtnlError('ERR_NETLINK_REQUEST', -errno, op, target);
      return [];
    }
    return reply.map((m) => rt.parseMessage(m.type, m.data));
  }

  /** A request that got no answer from the kernel: closed, a socket error, or no reply in time. */
  private transportError(e: unknown, op: string, target: string): never {
    if (this.closed) throw new RtnlError('ERR_NETLINK_CLOSED', 0, op, target, 'port closed');
    const errno = errnoOf(e);
    if (errno) throw new RtnlError('ERR_NETLINK_SOCKET', errno, op, target, (e as Error).message);
    throw new RtnlError('ERR_NETLINK_TIMEOUT', ERRNO.ETIMEDOUT, op, target, `no reply within ${this.timeoutMs} ms`);
  }

  private async ifindexOf(op: string, target: string, ifname: string): Promise<number> {
    const link = await this.linkDetail(ifname);
    if (!link) throw new RtnlError('ERR_NETLINK_NO_DEVICE', ERRNO.ENODEV, op, target, `no interface "${ifname}"`);
    return link.ifindex;
  }

  private async linkDetail(ifname: string): Promise<LinkDetail | undefined> {
    if (!isValidIfname(ifname)) return undefined;
    return this.getOneLink('getLink', ifname, { family: 0 }, { ifname });
  }

  private async linkByIndex(ifindex: number): Promise<LinkDetail | undefined> {
    return this.getOneLink('getLink', `ifindex ${ifindex}`, { family: 0, index: ifindex }, {});
  }

  private async getOneLink(op: string, target: string, data: rt.Link, attrs: rt.LinkMessage['attrs']): Promise<LinkDetail | undefined> {
    try {
      const msgs = await this.request(op, target, T.GETLINK, encode({ kind: 'link', data, attrs }), 0);
      const m = msgs.find((x): x is rt.LinkMessage => x.kind === 'link');
      return m ? decodeLink(m) : undefined;
    } catch (e) {
      if (isErrno(e, ERRNO.ENODEV)) return undefined;
      throw e;
    }
  }

  // ---------- addresses ----------

  /**
   * The request leaves synchronously, within this call, when the interface index is known
   * (the usual case): a takeover sends its VIPs in the same tick as its first advert, and the
   * kernel has installed them when the send returns (rtnetlink requests run in the sender's
   * context), so gratuitous ARPs may follow at once.
   */
  addAddress(spec: AddressSpec): Promise<void> {
    const target = describeAddress(spec);
    const cached = this.ifindexes.get(spec.dev);
    if (cached === undefined) return this.addAddressLookingUp(spec, target);
    // A recreated interface has a new index (the kernel does not hand an old one out again
    // soon), so a stale cached index is refused with ENODEV: look it up and try once more.
    return this.newAddress(spec, cached, target).catch((e: unknown) => {
      if (!isErrno(e, ERRNO.ENODEV)) throw e;
      this.ifindexes.delete(spec.dev);
      return this.addAddressLookingUp(spec, target);
    });
  }

  private addAddressLookingUp(spec: AddressSpec, target: string): Promise<void> {
    const index = isValidIfname(spec.dev) ? this.ifindexNow(spec.dev) : undefined;
    if (index !== undefined) {
      this.ifindexes.set(spec.dev, index);
      return this.newAddress(spec, index, target);
    }
    return this.ifindexOf('addAddress', target, spec.dev).then((i) => this.newAddress(spec, i, target));
  }

  /**
   * Every address in one datagram (the kernel applies them in order, one ACK each); one
   * promise per spec, as addAddress. Specs whose ifindex is not known at once go on their own.
   */
  addAddresses(specs: readonly AddressSpec[]): Array<Promise<void>> {
    let sock: RtSocket['socket'] | undefined;
    try {
      sock = this.socket('addAddress', 'batch').socket;
    } catch {
      /* each addAddress reports it */
    }
    const batch = sock?.sendPrepared && this.addBatch(specs);
    const sent = batch && sock?.sendPrepared?.(batch, this.timeoutMs);
    if (sent) return specs.map((spec, i) => sent.then((errnos) => this.addedAddress(spec, errnos[i] as number), (e: unknown) => this.transportError(e, 'addAddress', describeAddress(spec))));
    sock?.cork?.();
    try {
      return specs.map((spec) => this.addAddress(spec));
    } finally {
      sock?.uncork?.();
    }
  }

  /**
   * The datagram adding every spec, framed once per specs array and set of interface indexes
   * (warmAddresses builds it at start): a takeover numbers and sends it, nothing more.
   * Undefined when a spec's interface index is not known yet.
   */
  private addBatch(specs: readonly AddressSpec[]): PreparedRequests | undefined {
    const pre = this.addBatches.get(specs);
    if (pre && this.sameIndexes(pre.devs, pre.ifindexes)) return pre.requests;
    const devs = [...new Set(specs.map((s) => s.dev))];
    const ifindexes: number[] = [];
    for (const dev of devs) {
      const index = this.ifindexes.get(dev);
      if (index === undefined) return undefined;
      ifindexes.push(index);
    }
    const requests = prepareRequests(T.NEWADDR, CREATE_EXCL, specs.map((spec) => this.addBody(spec, this.ifindexes.get(spec.dev) as number)[0] as Uint8Array));
    this.addBatches.set(specs, { devs, ifindexes, requests });
    return requests;
  }

  /** Each interface still has the index it had (usually one interface). */
  private sameIndexes(devs: readonly string[], ifindexes: readonly number[]): boolean {
    for (let i = 0; i < devs.length; i++) if (this.ifindexes.get(devs[i] as string) !== ifindexes[i]) return false;
    return true;
  }

  /** One address of a prepared batch answered `errno`: done, already there, or retried once on a stale interface index. */
  private addedAddress(spec: AddressSpec, errno: number): Promise<void> | undefined {
    if (errno === 0 || errno === ERRNO.EEXIST) return undefined;
    if (errno === ERRNO.ENODEV) {
      this.ifindexes.delete(spec.dev);
      return this.addAddressLookingUp(spec, describeAddress(spec));
    }
    throw new RtnlError('ERR_NETLINK_REQUEST', errno, 'addAddress', describeAddress(spec));
  }

  /** addAddresses with warmAddress's work done ahead: each spec's request and the datagram of them all. */
  warmAddresses(specs: readonly AddressSpec[]): void {
    for (const spec of specs) this.warmAddress(spec);
    this.addBatch(specs);
  }

  /**
   * Build ahead the RTM_NEWADDR addAddress(spec) will send (kept for this spec object and the
   * interface's current index): a takeover then only numbers and sends it. Without a known
   * index, builds and discards one so that V8 has compiled the encoders.
   */
  warmAddress(spec: AddressSpec): void {
    const index = isValidIfname(spec.dev) ? this.ifindexNow(spec.dev) : undefined;
    if (index === undefined) {
      const { data, attrs } = encodeAddress(spec, 1, 'add');
      formatMessage({ type: T.NEWADDR, flags: CREATE_EXCL, seq: 1, port: 0, data: Buffer.concat(encode({ kind: 'address', data, attrs })) });
      return;
    }
    this.ifindexes.set(spec.dev, index);
    this.addBody(spec, index);
  }

  private addBody(spec: AddressSpec, index: number): Uint8Array[] {
    const pre = this.addBodies.get(spec);
    if (pre && pre.ifindex === index) return pre.body;
    const { data, attrs } = encodeAddress(spec, index, 'add');
    const body = [Buffer.concat(encode({ kind: 'address', data, attrs }))];
    this.addBodies.set(spec, { ifindex: index, body });
    return body;
  }

  private async newAddress(spec: AddressSpec, index: number, target: string): Promise<void> {
    const body = this.addBody(spec, index);
    try {
      await this.request('addAddress', target, T.NEWADDR, body, CREATE_EXCL);
    } catch (e) {
      if (!isErrno(e, ERRNO.EEXIST)) throw e;
    }
  }

  async delAddress(spec: AddressSpec): Promise<void> {
    const target = describeAddress(spec);
    const link = await this.linkDetail(spec.dev);
    if (!link) return; // the interface is gone, and its addresses with it
    const { data, attrs } = encodeAddress(spec, link.ifindex, 'del');
    try {
      await this.request('delAddress', target, T.DELADDR, encode({ kind: 'address', data, attrs }), 0);
    } catch (e) {
      if (!isErrno(e, ERRNO.EADDRNOTAVAIL, ERRNO.ENOENT, ERRNO.ESRCH, ERRNO.ENODEV)) throw e;
    }
  }

  async listAddresses(ifname?: string): Promise<InstalledAddress[]> {
    const links = await this.listLinkDetails();
    const names = new Map(links.map((l) => [l.ifindex, l.ifname]));
    const wanted = ifname === undefined ? undefined : links.find((l) => l.ifname === ifname)?.ifindex;
    if (ifname !== undefined && wanted === undefined) return [];
    const msgs = await this.request('listAddresses', ifname ?? 'all', T.GETADDR, encode({ kind: 'address', data: { family: 0 }, attrs: {} }), FlagsGet.DUMP);
    const out: InstalledAddress[] = [];
    for (const m of msgs) {
      if (m.kind !== 'address' || (wanted !== undefined && m.data.index !== wanted)) continue;
      const a = decodeAddress(m, names.get(m.data.index ?? 0) ?? '');
      if (a) out.push(a);
    }
    return out;
  }

  // ---------- routes and rules ----------

  async addRoute(spec: RouteSpec): Promise<void> {
    const target = describeRoute(spec);
    const oif = spec.dev === undefined ? undefined : await this.ifindexOf('addRoute', target, spec.dev);
    const nhOifs: (number | undefined)[] = [];
    for (const nh of spec.nexthops ?? []) nhOifs.push(nh.dev === undefined ? undefined : await this.ifindexOf('addRoute', target, nh.dev));
    const { data, attrs } = encodeRoute(spec, oif, 'add', nhOifs);
    try {
      await this.request('addRoute', target, T.NEWROUTE, encode({ kind: 'route', data, attrs }), CREATE_EXCL);
    } catch (e) {
      if (!isErrno(e, ERRNO.EEXIST)) throw e;
    }
  }

  async delRoute(spec: RouteSpec): Promise<void> {
    const target = describeRoute(spec);
    let oif: number | undefined;
    if (spec.dev !== undefined) {
      const link = await this.linkDetail(spec.dev);
      if (!link) return; // routes through a vanished interface vanished with it
      oif = link.ifindex;
    }
    const { data, attrs } = encodeRoute(spec, oif, 'del');
    try {
      await this.request('delRoute', target, T.DELROUTE, encode({ kind: 'route', data, attrs }), 0);
    } catch (e) {
      if (!isErrno(e, ERRNO.ESRCH, ERRNO.ENOENT, ERRNO.ENODEV)) throw e;
    }
  }

  async addRule(spec: RuleSpec): Promise<void> {
    const { data, attrs } = encodeRule(spec, 'add');
    try {
      await this.request('addRule', describeRule(spec), T.NEWRULE, encode({ kind: 'rule', data, attrs }), CREATE_EXCL);
    } catch (e) {
      if (!isErrno(e, ERRNO.EEXIST)) throw e;
    }
  }

  async delRule(spec: RuleSpec): Promise<void> {
    const { data, attrs } = encodeRule(spec, 'del');
    try {
      await this.request('delRule', describeRule(spec), T.DELRULE, encode({ kind: 'rule', data, attrs }), 0);
    } catch (e) {
      if (!isErrno(e, ERRNO.ENOENT, ERRNO.ESRCH)) throw e;
    }
  }

  // ---------- links ----------

  async getLink(ifname: string): Promise<LinkInfo | undefined> {
    const d = await this.linkDetail(ifname);
    return d && toLinkInfo(d);
  }

  async listLinks(): Promise<LinkInfo[]> {
    return (await this.listLinkDetails()).map(toLinkInfo);
  }

  /** Links and addresses, for the watcher's seed and its resync after an overrun. */
  private async dumpState(): Promise<{ links: LinkDetail[]; addrs: InstalledAddress[] }> {
    const links = await this.listLinkDetails();
    const names = new Map(links.map((l) => [l.ifindex, l.ifname]));
    const msgs = await this.request('watch', 'resync', T.GETADDR, encode({ kind: 'address', data: { family: 0 }, attrs: {} }), FlagsGet.DUMP);
    const addrs: InstalledAddress[] = [];
    for (const m of msgs) {
      const a = m.kind === 'address' ? decodeAddress(m, names.get(m.data.index ?? 0) ?? '') : undefined;
      if (a) addrs.push(a);
    }
    return { links, addrs };
  }

  private async listLinkDetails(): Promise<LinkDetail[]> {
    const msgs = await this.request('listLinks', 'all', T.GETLINK, encode({ kind: 'link', data: { family: 0 }, attrs: {} }), FlagsGet.DUMP);
    return msgs.filter((m): m is rt.LinkMessage => m.kind === 'link').map(decodeLink);
  }

  async createMacvlan(name: string, parentIfname: string, mac: string, mode: MacvlanMode): Promise<LinkInfo> {
    const target = `${name} link ${parentIfname} address ${mac} mode ${mode}`;
    if (!isValidIfname(name)) throw new RtnlError('ERR_NETLINK_INVALID_ARG', ERRNO.EINVAL, 'createMacvlan', target, `bad interface name "${name}"`);
    const parent = await this.ifindexOf('createMacvlan', target, parentIfname);
    const { data, attrs } = encodeMacvlan(name, parent, mac, mode);
    try {
      await this.request('createMacvlan', target, T.NEWLINK, encode({ kind: 'link', data, attrs }), CREATE_EXCL);
    } catch (e) {
      if (!isErrno(e, ERRNO.EEXIST)) throw e;
      const existing = await this.linkDetail(name);
      if (!existing || !sameVmac(existing, parent, mac)) throw e;
      return toLinkInfo(existing); // left over from a crashed run: reuse it
    }
    const created = await this.linkDetail(name);
    if (!created) throw new RtnlError('ERR_NETLINK_NO_DEVICE', ERRNO.ENODEV, 'createMacvlan', target, 'created but not found');
    await this.setAddrGenModeNone(created.ifindex, target);
    return toLinkInfo(created);
  }

  /**
   * use_ipvlan: an ipvlan in mode l2 with the given flags on the parent (keepalived 2.2.7 leaves
   * its addrgenmode alone, observed). An ipvlan of the same name on the same parent, left by a
   * crashed run, is reused.
   */
  async createIpvlan(name: string, parentIfname: string, flags: IpvlanFlags): Promise<LinkInfo> {
    const target = `${name} link ${parentIfname} type ipvlan mode l2 ${flags}`;
    if (!isValidIfname(name)) throw new RtnlError('ERR_NETLINK_INVALID_ARG', ERRNO.EINVAL, 'createIpvlan', target, `bad interface name "${name}"`);
    const parent = await this.ifindexOf('createIpvlan', target, parentIfname);
    const { data, attrs } = encodeIpvlan(name, parent, flags);
    try {
      await this.request('createIpvlan', target, T.NEWLINK, encode({ kind: 'link', data, attrs }), CREATE_EXCL);
    } catch (e) {
      if (!isErrno(e, ERRNO.EEXIST)) throw e;
      const existing = await this.linkDetail(name);
      if (!existing || existing.kind !== 'ipvlan' || existing.parentIndex !== parent) throw e;
      return toLinkInfo(existing);
    }
    const created = await this.linkDetail(name);
    if (!created) throw new RtnlError('ERR_NETLINK_NO_DEVICE', ERRNO.ENODEV, 'createIpvlan', target, 'created but not found');
    return toLinkInfo(created);
  }

  /** No kernel-made link-local on the VMAC (keepalived 2.2.7: addrgenmode none). Best effort. */
  private async setAddrGenModeNone(ifindex: number, target: string): Promise<void> {
    try {
      const body = encode({ kind: 'link', data: { family: 0, index: ifindex }, attrs: { afSpec: addrGenModeNoneSpec() } });
      await this.request('createMacvlan', target, T.SETLINK, body, 0);
    } catch (e) {
      // A kernel without IPv6 has no link-locals to suppress.
      if (!isErrno(e, ERRNO.EOPNOTSUPP, 97 /* EAFNOSUPPORT */)) throw e;
    }
  }

  async deleteLink(name: string): Promise<void> {
    const link = await this.linkDetail(name);
    if (!link) return;
    try {
      await this.request('deleteLink', name, T.DELLINK, encode({ kind: 'link', data: { family: 0, index: link.ifindex }, attrs: {} }), 0);
    } catch (e) {
      if (!isErrno(e, ERRNO.ENODEV)) throw e;
    }
  }

  async setLinkUp(name: string, up: boolean): Promise<void> {
    const target = `${name} ${up ? 'up' : 'down'}`;
    const index = await this.ifindexOf('setLinkUp', target, name);
    const data: rt.Link = { family: 0, index, change: { up: true }, flags: up ? { up: true } : {} };
    await this.request('setLinkUp', target, T.SETLINK, encode({ kind: 'link', data, attrs: {} }), 0);
  }

  // ---------- notifications ----------

  watch(cb: (e: NetEvent) => void, onError?: (err: Error) => void, onResync?: (changes: number, stats: WatchStats) => void): RtnlWatch {
    if (this.closed) throw new RtnlError('ERR_NETLINK_CLOSED', 0, 'watch', 'link/addr', 'port closed');
    const w = new Watcher(this.openSocket, this.watchRecvBufferBytes, (i) => this.linkByIndex(i), () => this.dumpState(), cb, onError, onResync);
    const handle: RtnlWatch = {
      stats: () => ({ ...w.stats }),
      close: () => {
        this.watches.delete(handle);
        w.close();
      },
    };
    this.watches.add(handle);
    return handle;
  }

  watchRules(cb: (e: RuleEvent) => void, onError?: (err: Error) => void): RtnlWatch {
    if (this.closed) throw new RtnlError('ERR_NETLINK_CLOSED', 0, 'watchRules', 'rule', 'port closed');
    return this.tracked(watchRuleDeletions(this.openSocket, cb, onError));
  }

  watchRoutes(cb: (e: RouteEvent) => void, onError?: (err: Error) => void): RtnlWatch {
    if (this.closed) throw new RtnlError('ERR_NETLINK_CLOSED', 0, 'watchRoutes', 'route', 'port closed');
    return this.tracked(watchRouteDeletions(this.openSocket, cb, onError));
  }

  /** A watch closed with the port (and forgotten when closed first). */
  private tracked(w: RtnlWatch): RtnlWatch {
    const handle: RtnlWatch = {
      close: () => {
        this.watches.delete(handle);
        w.close();
      },
    };
    this.watches.add(handle);
    return handle;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const w of [...this.watches]) w.close();
    this.sock?.socket.close();
    this.sock = undefined;
  }
}

function sameVmac(link: LinkDetail, parentIndex: number, mac: string): boolean {
  const want = parseMac(mac);
  const have = parseMac(link.mac);
  return link.kind === 'macvlan' && link.parentIndex === parentIndex && !!want && !!have && Buffer.compare(want, have) === 0;
}

function errnoOf(e: unknown): number {
  const n = (e as { errno?: unknown } | null)?.errno;
  return typeof n === 'number' ? Math.abs(n) : 0;
}


type WatchState = { links: LinkDetail[]; addrs: InstalledAddress[] };

const addrKey = (a: InstalledAddress): string => `${a.ifindex} ${a.family} ${a.address}/${a.prefixLen}`;
const linkSame = (a: LinkInfo, b: LinkInfo): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * One subscription socket (RTNLGRP_LINK, IPV4_IFADDR, IPV6_IFADDR). Events are handled on a
 * promise chain so they reach the callback in kernel order even when an address event needs
 * an ifindex→name lookup first.
 *
 * Overrun recovery. The watcher keeps the state its subscriber has been told (links and
 * addresses: seeded from a dump, then updated by every event). When the kernel reports ENOBUFS
 * (notifications were dropped) onError hears it, and the watcher enters resync mode: it stops
 * applying individual notifications (some are missing, and the queued ones may be older than
 * what it is about to read), dumps links and addresses, emits synthesised events for every
 * difference from the told state (new or changed links, removed addresses, deleted links,
 * added addresses, in that order) and adopts the dump. Any notification that arrives during a
 * dump, or is still queued in the kernel when it ends, means the dump may be stale: dump
 * again. Resync mode ends after a dump during which nothing arrived, so every notification
 * seen afterwards is newer than the adopted state. Under a sustained storm this polls by
 * dumps until the storm ends, and converges.
 */
class Watcher {
  private readonly sock: RtSocket;
  private readonly names = new Map<number, string>();
  private links = new Map<number, LinkInfo>();
  private addrs = new Map<string, InstalledAddress>();
  private chain: Promise<void>;
  private closed = false;
  /** Overrun seen: notifications are not applied one by one until a clean dump. */
  private resyncing = false;
  /** Something arrived (or was lost) since the current resync dump started. */
  private dirty = false;
  readonly stats: WatchStats = { overruns: 0, resyncDumps: 0, resyncs: 0 };

  constructor(
    open: (opts: { ref: boolean }) => RtSocket,
    rcvbufBytes: number,
    private readonly byIndex: (i: number) => Promise<LinkDetail | undefined>,
    private readonly dump: () => Promise<WatchState>,
    private readonly cb: (e: NetEvent) => void,
    private readonly onError?: (err: Error) => void,
    private readonly onResync?: (changes: number, stats: WatchStats) => void,
  ) {
    // ref: a process that watches links is waiting for them; let the socket keep it alive.
    this.sock = open({ ref: true });
    try {
      this.sock.socket.setRecvBufferSize(rcvbufBytes);
    } catch {
      /* capped by net.core.rmem_max; keep the default */
    }
    for (const g of ['LINK', 'IPV4_IFADDR', 'IPV6_IFADDR'] as const) this.sock.addMembership(g);
    this.sock.socket.on('message', (msgs) => {
      if (this.resyncing) this.dirty = true;
      else this.enqueue(() => this.handle(msgs));
    });
    this.sock.socket.on('error', (err) => this.overrun(err));
    // Joined before the dump, so nothing falls between the dump and the first event.
    this.chain = this.dump().then(
      (st) => this.adopt(st),
      (err: Error) => this.report(err),
    );
  }

  private enqueue(fn: () => Promise<void>): void {
    this.chain = this.chain.then(fn).catch((err: Error) => this.report(err));
  }

  /** Errors after close (e.g. the seed dump cut short by Rtnl.close) are expected, not news. */
  private report(err: Error): void {
    if (!this.closed) this.onError?.(err);
  }

  private overrun(err: Error): void {
    this.stats.overruns++;
    this.report(new RtnlError('ERR_NETLINK_SOCKET', errnoOf(err), 'watch', 'link/addr', `${err.message} (events may have been lost; re-reading links and addresses)`));
    this.dirty = true;
    if (this.resyncing || this.closed) return;
    this.resyncing = true;
    this.enqueue(() => this.resync());
  }

  private async resync(): Promise<void> {
    let changes = 0;
    try {
      while (!this.closed && (this.dirty || this.sock.socket.hasQueued?.() === true)) {
        this.dirty = false;
        const st = await this.dump();
        if (this.closed) return;
        this.stats.resyncDumps++;
        changes += this.emitDiff(st);
        this.adopt(st);
      }
      this.stats.resyncs++;
      if (!this.closed) this.onResync?.(changes, { ...this.stats });
    } catch (err) {
      // Leave resync mode anyway: the next overrun starts another; meanwhile events flow.
      this.report(err as Error);
    } finally {
      this.resyncing = false;
    }
  }

  private adopt(st: WatchState): void {
    this.links = new Map(st.links.map((l) => [l.ifindex, toLinkInfo(l)]));
    this.addrs = new Map(st.addrs.map((a) => [addrKey(a), a]));
    for (const l of st.links) this.names.set(l.ifindex, l.ifname);
  }

  /** Tell the differences between the told state and a dump; returns how many events that was. */
  private emitDiff(st: WatchState): number {
    const out: NetEvent[] = [];
    const nowLinks = new Map(st.links.map((l) => [l.ifindex, toLinkInfo(l)]));
    const nowAddrs = new Map(st.addrs.map((a) => [addrKey(a), a]));
    for (const [i, l] of nowLinks) {
      const was = this.links.get(i);
      if (!was || !linkSame(was, l)) out.push({ type: 'link', link: l });
    }
    for (const [k, a] of this.addrs) if (!nowAddrs.has(k)) out.push({ type: 'addr-removed', addr: a });
    for (const [i, l] of this.links) if (!nowLinks.has(i)) out.push({ type: 'link-deleted', ifindex: i, ifname: l.ifname });
    for (const [k, a] of nowAddrs) if (!this.addrs.has(k)) out.push({ type: 'addr-added', addr: a });
    for (const e of out) if (!this.closed) this.cb(e);
    return out.length;
  }

  private async handle(msgs: NetlinkMessage[]): Promise<void> {
    for (const m of msgs) {
      if (this.closed || this.resyncing) return; // a resync dump supersedes what is left
      const e = await this.toEvent(m);
      if (!e || this.closed) continue;
      this.track(e);
      this.cb(e);
    }
  }

  /** Keep the told state current, for the diff of a later resync. */
  private track(e: NetEvent): void {
    if (e.type === 'link') this.links.set(e.link.ifindex, e.link);
    else if (e.type === 'link-deleted') this.links.delete(e.ifindex);
    else if (e.type === 'addr-added') this.addrs.set(addrKey(e.addr), e.addr);
    else this.addrs.delete(addrKey(e.addr));
  }

  private async toEvent(m: NetlinkMessage): Promise<NetEvent | undefined> {
    if (m.type === T.NEWLINK || m.type === T.DELLINK) {
      const parsed = tryParse(rt.parseLinkMessage, m.data);
      if (!parsed) return undefined;
      const link = decodeLink(parsed);
      // Names stay cached after DELLINK: the DELADDRs that follow still need them.
      this.names.set(link.ifindex, link.ifname);
      if (m.type === T.DELLINK) return { type: 'link-deleted', ifindex: link.ifindex, ifname: link.ifname };
      return { type: 'link', link: toLinkInfo(link) };
    }
    if (m.type === T.NEWADDR || m.type === T.DELADDR) {
      const msg = tryParse(rt.parseAddressMessage, m.data);
      if (!msg) return undefined;
      const index = msg.data.index ?? 0;
      let name = this.names.get(index);
      if (name === undefined) {
        name = (await this.byIndex(index).catch(() => undefined))?.ifname ?? msg.attrs.label?.split(':')[0] ?? '';
        if (name) this.names.set(index, name);
      }
      const addr = decodeAddress(msg, name);
      if (!addr) return undefined;
      return m.type === T.NEWADDR ? { type: 'addr-added', addr } : { type: 'addr-removed', addr };
    }
    return undefined;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sock.socket.close();
  }
}

function ioctlIfindexOrUndefined(ifname: string): number | undefined {
  try {
    return ioctlIfindex(ifname);
  } catch {
    return undefined; // no such interface (or no addon): netlink answers authoritatively
  }
}
